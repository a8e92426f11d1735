"""What an index was built on: shape, dtype and hashes of the keys and the vector bytes.

An index answers with row numbers; it is only right for the exact vectors it was
built from. Saved next to the index and compared on load, the fingerprint turns
"built for other vectors" (changed, retrained, another vocabulary) into a clear
error instead of wrong neighbours.

The vector bytes are hashed in full with BLAKE2b, not sampled: continued
training or ``add_vectors(..., replace=True)`` may change a single row, and a
sample would miss it. BLAKE2b runs at about 1 GB/s per core (hashlib releases
the GIL), so 1M x 300 float32 vectors cost about a second: small beside the
minutes an HNSW build takes, paid once per save or load, never per query.
"""
import hashlib
import json

import numpy as np

from fastw2v.similarities._pages import release_rows

__all__ = ["fingerprint", "describe_mismatch", "StaleIndexError"]

_CHUNK_BYTES = 64 << 20  # hash this many bytes per update: bounded temporaries


class StaleIndexError(ValueError):
    """An index does not belong to the vectors it is used with (built for other vectors)."""


def _keys_digest(keys):
    """BLAKE2b of the keys in order; their JSON spelling keeps str "1" apart from int 1."""
    text = json.dumps(list(keys), ensure_ascii=False, default=repr)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _vectors_digest(vectors):
    h = hashlib.blake2b(digest_size=16)
    rows = max(1, _CHUNK_BYTES // max(1, vectors.itemsize * vectors.shape[1]))
    for start in range(0, len(vectors), rows):
        h.update(np.ascontiguousarray(vectors[start:start + rows]).data)
        release_rows(vectors, start, start + rows)  # memory-mapped vectors: one chunk resident
    return h.hexdigest()


def fingerprint(keys, vectors):
    """A JSON-ready description of `keys` and `vectors`, equal only for equal inputs.

    Parameters
    ----------
    keys : sequence
        The key of each row (``index_to_key``).
    vectors : numpy.ndarray
        2-D array of the raw (not normalised) vectors.

    Returns
    -------
    dict
        ``shape``, ``dtype``, ``keys_blake2b`` and ``vectors_blake2b``.
    """
    if not isinstance(vectors, np.ndarray):
        vectors = np.asarray(vectors)
    return {"shape": list(vectors.shape), "dtype": vectors.dtype.str,
            "keys_blake2b": _keys_digest(keys), "vectors_blake2b": _vectors_digest(vectors)}


def describe_mismatch(expected, actual):
    """Why two fingerprints differ, in words; None when they are equal."""
    if expected.get("shape") != actual["shape"] or expected.get("dtype") != actual["dtype"]:
        return (f"it was built for {_shape_text(expected)} vectors, these are "
                f"{_shape_text(actual)}")
    if expected.get("keys_blake2b") != actual["keys_blake2b"]:
        return "the keys differ (another vocabulary, or the same words in another order)"
    if expected.get("vectors_blake2b") != actual["vectors_blake2b"]:
        return "the vectors differ (changed or retrained since the index was built)"
    return None


def _shape_text(fp):
    shape = fp.get("shape")
    dtype = fp.get("dtype")
    try:
        return f"{shape[0]:,} x {shape[1]} {np.dtype(dtype).name}"
    except (TypeError, IndexError, ValueError):
        return f"shape {shape!r} dtype {dtype!r}"
