"""HNSW index of unit word vectors through faiss, behind gensim's ``indexer=`` protocol.

faiss-cpu was chosen among usearch, faiss-cpu and hnswlib by measurement (see
``benchmarks/README.md``, "Approximate nearest neighbours"): on 100k x 300
vectors faiss and hnswlib tie on build time and queries per second at equal
recall, usearch builds slower and answers fewer queries at recall >= 0.99.
Between the two, faiss ships binary wheels (hnswlib 0.8.0 installs from source,
with a compiler) and can memory-map a saved index (hnswlib reads it whole).

The index holds the unit-length rows (``IndexHNSWFlat`` with inner product),
so its scores are the cosine similarities `KeyedVectors.most_similar` reports.
Rows are added in chunks, normalised one chunk at a time, so the build needs
the vectors, the index and one chunk: never a second full copy of the vectors.
Memory-mapped vectors (``KeyedVectors.load(..., mmap='r')``) give each chunk's
pages back once it is added (`_pages.release_rows`), so building from a mapped
file holds the index and one chunk only.
"""
import logging
import os
from numbers import Integral

import numpy as np

from fastw2v.similarities._fingerprint import StaleIndexError, describe_mismatch, fingerprint
from fastw2v.similarities._pages import release_rows
from fastw2v.similarities._store import read_index_meta, write_index_files

__all__ = ["HnswIndexer"]

logger = logging.getLogger(__name__)

INSTALL_HINT = 'HnswIndexer needs faiss-cpu: pip install "fastw2v[ann]" (or pip install faiss-cpu)'
_CHUNK_ROWS = 10_000  # rows per add(): the progress step, and the normalised copy's size


def _faiss():
    try:
        import faiss
    except ImportError:
        raise ImportError(INSTALL_HINT) from None
    return faiss


def _check_count(name, value, minimum, allow_none=False):
    """`value` as an int >= `minimum`, or ValueError naming the parameter."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _source(model_or_vectors):
    """(keys, vectors) of a model with ``.wv``, a KeyedVectors, or a 2-D array (keys 0..n-1)."""
    if isinstance(model_or_vectors, np.ndarray):
        vectors = model_or_vectors
        keys = list(range(len(vectors))) if vectors.ndim == 2 else None
    else:
        kv = getattr(model_or_vectors, "wv", model_or_vectors)
        keys, vectors = getattr(kv, "index_to_key", None), getattr(kv, "vectors", None)
    if keys is None or not isinstance(vectors, np.ndarray) or vectors.ndim != 2:
        raise TypeError("HnswIndexer takes a Word2Vec model, KeyedVectors or a 2-D array of vectors, "
                        f"not {type(model_or_vectors).__name__}")
    if len(keys) == 0 or vectors.shape[0] == 0:
        raise ValueError("cannot build an index over an empty vocabulary (no vectors)")
    if len(keys) != len(vectors):
        raise ValueError(f"{len(keys)} keys but {len(vectors)} vectors")
    return keys, vectors


def _unit_rows(vectors):
    """float32 C-contiguous unit-length copy of `vectors`; zero rows stay zero."""
    rows = np.array(vectors, dtype=np.float32, order="C")
    norms = np.linalg.norm(rows, axis=1)
    rows /= np.where(norms > 0, norms, 1)[:, None]
    return rows


class _Progress:
    """A tqdm bar (``progress=True``), log lines every 10% (None), or nothing (False)."""

    def __init__(self, progress, total):
        self.total, self.bar, self.next_log = total, None, 0.1
        self.log = progress is None
        if progress is True:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                raise ImportError("progress=True needs tqdm: pip install tqdm") from None
            self.bar = tqdm(total=total, unit="vec", unit_scale=True, desc="HNSW index")

    def update(self, done, step):
        if self.bar is not None:
            self.bar.update(step)
        elif self.log and done >= self.next_log * self.total:
            logger.info("HNSW index: %d of %d vectors added (%.0f%%)", done, self.total,
                        100.0 * done / self.total)
            self.next_log = (int(10 * done / self.total) + 1) / 10

    def close(self):
        if self.bar is not None:
            self.bar.close()


class _Threads:
    """Run a block with faiss's OpenMP pool at `n` threads, then restore it."""

    def __init__(self, faiss, n):
        self.faiss, self.n = faiss, n

    def __enter__(self):
        self.before = self.faiss.omp_get_max_threads()
        self.faiss.omp_set_num_threads(self.n)

    def __exit__(self, *exc):
        self.faiss.omp_set_num_threads(self.before)


class HnswIndexer:
    """Approximate cosine nearest neighbours by an HNSW graph (faiss ``IndexHNSWFlat``).

    Follows gensim's indexer protocol: pass it as ``indexer=`` to
    `KeyedVectors.most_similar`, `similar_by_word`, `similar_by_vector` or
    `similar_by_key`. As with gensim's indexers, the query's own key is not
    excluded from the results.

    Parameters
    ----------
    model_or_vectors : Word2Vec, KeyedVectors or numpy.ndarray
        The vectors to index (a model's ``.wv``); a 2-D array gets keys
        ``0 .. n-1``.
    M : int
        Graph links per vector and layer (faiss's name). More: better recall
        and memory ``8 * M`` bytes more per vector, slower build. Default 32.
    efConstruction : int
        Candidate list size while building. More: better graph, slower build.
        Default 100.
    efSearch : int
        Candidate list size while searching (at least the number of neighbours
        asked for is used). More: better recall, slower queries; can be changed
        later through the `efSearch` attribute. Default 64.
    workers : int, optional
        Threads for building and batch queries; default all cores.
    progress : bool or None
        True: a tqdm bar while building; None (default): a log line every 10%;
        False: silent.

    Raises
    ------
    ImportError
        faiss-cpu is not installed (``pip install "fastw2v[ann]"``).
    ValueError
        A parameter out of range (the message names it), or no vectors.

    Examples
    --------
    >>> from fastw2v.similarities import HnswIndexer
    >>> indexer = HnswIndexer(model, M=32, efSearch=64)        # doctest: +SKIP
    >>> model.wv.most_similar("king", topn=10, indexer=indexer)  # doctest: +SKIP
    """

    kind = "HnswIndexer"

    def __init__(self, model_or_vectors, M=32, efConstruction=100, efSearch=64, workers=None,
                 progress=None):
        self.M = _check_count("M", M, 2)
        self.efConstruction = _check_count("efConstruction", efConstruction, 1)
        self.workers = _check_count("workers", workers, 1, allow_none=True)
        self._ef_search = _check_count("efSearch", efSearch, 1)
        if progress not in (None, True, False):
            raise ValueError(f"progress must be True, False or None, got {progress!r}")
        faiss = _faiss()
        keys, vectors = _source(model_or_vectors)
        self.index_to_key = keys
        self.vector_size = vectors.shape[1]
        self.fingerprint = fingerprint(keys, vectors)
        self.index = faiss.IndexHNSWFlat(self.vector_size, self.M, faiss.METRIC_INNER_PRODUCT)
        self.index.hnsw.efConstruction = self.efConstruction
        self._build(faiss, vectors, progress)

    def _build(self, faiss, vectors, progress):
        bar = _Progress(progress, len(vectors))
        try:
            with _Threads(faiss, self.workers or os.cpu_count() or 1):
                for start in range(0, len(vectors), _CHUNK_ROWS):
                    chunk = _unit_rows(vectors[start:start + _CHUNK_ROWS])
                    release_rows(vectors, start, start + _CHUNK_ROWS)
                    self.index.add(chunk)
                    bar.update(start + len(chunk), len(chunk))
        finally:
            bar.close()
        self.index.hnsw.efSearch = self._ef_search

    # ------------------------------------------------------------------ queries

    @property
    def efSearch(self):
        """Candidate list size of searches (faiss's ``efSearch``)."""
        return self._ef_search

    @efSearch.setter
    def efSearch(self, value):
        self._ef_search = _check_count("efSearch", value, 1)
        self.index.hnsw.efSearch = self._ef_search

    def __len__(self):
        return self.index.ntotal

    def _check_current(self):
        # An O(1) guard against vectors added after the build: the full check
        # (fingerprint) runs in `load`, and again in `verify`.
        if len(self.index_to_key) != self.index.ntotal:
            raise StaleIndexError(f"the index holds {self.index.ntotal:,} vectors but the vocabulary "
                                  f"now has {len(self.index_to_key):,} keys; build the index again")

    def _search(self, queries, num_neighbors, threads):
        num_neighbors = _check_count("num_neighbors", num_neighbors, 1)
        self._check_current()
        queries = np.asarray(queries, dtype=np.float32)
        if queries.ndim != 2 or queries.shape[1] != self.vector_size:
            raise ValueError(f"query vectors must have {self.vector_size} dimensions, "
                             f"got shape {queries.shape}")
        queries = _unit_rows(queries)
        k = min(num_neighbors, self.index.ntotal)
        # faiss searches with at least k candidates whatever efSearch says.
        with _Threads(_faiss(), threads):
            sims, rows = self.index.search(queries, k)
        keys = self.index_to_key
        return [[(keys[r], s) for r, s in zip(row_ids, row_sims) if r >= 0]
                for row_ids, row_sims in zip(rows.tolist(), sims.tolist())]

    def most_similar(self, vector, num_neighbors):
        """The `num_neighbors` keys nearest to `vector` by cosine similarity.

        Parameters
        ----------
        vector : numpy.ndarray
            1-D query of ``vector_size`` values (normalised here).
        num_neighbors : int

        Returns
        -------
        list of (key, float)
            Most similar first; similarities are cosines.
        """
        # One thread: a single query runs serially in faiss, and a pool of one
        # skips OpenMP's start-up cost.
        return self._search(np.asarray(vector)[None, :], num_neighbors, 1)[0]

    def most_similar_batch(self, vectors, num_neighbors):
        """`most_similar` of each row of the 2-D `vectors`, the rows spread over `workers` threads.

        Returns
        -------
        list of list of (key, float)
        """
        return self._search(vectors, num_neighbors, self.workers or os.cpu_count() or 1)

    # ------------------------------------------------------------------ persistence

    def _meta(self):
        return {"library": "faiss", "library_version": _faiss().__version__,
                "params": {"M": self.M, "efConstruction": self.efConstruction,
                           "efSearch": self._ef_search},
                "metric": "cosine", "fingerprint": self.fingerprint}

    def save(self, path):
        """Write the index to `path` and its description to ``path + ".json"`` (atomic, no pickle).

        The description holds the fingerprint of the vectors the index was
        built on; `load` refuses other vectors.
        """
        faiss = _faiss()
        write_index_files(path, lambda tmp: faiss.write_index(self.index, tmp), self.kind, self._meta())

    @classmethod
    def load(cls, path, vectors, mmap=False, verify=True):
        """Load an index saved by `save`, for the model or KeyedVectors it was built on.

        Parameters
        ----------
        path : str or os.PathLike
            The index file (its description is ``path + ".json"``).
        vectors : Word2Vec, KeyedVectors or numpy.ndarray
            The same vectors and keys the index was built on.
        mmap : bool
            Memory-map the index file read-only instead of reading it in.
        verify : bool
            Hash `vectors` and compare with the fingerprint saved with the
            index (about 1 s per GB of vectors). False checks only the shape.

        Raises
        ------
        StaleIndexError
            The index was built for other vectors (shape, keys or values differ).
        fastw2v.io.FormatError
            The files are not a fastw2v HNSW index, or do not belong together.
        """
        faiss = _faiss()
        meta = read_index_meta(path, cls.kind)
        keys, vecs = _source(vectors)
        saved = meta.get("fingerprint")
        params = meta.get("params")
        if not isinstance(saved, dict) or not isinstance(params, dict):
            from fastw2v.io.errors import FormatError
            raise FormatError(os.fspath(path) + ".json", "no 'fingerprint' or 'params'")
        actual = fingerprint(keys, vecs) if verify else dict(saved, shape=list(vecs.shape),
                                                              dtype=vecs.dtype.str)
        problem = describe_mismatch(saved, actual)
        if problem:
            raise StaleIndexError(f"{os.fspath(path)}: the index does not belong to these vectors: "
                                  f"{problem}; build the index again")
        flags = 0
        if mmap:
            flags = getattr(faiss, "IO_FLAG_MMAP_IFC", faiss.IO_FLAG_MMAP) | faiss.IO_FLAG_READ_ONLY
        self = cls.__new__(cls)
        self.index = faiss.read_index(os.fspath(path), flags)
        self.M = int(params.get("M", 0))
        self.efConstruction = int(params.get("efConstruction", 0))
        self.workers = None
        self.index_to_key, self.vector_size, self.fingerprint = keys, vecs.shape[1], saved
        if self.index.ntotal != len(keys) or self.index.d != self.vector_size:
            raise StaleIndexError(f"{os.fspath(path)}: the index holds {self.index.ntotal:,} x "
                                  f"{self.index.d} vectors, not {len(keys):,} x {self.vector_size}")
        self.efSearch = int(params.get("efSearch", 64))
        return self

    def verify(self, vectors):
        """Raise StaleIndexError unless `vectors` are the ones this index was built on."""
        keys, vecs = _source(vectors)
        problem = describe_mismatch(self.fingerprint, fingerprint(keys, vecs))
        if problem:
            raise StaleIndexError(f"the index does not belong to these vectors: {problem}")

    def __repr__(self):
        return (f"HnswIndexer<{self.index.ntotal:,} x {self.vector_size}, M={self.M}, "
                f"efConstruction={self.efConstruction}, efSearch={self._ef_search}>")
