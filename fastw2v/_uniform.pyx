# cython: language_level=3
"""Random initial rows, filled in C by several threads, equal to numpy's.

gensim (and fastw2v, for the same initial vectors) starts a matrix of ``n x dim`` rows
as ``(numpy.random.default_rng(seed).random(dtype=float32) * 2 - 1) / dim``. numpy
draws those one after another in one thread: 2 s for FastText's 2,000,000 x 100 bucket
matrix, as long as a third of an epoch's training. Here each thread fills its own
slice from the PCG64 state numpy's ``advance()`` gives for the slice's start, so the
values are numpy's exactly and the time divides by the threads. Compiled without the
kernels' reassociation (setup.py, PLAIN_MATH): the rounding must be numpy's.
"""
import numpy as np

from fastw2v._parallel import array_threads, run_threads

from libc.stdint cimport int64_t, uint64_t

cdef extern from "kernels/fw_pcg64.h" nogil:
    void fw_uniform_rows(uint64_t state_hi, uint64_t state_lo, uint64_t inc_hi, uint64_t inc_lo,
                         float *out, int64_t n, int dim)

# Floats per slice (even: a slice starts on a whole 64-bit draw). Big enough that a
# slice's setup (a PCG64 advance, one Python call) is noise, small enough to share
# the work of a large matrix evenly.
cdef int64_t SLICE = 1 << 22
MASK64 = (1 << 64) - 1


def _halves(value):
    return (value >> 64) & MASK64, value & MASK64


def _slice_states(seed, n_slices):
    """numpy's PCG64 state (state, inc) at the start of each slice, for ``seed``."""
    bitgen = np.random.PCG64(seed)
    states = []
    for _ in range(n_slices):
        raw = bitgen.state
        if raw["has_uint32"]:
            raise AssertionError("a fresh PCG64 has no buffered half draw")
        states.append((raw["state"]["state"], raw["state"]["inc"]))
        bitgen.advance(SLICE // 2)  # one 64-bit draw makes two float32
    return states


def _fill_slices(float[::1] flat, list jobs, int dim):
    """Fill ``flat[start:start + n]`` from each job's PCG64 state, without the GIL."""
    cdef uint64_t s_hi, s_lo, i_hi, i_lo
    cdef int64_t start, n
    for start, n, state, inc in jobs:
        s_hi, s_lo = _halves(state)
        i_hi, i_lo = _halves(inc)
        with nogil:
            fw_uniform_rows(s_hi, s_lo, i_hi, i_lo, &flat[start], n, dim)


def uniform_rows(shape, seed, threads=None):
    """A new float32 matrix of ``shape`` (rows, dim), uniform in [-1/dim, 1/dim).

    Equal, bit for bit, to ``(numpy.random.default_rng(seed).random(shape,
    dtype=numpy.float32) * 2 - 1) / dim`` computed in place in float32 (tested).

    Parameters
    ----------
    shape : tuple of int
        (rows, dim).
    seed : int
        What ``numpy.random.default_rng`` takes.
    threads : int, optional
        Threads to fill with; by default the cores this process may use, at most 8.

    Returns
    -------
    numpy.ndarray
        C-contiguous float32 of ``shape``.
    """
    rows, dim = (int(x) for x in shape)
    vectors = np.empty((rows, dim), dtype=np.float32)
    n = rows * dim
    if n == 0:
        return vectors
    if n % 2:  # numpy would keep the last draw's upper half for later: use numpy itself
        vectors[:] = np.random.default_rng(seed).random((rows, dim), dtype=np.float32)
        vectors *= 2.0
        vectors -= 1.0
        vectors /= dim
        return vectors
    starts = list(range(0, n, SLICE))
    jobs = [(start, min(SLICE, n - start), state, inc)
            for start, (state, inc) in zip(starts, _slice_states(seed, len(starts)))]
    threads = min(threads or array_threads(), len(jobs))
    flat = vectors.reshape(-1)
    if threads == 1:
        _fill_slices(flat, jobs, dim)
        return vectors
    run_threads(_fill_slices, [(flat, jobs[t::threads], dim) for t in range(threads)])
    return vectors
