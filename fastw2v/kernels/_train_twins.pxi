"""Test twins: the kernels' own window update, block gradients and negative sampler,
callable from Python.

Part of the _train modules (see _train_impl.pxi), so every build (baseline,
AVX2, AVX-512) has them. Each twin builds a TrainConfig by hand, takes its ThreadState
from :func:`new_thread_state` like TrainJob, and runs one piece of the
production code with known inputs, so tests can compare it with numpy.
"""
import numpy as np

from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.string cimport memcpy, memset


def window_update(syn0, syn1, syn1neg, int32_t centre, context, negatives, codes, points,
                  float alpha, int sg=1, int cbow_mean=1, int compute_loss=0, lockf=None,
                  syn0_ngrams=None, ngram_offsets=None, ngram_ids=None, ngram_lockf=None,
                  word_rows=True):
    """Apply one window's update with known draws: the kernel's own code, callable from Python.

    Calls ``sg_window`` / ``cbow_window`` with the negative draws replaced by
    ``negatives`` (a draw equal to ``centre`` is dropped, as in training) and the
    centre word's Huffman path given by ``codes``/``points``, so tests can compare
    it with a numpy reference. Pass ``syn1=None`` for NS only and ``syn1neg=None``
    for HS only; ``lockf`` (float32, one per word) scales each input row's update.
    With ``syn0_ngrams`` (and the CSR ``ngram_offsets``/``ngram_ids``; ``ngram_lockf``
    optional) it runs FastText's ``ft_sg_window`` / ``ft_cbow_window`` instead, each
    context word a position that enters the ring before the window (``ft_build``) and
    leaves it after (``ft_flush``). ``word_rows=False`` is floret's case: the words
    have no rows of their own (``syn0`` only gives the vocabulary's size and is left
    as it is), each word's input is the mean of its bucket rows.
    Returns the loss of the window.
    """
    cdef TrainConfig cfg
    cdef ThreadState *st
    cdef int n_ctx, r, d
    cdef bint in_place
    cdef double loss
    n_words, dim, syn0_pitch = _check_matrix("syn0", syn0, None, None)
    context = np.ascontiguousarray(context, np.int32)
    negatives = np.ascontiguousarray(negatives, np.int32)
    codes = np.ascontiguousarray(codes, np.uint8)
    points = np.ascontiguousarray(points, np.int32)
    n_ctx = len(context)
    if not 1 <= n_ctx <= 64 or context.min() < 0 or context.max() >= n_words \
            or not 0 <= centre < n_words:
        raise ValueError("context (1..64 words) or centre out of range")
    if len(negatives) and (negatives.min() < 0 or negatives.max() >= n_words):
        raise ValueError("negatives out of range")
    memset(&cfg, 0, sizeof(cfg))
    cfg.dim = dim
    cfg.n_words = n_words
    cfg.settings.sg = sg
    cfg.settings.cbow_mean = cbow_mean
    cfg.settings.compute_loss = compute_loss
    table = sigmoid_table()
    cfg.sigmoid_table = <const float *><size_t>table.ctypes.data
    cfg.syn0 = _rows_ptr(syn0)
    cfg.syn0_pitch = syn0_pitch
    path_offsets = np.zeros(n_words + 1, np.int64)
    path_offsets[centre + 1:] = len(codes)
    if syn1 is not None:
        _, _, cfg.syn1_pitch = _check_matrix("syn1", syn1, None, dim)
        if len(codes) < 1 or len(points) != len(codes) or points.min() < 0 \
                or points.max() >= syn1.shape[0]:
            raise ValueError("Huffman path out of range")
        cfg.settings.hs = 1
        cfg.syn1 = _rows_ptr(syn1)
        cfg.codes = <const uint8_t *><size_t>codes.ctypes.data
        cfg.points = <const int32_t *><size_t>points.ctypes.data
        cfg.path_offsets = <const int64_t *><size_t>path_offsets.ctypes.data
    if syn1neg is not None:
        _, _, cfg.syn1neg_pitch = _check_matrix("syn1neg", syn1neg, n_words, dim)
        cfg.syn1neg = _rows_ptr(syn1neg)
        cfg.settings.negative = len(negatives)
        if cfg.settings.negative == 0:
            raise ValueError("negative sampling needs at least one negative")
    if not (cfg.settings.hs or cfg.settings.negative):
        raise ValueError("give syn1 (HS) or syn1neg (NS)")
    if lockf is not None:
        lockf = np.ascontiguousarray(lockf, np.float32)
        if lockf.shape != (n_words,):
            raise ValueError("lockf needs one factor per word")
        cfg.lockf = <const float *><size_t>lockf.ctypes.data
    keep = _twin_subwords(&cfg, syn0_ngrams, ngram_offsets, ngram_ids, ngram_lockf, word_rows)
    st = new_thread_state(&cfg, n_ctx, n_ctx, max(len(codes), len(negatives) + 1), 1, 0)
    try:
        for r in range(n_ctx):
            st.in_rows[r] = context[r]
            st.sentence[r] = context[r]  # the window's update may use in_rows as scratch
        for d in range(cfg.settings.negative):
            st.negatives[d] = negatives[d]
        with nogil:
            if cfg.ngram_offsets != NULL:  # the window alone: every position enters and leaves
                in_place = ft_in_place(&cfg)
                for r in range(n_ctx):
                    ft_build(&cfg, st, r, st.in_rows[r], in_place)
                    st.ctx_slot[r] = r
                if sg:
                    ft_sg_window(&cfg, st, centre, n_ctx, alpha, in_place)
                else:
                    ft_cbow_window(&cfg, st, centre, n_ctx, alpha, in_place)
                for r in range(n_ctx):
                    ft_flush(&cfg, st, r, st.sentence[r], in_place)
            elif sg:
                sg_window(&cfg, st, centre, n_ctx, alpha)
            else:
                cbow_window(&cfg, st, centre, n_ctx, alpha)
        loss = st.loss
    finally:
        free_thread_state(st)
    return loss


def ft_sentence_update(syn0, syn1, sentence, codes, points, path_offsets, float alpha,
                       int window, syn0_ngrams, ngram_offsets, ngram_ids, int sg=1,
                       int cbow_mean=1, syn1neg=None, negatives=None, word_rows=True):
    """Train one sentence with FastText: the kernel's own ``ft_train_sentence``
    (positions entering and leaving the ring, gradients collected or composites moved in
    place, flushes), with every word kept and the full window, so tests can compare it
    with a numpy reference.

    Hierarchical softmax with ``syn1`` (``codes``/``points``/``path_offsets``: each
    word's Huffman path as CSR arrays; ignored when ``syn1`` is None), negative sampling
    with ``syn1neg`` and ``negatives``: one row of draws per window that has a context
    word (every position, for sentences of two or more words), used in order instead of
    the kernel's random draws. ``word_rows=False``: floret (see :func:`window_update`).
    Returns the loss."""
    cdef TrainConfig cfg
    cdef ThreadState *st
    cdef double loss
    cdef int64_t d
    n_words, dim, syn0_pitch = _check_matrix("syn0", syn0, None, None)
    sentence = np.ascontiguousarray(sentence, np.int32)
    n = len(sentence)
    if not 1 <= n <= 1000 or sentence.min() < 0 or sentence.max() >= n_words or window < 1:
        raise ValueError("sentence (1..1000 words in the vocabulary) or window out of range")
    if syn1 is None and syn1neg is None:
        raise ValueError("give syn1 (HS) or syn1neg and negatives (NS)")
    memset(&cfg, 0, sizeof(cfg))
    cfg.dim = dim
    cfg.n_words = n_words
    cfg.settings.sg = sg
    cfg.settings.cbow_mean = cbow_mean
    cfg.settings.window = window
    table = sigmoid_table()
    cfg.sigmoid_table = <const float *><size_t>table.ctypes.data
    keep_all = np.full(n_words, 0xFFFFFFFF, np.uint32)
    cfg.sample_int = <const uint32_t *><size_t>keep_all.ctypes.data
    ids = sentence
    cfg.ids = <const int32_t *><size_t>ids.ctypes.data
    cfg.syn0 = _rows_ptr(syn0)
    cfg.syn0_pitch = syn0_pitch
    max_out = 1
    if syn1 is not None:
        _, _, cfg.syn1_pitch = _check_matrix("syn1", syn1, None, dim)
        codes = np.ascontiguousarray(codes, np.uint8)
        points = np.ascontiguousarray(points, np.int32)
        path_offsets = np.ascontiguousarray(path_offsets, np.int64)
        if path_offsets.shape != (n_words + 1,) or path_offsets[0] != 0 \
                or path_offsets[n_words] != len(codes) or len(points) != len(codes) \
                or np.any(np.diff(path_offsets) < 1) or points.min() < 0 \
                or points.max() >= syn1.shape[0]:
            raise ValueError("Huffman paths out of range")
        cfg.settings.hs = 1
        cfg.syn1 = _rows_ptr(syn1)
        cfg.codes = <const uint8_t *><size_t>codes.ctypes.data
        cfg.points = <const int32_t *><size_t>points.ctypes.data
        cfg.path_offsets = <const int64_t *><size_t>path_offsets.ctypes.data
        max_out = int(np.max(np.diff(path_offsets)))
    if syn1neg is not None:
        _, _, cfg.syn1neg_pitch = _check_matrix("syn1neg", syn1neg, n_words, dim)
        negatives = np.ascontiguousarray(negatives, np.int32)
        windows = n if n > 1 else 0
        if negatives.ndim != 2 or negatives.shape[0] != windows or negatives.shape[1] < 1 \
                or negatives.shape[0] + NEG_PREFETCH_AHEAD > NEG_BATCH_WINDOWS \
                or (negatives.size and (negatives.min() < 0 or negatives.max() >= n_words)):
            raise ValueError(f"negatives must be ({windows}, k) words, at most "
                             f"{NEG_BATCH_WINDOWS - NEG_PREFETCH_AHEAD} windows")
        cfg.settings.negative = negatives.shape[1]
        cfg.syn1neg = _rows_ptr(syn1neg)
        max_out = max(max_out, negatives.shape[1] + 1)
        # The draws in the order the windows take them, padded by the windows
        # draw_negatives prefetches ahead, so that it never refills.
        draws = np.concatenate([negatives.ravel(),
                                np.zeros(NEG_PREFETCH_AHEAD * negatives.shape[1], np.int32)])
    keep = _twin_subwords(&cfg, syn0_ngrams, ngram_offsets, ngram_ids, None, word_rows)
    if keep is None:
        raise ValueError("ft_sentence_update needs syn0_ngrams and the n-gram table")
    st = new_thread_state(&cfg, n, 2 * window, max_out, 1, 0)
    try:
        if syn1neg is not None:
            for d in range(len(draws)):
                st.neg_batch[d] = draws[d]
            st.neg_len = len(draws)
            st.neg_pos = 0
        with nogil:
            ft_train_sentence(&cfg, st, 0, n, alpha)
        loss = st.loss
    finally:
        free_thread_state(st)
    return loss


cdef _twin_subwords(TrainConfig *cfg, syn0_ngrams, ngram_offsets, ngram_ids, ngram_lockf,
                    word_rows):
    """Point ``cfg`` at checked FastText tables (nothing when ``syn0_ngrams`` is None;
    no word rows unless ``word_rows``); return the arrays it points into, to keep alive."""
    if syn0_ngrams is None:
        if not word_rows:
            raise ValueError("word_rows=False needs syn0_ngrams")
        return None
    if not word_rows:
        if cfg.lockf != NULL:
            raise ValueError("lockf is for word rows: not with word_rows=False")
        cfg.syn0 = NULL
    n_buckets, _, cfg.ngrams_pitch = _check_matrix("syn0_ngrams", syn0_ngrams, None, cfg.dim)
    offsets = np.ascontiguousarray(ngram_offsets, np.int64)
    ids = np.ascontiguousarray(ngram_ids, np.int32)
    _check_ngram_table(offsets, ids, cfg.n_words, n_buckets, word_rows)
    cfg.syn0_ngrams = _rows_ptr(syn0_ngrams)
    cfg.ngram_offsets = <const int64_t *><size_t>offsets.ctypes.data
    cfg.ngram_ids = <const int32_t *><size_t>(ids.ctypes.data if len(ids) else 0)
    if ngram_lockf is not None:
        ngram_lockf = np.ascontiguousarray(ngram_lockf, np.float32)
        if ngram_lockf.shape != (n_buckets,):
            raise ValueError("ngram_lockf needs one factor per bucket row")
        cfg.ngram_lockf = <const float *><size_t>ngram_lockf.ctypes.data
    return offsets, ids, ngram_lockf


def block_gradients(x, o, labels, float alpha, bint skip_saturated=False, int compute_loss=0):
    """The scores and gradients of one block: the kernel's own ``block_scores``.

    ``x`` (n_in x dim) and ``o`` (n_out x dim) are float32 rows, ``labels`` one per
    output. Returns ``(scores, grads, loss)``: the dot products x_r . o_k as the build
    sums them (``fw_scores``), then ``(labels[k] - sigmoid(score)) * alpha`` per score
    from ``block_scores`` (no gradient outside (-MAX_EXP, MAX_EXP) with
    ``skip_saturated``), and the loss when ``compute_loss``."""
    cdef TrainConfig cfg
    cdef ThreadState *st
    cdef int r, k, n_in, n_out
    cdef float *x0
    cdef float *o0
    cdef double loss
    x = np.ascontiguousarray(x, np.float32)
    o = np.ascontiguousarray(o, np.float32)
    labels = np.ascontiguousarray(labels, np.float32)
    if x.ndim != 2 or o.ndim != 2 or x.shape[1] != o.shape[1] or x.shape[1] < 1 \
            or not 1 <= x.shape[0] <= 64 or not 1 <= o.shape[0] <= 64 \
            or labels.shape != (o.shape[0],):
        raise ValueError("x (1..64 x dim), o (1..64 x dim) and one label per row of o")
    n_in, n_out = x.shape[0], o.shape[0]
    memset(&cfg, 0, sizeof(cfg))
    cfg.dim = x.shape[1]
    cfg.n_words = 1
    cfg.settings.compute_loss = compute_loss
    table = sigmoid_table()
    cfg.sigmoid_table = <const float *><size_t>table.ctypes.data
    scores = np.zeros((n_in, n_out), np.float32)
    grads = np.zeros((n_in, n_out), np.float32)
    st = new_thread_state(&cfg, 1, n_in, n_out, 1, 0)
    try:
        x0, o0 = _rows_ptr(x), _rows_ptr(o)
        for r in range(n_in):
            st.in_ptrs[r] = x0 + <int64_t>r * cfg.dim
        for k in range(n_out):
            st.out_ptrs[k] = o0 + <int64_t>k * cfg.dim
            st.labels[k] = labels[k]
        with nogil:
            fw_scores(st.in_ptrs, n_in, st.out_ptrs, n_out, cfg.dim, st.grads)
        memcpy(_rows_ptr(scores), st.grads, n_in * n_out * sizeof(float))
        with nogil:
            block_scores(&cfg, st, n_in, n_out, alpha, skip_saturated)
        memcpy(_rows_ptr(grads), st.grads, n_in * n_out * sizeof(float))
        loss = st.loss
    finally:
        free_thread_state(st)
    return scores, grads, loss


def negative_draws(alias, int negative, int windows, uint64_t seed=1):
    """``windows`` x ``negative`` draws of the kernel's negative sampler, for tests.

    Runs the training path itself (batched draws from the packed alias table of
    :func:`fastw2v.vocab.alias_table`) on a thread state seeded like thread 0 of
    a job with ``seed``.
    """
    cdef TrainConfig cfg
    cdef ThreadState *st
    cdef int w, d
    cdef int32_t[:, ::1] out
    table = np.ascontiguousarray(alias, np.uint32)
    n_words = len(table)
    if n_words < 1 or table.shape != (n_words, 2) or table[:, 1].max() >= n_words \
            or negative < 1 or windows < 0:
        raise ValueError("a packed (n, 2) alias table with aliases in range, negative >= 1")
    rows = np.zeros((n_words, 1), np.float32)  # prefetched, never read
    result = np.zeros((windows, negative), np.int32)
    out = result
    memset(&cfg, 0, sizeof(cfg))
    cfg.n_words = n_words
    cfg.settings.negative = negative
    cfg.dim = 1
    cfg.alias = <const uint32_t *><size_t>table.ctypes.data
    cfg.syn1neg = <float *><size_t>rows.ctypes.data
    cfg.syn1neg_pitch = 1
    st = new_thread_state(&cfg, 1, 1, 1 + negative, seed, 0)
    try:
        empty_negative_batch(&cfg, st)
        for w in range(windows):
            draw_negatives(&cfg, st)
            for d in range(negative):
                out[w, d] = st.negatives[d]
    finally:
        free_thread_state(st)
    return result
