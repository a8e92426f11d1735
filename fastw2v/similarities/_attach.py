"""An index saved beside a model or KeyedVectors, and loaded with it.

``kv.indexer = HnswIndexer(kv); kv.save("vectors.kv")`` also writes
``vectors.kv.index`` (and ``vectors.kv.index.json``); ``KeyedVectors.load``
and ``Word2Vec.load`` find it there and set ``kv.indexer`` again, after
checking the index belongs to the loaded vectors. Queries stay exact unless
``indexer=kv.indexer`` is passed, as in gensim: loading never changes results.

The persistence code calls only the two hooks below, so it needs to know
nothing about indexes.
"""
import logging
import os

from fastw2v.similarities._store import index_files_exist, remove_index_files

__all__ = ["INDEX_SUFFIX", "save_index_beside", "load_index_beside"]

logger = logging.getLogger(__name__)

INDEX_SUFFIX = ".index"


def save_index_beside(fname, kv):
    """After saving `kv` at `fname`: save ``kv.indexer`` at ``fname + ".index"``.

    With no indexer (or one fastw2v cannot save, such as gensim's
    ``AnnoyIndexer``, which pickles), an index left there by an earlier save is
    removed: it belonged to the vectors that were just replaced.

    Raises
    ------
    StaleIndexError
        ``kv.indexer`` was built for other vectors; the vectors are saved
        without it.
    """
    path = os.fspath(fname) + INDEX_SUFFIX
    indexer = getattr(kv, "indexer", None)
    if indexer is None or not (hasattr(indexer, "verify") and hasattr(indexer, "kind")):
        if indexer is not None:
            logger.warning("%s is not a fastw2v.similarities index; %s is saved without it",
                           type(indexer).__name__, fname)
        remove_index_files(path)
        return
    try:
        indexer.verify(kv)
    except ValueError as err:
        remove_index_files(path)
        raise type(err)(f"{err}; {fname} was saved without its index") from None
    indexer.save(path)


def load_index_beside(fname, kv, mmap=None):
    """The index saved beside `fname` for `kv`, or None when there is none.

    Raises
    ------
    StaleIndexError
        The index there was built for other vectors.
    """
    path = os.fspath(fname) + INDEX_SUFFIX
    if not index_files_exist(path):
        return None
    from fastw2v.similarities import StaleIndexError, load_indexer
    try:
        return load_indexer(path, kv, mmap=mmap is not None)
    except StaleIndexError as err:
        raise StaleIndexError(f"{err} (or delete {path} and {path}.json to load "
                              f"{fname} without it)") from None
