"""What a saved ``KeyedVectors`` holds: the schema on top of the native format.

:mod:`fastw2v.io.native` stores named arrays and a JSON document atomically; this
module decides which arrays and which JSON fields make a ``KeyedVectors``, and
checks them the same way in both directions: :func:`save_keyedvectors` refuses
(with :class:`~fastw2v.io.errors.FormatError`, before anything is written) what
:func:`load_keyedvectors` would refuse, so a bad save never replaces a good file.

Layout (``kind = "KeyedVectors"``)
----------------------------------
meta
    ``vector_size``; ``keys``: the keys in row order, each a str or an int;
    ``expandos``: per-key attribute name -> its array's name.
arrays
    ``vectors`` (len(keys) x vector_size) and ``expando0``, ``expando1``, ...
    (len(keys) each).
"""
import numpy as np

from .errors import FormatError
from .native import load_native, save_native

__all__ = ["save_keyedvectors", "load_keyedvectors", "KIND"]

KIND = "KeyedVectors"


def save_keyedvectors(fname, index_to_key, vectors, expandos, vector_size):
    """Write a ``KeyedVectors``' keys, vectors and per-key attribute arrays
    (`expandos`, name -> array) to `fname` atomically.

    Raises
    ------
    ValueError
        A key is neither str nor int.
    FormatError
        The vectors or a per-key attribute do not match the keys and
        ``vector_size`` (e.g. ``vectors`` was replaced by an array of another
        shape): `fname` is left as it was.
    """
    keys = [_json_key(k) for k in index_to_key]
    arrays = {"vectors": np.asarray(vectors)}
    names = {}
    for i, (attr, values) in enumerate(expandos.items()):
        names[attr] = f"expando{i}"
        arrays[f"expando{i}"] = np.asarray(values)
    meta = {"vector_size": vector_size, "keys": keys, "expandos": names}
    _check(fname, meta, arrays)
    save_native(fname, arrays, meta, kind=KIND)


def load_keyedvectors(fname, mmap=None):
    """What `save_keyedvectors` wrote to `fname`; ``mmap='r'`` maps the arrays read-only.

    Returns
    -------
    keys : list of str or int
    vectors : numpy.ndarray
        (len(keys), vector_size).
    expandos : dict of str -> numpy.ndarray
        Per-key attribute arrays.

    Raises
    ------
    FormatError
        Not a valid saved KeyedVectors.
    """
    arrays, meta = load_native(fname, mmap=mmap, expected_kind=KIND)
    _check(fname, meta, arrays)
    return meta["keys"], arrays["vectors"], {attr: arrays[name] for attr, name in meta["expandos"].items()}


def _json_key(key):
    """`key` as JSON stores it: a str, or a Python int (numpy integers included, bools not)."""
    if isinstance(key, (np.integer, int)) and not isinstance(key, bool):
        return int(key)
    if isinstance(key, str):
        return key
    raise ValueError(f"key {key!r} is neither str nor int; cannot store it")


def _check(fname, meta, arrays):
    """FormatError unless the keys, vectors and attribute arrays agree."""
    keys, expandos, vectors = meta.get("keys"), meta.get("expandos"), arrays.get("vectors")
    if (not isinstance(keys, list) or not isinstance(expandos, dict) or vectors is None
            or not all(type(k) in (str, int) for k in keys) or len(set(keys)) != len(keys)):
        raise FormatError(fname, "inconsistent KeyedVectors: bad 'keys', 'expandos' or no 'vectors'")
    n = len(keys)
    if vectors.ndim != 2 or vectors.shape != (n, meta.get("vector_size")):
        raise FormatError(fname, f"inconsistent KeyedVectors: vectors have shape {vectors.shape}, but "
                                 f"{n} keys and vector_size {meta.get('vector_size')} need "
                                 f"{(n, meta.get('vector_size'))}")
    for attr, name in expandos.items():
        if not isinstance(name, str) or name not in arrays or np.shape(arrays[name]) != (n,):
            raise FormatError(fname, f"inconsistent KeyedVectors: attribute {attr!r} does not have "
                                     f"one value per key ({n})")
