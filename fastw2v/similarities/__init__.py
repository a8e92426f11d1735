"""Approximate nearest-neighbour indexes behind gensim's ``indexer=`` protocol.

An indexer is any object with ``most_similar(vector, num_neighbors)`` returning
``[(key, similarity), ...]``; `KeyedVectors.most_similar`, `similar_by_word`,
`similar_by_vector` and `similar_by_key` take one as ``indexer=``, and batch
queries (``most_similar(2-D array, batch=True, indexer=...)``) use its
``most_similar_batch`` when it has one. gensim's own ``AnnoyIndexer`` works
too, built on ``kv.to_gensim()`` (gensim checks the class of the model it is
given).

- :class:`HnswIndexer`: an HNSW graph through faiss-cpu (``pip install
  "fastw2v[ann]"``), saved with a fingerprint of its vectors so that an index
  built for other vectors is refused (:class:`StaleIndexError`).
- :func:`load_indexer`: load a saved index by the kind its description names.

Exact search (``indexer=None``) stays the reference each index is tested against.
"""
import json
import os

from fastw2v.io.errors import FormatError
from fastw2v.similarities._fingerprint import StaleIndexError, fingerprint
from fastw2v.similarities._store import META_SUFFIX
from fastw2v.similarities.hnsw import HnswIndexer

__all__ = ["HnswIndexer", "StaleIndexError", "load_indexer", "fingerprint"]

_KINDS = {HnswIndexer.kind: HnswIndexer}


def load_indexer(path, vectors, mmap=False):
    """Load the index saved at `path` (any kind fastw2v writes) for `vectors`.

    Parameters
    ----------
    path : str or os.PathLike
        The index file; its description is ``path + ".json"``.
    vectors : Word2Vec, KeyedVectors or numpy.ndarray
        The vectors it was built on.
    mmap : bool
        Memory-map the index where the library allows.

    Raises
    ------
    StaleIndexError
        The index was built for other vectors.
    fastw2v.io.FormatError
        Not a fastw2v index, or an unknown kind.
    """
    meta_path = os.fspath(path) + META_SUFFIX
    try:
        with open(meta_path, "rb") as fin:
            kind = json.loads(fin.read().decode("utf-8")).get("kind")
    except FileNotFoundError:
        raise FileNotFoundError(f"no such index file: {meta_path}") from None
    except (UnicodeDecodeError, ValueError, AttributeError):
        raise FormatError(meta_path, "not a fastw2v index description") from None
    if kind not in _KINDS:
        raise FormatError(meta_path, f"unknown index kind {kind!r}")
    return _KINDS[kind].load(path, vectors, mmap=mmap)
