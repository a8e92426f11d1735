# cython: language_level=3
"""Walker's alias pairing for the negative-sampling table of fastw2v.vocab.

A vocabulary routine, run once per ``build_vocab``: compiled once (not per
instruction set like the kernels) and without the kernels' -fassociative-math,
so its sums are the ones Python would compute (setup.py, PLAIN_MATH).
"""
from libc.stdint cimport int32_t, int64_t

import numpy as np


def walker_alias(scaled):
    """Walker's alias pairing over ``scaled`` (weights scaled to mean 1), for fastw2v.vocab.

    Pairs each small slot (below 1) with a large one, from stacks of both, in the
    order the Python loop it replaced did; leftovers keep probability 1.

    Parameters
    ----------
    scaled : array of float
        One weight per word, scaled so that they sum to their number.

    Returns
    -------
    prob : numpy.ndarray of float64
        Acceptance probability of each slot (1.0 where nothing was paired).
    alias : numpy.ndarray of int32
        The word a slot gives when its draw is not accepted.
    """
    cdef double[::1] work = np.array(scaled, dtype=np.float64, copy=True).reshape(-1)
    cdef Py_ssize_t n = work.shape[0]
    prob_arr = np.ones(n, dtype=np.float64)
    alias_arr = np.arange(n, dtype=np.int32)
    is_small = np.asarray(work) < 1.0
    small_arr = np.flatnonzero(is_small).astype(np.int64)
    large_arr = np.flatnonzero(np.asarray(work) >= 1.0).astype(np.int64)
    small_arr = np.concatenate([small_arr, np.empty(len(large_arr), np.int64)])  # room to grow
    cdef double[::1] prob = prob_arr
    cdef int32_t[::1] alias = alias_arr
    cdef int64_t[::1] small = small_arr
    cdef int64_t[::1] large = large_arr
    cdef Py_ssize_t n_small = np.count_nonzero(is_small), n_large = large.shape[0]
    cdef int64_t s, g
    with nogil:
        while n_small > 0 and n_large > 0:
            n_small -= 1
            s = small[n_small]
            g = large[n_large - 1]
            prob[s] = work[s]
            alias[s] = <int32_t>g
            work[g] = work[g] + work[s] - 1.0
            if work[g] < 1.0:
                n_large -= 1
                small[n_small] = g
                n_small += 1
    return prob_arr, alias_arr
