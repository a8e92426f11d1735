"""Word vectors with gensim 4.x's ``KeyedVectors`` API: lookups, similarity queries,
evaluation, persistence.

Queries run on a cache of unit-length rows (``vectors / norms``) built lazily
on first use: one BLAS matrix-vector product plus ``np.argpartition`` per
query, and matrix-matrix products for batches (2-D query arrays, analogy
evaluation). The cache costs one extra copy of ``vectors``.

Contract with the trainer: it may assign ``index_to_key``, ``key_to_index``,
``vectors`` and ``expandos[...]`` directly, and sets ``norms = None`` whenever
vectors change; everything derived is recomputed when ``norms`` is None or its
length differs from ``len(vectors)``.

Differences from gensim, all deliberate:

* rows of zero norm get similarity 0 (gensim gives NaN);
* ``most_similar(positive=<2-D array>)`` is a *batch* of queries (gensim
  averages the rows; pass ``list(array)`` for that);
* ``save``/``load`` use the pickle-free native format of
  :mod:`fastw2v.io.native`;
* ``save_word2vec_format`` writes rows in index order (gensim re-sorts by
  ``count``; a trained model's index order is already by descending count).
"""
import itertools
import logging
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral

import numpy as np

from fastw2v.io._files import open_binary, open_text
from fastw2v.io.native import load_native, save_native
from fastw2v.io.word2vec_format import read_word2vec_format, write_word2vec_format
from fastw2v.kernels import similarity_kernel

logger = logging.getLogger(__name__)

__all__ = ["KeyedVectors", "EmptyQueryError"]

_KEY_TYPES = (str, int, np.integer)
_EXTENDED_KEY_TYPES = (str, int, np.integer, np.ndarray)
# Similarity matrices of batched queries are computed in blocks of at most this
# many float32 cells (256 MiB), so batches of any size run in bounded memory.
_BLOCK_CELLS = 1 << 26


class EmptyQueryError(ValueError, ZeroDivisionError):
    """A query has no input. Also a ZeroDivisionError, which gensim raises in places."""


def _ensure_list(value):
    """Wrap a single key or 1-D vector in a list (gensim's semantics)."""
    if value is None:
        return []
    if isinstance(value, _KEY_TYPES) or (isinstance(value, np.ndarray) and value.ndim == 1):
        return [value]
    if isinstance(value, np.ndarray) and value.ndim == 2:
        return list(value)
    return list(value)


def _unitvec(vec):
    """`vec` scaled to unit L2 length; a zero vector is returned unchanged."""
    norm = np.linalg.norm(vec)
    return vec / norm if norm > 0 else vec


def _safe(norms):
    """Norms with zeros replaced by 1, so zero rows give similarity 0, never NaN."""
    return np.where(norms > 0, norms, 1).astype(norms.dtype, copy=False)


_GROUP = 64  # columns per group in the two-level top-k


def _top_k_by_argmax(scores, k):
    """`k` passes of ``argmax``; overwrites the chosen cells of `scores` with -inf."""
    n_rows = scores.shape[0]
    rows = np.arange(n_rows)
    idx = np.empty((n_rows, k), dtype=np.int64)
    vals = np.empty((n_rows, k), dtype=scores.dtype)
    for j in range(k):
        best = scores.argmax(axis=1)
        idx[:, j] = best
        vals[:, j] = scores[rows, best]
        scores[rows, best] = -np.inf
    return idx, vals


def _top_k_rows(scores, k):
    """Row-wise top `k` of a C-contiguous 2-D array, largest first: (indices, values),
    each (rows, min(k, cols)). May overwrite cells of `scores`.

    ``argpartition`` is an order of magnitude slower on the narrow, bell-shaped
    distributions of cosine scores than on uniform data, so for small `k` we
    use two levels instead: the maximum of each group of 64 columns (one
    SIMD pass over the scores), the `k` best groups by repeated ``argmax``,
    then the exact top `k` among those groups' columns. The top `k` cells lie
    in the `k` groups with the largest maxima.
    """
    n_rows, n = scores.shape
    k = min(k, n)
    if k > 32:
        part = np.argpartition(scores, n - k, axis=1)[:, n - k:] if k < n else \
            np.broadcast_to(np.arange(n), (n_rows, n)).copy()
        vals = np.take_along_axis(scores, part, axis=1)
        order = np.argsort(-vals, axis=1, kind="stable")
        return np.take_along_axis(part, order, axis=1), np.take_along_axis(vals, order, axis=1)
    n_groups = n // _GROUP
    if n_groups <= 2 * k or not scores.flags.c_contiguous:
        return _top_k_by_argmax(scores, k)
    item = scores.itemsize
    # Group g holds columns g, g + n_groups, g + 2 n_groups, ...: reducing over
    # the middle axis is an elementwise maximum of contiguous slices (SIMD).
    grouped = np.lib.stride_tricks.as_strided(
        scores, shape=(n_rows, _GROUP, n_groups),
        strides=(scores.strides[0], n_groups * item, item), writeable=False)
    group_max = grouped.max(axis=1)
    if n_groups * _GROUP < n:  # the short last group
        group_max = np.concatenate([group_max, scores[:, n_groups * _GROUP:].max(axis=1)[:, None]], axis=1)
    groups, _ = _top_k_by_argmax(group_max, k)
    tail = groups == n_groups  # the short last group: columns n_groups * _GROUP ...
    cols = np.where(tail[:, :, None], n_groups * _GROUP + np.arange(_GROUP),
                    groups[:, :, None] + n_groups * np.arange(_GROUP)).reshape(n_rows, k * _GROUP)
    outside = cols >= n
    np.minimum(cols, n - 1, out=cols)
    cand = np.take_along_axis(scores, cols, axis=1)
    cand[outside] = -np.inf
    pos, vals = _top_k_by_argmax(cand, k)
    return np.take_along_axis(cols, pos, axis=1), vals


def _top_indices(scores, k):
    """Indices of the `k` largest of 1-D `scores` (left unchanged), largest first."""
    return _top_k_rows(scores[None, :].copy(), k)[0][0]


_FUSED_MAX_K = 256  # the fused kernel's insertion is O(k); beyond this, BLAS + selection


def _batch_top_k(q, unit, k):
    """Yield (indices, scores) of the top `k` rows of `unit` for blocks of queries `q`.

    With the AVX-512 build of the fused kernel (fastw2v.kernels.similarity_kernel),
    one call per thread, each over its share of the vocabulary, merged at the end;
    otherwise blocked BLAS products and a row-wise selection.
    """
    kernel = similarity_kernel() if k <= _FUSED_MAX_K and q.dtype == np.float32 else None
    if kernel is None or len(unit) < 2 * k:
        step = max(1, _BLOCK_CELLS // max(1, len(unit)))
        for lo in range(0, len(q), step):
            yield _top_k_rows(q[lo:lo + step] @ unit.T, k)
        return
    q = np.ascontiguousarray(q)
    unit = np.ascontiguousarray(unit)
    n_parts = max(1, min(os.cpu_count() or 1, len(unit) // (4 * k), 16))
    bounds = np.linspace(0, len(unit), n_parts + 1).astype(np.int64)
    with ThreadPoolExecutor(n_parts) as pool:  # the kernel releases the GIL
        parts = list(pool.map(lambda i: kernel.top_k_dot(q, unit, k, int(bounds[i]), int(bounds[i + 1])),
                              range(n_parts)))
    idx, val = _merge_top_k([p[0] for p in parts], [p[1] for p in parts], k)
    yield idx.astype(np.int64), val


def _merge_top_k(indices, scores, k):
    """The best `k` per row of several (rows, k_i) candidate lists, earlier lists first on ties."""
    idx = np.concatenate(indices, axis=1)
    val = np.concatenate(scores, axis=1)
    order = np.argsort(-val, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(idx, order, axis=1), np.take_along_axis(val, order, axis=1)


def _analogy_top_k(unit, a, b, c, k, cells=1 << 20):
    """Top `k` rows of `unit` for each 3CosAdd question ``b - a + c``, inputs excluded.

    gensim scores word ``w`` by ``u_w . (u_b + u_c - u_a) / |u_b + u_c - u_a|``
    (unit rows; its 1/3 mean cancels). The positive norm does not change a
    question's ranking, and the score is linear in the question's words, so the
    ranking only needs the similarities of the few distinct question words to the
    vocabulary: questions-words.txt asks 19,544 questions with 905 words, and one
    (905 x vocab) product replaces a (19,544 x vocab) one. Returns (indices,
    scores), each (questions, k); scores are the unnormalised sums (-inf = none).
    """
    n_q, n_vocab = len(a), len(unit)
    k = min(k, n_vocab)
    words, inv = np.unique(np.concatenate([a, b, c]), return_inverse=True)
    ia, ib, ic = inv[:n_q], inv[n_q:2 * n_q], inv[2 * n_q:]
    best_i = np.zeros((n_q, k), dtype=np.int64)
    best_v = np.full((n_q, k), -np.inf, dtype=np.float32)
    word_rows = unit[words]
    span = max(k, min(n_vocab, _BLOCK_CELLS // len(words)))  # vocabulary columns per product
    for lo in range(0, n_vocab, span):
        hi = min(n_vocab, lo + span)
        sims = word_rows @ unit[lo:hi].T  # (distinct words, span)
        step = max(1, cells // (hi - lo))  # questions per block: a few MB, stays in cache
        for q0 in range(0, n_q, step):
            q1 = min(n_q, q0 + step)
            scores = np.take(sims, ib[q0:q1], axis=0)
            scores += np.take(sims, ic[q0:q1], axis=0)
            scores -= np.take(sims, ia[q0:q1], axis=0)
            rows = np.arange(q1 - q0)
            for x in (a, b, c):
                col = x[q0:q1] - lo
                inside = (col >= 0) & (col < hi - lo)
                scores[rows[inside], col[inside]] = -np.inf
            idx, vals = _top_k_rows(scores, k)
            idx += lo
            if lo == 0:
                best_i[q0:q1], best_v[q0:q1] = idx, vals
                continue
            best_i[q0:q1], best_v[q0:q1] = _merge_top_k(
                [best_i[q0:q1], idx], [best_v[q0:q1], vals], k)
    return best_i, best_v


class KeyedVectors:
    """Mapping between keys (words) and vectors, with gensim 4.x's API.

    Parameters
    ----------
    vector_size : int
        Dimensionality of the vectors.
    count : int, optional
        Number of slots to preallocate (filled by `add_vector`).
    dtype : numpy dtype, optional
        Vector dtype (float32 by default).

    Attributes
    ----------
    vector_size : int
    index_to_key : list
        Key of each row of `vectors`.
    key_to_index : dict
        Row of each key.
    vectors : numpy.ndarray
        (len(index_to_key), vector_size) array.
    expandos : dict of str -> numpy.ndarray
        Per-key attributes (e.g. ``count`` int64, ``sample_int`` uint32), one
        value per key.
    norms : numpy.ndarray or None
        Cached L2 norms of `vectors`; None when they must be recomputed.
    indexer : object or None
        An approximate index (:mod:`fastw2v.similarities`) saved and loaded
        with these vectors; queries use it only when passed as ``indexer=``.
    """

    indexer = None  # class default: set per instance by the user or by `load`

    def __init__(self, vector_size, count=0, dtype=np.float32):
        self.vector_size = int(vector_size)
        self.index_to_key = [None] * count
        self.next_index = 0
        self.key_to_index = {}
        self.vectors = np.zeros((count, self.vector_size), dtype=dtype)
        self.norms = None
        self.expandos = {}
        self._unit = None
        self._unit_norms = None

    def __str__(self):
        return f"{self.__class__.__name__}<vector_size={self.vector_size}, {len(self)} keys>"

    __repr__ = __str__

    # ------------------------------------------------------------------ lookups

    def __len__(self):
        return len(self.index_to_key)

    def __contains__(self, key):
        return self.has_index_for(key)

    def __getitem__(self, key_or_keys):
        """Vector of a key (1-D) or of a list of keys (2-D)."""
        if isinstance(key_or_keys, _KEY_TYPES):
            return self.get_vector(key_or_keys)
        return self.vectors[[self.get_index(k) for k in key_or_keys]]

    def __setitem__(self, keys, weights):
        """Add or replace vectors (`add_vectors` with ``replace=True``)."""
        if not isinstance(keys, list):
            keys = [keys]
            weights = np.asarray(weights).reshape(1, -1)
        self.add_vectors(keys, weights, replace=True)

    def get_index(self, key, default=None):
        """Row index of `key`; an int within range is its own index.

        Raises
        ------
        KeyError
            Unknown key and no `default`.
        """
        val = self.key_to_index.get(key, -1)
        if val >= 0:
            return val
        if isinstance(key, (int, np.integer)) and 0 <= key < len(self.index_to_key):
            return int(key)
        if default is not None:
            return default
        raise KeyError(f"Key '{key}' not present")

    def has_index_for(self, key):
        """Whether `key` has a row."""
        return self.get_index(key, -1) >= 0

    def get_vector(self, key, norm=False):
        """Vector of `key` (read-only view); unit length if `norm`.

        Raises
        ------
        KeyError
            Unknown key.
        """
        index = self.get_index(key)
        if norm:
            self.fill_norms()
            result = self.vectors[index] / _safe(self.norms[index:index + 1])[0]
        else:
            result = self.vectors[index]
        result.setflags(write=False)
        return result

    def word_vec(self, *args, **kwargs):
        """Alias of `get_vector` (deprecated in gensim)."""
        return self.get_vector(*args, **kwargs)

    # ------------------------------------------------------------------ per-key attributes

    def allocate_vecattrs(self, attrs=None, types=None):
        """Ensure arrays for the given attributes exist, sized to ``len(index_to_key)``.

        With no arguments, resize all existing attribute arrays.
        """
        if attrs is None:
            attrs = list(self.expandos)
            types = [self.expandos[a].dtype for a in attrs]
        target = len(self.index_to_key)
        for attr, t in zip(attrs, types):
            if t is int:
                t = np.int64
            if t is str:
                t = object
            if attr not in self.expandos:
                self.expandos[attr] = np.zeros(target, dtype=t)
                continue
            prev = self.expandos[attr]
            if not np.issubdtype(t, prev.dtype):
                raise TypeError(f"Can't allocate type {t} for attribute {attr}, "
                                f"conflicts with its existing type {prev.dtype}")
            if len(prev) != target:
                grown = np.zeros(target, dtype=prev.dtype)
                keep = min(len(prev), target)
                grown[:keep] = prev[:keep]
                self.expandos[attr] = grown

    def set_vecattr(self, key, attr, val):
        """Set attribute `attr` of `key` to `val` (creating the attribute array if needed)."""
        self.allocate_vecattrs(attrs=[attr], types=[type(val)])
        self.expandos[attr][self.get_index(key)] = val

    def get_vecattr(self, key, attr):
        """Value of attribute `attr` of `key`."""
        return self.expandos[attr][self.get_index(key)]

    # ------------------------------------------------------------------ adding vectors

    def add_vector(self, key, vector):
        """Add one vector, into a preallocated slot when one is free.

        Returns
        -------
        int
            Index of the new vector.
        """
        target = self.next_index
        if target >= len(self) or self.index_to_key[target] is not None:
            target = len(self)
            warnings.warn(
                "Adding single vectors to a KeyedVectors which grows by one each time can be costly. "
                "Consider adding in batches or preallocating to the required size.", UserWarning)
            self.add_vectors([key], [vector])
            self.next_index = target + 1
        else:
            self.index_to_key[target] = key
            self.key_to_index[key] = target
            self.vectors[target] = vector
            self.next_index += 1
            self.norms = None
        return target

    def add_vectors(self, keys, weights, extras=None, replace=False):
        """Append keys and vectors; existing keys keep their vector unless `replace`.

        Parameters
        ----------
        keys : key or list of keys
        weights : numpy.ndarray or list of 1-D arrays
        extras : dict of str -> numpy.ndarray, optional
            Per-key attribute values, aligned with `keys`.
        replace : bool
            Overwrite the vectors (and extras) of keys already present.
        """
        if isinstance(keys, _KEY_TYPES):
            keys = [keys]
            weights = np.asarray(weights).reshape(1, -1)
        weights = np.asarray(weights)
        if weights.ndim != 2 or weights.shape != (len(keys), self.vector_size):
            raise ValueError(f"weights of shape {weights.shape} do not match "
                             f"{len(keys)} keys of size {self.vector_size}")
        extras = {k: np.asarray(v) for k, v in (extras or {}).items()}
        self.allocate_vecattrs(list(extras), [v.dtype for v in extras.values()])
        new_rows, old_rows, old_index = [], [], []
        for i, key in enumerate(keys):
            idx = self.key_to_index.get(key)
            if idx is None:
                self.key_to_index[key] = len(self.index_to_key)
                self.index_to_key.append(key)
                new_rows.append(i)
            else:
                old_rows.append(i)
                old_index.append(idx)
        self.vectors = np.vstack((self.vectors, weights[new_rows].astype(self.vectors.dtype)))
        self.allocate_vecattrs()
        n_new = len(new_rows)
        for attr, values in extras.items():
            if n_new:
                self.expandos[attr][-n_new:] = values[new_rows]
        if replace and old_rows:
            self.vectors[old_index] = weights[old_rows]
            for attr, values in extras.items():
                self.expandos[attr][old_index] = values[old_rows]
        self.norms = None

    def sort_by_descending_frequency(self):
        """Reorder keys so the most frequent (``count``) come first (stable)."""
        if not len(self):
            return
        counts = np.asarray(self.expandos["count"], dtype=np.int64)
        order = np.lexsort((np.arange(len(counts)), -counts))
        self.index_to_key = [self.index_to_key[i] for i in order]
        self.allocate_vecattrs()
        for attr in self.expandos:
            self.expandos[attr] = self.expandos[attr][order]
        if len(self.vectors):
            self.vectors = self.vectors[order]
        self.key_to_index = {key: i for i, key in enumerate(self.index_to_key)}
        self.norms = None

    # ------------------------------------------------------------------ norms

    def fill_norms(self, force=False):
        """Compute the L2 norms of all vectors if missing, stale or `force`."""
        if force or self.norms is None or len(self.norms) != len(self.vectors):
            norms = np.empty(len(self.vectors), dtype=self.vectors.dtype)
            step = max(1, _BLOCK_CELLS // max(1, self.vector_size))
            for start in range(0, len(self.vectors), step):  # bounded temporaries
                norms[start:start + step] = np.linalg.norm(self.vectors[start:start + step], axis=1)
            self.norms = norms

    def _unit_vectors(self):
        """Cached unit-length rows; rebuilt whenever `norms` was reset or recomputed."""
        self.fill_norms()
        if self._unit is None or self._unit_norms is not self.norms or len(self._unit) != len(self.vectors):
            self._unit = self.vectors / _safe(self.norms)[:, None]
            self._unit_norms = self.norms
        return self._unit

    def get_normed_vectors(self):
        """All vectors scaled to unit length, shape ``(len(self), vector_size)``.

        Zero vectors stay zero.
        """
        return self._unit_vectors().copy()

    def unit_normalize_all(self):
        """Scale all vectors to unit length in place (training cannot sensibly continue)."""
        self.fill_norms()
        self.vectors /= _safe(self.norms)[:, None]
        self.norms = np.ones(len(self.vectors), dtype=self.vectors.dtype)

    def init_sims(self, replace=False):
        """Deprecated in gensim: `fill_norms`, and `unit_normalize_all` if `replace`."""
        self.fill_norms()
        if replace:
            self.unit_normalize_all()

    # ------------------------------------------------------------------ similarity queries

    def get_mean_vector(self, keys, weights=None, pre_normalize=True, post_normalize=False,
                        ignore_missing=True):
        """Weighted mean of the vectors of `keys` (keys or raw 1-D arrays).

        Raises
        ------
        ValueError
            No keys, or `keys` and `weights` differ in length.
        KeyError
            A key is missing and not `ignore_missing`.
        """
        if len(keys) == 0:
            raise EmptyQueryError("cannot compute mean with no input")
        if weights is None:
            weights = np.ones(len(keys), dtype=self.vectors.dtype)
        weights = np.asarray(weights, dtype=self.vectors.dtype)
        if len(keys) != weights.shape[0]:
            raise ValueError("keys and weights array must have same number of elements")
        mean = np.zeros(self.vector_size, self.vectors.dtype)
        total_weight = 0
        for idx, key in enumerate(keys):
            if isinstance(key, np.ndarray):
                mean += weights[idx] * key
                total_weight += abs(weights[idx])
            elif key in self:
                mean += weights[idx] * self.get_vector(key, norm=pre_normalize)
                total_weight += abs(weights[idx])
            elif not ignore_missing:
                raise KeyError(f"Key '{key}' not present in vocabulary")
        if total_weight > 0:
            mean = mean / total_weight
        if post_normalize:
            mean = _unitvec(mean).astype(self.vectors.dtype)
        return mean

    def _clip(self, clip_start, clip_end, restrict_vocab):
        if restrict_vocab:
            return 0, min(int(restrict_vocab), len(self.vectors))
        return clip_start, min(clip_end or len(self.vectors), len(self.vectors))

    def most_similar(self, positive=None, negative=None, topn=10, clip_start=0, clip_end=None,
                     restrict_vocab=None, indexer=None, *, batch=False):
        """Top-`topn` keys by cosine similarity to the weighted mean of the inputs.

        Parameters
        ----------
        positive, negative : key, 1-D vector, (key or vector, weight) tuples, or lists of them
            Inputs contributing with weight +1 / -1 (or the tuple's weight).
            A 2-D array counts as a list of vectors and is averaged, as in gensim
            (unless `batch`).
        topn : int or None
            Number of results; None returns the similarity array of all keys
            in the clip range, as gensim does.
        clip_start, clip_end : int
            Search only rows ``clip_start:clip_end``.
        restrict_vocab : int, optional
            Search only the first `restrict_vocab` rows (overrides clipping).
        indexer : object, optional
            An approximate-nearest-neighbour indexer with gensim's
            ``most_similar(vector, num_neighbors)`` interface (e.g.
            :class:`fastw2v.similarities.HnswIndexer`, gensim's ``AnnoyIndexer``).
            As in gensim, its results are returned as they are (input keys
            included; clipping and `restrict_vocab` do not apply). Batches use
            its ``most_similar_batch`` when it has one.
        batch : bool
            fastw2v extension: with `positive` a 2-D array (n_queries x dim) and no
            `negative`, each row is a separate query; all are scored by one
            matrix-matrix product (in blocks of bounded memory) and a list of
            result lists is returned (a 2-D array when `topn` is None).

        Returns
        -------
        list of (key, float), or numpy.ndarray when `topn` is None.
            Input keys are excluded from the results.

        Raises
        ------
        KeyError
            An input key is unknown.
        ValueError
            No input.
        """
        if isinstance(topn, Integral) and topn < 1:
            return []
        if batch:
            positive = np.asarray(positive, dtype=np.float32)
            if positive.ndim != 2 or _ensure_list(negative):
                raise ValueError("batch=True takes a 2-D array of query vectors and no negative")
            if indexer is not None and isinstance(topn, int):
                return self._most_similar_batch_indexed(positive, topn, indexer)
            return self._most_similar_batch(positive, topn, clip_start, clip_end, restrict_vocab)
        positive = _ensure_list(positive)
        negative = _ensure_list(negative)
        start, end = self._clip(clip_start, clip_end, restrict_vocab)

        keys = []
        weight = np.concatenate((np.ones(len(positive)), -1.0 * np.ones(len(negative))))
        for idx, item in enumerate(positive + negative):
            if isinstance(item, _EXTENDED_KEY_TYPES):
                keys.append(item)
            else:
                keys.append(item[0])
                weight[idx] = item[1]
        if not keys:
            raise EmptyQueryError("cannot compute similarity with no input")
        mean = self.get_mean_vector(keys, weight, pre_normalize=True, post_normalize=True,
                                    ignore_missing=False)
        all_keys = {self.get_index(key) for key in keys
                    if isinstance(key, _KEY_TYPES) and self.has_index_for(key)}
        if indexer is not None and isinstance(topn, int):
            return indexer.most_similar(mean, topn)

        dists = self._unit_vectors()[start:end] @ mean
        if not topn:
            return dists
        best = _top_indices(dists, topn + len(all_keys))
        result = [(self.index_to_key[i + start], float(dists[i]))
                  for i in best.tolist() if i + start not in all_keys]
        return result[:topn]

    def _most_similar_batch(self, queries, topn, clip_start, clip_end, restrict_vocab):
        """Each row of `queries` a separate query: blocked matrix-matrix products."""
        if queries.shape[0] == 0:
            raise EmptyQueryError("cannot compute similarity with no input")
        if queries.shape[1] != self.vector_size:
            raise ValueError(f"query vectors have size {queries.shape[1]}, not {self.vector_size}")
        start, end = self._clip(clip_start, clip_end, restrict_vocab)
        unit = self._unit_vectors()[start:end]
        q = np.asarray(queries, dtype=self.vectors.dtype)
        q = q / _safe(np.linalg.norm(q, axis=1))[:, None]
        if not topn:
            return q @ unit.T
        results = []
        keys = self.index_to_key
        for best, top_scores in _batch_top_k(q, unit, min(int(topn), len(unit))):
            for row_idx, row_scores in zip(best.tolist(), top_scores.tolist()):
                # index -1: fewer than topn comparable (non-NaN) rows
                results.append([(keys[i + start], s) for i, s in zip(row_idx, row_scores) if i >= 0])
        return results

    def _most_similar_batch_indexed(self, queries, topn, indexer):
        """Each row of `queries` a separate query, answered by `indexer`."""
        if queries.shape[0] == 0:
            raise EmptyQueryError("cannot compute similarity with no input")
        if queries.shape[1] != self.vector_size:
            raise ValueError(f"query vectors have size {queries.shape[1]}, not {self.vector_size}")
        if hasattr(indexer, "most_similar_batch"):
            return indexer.most_similar_batch(queries, topn)
        return [indexer.most_similar(_unitvec(q), topn) for q in queries]

    def similar_by_key(self, key, topn=10, restrict_vocab=None, indexer=None):
        """Top-`topn` keys most similar to `key` (see `most_similar`, also for `indexer`)."""
        return self.most_similar(positive=[key], topn=topn, restrict_vocab=restrict_vocab,
                                 indexer=indexer)

    def similar_by_word(self, word, topn=10, restrict_vocab=None, indexer=None):
        """Alias of `similar_by_key`."""
        return self.similar_by_key(word, topn, restrict_vocab, indexer=indexer)

    def similar_by_vector(self, vector, topn=10, restrict_vocab=None, indexer=None):
        """Top-`topn` keys most similar to a 1-D `vector` (see `most_similar`, also for `indexer`)."""
        return self.most_similar(positive=[vector], topn=topn, restrict_vocab=restrict_vocab,
                                 indexer=indexer)

    def most_similar_cosmul(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """Top-`topn` keys by 3CosMul (Levy & Goldberg 2014), similarities shifted to [0, 1].

        Unlike gensim (which ignores it), `restrict_vocab` limits the search.

        Returns
        -------
        list of (key, float), or numpy.ndarray of all scores when `topn` is None.
        """
        if isinstance(topn, Integral) and topn < 1:
            return []
        positive = _ensure_list(positive)
        negative = _ensure_list(negative)
        if not positive:
            raise EmptyQueryError("cannot compute similarity with no input")
        all_words = {self.get_index(w) for w in positive + negative
                     if not isinstance(w, np.ndarray) and w in self.key_to_index}
        pos = [self.get_vector(w, norm=True) if isinstance(w, _KEY_TYPES) else w for w in positive]
        neg = [self.get_vector(w, norm=True) if isinstance(w, _KEY_TYPES) else w for w in negative]
        end = min(int(restrict_vocab), len(self.vectors)) if restrict_vocab else len(self.vectors)
        unit = self._unit_vectors()[:end]
        pos_dists = (1 + unit @ np.array(pos, dtype=unit.dtype).T) / 2
        dists = np.prod(pos_dists, axis=1)
        if neg:
            neg_dists = (1 + unit @ np.array(neg, dtype=unit.dtype).T) / 2
            dists = dists / (np.prod(neg_dists, axis=1) + 0.000001)
        else:
            dists = dists / (1 + 0.000001)
        if not topn:
            return dists
        best = _top_indices(dists, topn + len(all_words))
        result = [(self.index_to_key[i], float(dists[i])) for i in best.tolist() if i not in all_words]
        return result[:topn]

    def most_similar_to_given(self, key1, keys_list):
        """The key of `keys_list` most similar to `key1`."""
        return keys_list[int(np.argmax([self.similarity(key1, key) for key in keys_list]))]

    @staticmethod
    def cosine_similarities(vector_1, vectors_all):
        """Cosine similarity of `vector_1` (dim,) to each row of `vectors_all` (n, dim).

        Zero vectors give similarity 0 rather than NaN.
        """
        norm = np.linalg.norm(vector_1)
        all_norms = np.linalg.norm(vectors_all, axis=1)
        dots = np.dot(vectors_all, vector_1)
        return dots / (_safe(np.atleast_1d(norm))[0] * _safe(all_norms))

    def distances(self, word_or_vector, other_words=()):
        """Cosine distances from a key or vector to `other_words` (all keys when empty).

        Raises
        ------
        KeyError
            A key is unknown.
        """
        if isinstance(word_or_vector, _KEY_TYPES):
            query = self.get_vector(word_or_vector, norm=True)
        else:
            query = _unitvec(np.asarray(word_or_vector))
        if not other_words:
            sims = self._unit_vectors() @ query.astype(self.vectors.dtype, copy=False)
        else:
            idx = [self.get_index(w) for w in other_words]
            sims = self._unit_vectors()[idx] @ query.astype(self.vectors.dtype, copy=False)
        return 1 - sims

    def distance(self, w1, w2):
        """Cosine distance (1 - similarity) between two keys."""
        return 1 - self.similarity(w1, w2)

    def similarity(self, w1, w2):
        """Cosine similarity between two keys."""
        return float(np.dot(_unitvec(self[w1]), _unitvec(self[w2])))

    def n_similarity(self, ws1, ws2):
        """Cosine similarity between the means of two lists of keys.

        Raises
        ------
        EmptyQueryError
            A list is empty (a ValueError and, as in gensim, a ZeroDivisionError).
        """
        if not (len(ws1) and len(ws2)):
            raise EmptyQueryError("At least one of the passed list is empty.")
        mean1 = self.get_mean_vector(ws1, pre_normalize=False)
        mean2 = self.get_mean_vector(ws2, pre_normalize=False)
        return float(np.dot(_unitvec(mean1), _unitvec(mean2)))

    def closer_than(self, key1, key2):
        """All keys closer to `key1` than `key2` is."""
        all_distances = self.distances(key1)
        e1, e2 = self.get_index(key1), self.get_index(key2)
        closer = np.where(all_distances < all_distances[e2])[0]
        return [self.index_to_key[i] for i in closer.tolist() if i != e1]

    def words_closer_than(self, word1, word2):
        """Alias of `closer_than`."""
        return self.closer_than(word1, word2)

    def rank(self, key1, key2):
        """Rank of `key2` among all keys by distance from `key1` (1 = closest)."""
        return len(self.closer_than(key1, key2)) + 1

    def rank_by_centrality(self, words, use_norm=True):
        """(similarity to the normalised centroid, key) pairs, most central first.

        Raises
        ------
        ValueError
            None of `words` is known.
        """
        used = [w for w in words if w in self]
        if len(used) != len(words):
            logger.warning("vectors for words %s are not present in the model, ignoring these words",
                           set(words) - set(used))
        if not used:
            raise EmptyQueryError("cannot select a word from an empty list")
        vectors = np.vstack([self.get_vector(w, norm=use_norm) for w in used]).astype(np.float32)
        mean = self.get_mean_vector(vectors, post_normalize=True)
        dists = vectors @ mean
        return sorted(zip(dists.tolist(), used), reverse=True)

    def doesnt_match(self, words):
        """The key of `words` furthest from their mean."""
        return self.rank_by_centrality(words)[-1][1]

    def relative_cosine_similarity(self, wa, wb, topn=10):
        """Similarity of `wa`, `wb` relative to the sum of `wa`'s top-`topn` similarities."""
        sims = self.similar_by_word(wa, topn)
        if not sims:
            raise ValueError("Cannot calculate relative cosine similarity without any similar words.")
        return self.similarity(wa, wb) / sum(s for _, s in sims)

    # ------------------------------------------------------------------ evaluation

    def _ok_vocab(self, restrict_vocab, case_insensitive):
        """Map of (upper-cased) key -> index over the first `restrict_vocab` rows; the
        first (most frequent) case variant wins, as in gensim."""
        ok_keys = self.index_to_key[:restrict_vocab]
        if case_insensitive:
            return {k.upper(): i for i, k in reversed(list(enumerate(ok_keys)))}
        return {k: i for i, k in reversed(list(enumerate(ok_keys)))}

    def evaluate_word_analogies(self, analogies, restrict_vocab=300000, case_insensitive=True,
                                dummy4unknown=False, similarity_function="most_similar"):
        """Accuracy on an analogy file (``: section`` headers, then ``a b c expected`` lines).

        Same results as gensim's (3CosAdd over the first `restrict_vocab` keys,
        inputs excluded), but batched: one matrix product of the distinct
        question words against the vocabulary, then each question's scores as a
        sum of three of its rows and a row-wise top 5 (see ``_analogy_top_k``).

        Returns
        -------
        score : float
            Overall accuracy.
        sections : list of dict
            ``{'section': name, 'correct': [4-tuples], 'incorrect': [4-tuples]}``
            per section, then ``'Total accuracy'``.

        Raises
        ------
        ValueError
            A question before any section header, or no questions at all.
        """
        if similarity_function != "most_similar":
            raise ValueError("only similarity_function='most_similar' is supported")
        ok_vocab = self._ok_vocab(restrict_vocab, case_insensitive)
        sections, section = [], None
        entries = []  # per question: (section dict, 4-tuple, question number or None if OOV)
        questions = []  # (a, b, c, expected) indices of in-vocabulary questions
        n_quadruplets = oov = 0
        with open_binary(analogies, "rb") as fin:
            for line_no, raw in enumerate(fin):
                line = raw.decode("utf8")
                if line.startswith(": "):
                    section = {"section": line.lstrip(": ").strip(), "correct": [], "incorrect": []}
                    sections.append(section)
                    continue
                if section is None:
                    raise ValueError(f"Missing section header before line #{line_no} in {analogies}")
                words = line.split()
                if len(words) != 4:
                    logger.info("Skipping invalid line #%i in %s", line_no, analogies)
                    continue
                if case_insensitive:
                    words = [w.upper() for w in words]
                quad = tuple(words)
                n_quadruplets += 1
                if any(w not in ok_vocab for w in quad):
                    oov += 1
                    if dummy4unknown:
                        entries.append((section, quad, None))
                    continue
                entries.append((section, quad, len(questions)))
                questions.append([ok_vocab[w] for w in quad])
        if n_quadruplets == 0:
            raise ValueError(f"no analogy questions found in {analogies}")

        correct = self._solve_analogies(np.array(questions, dtype=np.int64).reshape(-1, 4),
                                        ok_vocab, restrict_vocab, case_insensitive)
        for section, quad, q in entries:
            section["correct" if q is not None and correct[q] else "incorrect"].append(quad)
        for s in sections:
            self._log_evaluate_word_analogies(s)
        total = {
            "section": "Total accuracy",
            "correct": list(itertools.chain.from_iterable(s["correct"] for s in sections)),
            "incorrect": list(itertools.chain.from_iterable(s["incorrect"] for s in sections)),
        }
        logger.info("Quadruplets with out-of-vocabulary words: %.1f%%", 100.0 * oov / n_quadruplets)
        score = self._log_evaluate_word_analogies(total)
        sections.append(total)
        return score, sections

    def _solve_analogies(self, questions, ok_vocab, restrict_vocab, case_insensitive):
        """Boolean array: is each (a, b, c, expected) question answered correctly?

        Replicates gensim: the answer is the first of the top 5 keys (inputs
        excluded) whose (upper-cased) form is not an input's; if none is, the
        fifth.
        """
        n_q = len(questions)
        correct = np.zeros(n_q, dtype=bool)
        if n_q == 0:
            return correct
        n_vocab = min(int(restrict_vocab), len(self.vectors))
        unit = self._unit_vectors()[:n_vocab]
        # canon[i]: index of the key that key i is equal to after case folding
        canon = np.array([ok_vocab[k.upper() if case_insensitive else k]
                          for k in self.index_to_key[:n_vocab]], dtype=np.int64)
        a, b, c, expected = questions.T
        top, top_scores = _analogy_top_k(unit, a, b, c, 5)
        present = np.isfinite(top_scores)
        cand = canon[top]
        ok = present & (cand != a[:, None]) & (cand != b[:, None]) & (cand != c[:, None])
        has_ok = ok.any(axis=1)
        first = cand[np.arange(n_q), ok.argmax(axis=1)]
        correct[:] = has_ok & (first == expected)
        for i in np.nonzero(~has_ok)[0]:  # rare: gensim then keeps its last candidate
            last = cand[i][present[i]]
            correct[i] = len(last) > 0 and last[-1] == expected[i]
        return correct

    @staticmethod
    def _log_evaluate_word_analogies(section):
        """Accuracy of one section (0.0 when it has no questions)."""
        n_correct, n_incorrect = len(section["correct"]), len(section["incorrect"])
        if n_correct + n_incorrect == 0:
            return 0.0
        score = n_correct / (n_correct + n_incorrect)
        logger.info("%s: %.1f%% (%i/%i)", section["section"], 100.0 * score, n_correct,
                    n_correct + n_incorrect)
        return score

    def evaluate_word_pairs(self, pairs, delimiter="\t", encoding="utf8", restrict_vocab=300000,
                            case_insensitive=True, dummy4unknown=False):
        """Correlation of the model's similarities with human judgements.

        `pairs` lines are ``word1<delimiter>word2<delimiter>score``; ``#`` starts a comment.

        Returns
        -------
        pearson : scipy result (statistic, pvalue)
        spearman : scipy result (statistic, pvalue)
        oov_ratio : float
            Percentage of pairs with unknown words.

        Raises
        ------
        ValueError
            No usable pair.
        """
        from scipy import stats

        ok_vocab = self._ok_vocab(restrict_vocab, case_insensitive)
        gold, index_pairs, dummy = [], [], []
        oov = 0
        with open_text(pairs, encoding=encoding) as fin:
            for line_no, line in enumerate(fin):
                if not line or line.startswith("#"):
                    continue
                try:
                    fields = line.split(delimiter)
                    if case_insensitive:
                        fields = [w.upper() for w in fields]
                    a, b, sim = fields
                    sim = float(sim)
                except (ValueError, TypeError):
                    logger.info("Skipping invalid line #%d in %s", line_no, pairs)
                    continue
                if a not in ok_vocab or b not in ok_vocab:
                    oov += 1
                    if dummy4unknown:
                        gold.append(sim)
                        index_pairs.append((0, 0))
                        dummy.append(True)
                    continue
                gold.append(sim)
                index_pairs.append((ok_vocab[a], ok_vocab[b]))
                dummy.append(False)
        if not gold:
            raise ValueError(f"No valid similarity judgements found in {pairs}: either invalid "
                             f"format or all are out-of-vocabulary in {self}")
        idx = np.array(index_pairs, dtype=np.int64)
        unit = self._unit_vectors()
        model = np.einsum("ij,ij->i", unit[idx[:, 0]], unit[idx[:, 1]]).astype(np.float64)
        model[np.array(dummy, dtype=bool)] = 0.0
        spearman = stats.spearmanr(gold, model)
        pearson = stats.pearsonr(gold, model)
        if dummy4unknown:
            oov_ratio = float(oov) / len(gold) * 100
        else:
            oov_ratio = float(oov) / (len(gold) + oov) * 100
        logger.info("Pearson correlation coefficient against %s: %.4f", pairs, pearson[0])
        logger.info("Spearman rank-order correlation coefficient against %s: %.4f", pairs, spearman[0])
        logger.info("Pairs with unknown words ratio: %.1f%%", oov_ratio)
        return pearson, spearman, oov_ratio

    # ------------------------------------------------------------------ word2vec C formats

    def save_word2vec_format(self, fname, fvocab=None, binary=False, total_vec=None,
                             write_header=True):
        """Store the vectors in word2vec.c's text or binary format (see
        :mod:`fastw2v.io.word2vec_format`), rows in index order.

        Parameters
        ----------
        fname : str
            Output path (``.gz``/``.bz2`` compress).
        fvocab : str, optional
            Also write word2vec.c's vocabulary file ("word count" lines) from
            ``expandos['count']``.
        binary : bool
            Binary rather than text.
        total_vec : int, optional
            Count to write in the header.
        write_header : bool
            False omits the header (GloVe text).

        Raises
        ------
        ValueError
            A key is empty or contains whitespace, or `fvocab` without counts.
        """
        write_word2vec_format(fname, self.index_to_key, self.vectors,
                              counts=self.expandos.get("count"), fvocab=fvocab, binary=binary,
                              total_vec=total_vec, write_header=write_header)

    @classmethod
    def load_word2vec_format(cls, fname, fvocab=None, binary=False, encoding="utf8",
                             unicode_errors="strict", limit=None, datatype=np.float32,
                             no_header=False):
        """Load vectors in word2vec.c's text or binary format, or GloVe text (`no_header`).

        Binary files with or without a newline after each vector, text with or
        without trailing spaces, and ``.gz``/``.bz2`` files are read.
        ``expandos['count']`` comes from `fvocab` or, as in gensim, is made up
        (descending).

        Raises
        ------
        fastw2v.io.FormatError
            The file is not valid (the message names the file and the row).
        """
        keys, vectors, counts = read_word2vec_format(
            fname, fvocab=fvocab, binary=binary, encoding=encoding, unicode_errors=unicode_errors,
            limit=limit, datatype=datatype, no_header=no_header)
        kv = cls(vectors.shape[1], dtype=datatype)
        kv._set_all(keys, vectors, {"count": counts})
        return kv

    def _set_all(self, keys, vectors, expandos):
        self.index_to_key = list(keys)
        self.key_to_index = {k: i for i, k in enumerate(self.index_to_key)}
        self.vectors = vectors
        self.vector_size = vectors.shape[1]
        self.expandos = dict(expandos)
        self.next_index = len(self.index_to_key)
        self.norms = None

    # ------------------------------------------------------------------ native format

    def save(self, fname):
        """Save in fastw2v's native format (JSON + ``.npy``, no pickle, atomic).

        Keys must be str or int. ``self.indexer``, when set, is saved beside
        (``fname + ".index"``, see :mod:`fastw2v.similarities`) and `load`
        brings it back.
        """
        keys = []
        for k in self.index_to_key:
            if isinstance(k, (np.integer, int)) and not isinstance(k, bool):
                keys.append(int(k))
            elif isinstance(k, str):
                keys.append(k)
            else:
                raise ValueError(f"key {k!r} is neither str nor int; cannot store it")
        arrays = {"vectors": np.asarray(self.vectors)}
        expando_arrays = {}
        for i, (attr, values) in enumerate(self.expandos.items()):
            expando_arrays[attr] = f"expando{i}"
            arrays[f"expando{i}"] = np.asarray(values)
        meta = {"vector_size": self.vector_size, "keys": keys, "expandos": expando_arrays}
        save_native(fname, arrays, meta, kind="KeyedVectors")
        from fastw2v.similarities._attach import save_index_beside
        save_index_beside(fname, self)  # self.indexer, if any, to fname + ".index"

    @classmethod
    def load(cls, fname, mmap=None):
        """Load what `save` wrote; ``mmap='r'`` memory-maps the arrays.

        Raises
        ------
        fastw2v.io.FormatError
            Not a valid saved KeyedVectors.
        """
        from fastw2v.io.errors import FormatError

        arrays, meta = load_native(fname, mmap=mmap, expected_kind="KeyedVectors")
        keys, expandos = meta.get("keys"), meta.get("expandos")
        vectors = arrays.get("vectors")
        if (not isinstance(keys, list) or not isinstance(expandos, dict) or vectors is None
                or not all(type(k) in (str, int) for k in keys) or len(set(keys)) != len(keys)
                or vectors.ndim != 2 or vectors.shape != (len(keys), meta.get("vector_size"))
                or any(not isinstance(n, str) or n not in arrays or arrays[n].shape != (len(keys),)
                       for n in expandos.values())):
            raise FormatError(fname, "inconsistent KeyedVectors: keys, vectors and attributes disagree")
        kv = cls(vectors.shape[1], dtype=vectors.dtype)
        kv._set_all(keys, vectors, {attr: arrays[name] for attr, name in expandos.items()})
        from fastw2v.similarities._attach import load_index_beside
        kv.indexer = load_index_beside(fname, kv, mmap)  # saved with the vectors, if it was
        return kv

    # ------------------------------------------------------------------ pictures

    def plot(self, words=None, top=300, method="pca", path=None, skip=0, title=None):
        """Draw a 2-D projection of word vectors with labelled points (PNG via matplotlib Agg).

        Parameters
        ----------
        words : list of str, optional
            Keys to draw; default the `top` most frequent after skipping `skip`.
        top : int
            How many keys to draw when `words` is not given.
        method : {'pca', 'tsne'}
            PCA by numpy SVD, or t-SNE from scikit-learn.
        path : str, optional
            Write the figure as PNG there.
        skip : int
            Leave out the `skip` most frequent keys (function words) when `words` is None.
        title : str, optional

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        ImportError
            matplotlib (or scikit-learn for t-SNE) is missing: ``pip install fastw2v[plot]``.
        KeyError
            A word is not in the vocabulary.
        """
        from fastw2v.plot import plot_words

        if words is None:
            words = self.index_to_key[skip:skip + top]
        words = list(words)
        vectors = np.stack([self.get_vector(w) for w in words]) if words else np.zeros((0, 0))
        return plot_words(words, vectors, method=method, path=path, title=title)

    # ------------------------------------------------------------------ gensim interop

    @classmethod
    def from_gensim(cls, obj):
        """Copy a gensim ``KeyedVectors`` (or a model with ``.wv``) into a fastw2v one."""
        gkv = getattr(obj, "wv", obj)
        kv = cls(gkv.vector_size, dtype=gkv.vectors.dtype)
        kv._set_all(list(gkv.index_to_key), np.array(gkv.vectors),
                    {attr: np.array(v) for attr, v in gkv.expandos.items()})
        return kv

    def to_gensim(self):
        """A gensim ``KeyedVectors`` with copies of these keys, vectors and attributes.

        Raises
        ------
        ImportError
            gensim is not installed.
        """
        try:
            from gensim.models import KeyedVectors as GensimKeyedVectors
        except ImportError as err:
            raise ImportError("to_gensim() needs gensim: pip install gensim") from err
        gkv = GensimKeyedVectors(self.vector_size, count=0, dtype=self.vectors.dtype)
        gkv.index_to_key = list(self.index_to_key)
        gkv.key_to_index = dict(self.key_to_index)
        gkv.vectors = np.array(self.vectors)
        gkv.expandos = {attr: np.array(v) for attr, v in self.expandos.items()}
        gkv.next_index = len(gkv.index_to_key)
        return gkv
