"""Exact top-k search: the best-scoring rows of a similarity matrix, on plain arrays.

This module's one job is selection: given scores (or unit-length query and
vocabulary rows), return the indices and scores of the `k` best rows, largest
first. :class:`fastw2v.keyedvectors.KeyedVectors` calls it for ``most_similar``
(single and batched queries) and analogy evaluation; approximate indexes are
tested against it. Nothing here knows about keys.

* :func:`top_k_rows` / :func:`top_indices` select from scores already computed.
* :func:`batch_top_k` scores and selects for a block of queries, through the
  fused AVX-512 kernel (:func:`fastw2v.kernels.similarity_kernel`) when it is
  built, otherwise through blocked BLAS products.
* :func:`analogy_top_k` answers 3CosAdd questions from the similarities of the
  few distinct question words.

Every product is computed in blocks of at most :data:`BLOCK_CELLS` cells, so a
batch of any size runs in bounded memory.
"""
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from fastw2v.kernels import similarity_kernel

__all__ = ["BLOCK_CELLS", "top_k_rows", "top_indices", "merge_top_k", "batch_top_k", "analogy_top_k"]

# Similarity matrices of batched queries are computed in blocks of at most this
# many float32 cells (256 MiB), so batches of any size run in bounded memory.
BLOCK_CELLS = 1 << 26

_GROUP = 64  # columns per group in the two-level top-k
_FUSED_MAX_K = 256  # the fused kernel's insertion is O(k); beyond this, BLAS + selection


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


def top_k_rows(scores, k):
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


def top_indices(scores, k):
    """Indices of the `k` largest of 1-D `scores` (left unchanged), largest first."""
    return top_k_rows(scores[None, :].copy(), k)[0][0]


def merge_top_k(indices, scores, k):
    """The best `k` per row of several (rows, k_i) candidate lists, earlier lists first on ties."""
    idx = np.concatenate(indices, axis=1)
    val = np.concatenate(scores, axis=1)
    order = np.argsort(-val, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(idx, order, axis=1), np.take_along_axis(val, order, axis=1)


def batch_top_k(q, unit, k):
    """Yield (indices, scores) of the top `k` rows of `unit` for blocks of queries `q`.

    With the AVX-512 build of the fused kernel (fastw2v.kernels.similarity_kernel),
    one call per thread, each over its share of the vocabulary, merged at the end;
    otherwise blocked BLAS products and a row-wise selection. An index of -1
    marks a slot the fused kernel could not fill (fewer than `k` non-NaN rows).
    """
    kernel = similarity_kernel() if k <= _FUSED_MAX_K and q.dtype == np.float32 else None
    if kernel is None or len(unit) < 2 * k:
        step = max(1, BLOCK_CELLS // max(1, len(unit)))
        for lo in range(0, len(q), step):
            yield top_k_rows(q[lo:lo + step] @ unit.T, k)
        return
    q = np.ascontiguousarray(q)
    unit = np.ascontiguousarray(unit)
    n_parts = max(1, min(os.cpu_count() or 1, len(unit) // (4 * k), 16))
    bounds = np.linspace(0, len(unit), n_parts + 1).astype(np.int64)
    with ThreadPoolExecutor(n_parts) as pool:  # the kernel releases the GIL
        parts = list(pool.map(lambda i: kernel.top_k_dot(q, unit, k, int(bounds[i]), int(bounds[i + 1])),
                              range(n_parts)))
    idx, val = merge_top_k([p[0] for p in parts], [p[1] for p in parts], k)
    yield idx.astype(np.int64), val


def _combine(sims, ia, ib, ic, multiplicative):
    """Each question's scores from its words' rows of `sims` (3CosAdd or 3CosMul)."""
    if not multiplicative:
        scores = np.take(sims, ib, axis=0)
        scores += np.take(sims, ic, axis=0)
        scores -= np.take(sims, ia, axis=0)
        return scores
    shifted = (sims + 1) / 2  # similarities moved to [0, 1], as gensim's cosmul does
    scores = np.take(shifted, ib, axis=0)
    scores *= np.take(shifted, ic, axis=0)
    scores /= np.take(shifted, ia, axis=0) + np.float32(1e-6)
    return scores


def analogy_top_k(unit, a, b, c, k, cells=1 << 20, multiplicative=False):
    """Top `k` rows of `unit` for each 3CosAdd question ``b - a + c``, inputs excluded.

    With ``multiplicative``, 3CosMul instead (Levy and Goldberg 2014, gensim's
    ``most_similar_cosmul``): ``s'_b * s'_c / (s'_a + 1e-6)`` with ``s' = (1 + s) / 2``;
    it is also a function of the three words' similarity rows, so the same blocks serve.

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
    span = max(k, min(n_vocab, BLOCK_CELLS // len(words)))  # vocabulary columns per product
    for lo in range(0, n_vocab, span):
        hi = min(n_vocab, lo + span)
        sims = word_rows @ unit[lo:hi].T  # (distinct words, span)
        step = max(1, cells // (hi - lo))  # questions per block: a few MB, stays in cache
        for q0 in range(0, n_q, step):
            q1 = min(n_q, q0 + step)
            scores = _combine(sims, ia[q0:q1], ib[q0:q1], ic[q0:q1], multiplicative)
            rows = np.arange(q1 - q0)
            for x in (a, b, c):
                col = x[q0:q1] - lo
                inside = (col >= 0) & (col < hi - lo)
                scores[rows[inside], col[inside]] = -np.inf
            idx, vals = top_k_rows(scores, k)
            idx += lo
            if lo == 0:
                best_i[q0:q1], best_v[q0:q1] = idx, vals
                continue
            best_i[q0:q1], best_v[q0:q1] = merge_top_k(
                [best_i[q0:q1], idx], [best_v[q0:q1], vals], k)
    return best_i, best_v
