"""Per-thread state: one allocation per thread, laid out by one function.

Part of the _train modules (see _train_impl.pxi). TrainJob and the test twins
get their ThreadState from :func:`new_thread_state` and give it back with
:func:`free_thread_state`, so both run on the same buffers. Adding a per-thread
buffer is a ThreadState field (_train_decl.pxi) and one line in
:func:`lay_out_state`.
"""
from libc.stdlib cimport free


cdef inline void *carve(char *base, size_t *at, size_t n) noexcept nogil:
    """The next ``n`` bytes of ``base`` on whole cache-line pairs (NULL when ``n`` is 0,
    or while only measuring, with ``base`` NULL)."""
    cdef size_t start = at[0]
    if n == 0:
        return NULL
    at[0] = start + fw_lines(n)
    return base + start if base != NULL else NULL


cdef size_t lay_out_state(ThreadState *st, char *base, const TrainConfig *cfg,
                          int64_t max_sentence, int64_t max_in, int64_t max_out) noexcept nogil:
    """Point every buffer of ``st`` into ``base``; return the bytes they take.

    Each buffer starts on its own cache-line pair (as separate fw_alloc_lines
    calls would). With ``base`` NULL this only measures.
    """
    cdef size_t at = 0
    cdef int64_t dim = cfg.dim
    cdef int64_t n_neg = max(cfg.settings.negative, 1)
    # The private hot rows are syn1's pitch apart, as syn1's rows (resolve_outputs).
    cdef int64_t n_hot = <int64_t>(cfg.hot_hs_hi - cfg.hot_hs_lo) * cfg.syn1_pitch
    cdef int64_t n_ring = max_in + 1 if cfg.ngram_offsets != NULL else 0
    st.sentence = <int32_t *>carve(base, &at, max_sentence * sizeof(int32_t))
    st.in_rows = <int32_t *>carve(base, &at, max_in * sizeof(int32_t))
    st.in_ptrs = <float **>carve(base, &at, max_in * sizeof(float *))
    st.out_rows = <int32_t *>carve(base, &at, max_out * sizeof(int32_t))
    st.out_ptrs = <float **>carve(base, &at, max_out * sizeof(float *))
    st.labels = <float *>carve(base, &at, max_out * sizeof(float))
    # Two blocks of grads: the window's, and room to merge repeated rows (SG-NS).
    st.grads = <float *>carve(base, &at, 2 * max_in * max_out * sizeof(float))
    # Rows of the input gradients and of the ring on whole lines (fw_line_pitch).
    st.line_pitch = fw_line_pitch(dim)
    st.grad_in = <float *>carve(base, &at, max_in * st.line_pitch * sizeof(float))
    st.hidden = <float *>carve(base, &at, dim * sizeof(float))
    # Only a FastText job has the ring of positions; a word2vec job's state is as before.
    st.n_ring = <int32_t>n_ring
    st.ring_rows = <float *>carve(base, &at, n_ring * st.line_pitch * sizeof(float))
    st.ring_grads = <float *>carve(base, &at, n_ring * st.line_pitch * sizeof(float))
    st.ring_factor = <float *>carve(base, &at, n_ring * sizeof(float))
    st.ring_count = <float *>carve(base, &at, n_ring * sizeof(float))
    st.ctx_slot = <int32_t *>carve(base, &at, (max_in if n_ring else 0) * sizeof(int32_t))
    st.ctx_rows = <float **>carve(base, &at, (max_in if n_ring else 0) * sizeof(float *))
    st.ctx_weight = <float *>carve(base, &at, (max_in if n_ring else 0) * sizeof(float))
    st.negatives = <int32_t *>carve(base, &at, n_neg * sizeof(int32_t))
    st.neg_batch = <int32_t *>carve(base, &at, NEG_BATCH_WINDOWS * n_neg * sizeof(int32_t))
    st.hot_hs_rows = <float *>carve(base, &at, n_hot * sizeof(float))
    st.hot_hs_base = <float *>carve(base, &at, n_hot * sizeof(float))
    return at


cdef ThreadState *new_thread_state(const TrainConfig *cfg, int64_t max_sentence, int64_t max_in,
                                   int64_t max_out, uint64_t seed, int t) except NULL:
    """A zeroed ThreadState for thread ``t`` with room for sentences of ``max_sentence``
    words and blocks of ``max_in`` x ``max_out`` rows, its random stream seeded from
    ``seed`` and ``t``. Free it with :func:`free_thread_state`."""
    cdef ThreadState measured
    cdef size_t head = fw_lines(sizeof(ThreadState))
    cdef size_t size = lay_out_state(&measured, NULL, cfg, max(max_sentence, 1), max_in, max_out)
    cdef char *block = <char *>fw_alloc_lines(head + size)
    if block == NULL:
        raise MemoryError()
    cdef ThreadState *st = <ThreadState *>block
    lay_out_state(st, block + head, cfg, max(max_sentence, 1), max_in, max_out)
    st.rng = mix64(mix64(seed) + <uint64_t>t)  # scattered starts (see start_chunk_stream)
    return st


cdef inline void free_thread_state(ThreadState *st) noexcept nogil:
    free(st)  # the state and its buffers are one block
