"""TrainJob: the Python-facing side of the training kernels.

Part of the _train modules (see _train_impl.pxi). Holding the GIL, TrainJob
checks what the nogil code will index (matrix shapes, vocabulary tables, the id
stream), fills one TrainConfig and one ThreadState per thread, and then lets
each worker thread run :func:`train_chunks` without the GIL.
"""
import numpy as np

from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free


def sigmoid_table():
    """The table ``sigmoid`` reads: SIGMOID_TABLE_SIZE samples over [-MAX_EXP, MAX_EXP)."""
    x = (np.arange(SIGMOID_TABLE_SIZE, dtype=np.float64) + 0.5) / SIGMOID_TABLE_SIZE * 2 * MAX_EXP - MAX_EXP
    return (1.0 / (1.0 + np.exp(-x))).astype(np.float32)


cdef float *_ptr_f32(object a) except NULL:
    cdef float[::1] flat = a.reshape(-1)
    if flat.shape[0] == 0:
        raise ValueError("model matrices must not be empty")
    return &flat[0]


cdef class TrainJob:
    """One ``train()`` call's kernel state: config, per-thread states, counters.

    Parameters are checked here (types, shapes, every index in range) so the
    kernels can run unchecked. Python keeps references to every array the
    config points into for the lifetime of the job.

    Parameters
    ----------
    syn0, syn1, syn1neg : numpy.ndarray of float32, C-contiguous
        Model matrices; syn1/syn1neg may be None when hs/negative is off.
    tables : dict
        ``sample_int``, ``alias`` (packed, see fastw2v.vocab.alias_table), ``codes``,
        ``points``, ``path_offsets`` (those needed by the objective).
    ids, sent_offsets, chunk_starts : numpy.ndarray
        The id stream (int32), sentence offsets (int64) and chunk sentence starts (int64).
    params : dict
        sg, hs, negative, cbow_mean, window, shrink_windows, compute_loss,
        start_alpha, end_alpha, schedule_total.
    n_threads : int
    seed : int
        Thread ``t``'s random stream starts from ``seed`` and ``t``.
    """
    cdef TrainConfig cfg
    cdef ThreadState **states
    cdef int n_threads
    cdef int64_t max_in
    cdef int64_t max_out
    cdef int64_t counters[2]
    cdef int stop_flag
    cdef list _keep

    def __cinit__(self):
        self.states = NULL
        self.n_threads = 0

    def __init__(self, syn0, syn1, syn1neg, dict tables, ids, sent_offsets, chunk_starts,
                 dict params, int n_threads, uint64_t seed):
        cdef int t
        cdef int64_t max_sentence
        self._keep = []
        n_words, dim = _check_matrix("syn0", syn0, None, None)
        self.cfg.dim = dim
        self.cfg.n_words = n_words
        self.cfg.sg = int(params["sg"])
        self.cfg.hs = int(params["hs"])
        self.cfg.negative = int(params["negative"])
        self.cfg.cbow_mean = int(params["cbow_mean"])
        self.cfg.window = int(params["window"])
        self.cfg.shrink_windows = int(params["shrink_windows"])
        self.cfg.compute_loss = int(params["compute_loss"])
        self.cfg.start_alpha = float(params["start_alpha"])
        self.cfg.end_alpha = float(params["end_alpha"])
        self.cfg.schedule_total = int(params["schedule_total"])
        if self.cfg.window < 1 or dim < 1 or n_words < 1 or n_threads < 1:
            raise ValueError("window, vector size, vocabulary and threads must be positive")
        if not (self.cfg.hs or self.cfg.negative > 0) or self.cfg.negative < 0:
            raise ValueError("hs or negative must be on, negative must be >= 0")

        self.cfg.syn0 = self._f32(syn0)
        self.cfg.syn1 = NULL
        self.cfg.syn1neg = NULL
        self.max_out = 0
        if self.cfg.hs:
            _check_matrix("syn1", syn1, max(n_words - 1, 1), dim)
            self.cfg.syn1 = self._f32(syn1)
            offsets = self._arr(tables["path_offsets"], np.int64, n_words + 1, "path_offsets")
            codes = self._arr(tables["codes"], np.uint8, None, "codes")
            points = self._arr(tables["points"], np.int32, None, "points")
            if offsets[0] != 0 or np.any(np.diff(offsets) < 1) or offsets[len(offsets) - 1] != len(codes) \
                    or len(points) != len(codes):
                raise ValueError("inconsistent Huffman tables")
            if len(points) and (points.min() < 0 or points.max() >= max(n_words - 1, 1)):
                raise ValueError("Huffman points out of range")
            self.cfg.path_offsets = <const int64_t *><size_t>offsets.ctypes.data
            self.cfg.codes = <const uint8_t *><size_t>codes.ctypes.data
            self.cfg.points = <const int32_t *><size_t>points.ctypes.data
            self.max_out = int(np.max(np.diff(offsets)))
        if self.cfg.negative:
            _check_matrix("syn1neg", syn1neg, n_words, dim)
            self.cfg.syn1neg = self._f32(syn1neg)
            # The packed table of fastw2v.vocab.alias_table, used as given.
            alias = np.ascontiguousarray(tables["alias"], dtype=np.uint32)
            if alias.shape != (n_words, 2):
                raise ValueError(f"alias must have shape ({n_words}, 2), got {alias.shape}")
            if alias[:, 1].max() >= n_words:
                raise ValueError("alias table out of range")
            self._keep.append(alias)
            self.cfg.alias = <const uint32_t *><size_t>alias.ctypes.data
            self.max_out = max(self.max_out, 1 + self.cfg.negative)
        sample_int = self._arr(tables["sample_int"], np.uint32, n_words, "sample_int")
        self.cfg.sample_int = <const uint32_t *><size_t>sample_int.ctypes.data
        table = self._arr(sigmoid_table(), np.float32, SIGMOID_TABLE_SIZE, "sigmoid")
        self.cfg.sigmoid_table = <const float *><size_t>table.ctypes.data

        ids = self._arr(ids, np.int32, None, "ids")
        sent_offsets = self._arr(sent_offsets, np.int64, None, "sent_offsets")
        chunk_starts = self._arr(chunk_starts, np.int64, None, "chunk_starts")
        n_sent = len(sent_offsets) - 1
        if n_sent < 0 or sent_offsets[0] != 0 or sent_offsets[n_sent] != len(ids) \
                or np.any(np.diff(sent_offsets) < 0):
            raise ValueError("sentence offsets do not describe the id stream")
        if len(ids) and (int(ids.min()) < 0 or int(ids.max()) >= n_words):
            raise ValueError("id stream holds indices outside the vocabulary")
        if len(chunk_starts) < 1 or chunk_starts[0] != 0 or chunk_starts[len(chunk_starts) - 1] != n_sent \
                or np.any(np.diff(chunk_starts) < 0):
            raise ValueError("chunk starts do not cover the sentences")
        max_sentence = int(np.max(np.diff(sent_offsets))) if n_sent else 1
        self.cfg.ids = <const int32_t *><size_t>(ids.ctypes.data if len(ids) else 0)
        self.cfg.sent_offsets = <const int64_t *><size_t>sent_offsets.ctypes.data
        self.cfg.chunk_starts = <const int64_t *><size_t>chunk_starts.ctypes.data
        self.cfg.n_chunks = len(chunk_starts) - 1

        self.counters[0] = 0
        self.counters[1] = 0
        self.stop_flag = 0
        self.cfg.next_chunk = &self.counters[0]
        self.cfg.schedule_done = &self.counters[1]
        self.cfg.stop = &self.stop_flag

        # Private hot nodes only pay when threads share them (see TrainConfig). Inner
        # nodes are numbered in the order the Huffman build creates them, so the last
        # ones are the root and the nodes nearest it.
        hot = int(params.get("hot_nodes", 0)) if n_threads > 1 and self.cfg.hs else 0
        if hot < 0 or int(params.get("sync_words", 1)) < 1:
            raise ValueError("hot_nodes must be >= 0 and sync_words >= 1")
        n_nodes = max(n_words - 1, 1)
        self.cfg.hot_hs_hi = n_nodes if hot else 0
        self.cfg.hot_hs_lo = max(n_nodes - hot, 0) if hot else 0
        self.cfg.sync_words = int(params.get("sync_words", 1)) if hot else (1 << 62)

        self.max_in = 2 * self.cfg.window
        self.states = <ThreadState **>calloc(n_threads, sizeof(ThreadState *))
        if self.states == NULL:
            raise MemoryError()
        self.n_threads = n_threads
        for t in range(n_threads):
            self.states[t] = new_thread_state(&self.cfg, max_sentence, self.max_in, self.max_out,
                                              seed, t)

    cdef float *_f32(self, a) except NULL:
        self._keep.append(a)
        return _ptr_f32(a)

    def _arr(self, a, dtype, expected_len, name):
        a = np.ascontiguousarray(a, dtype=dtype)
        if a.ndim != 1 or (expected_len is not None and len(a) != expected_len):
            raise ValueError(f"{name} must be 1-D of length {expected_len}, got shape {a.shape}")
        self._keep.append(a)
        return a

    def __dealloc__(self):
        cdef int t
        if self.states != NULL:
            for t in range(self.n_threads):
                free_thread_state(self.states[t])
            free(self.states)
            self.states = NULL

    def begin_epoch(self):
        """Rewind the chunk counter for another pass over the stream."""
        self.counters[0] = 0

    def run_thread(self, int t):
        """Train chunks as thread ``t`` until none is left or a stop is requested (releases the GIL)."""
        if t < 0 or t >= self.n_threads:
            raise IndexError(t)
        with nogil:
            train_chunks(&self.cfg, self.states[t])

    def request_stop(self):
        """Ask every thread to return after its current sentence."""
        fw_atomic_store_int(&self.stop_flag, 1)

    @property
    def words_done(self):
        """In-vocabulary words processed so far in this job (all epochs, all threads)."""
        return fw_atomic_load_i64(&self.counters[1])

    @property
    def alpha(self):
        """The learning rate the kernels use now."""
        return current_alpha(&self.cfg)

    def totals(self):
        """(loss, in-vocabulary words, words kept by subsampling), summed over threads."""
        cdef double loss = 0.0
        cdef int64_t words = 0, effective = 0
        cdef int t
        for t in range(self.n_threads):
            loss += self.states[t].loss
            words += self.states[t].words
            effective += self.states[t].effective_words
        return loss, words, effective


def _check_matrix(name, a, rows, cols):
    if not isinstance(a, np.ndarray) or a.dtype != np.float32 or a.ndim != 2 \
            or not a.flags.c_contiguous or not a.flags.writeable:
        raise ValueError(f"{name} must be a writeable C-contiguous 2-D float32 array")
    if (rows is not None and a.shape[0] != rows) or (cols is not None and a.shape[1] != cols):
        raise ValueError(f"{name} has shape {a.shape}, expected ({rows}, {cols})")
    return a.shape
