"""Top-k cosine search: a matrix product fused with a running top-k, without the GIL.

Layer 7 of the design (queries). ``most_similar(..., batch=True)`` asks for the
``k`` best rows of ``unit`` for each of many query vectors. With a BLAS product
the (queries x vocabulary) score matrix is written to memory and read back to
select from it; here each 12 x 32 tile of scores lives in registers, is compared
against the queries' current k-th best, and is gone. The tile is a small GEMM
micro-kernel over 16-float vectors (GCC vector extensions): built with AVX-512
it runs at the width of the machine's FMA units, which OpenBLAS's AVX2 kernels
(what it picks on AMD Zen 4/5) do not. ``fastw2v.kernels.similarity`` uses it
only where the AVX-512 build runs; elsewhere numpy's BLAS is faster.
"""
from libc.stdint cimport int32_t, int64_t

import numpy as np

cdef extern from "fw_topk.h":
    ctypedef struct fw_topk:
        float *val
        int32_t *idx
        float *worst
        int32_t *worst_at
        int k
    int fw_top_k_dot(const float *queries, int64_t m, const float *unit, int64_t lo, int64_t hi,
                     int dim, fw_topk *t) nogil


def top_k_dot(queries, unit, int k, int64_t lo=0, hi=None):
    """Top ``k`` rows of ``unit[lo:hi]`` by dot product with each row of ``queries``.

    Parameters
    ----------
    queries : numpy.ndarray of float32, (m, dim), C-contiguous
    unit : numpy.ndarray of float32, (n, dim), C-contiguous
    k : int
        1 <= k <= hi - lo.
    lo, hi : int
        The row range searched (default: all rows).

    Returns
    -------
    indices : numpy.ndarray of int32, (m, k)
        Row numbers in ``unit``, best first (ties in no particular order).
    scores : numpy.ndarray of float32, (m, k)
    """
    cdef float[:, ::1] q = queries
    cdef float[:, ::1] u = unit
    cdef int64_t m = q.shape[0], n = u.shape[0]
    cdef int dim = q.shape[1]
    cdef int64_t stop = n if hi is None else hi
    cdef fw_topk t
    cdef int rc
    if u.shape[1] != dim or dim < 1:
        raise ValueError("queries and unit must have the same, positive number of columns")
    if not (0 <= lo < stop <= n) or not (1 <= k <= stop - lo):
        raise ValueError(f"need 0 <= lo < hi <= {n} and 1 <= k <= hi - lo")
    val = np.full((m, k), -np.inf, dtype=np.float32)
    idx = np.full((m, k), -1, dtype=np.int32)
    worst = np.full(m, -np.inf, dtype=np.float32)
    worst_at = np.zeros(m, dtype=np.int32)
    cdef float[:, ::1] val_v = val
    cdef int32_t[:, ::1] idx_v = idx
    cdef float[::1] worst_v = worst
    cdef int32_t[::1] worst_at_v = worst_at
    if m == 0:
        return idx, val
    t.val = &val_v[0, 0]
    t.idx = &idx_v[0, 0]
    t.worst = &worst_v[0]
    t.worst_at = &worst_at_v[0]
    t.k = k
    with nogil:
        rc = fw_top_k_dot(&q[0, 0], m, &u[0, 0], lo, stop, dim, &t)
    if rc != 0:
        raise MemoryError()
    order = np.argsort(-val, axis=1, kind="stable")
    return np.take_along_axis(idx, order, axis=1), np.take_along_axis(val, order, axis=1)
