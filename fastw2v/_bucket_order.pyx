# cython: language_level=3
"""The order FastText's bucket rows train in: every row the vocabulary uses, first.

A vocabulary's n-grams hash to a small share of the bucket rows, scattered over the whole
matrix (IMDB's 53,171 words use 232,614 of 2,000,000 rows of an 800 MB matrix). Each row a
word reads then shares its first and last cache line with rows no word trains, and its
2 MB page with some 4,600 of them: the caches and the TLB hold mostly rows that are
never read. For the length of an epoch, :class:`BucketOrder` moves the used rows to the front
of the matrix, in the order the vocabulary first uses them (its most frequent word's
n-grams first), renumbers the bucket ids the kernels read to match, and afterwards moves
every row and id back. Measured (``benchmarks/kernel_ab.py --versus rows-in-place``, 1
thread, AMD EPYC): FastText CBOW kernels 0.80-0.89x the time, skip-gram 0.88x.

In place: the rows move along the cycles of one permutation with two rows of scratch and
a flag per front row (allocated with the plan), so no copy of the matrix is made (issue 15 holds peak memory to gensim's). The permutation
``pi`` takes the used row ``used[j]`` to row ``j``; the rows below ``n_used`` that no word
uses go, in order, to the rows the used ones above ``n_used`` left, and every other row
stays. Both directions only need ``pi``'s inverse, "where does row p's content come from":
``used[p]`` below ``n_used``; above it, the k-th unused row below ``n_used`` for the k-th
used row above it (a rank in a bitmap of the used rows).

:meth:`apply` and :meth:`restore` are each one call into C with no Python in between, so
a Ctrl-C lands before or after one, never inside: the matrix is always in one order or
the other, and :attr:`applied` says which.
"""
import numpy as np

from libc.stdint cimport int32_t, int64_t, uint64_t
from libc.string cimport memcpy, memset

__all__ = ["BucketOrder"]


cdef extern from *:
    int __builtin_popcountll(unsigned long long) nogil
    void __builtin_prefetch(const void *) nogil


cdef inline int64_t popcount(uint64_t x) noexcept nogil:
    return __builtin_popcountll(x)


cdef class BucketOrder:
    """Moves the bucket rows a vocabulary uses to the front of the matrix while it trains.

    Parameters
    ----------
    ids : numpy.ndarray of int32
        The vocabulary's bucket ids (``wv.ngram_ids``, C-contiguous, writeable): renumbered
        in place by :meth:`apply`, given back by :meth:`restore`.
    rows : numpy.ndarray of float32, 2-D
        The bucket matrix (``wv.vectors_ngrams``): its rows are moved in place.
    factors : numpy.ndarray of float32, optional
        One lock factor per bucket row (the kernels' ``ngram_lockf``): moved with the rows.

    Raises
    ------
    ValueError
        If an array has the wrong type or layout, or an id is outside the matrix.
    """
    cdef object ids, rows, factors
    cdef int32_t *id_data
    cdef int64_t n_ids
    cdef char *row_data
    cdef int64_t row_bytes, pitch_bytes
    cdef float *factor_data
    cdef readonly int64_t n_rows
    cdef readonly int64_t n_used
    cdef readonly bint applied
    cdef int64_t used_below                # used buckets below n_used
    cdef uint64_t[::1] bits        # bit b set: some word uses bucket b
    cdef int64_t[::1] rank_before  # used buckets below word w of bits
    cdef int32_t[::1] used         # used[j]: the bucket row that trains at row j
    cdef int32_t[::1] new_of_rank  # row of the r-th used bucket (by id) while applied
    cdef int32_t[::1] unused_front # rows below n_used that no word uses, in order
    cdef unsigned char[::1] scratch  # two rows to carry content around a cycle ...
    cdef unsigned char[::1] seen   # ... and a flag per row below n_used: allocated once,
                                   # so that apply() and restore() cannot fail half way

    def __init__(self, ids, rows, factors=None):
        if not (isinstance(ids, np.ndarray) and ids.dtype == np.int32 and ids.ndim == 1
                and ids.flags.c_contiguous and ids.flags.writeable):
            raise ValueError("ids must be a writeable C-contiguous 1-D int32 array")
        if not (isinstance(rows, np.ndarray) and rows.dtype == np.float32 and rows.ndim == 2
                and rows.flags.writeable and rows.strides[1] == 4
                and rows.strides[0] >= 4 * rows.shape[1]):
            raise ValueError("rows must be a writeable 2-D float32 array with contiguous rows")
        if factors is not None and not (
                isinstance(factors, np.ndarray) and factors.dtype == np.float32
                and factors.ndim == 1 and factors.flags.c_contiguous and factors.flags.writeable
                and len(factors) == rows.shape[0]):
            raise ValueError("factors must be a writeable C-contiguous float32 array, one per row")
        self.ids, self.rows, self.factors = ids, rows, factors
        self.n_ids = len(ids)
        self.n_rows = rows.shape[0]
        self.row_bytes = rows.shape[1] * 4
        self.pitch_bytes = rows.strides[0]
        self.id_data = <int32_t *><size_t>ids.ctypes.data if self.n_ids else NULL
        self.row_data = <char *><size_t>rows.ctypes.data
        self.factor_data = <float *><size_t>factors.ctypes.data if factors is not None else NULL
        if self.n_ids and (ids.min() < 0 or ids.max() >= self.n_rows):
            raise ValueError(f"bucket ids must be in [0, {self.n_rows})")
        self._plan()

    cdef _plan(self):
        cdef int64_t n_words = (self.n_rows + 63) // 64
        self.bits = np.zeros(n_words, dtype=np.uint64)
        self.rank_before = np.zeros(n_words + 1, dtype=np.int64)
        cdef int64_t k, w, r, j = 0, m
        cdef int32_t b
        for k in range(self.n_ids):
            b = self.id_data[k]
            self.bits[b >> 6] |= (<uint64_t>1) << (b & 63)
        for w in range(n_words):
            self.rank_before[w + 1] = self.rank_before[w] + popcount(self.bits[w])
        m = self.rank_before[n_words]
        self.n_used = m
        self.used = np.empty(m, dtype=np.int32)
        self.new_of_rank = np.full(m, -1, dtype=np.int32)
        for k in range(self.n_ids):  # first use, in vocabulary order
            r = self._rank(self.id_data[k])
            if self.new_of_rank[r] < 0:
                self.new_of_rank[r] = <int32_t>j
                self.used[j] = self.id_data[k]
                j += 1
        self.used_below = self._rank(m) if m < self.n_rows else m
        self.scratch = np.zeros(2 * self.row_bytes + 1, dtype=np.uint8)
        self.seen = np.zeros(m + 1, dtype=np.uint8)
        self.unused_front = np.empty(m - self.used_below, dtype=np.int32)
        j = 0
        for k in range(m):
            if not self._is_used(k):
                self.unused_front[j] = <int32_t>k
                j += 1

    cdef inline int64_t _rank(self, int64_t b) noexcept nogil:
        """Used buckets below ``b``."""
        return self.rank_before[b >> 6] + popcount(self.bits[b >> 6] & (((<uint64_t>1) << (b & 63)) - 1))

    cdef inline bint _is_used(self, int64_t b) noexcept nogil:
        return (self.bits[b >> 6] >> (b & 63)) & 1

    cdef inline int64_t _source(self, int64_t p) noexcept nogil:
        """Where row ``p``'s content comes from under the permutation (its inverse)."""
        if p < self.n_used:
            return self.used[p]
        return self.unused_front[self._rank(p) - self.used_below]

    cdef inline char *_row(self, int64_t p) noexcept nogil:
        return self.row_data + p * self.pitch_bytes

    def apply(self):
        """Move the used rows to the front and renumber the ids (a no-op if applied)."""
        if self.applied:
            return
        self._cycles(True)
        cdef int64_t k
        for k in range(self.n_ids):
            self.id_data[k] = self.new_of_rank[self._rank(self.id_data[k])]
        self.applied = True

    def restore(self):
        """Move every row and id back (a no-op unless applied)."""
        if not self.applied:
            return
        self._cycles(False)
        cdef int64_t k
        for k in range(self.n_ids):
            self.id_data[k] = self.used[self.id_data[k]]
        self.applied = False

    cdef void _cycles(self, bint forward) noexcept:
        """Follow every cycle of the permutation once. Forward, row p takes the content of
        its source; back, each source takes back what its row took, carried around the
        cycle. Every cycle holds a row below n_used, so starting there finds them all."""
        cdef int64_t m = self.n_used, start, p, s, nxt = 0
        cdef char *carry = <char *>&self.scratch[0]
        cdef char *spare = carry + self.row_bytes
        cdef char *t
        cdef float f_carry, f_spare
        cdef unsigned char *seen = &self.seen[0]
        memset(seen, 0, m + 1)
        with nogil:
            for start in range(m):
                if seen[start] or self.used[start] == start:
                    continue
                memcpy(carry, self._row(start), self.row_bytes)
                f_carry = self.factor_data[start] if self.factor_data != NULL else 0
                p = start
                s = self._source(p)
                while True:
                    if p < m:
                        seen[p] = 1
                    if s != start:  # the row after next is a random one: ask for it early
                        nxt = self._source(s)
                        __builtin_prefetch(self._row(nxt))
                    if forward:  # row p <- row s; the start's content waits in carry
                        if s == start:
                            memcpy(self._row(p), carry, self.row_bytes)
                            if self.factor_data != NULL:
                                self.factor_data[p] = f_carry
                            break
                        memcpy(self._row(p), self._row(s), self.row_bytes)
                        if self.factor_data != NULL:
                            self.factor_data[p] = self.factor_data[s]
                    else:  # row s <- what row p holds (carried), row s's own goes on
                        if s == start:
                            memcpy(self._row(start), carry, self.row_bytes)
                            if self.factor_data != NULL:
                                self.factor_data[start] = f_carry
                            break
                        memcpy(spare, self._row(s), self.row_bytes)
                        memcpy(self._row(s), carry, self.row_bytes)
                        t = carry
                        carry = spare
                        spare = t
                        if self.factor_data != NULL:
                            f_spare = self.factor_data[s]
                            self.factor_data[s] = f_carry
                            f_carry = f_spare
                    p = s
                    s = nxt
