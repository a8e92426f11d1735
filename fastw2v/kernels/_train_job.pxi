"""TrainJob: the Python-facing side of the training kernels.

Part of the _train modules (see _train_impl.pxi). Holding the GIL, TrainJob
checks what the nogil code will index (matrix shapes, vocabulary tables, the id
stream), fills one TrainConfig and one ThreadState per thread, and then lets
each worker thread run :func:`train_chunks` without the GIL.
"""
import dataclasses

import numpy as np

from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free

from fastw2v.kernels.params import TrainParams


def sigmoid_table():
    """The table ``sigmoid`` reads: SIGMOID_TABLE_SIZE samples over [-MAX_EXP, MAX_EXP)."""
    x = (np.arange(SIGMOID_TABLE_SIZE, dtype=np.float64) + 0.5) / SIGMOID_TABLE_SIZE * 2 * MAX_EXP - MAX_EXP
    return (1.0 / (1.0 + np.exp(-x))).astype(np.float32)


def settings_fields():
    """The field names of the kernels' TrainSettings struct, in declaration order
    (what :class:`fastw2v.kernels.TrainParams` must match)."""
    cdef TrainSettings settings
    memset(&settings, 0, sizeof(settings))
    return tuple(dict(settings))


def matrix_pitch(a):
    """Floats from one row of the 2-D float32 array ``a`` to the next, when its rows are
    each contiguous and evenly spaced forward (a C-contiguous matrix: its width; the view
    ``padded[:, :dim]`` of a wider one: the wider width); None for any other layout."""
    rows, cols = a.shape
    if cols > 1 and a.strides[1] != 4:
        return None
    if rows <= 1:
        return cols
    if a.strides[0] % 4 or a.strides[0] < 4 * cols:
        return None
    return a.strides[0] // 4


def _check_matrix(name, a, rows, cols):
    """``(rows, cols, pitch)`` of a model matrix the kernels will index and write, after
    checking it is one: writeable 2-D float32 whose rows are contiguous and evenly spaced
    (C-contiguous, or padded rows: see matrix_pitch)."""
    if not isinstance(a, np.ndarray) or a.dtype != np.float32 or a.ndim != 2 \
            or not a.flags.writeable or not a.flags.aligned or matrix_pitch(a) is None:
        raise ValueError(f"{name} must be a writeable 2-D float32 array with contiguous, "
                         "evenly spaced rows (C-contiguous, or padded rows)")
    if (rows is not None and a.shape[0] != rows) or (cols is not None and a.shape[1] != cols):
        raise ValueError(f"{name} has shape {a.shape}, expected ({rows}, {cols})")
    return a.shape[0], a.shape[1], matrix_pitch(a)


cdef float *_rows_ptr(object a) except NULL:
    """The first float of a matrix _check_matrix accepted (its rows padded or not), or of
    a C-contiguous float32 array."""
    if a.size == 0:
        raise ValueError("model matrices must not be empty")
    return <float *><size_t>a.ctypes.data


def _check_ngram_table(offsets, ids, n_words, n_buckets, word_rows=True):
    """The n-gram table's one check (fastw2v._ngrams.check_csr), in the kernels' names;
    without word rows (floret) every word must have bucket rows, or its input would be
    the mean of nothing."""
    from fastw2v._ngrams import check_csr
    check_csr(offsets, ids, n_words, n_buckets, names=("ngram_offsets", "ngram_ids"))
    if not word_rows and n_words:
        empty = np.flatnonzero(np.diff(offsets) == 0)
        if len(empty):
            raise ValueError(f"without word rows every word needs bucket rows; word {empty[0]} "
                             "has none")


cdef class TrainJob:
    """One ``train()`` call's kernel state: config, per-thread states, counters.

    Everything the nogil kernels index is checked here (types, shapes, every
    index in range), so they run unchecked; nothing else is (the model checked
    its parameters). Python keeps references to every array the config points
    into for the lifetime of the job.

    Parameters
    ----------
    params : fastw2v.kernels.TrainParams
        The objective, window and learning-rate schedule.
    vocab : object
        With attributes ``sample_int`` (uint32, one per word), ``alias`` (the packed
        (n_words, 2) uint32 table of :func:`fastw2v.vocab.alias_table`; may be None
        when ``params.negative`` is 0) and ``codes`` (uint8), ``points`` (int32),
        ``path_offsets`` (int64, n_words + 1) of :func:`fastw2v.vocab.huffman_tree`
        (may be None when ``params.hs`` is 0). Used as given, not copied, when the
        dtypes match.
    syn0, syn1, syn1neg : numpy.ndarray of float32
        Model matrices, writeable, each row contiguous and the rows evenly spaced
        (C-contiguous, or padded rows: ``matrix_pitch``); syn1/syn1neg may be None when hs/negative is off, and syn0 with
        ``subwords`` (floret: the words have no rows of their own, their bucket rows are
        their input; the vocabulary's size is then ``len(vocab.sample_int)``).
    ids, sent_offsets, chunk_starts : numpy.ndarray
        The id stream (int32), sentence offsets (int64) and chunk sentence starts (int64).
    n_threads : int
    seed : int
        The random streams: chunk ``c`` of epoch ``e`` draws from (``seed``, e, c),
        whichever thread trains it.
    lockf : numpy.ndarray of float32, optional
        One factor per word on its input row's updates (0 freezes the row); None
        trains every row fully (and takes the fused SG-NS path).
    subwords : tuple, optional
        FastText: ``(syn0_ngrams, ngram_offsets, ngram_ids)``, the bucket matrix
        (float32, n_buckets x dim, writeable, rows laid out as the matrices above) and each word's bucket rows
        as CSR arrays (int64 offsets, n_words + 1; int32 ids below n_buckets). A word's
        input row is then the mean of its ``syn0`` row and its bucket rows. None (the
        default) trains word2vec.
    ngram_lockf : numpy.ndarray of float32, optional
        With ``subwords``: one factor per bucket row on its updates; None trains all fully.

    Raises
    ------
    TypeError
        If ``params`` is not a TrainParams.
    ValueError
        If an array has the wrong type or shape, or holds an index out of range.
    """
    cdef TrainConfig cfg
    cdef ThreadState **states
    cdef int n_threads
    cdef int64_t max_in
    cdef int64_t max_out
    cdef int64_t counters[2]
    cdef int64_t all_chunks     # cfg.n_chunks bounds the current round (see begin_round)
    cdef int stop_flag
    cdef list _keep

    def __cinit__(self):
        self.states = NULL
        self.n_threads = 0

    def __init__(self, params, vocab, syn0, syn1, syn1neg, ids, sent_offsets, chunk_starts,
                 int n_threads, uint64_t seed, lockf=None, subwords=None, ngram_lockf=None):
        if not isinstance(params, TrainParams):
            raise TypeError(
                f"params must be a fastw2v.kernels.TrainParams, got {type(params).__name__}")
        self._keep = []
        if syn0 is None:  # floret: the words' inputs are bucket rows only
            if subwords is None or lockf is not None:
                raise ValueError("syn0=None (no word rows) needs subwords and no lockf")
            n_words = len(vocab.sample_int)
            _, dim, _ = _check_matrix("syn0_ngrams", subwords[0], None, None)
            self.cfg.syn0_pitch = 0
        else:
            n_words, dim, self.cfg.syn0_pitch = _check_matrix("syn0", syn0, None, None)
        if dim < 1 or n_words < 1 or n_threads < 1:
            raise ValueError("vector size, vocabulary and threads must be positive")
        self.cfg.dim = dim
        self.cfg.n_words = n_words
        self.cfg.syn0 = self._f32(syn0) if syn0 is not None else NULL
        self._set_settings(params)
        self.max_in = 2 * <int64_t>self.cfg.settings.window
        self.max_out = 0
        if self.cfg.settings.hs:
            self._set_huffman(syn1, vocab)
        if self.cfg.settings.negative:
            self._set_negatives(syn1neg, vocab)
        sample_int = self._arr(vocab.sample_int, np.uint32, n_words, "vocab.sample_int")
        self.cfg.sample_int = <const uint32_t *><size_t>sample_int.ctypes.data
        table = self._arr(sigmoid_table(), np.float32, SIGMOID_TABLE_SIZE, "sigmoid")
        self.cfg.sigmoid_table = <const float *><size_t>table.ctypes.data
        max_sentence = self._set_stream(ids, sent_offsets, chunk_starts)
        self._set_hot_nodes(n_threads)
        self.cfg.lockf = NULL
        if lockf is not None:
            lockf = self._arr(lockf, np.float32, n_words, "lockf")
            self.cfg.lockf = <const float *><size_t>lockf.ctypes.data
        self._set_subwords(subwords, ngram_lockf)
        self.cfg.seed = seed
        self.cfg.epoch = -1  # begin_epoch() starts epoch 0
        self._new_states(n_threads, max_sentence, seed)

    cdef _set_settings(self, params):
        self.cfg.settings = dataclasses.asdict(params)
        # The nogil code sizes buffers by window and negative, writes syn1neg rows
        # for NS and reads Huffman paths for HS: these guard its memory.
        if self.cfg.settings.window < 1:
            raise ValueError("window must be positive")
        if not (self.cfg.settings.hs or self.cfg.settings.negative > 0) \
                or self.cfg.settings.negative < 0:
            raise ValueError("hs or negative must be on, negative must be >= 0")
        if self.cfg.settings.hot_nodes < 0 or self.cfg.settings.sync_words < 1:
            raise ValueError("hot_nodes must be >= 0 and sync_words >= 1")

    cdef _set_huffman(self, syn1, vocab):
        cdef int32_t n_nodes = max(self.cfg.n_words - 1, 1)
        # One row per word, gensim's shape; the tree's n - 1 inner nodes use the first rows.
        _, _, self.cfg.syn1_pitch = _check_matrix("syn1", syn1, self.cfg.n_words, self.cfg.dim)
        self.cfg.syn1 = self._f32(syn1)
        offsets = self._arr(vocab.path_offsets, np.int64, self.cfg.n_words + 1,
                            "vocab.path_offsets")
        codes = self._arr(vocab.codes, np.uint8, None, "vocab.codes")
        points = self._arr(vocab.points, np.int32, None, "vocab.points")
        if offsets[0] != 0 or np.any(np.diff(offsets) < 1) or offsets[len(offsets) - 1] != len(codes) \
                or len(points) != len(codes):
            raise ValueError("inconsistent Huffman tables")
        if len(points) and (points.min() < 0 or points.max() >= n_nodes):
            raise ValueError("Huffman points out of range")
        self.cfg.path_offsets = <const int64_t *><size_t>offsets.ctypes.data
        self.cfg.codes = <const uint8_t *><size_t>codes.ctypes.data
        self.cfg.points = <const int32_t *><size_t>points.ctypes.data
        self.max_out = int(np.max(np.diff(offsets)))

    cdef _set_negatives(self, syn1neg, vocab):
        _, _, self.cfg.syn1neg_pitch = _check_matrix("syn1neg", syn1neg, self.cfg.n_words,
                                                     self.cfg.dim)
        self.cfg.syn1neg = self._f32(syn1neg)
        alias = self._alias(vocab.alias, self.cfg.n_words)
        self.cfg.alias = <const uint32_t *><size_t>alias.ctypes.data
        self.max_out = max(self.max_out, 1 + self.cfg.settings.negative)

    cdef _set_stream(self, ids, sent_offsets, chunk_starts):
        """Point the config at the corpus; return the longest sentence's length."""
        ids = self._arr(ids, np.int32, None, "ids")
        sent_offsets = self._arr(sent_offsets, np.int64, None, "sent_offsets")
        chunk_starts = self._arr(chunk_starts, np.int64, None, "chunk_starts")
        n_sent = len(sent_offsets) - 1
        if n_sent < 0 or sent_offsets[0] != 0 or sent_offsets[n_sent] != len(ids) \
                or np.any(np.diff(sent_offsets) < 0):
            raise ValueError("sentence offsets do not describe the id stream")
        if len(ids) and (int(ids.min()) < 0 or int(ids.max()) >= self.cfg.n_words):
            raise ValueError("id stream holds indices outside the vocabulary")
        if len(chunk_starts) < 1 or chunk_starts[0] != 0 or chunk_starts[len(chunk_starts) - 1] != n_sent \
                or np.any(np.diff(chunk_starts) < 0):
            raise ValueError("chunk starts do not cover the sentences")
        self.cfg.ids = <const int32_t *><size_t>(ids.ctypes.data if len(ids) else 0)
        self.cfg.sent_offsets = <const int64_t *><size_t>sent_offsets.ctypes.data
        self.cfg.chunk_starts = <const int64_t *><size_t>chunk_starts.ctypes.data
        self.cfg.n_chunks = len(chunk_starts) - 1
        self.all_chunks = self.cfg.n_chunks
        self.counters[0] = 0
        self.counters[1] = 0
        self.stop_flag = 0
        self.cfg.next_chunk = &self.counters[0]
        self.cfg.schedule_done = &self.counters[1]
        self.cfg.stop = &self.stop_flag
        return int(np.max(np.diff(sent_offsets))) if n_sent else 1

    cdef _set_subwords(self, subwords, ngram_lockf):
        """Point the config at FastText's bucket matrix and n-gram table, checked here so
        the nogil loop can index them unchecked (NULL without subwords: word2vec)."""
        self.cfg.syn0_ngrams = NULL
        self.cfg.ngram_offsets = NULL
        self.cfg.ngram_ids = NULL
        self.cfg.ngram_lockf = NULL
        if subwords is None:
            if ngram_lockf is not None:
                raise ValueError("ngram_lockf needs subwords")
            return
        syn0_ngrams, offsets, ids = subwords
        n_buckets, _, self.cfg.ngrams_pitch = _check_matrix("syn0_ngrams", syn0_ngrams, None,
                                                            self.cfg.dim)
        offsets = self._arr(offsets, np.int64, self.cfg.n_words + 1, "ngram_offsets")
        ids = self._arr(ids, np.int32, None, "ngram_ids")
        _check_ngram_table(offsets, ids, self.cfg.n_words, n_buckets, self.cfg.syn0 != NULL)
        self.cfg.syn0_ngrams = self._f32(syn0_ngrams)
        self.cfg.ngram_offsets = <const int64_t *><size_t>offsets.ctypes.data
        self.cfg.ngram_ids = <const int32_t *><size_t>(ids.ctypes.data if len(ids) else 0)
        if ngram_lockf is not None:
            ngram_lockf = self._arr(ngram_lockf, np.float32, n_buckets, "ngram_lockf")
            self.cfg.ngram_lockf = <const float *><size_t>ngram_lockf.ctypes.data

    cdef _set_hot_nodes(self, int n_threads):
        # Private hot nodes only pay when threads share them (see TrainConfig). Inner
        # nodes are numbered in the order the Huffman build creates them, so the last
        # ones are the root and the nodes nearest it.
        hot = self.cfg.settings.hot_nodes if n_threads > 1 and self.cfg.settings.hs else 0
        n_nodes = max(self.cfg.n_words - 1, 1)
        self.cfg.hot_hs_hi = n_nodes if hot else 0
        self.cfg.hot_hs_lo = max(n_nodes - hot, 0) if hot else 0
        self.cfg.sync_interval = self.cfg.settings.sync_words if hot else (1 << 62)
        self.cfg.hs_prefetch_below = min(self.cfg.hot_hs_lo if hot else n_nodes,
                                         max(n_nodes - ROOT_NODES_CACHED, 0))

    cdef _new_states(self, int n_threads, int64_t max_sentence, uint64_t seed):
        cdef int t
        self.states = <ThreadState **>calloc(n_threads, sizeof(ThreadState *))
        if self.states == NULL:
            raise MemoryError()
        self.n_threads = n_threads
        for t in range(n_threads):
            self.states[t] = new_thread_state(&self.cfg, max_sentence, self.max_in, self.max_out,
                                              seed, t)

    cdef float *_f32(self, a) except NULL:
        """A checked model matrix's first float (_check_matrix), kept alive with the job."""
        self._keep.append(a)
        return _rows_ptr(a)

    def _arr(self, a, dtype, expected_len, name):
        a = np.ascontiguousarray(a, dtype=dtype)
        if a.ndim != 1 or (expected_len is not None and len(a) != expected_len):
            raise ValueError(f"{name} must be 1-D of length {expected_len}, got shape {a.shape}")
        self._keep.append(a)
        return a

    def _alias(self, alias, int32_t n_words):
        """The packed alias table, as given: thresholds in column 0, aliases in column 1."""
        if alias is None:
            raise ValueError("negative sampling needs vocab.alias (see fastw2v.vocab.alias_table)")
        alias = np.ascontiguousarray(alias, dtype=np.uint32)
        if alias.shape != (n_words, 2):
            raise ValueError(f"vocab.alias must have shape ({n_words}, 2), got {alias.shape}")
        if alias[:, 1].max() >= n_words:
            raise ValueError("alias table out of range")
        self._keep.append(alias)
        return alias

    def __dealloc__(self):
        cdef int t
        if self.states != NULL:
            for t in range(self.n_threads):
                free_thread_state(self.states[t])
            free(self.states)
            self.states = NULL

    def begin_epoch(self):
        """Rewind the chunk counter for another pass over the stream (with fresh draws)."""
        self.counters[0] = 0
        self.cfg.epoch += 1
        self.cfg.n_chunks = self.all_chunks

    def begin_round(self, int64_t first_chunk, int64_t end_chunk):
        """Make the next ``run_thread`` calls train chunks ``[first_chunk, end_chunk)`` only.

        For distributed training, which merges the ranks' models between rounds of
        an epoch; call it while no thread runs.
        """
        if not 0 <= first_chunk <= end_chunk <= self.all_chunks:
            raise ValueError(f"round [{first_chunk}, {end_chunk}) is not within the "
                             f"{self.all_chunks} chunks")
        self.counters[0] = first_chunk
        self.cfg.n_chunks = end_chunk

    def set_words_done(self, int64_t words):
        """Move the learning-rate schedule to ``words`` of ``schedule_total`` (global progress)."""
        if words < 0:
            raise ValueError("words must be >= 0")
        self.counters[1] = words

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
    def settings(self):
        """The settings the kernels read (a dict of the TrainSettings struct's fields)."""
        return self.cfg.settings

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
