"""The nogil training kernels: random draws, block updates, windows, sentences, chunks.

Part of the _train modules (see _train_impl.pxi). Everything here runs without
the GIL on a TrainConfig (shared) and a ThreadState (this thread's), with no
bounds checks: TrainJob has checked every index before the first call. The small
dense algebra is C, in fw_block.h, fw_scores.h and fw_fused.h; atomics, allocation and
prefetch in fw_memory.h.
"""
from libc.math cimport exp, log1p
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.string cimport memcpy, memmove, memset

cdef enum:
    NEG_BATCH_WINDOWS = 256   # windows of negative draws made per batch (5 KB with 5)
    NEG_PREFETCH_AHEAD = 2    # windows between a negative row's prefetch and its use
    ROOT_NODES_CACHED = 64    # HS nodes nearest the root (about six levels), never prefetched

cdef extern from "fw_memory.h" nogil:
    int64_t fw_atomic_add_i64(int64_t *p, int64_t v)
    int64_t fw_atomic_load_i64(int64_t *p)
    int fw_atomic_load_int(int *p)
    void fw_atomic_store_int(int *p, int v)
    size_t fw_lines(size_t n)
    void *fw_alloc_lines(size_t n)
    int64_t fw_line_pitch(int64_t n)
    void fw_prefetch(const void *p)
    void fw_prefetch_row(const float *p, int dim)

cdef extern from "fw_block.h" nogil:
    void fw_add_rows(float *y, const float *rows, const int32_t *ids, int64_t m, int n,
                     int64_t pitch)
    void fw_add_to_rows(float *rows, const int32_t *ids, int64_t m, float a, const float *g,
                        int n, int64_t pitch)
    void fw_weighted_sum(float *y, float * const *x, const float *w, int m, int n)
    void fw_add_to_each(float * const *y, int m, float a, const float *g, int n)

cdef extern from "fw_scores.h" nogil:
    void fw_scores(float * const *x, int n_in, float * const *o, int n_out, int n, float *out)
    void fw_grads(float *g, int n_in, int n_out, const float *labels, const float *table,
                  int size, int max_exp, float alpha, int skip_saturated)
    float fw_grad_one(float f, float label, const float *table, int size, int max_exp,
                      float alpha, int skip_saturated)

cdef extern from "fw_fused.h" nogil:
    void fw_fused_update(float * const *x, int n_in, float * const *o, int m, const float *g,
                         int n)
    void fw_fused_accumulate(float * const *x, int n_in, float *gin, float * const *o,
                             int n_out, const float *g, int n)
    enum: FW_FUSED_MAX_OUT



# ---------------------------------------------------------------- random numbers

cdef inline uint64_t mix64(uint64_t z) noexcept nogil:
    # splitmix64's finaliser: every input bit flips about half the output bits.
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EB
    return z ^ (z >> 31)


cdef inline uint64_t next_u64(ThreadState *st) noexcept nogil:
    # splitmix64: full 64-bit period, passes BigCrush, two multiplies per draw.
    st.rng += <uint64_t>0x9E3779B97F4A7C15
    return mix64(st.rng)


cdef inline uint32_t next_u32(ThreadState *st) noexcept nogil:
    return <uint32_t>(next_u64(st) >> 32)


cdef inline uint32_t bounded(ThreadState *st, uint32_t n) noexcept nogil:
    # Lemire's multiply-shift: uniform enough for n << 2**32, no division.
    return <uint32_t>((<uint64_t>next_u32(st) * n) >> 32)


cdef inline int32_t sample_negative(const TrainConfig *cfg, ThreadState *st) noexcept nogil:
    # One 64-bit draw: high half picks the alias slot, low half accepts or aliases.
    cdef uint64_t r = next_u64(st)
    cdef int32_t slot = <int32_t>(((r >> 32) * <uint64_t>cfg.n_words) >> 32)
    # Both loads, then a select: the accept/alias outcome is a coin flip the branch
    # predictor cannot learn (a mispredict per draw cost ~15% of the SG kernel).
    # Written as a mask, not `slot if ... else other`: GCC compiled that to a branch.
    cdef const uint32_t *entry = cfg.alias + 2 * <int64_t>slot  # one cache line holds both
    cdef uint32_t accept = <uint32_t>0 - <uint32_t>(<uint32_t>r < entry[0])
    return <int32_t>((<uint32_t>slot & accept) | (entry[1] & ~accept))


# ---------------------------------------------------------------- model rows

cdef inline float *syn0_row(const TrainConfig *cfg, int32_t w) noexcept nogil:
    return cfg.syn0 + <int64_t>w * cfg.syn0_pitch


cdef inline float *syn1_row(const TrainConfig *cfg, int32_t node) noexcept nogil:
    return cfg.syn1 + <int64_t>node * cfg.syn1_pitch


cdef inline float *syn1neg_row(const TrainConfig *cfg, int32_t w) noexcept nogil:
    return cfg.syn1neg + <int64_t>w * cfg.syn1neg_pitch


cdef inline float *bucket_row(const TrainConfig *cfg, int32_t b) noexcept nogil:
    return cfg.syn0_ngrams + <int64_t>b * cfg.ngrams_pitch


cdef inline float *grad_row(ThreadState *st, int r) noexcept nogil:
    """Input r's row of st.grad_in (rows on whole lines, as fw_fused.h writes them)."""
    return st.grad_in + <int64_t>r * st.line_pitch


# ---------------------------------------------------------------- small dense algebra

cdef inline void axpy(float a, const float *x, float *y, int n) noexcept nogil:
    cdef int i
    for i in range(n):
        y[i] = y[i] + a * x[i]


cdef inline void scale(float a, float *x, int n) noexcept nogil:
    cdef int i
    for i in range(n):
        x[i] = x[i] * a


cdef inline double log_loss(float f, float label) noexcept nogil:
    # -log sigmoid(+f) for a positive, -log sigmoid(-f) for a negative, computed
    # stably (no table: this runs only with compute_loss).
    cdef double z = f if label > 0.5 else -f
    if z > 0:
        return log1p(exp(-z))
    return -z + log1p(exp(z))


cdef void block_scores(const TrainConfig *cfg, ThreadState *st, int n_in, int n_out,
                       float alpha, bint skip_saturated) noexcept nogil:
    """st.grads[r, k] = (labels[k] - sigmoid(x_r . o_k)) * alpha, and the loss if asked
    (fw_scores, then fw_grads: fw_scores.h).

    With ``skip_saturated`` (hierarchical softmax) a score outside (-MAX_EXP, MAX_EXP)
    gets no gradient, as in word2vec.c and gensim: clipped to 0/1 instead, a node whose
    score saturated the wrong way keeps pushing with the full alpha * |row| on both rows,
    and at a large alpha (0.1 and up, CBOW) the two rows can grow without bound (seen:
    gensim's own test_cbow_hs_fromfile diverging in one run of many). Negative sampling
    keeps the clip, as both of them do.
    """
    cdef int r, k
    cdef float f
    cdef float *row
    fw_scores(st.in_ptrs, n_in, st.out_ptrs, n_out, cfg.dim, st.grads)
    if not cfg.settings.compute_loss:
        fw_grads(st.grads, n_in, n_out, st.labels, cfg.sigmoid_table, SIGMOID_TABLE_SIZE,
                 MAX_EXP, alpha, skip_saturated)
        return
    for r in range(n_in):  # the loss needs each score before it becomes a gradient
        row = st.grads + r * n_out
        for k in range(n_out):
            f = row[k]
            row[k] = fw_grad_one(f, st.labels[k], cfg.sigmoid_table, SIGMOID_TABLE_SIZE,
                                 MAX_EXP, alpha, skip_saturated)
            st.loss += log_loss(f, st.labels[k])


cdef inline int distinct_rows(float **ptrs, int n, int32_t *index_of) noexcept nogil:
    """Keep the first of each repeated row pointer, in order, in ptrs[0:n2]; return n2.
    index_of[i] is where ptrs[i] went."""
    cdef int i, j, n2 = 0
    for i in range(n):
        j = 0
        while j < n2 and ptrs[j] != ptrs[i]:
            j += 1
        index_of[i] = j
        if j == n2:
            ptrs[n2] = ptrs[i]
            n2 += 1
    return n2


cdef float *merged_grads(ThreadState *st, int n_in, int n_out, int n_in2, int n_out2,
                         const int32_t *row_of, const int32_t *col_of) noexcept nogil:
    """st.grads with the rows (columns) of repeated inputs (outputs) summed: the sum of
    both updates such a row takes in the block update (see _train_impl.pxi). st.grads
    itself when nothing repeats, else its second half. ``row_of`` NULL: the inputs are
    kept as they are."""
    cdef int r, k, r2
    cdef float *merged
    if n_in2 == n_in and n_out2 == n_out:
        return st.grads
    merged = st.grads + n_in * n_out
    memset(merged, 0, n_in2 * n_out2 * sizeof(float))
    for r in range(n_in):
        r2 = row_of[r] if row_of != NULL else r
        for k in range(n_out):
            merged[r2 * n_out2 + col_of[k]] += st.grads[r * n_out + k]
    return merged


cdef void fused_block_update(const TrainConfig *cfg, ThreadState *st, int n_in,
                             int n_out) noexcept nogil:
    """Apply st.grads to inputs and outputs in one sweep (fw_fused_update).

    The sweep writes each row once, so a row that appears twice (a context word
    repeated in the window, a word drawn twice as a negative) is first merged into
    one (merged_grads). Uses in_rows/out_rows as scratch (row_of, col_of): the window
    needs neither after its pointers are resolved.
    """
    cdef int n_in2 = distinct_rows(st.in_ptrs, n_in, st.in_rows)
    cdef int n_out2 = distinct_rows(st.out_ptrs, n_out, st.out_rows)
    cdef float *g = merged_grads(st, n_in, n_out, n_in2, n_out2, st.in_rows, st.out_rows)
    fw_fused_update(st.in_ptrs, n_in2, st.out_ptrs, n_out2, g, cfg.dim)


cdef void accumulate_block_update(const TrainConfig *cfg, ThreadState *st, int n_in,
                                  int n_out) noexcept nogil:
    """Apply st.grads in one sweep over the outputs (fw_fused_accumulate): the inputs'
    share added to st.grad_in, the outputs updated in place, a repeated output row (a
    word drawn twice as a negative) merged first. The inputs are only read, so they may
    repeat. Uses out_rows as scratch; in_rows (CBOW's context) is kept."""
    cdef int n_out2 = distinct_rows(st.out_ptrs, n_out, st.out_rows)
    cdef float *g = merged_grads(st, n_in, n_out, n_in, n_out2, NULL, st.out_rows)
    fw_fused_accumulate(st.in_ptrs, n_in, st.grad_in, st.out_ptrs, n_out2, g, cfg.dim)


cdef inline void resolve_outputs(ThreadState *st, float *matrix, int64_t pitch, float *hot_rows,
                                 int32_t hot_lo, int32_t hot_hi, int n_out) noexcept nogil:
    """Point st.out_ptrs at each output row (``pitch`` floats apart, as are the hot rows'
    private copies): the thread's private copy for hot rows."""
    cdef int k
    cdef int32_t row
    for k in range(n_out):
        row = st.out_rows[k]
        if row >= hot_lo and row < hot_hi:
            st.out_ptrs[k] = hot_rows + <int64_t>(row - hot_lo) * pitch
        else:
            st.out_ptrs[k] = matrix + <int64_t>row * pitch


cdef inline void hs_block(const TrainConfig *cfg, ThreadState *st, int32_t centre, int n_in,
                          float alpha) noexcept nogil:
    """The block update for the centre's Huffman path, its two updates in one sweep per six
    nodes, eight in the AVX-512 build (fw_fused_accumulate): a path never repeats a
    node, so the sweep's outputs are distinct rows, as it requires."""
    cdef int n_out = huffman_outputs(cfg, st, centre)
    resolve_outputs(st, cfg.syn1, cfg.syn1_pitch, st.hot_hs_rows, cfg.hot_hs_lo, cfg.hot_hs_hi,
                    n_out)
    block_scores(cfg, st, n_in, n_out, alpha, True)
    fw_fused_accumulate(st.in_ptrs, n_in, st.grad_in, st.out_ptrs, n_out, st.grads, cfg.dim)


cdef inline void ns_block(const TrainConfig *cfg, ThreadState *st, int32_t centre, int n_in,
                          float alpha) noexcept nogil:
    """The block update for the centre and its negatives in one sweep over them
    (accumulate_block_update): each output row is loaded and stored once."""
    cdef int n_out = negative_outputs(cfg, st, centre)
    resolve_outputs(st, cfg.syn1neg, cfg.syn1neg_pitch, NULL, 0, 0, n_out)  # NS: no private rows
    block_scores(cfg, st, n_in, n_out, alpha, False)
    accumulate_block_update(cfg, st, n_in, n_out)


# ---------------------------------------------------------------- hot rows

cdef void sync_rows(float *shared, float *rows, float *base, int64_t n) noexcept nogil:
    """Add this thread's change since the last sync to the shared rows; re-read them."""
    cdef int64_t i
    cdef float v
    for i in range(n):
        v = shared[i] + (rows[i] - base[i])
        shared[i] = v
        rows[i] = v
        base[i] = v


cdef void load_hot_rows(const TrainConfig *cfg, ThreadState *st) noexcept nogil:
    """Copy the hot rows into the thread's private rows (syn1's pitch apart, dim each)."""
    cdef int32_t node
    cdef int64_t at
    for node in range(cfg.hot_hs_lo, cfg.hot_hs_hi):
        at = <int64_t>(node - cfg.hot_hs_lo) * cfg.syn1_pitch
        memcpy(st.hot_hs_rows + at, syn1_row(cfg, node), cfg.dim * sizeof(float))
        memcpy(st.hot_hs_base + at, syn1_row(cfg, node), cfg.dim * sizeof(float))
    st.since_sync = 0


cdef void sync_hot_rows(const TrainConfig *cfg, ThreadState *st) noexcept nogil:
    cdef int32_t node
    cdef int64_t at
    for node in range(cfg.hot_hs_lo, cfg.hot_hs_hi):
        at = <int64_t>(node - cfg.hot_hs_lo) * cfg.syn1_pitch
        sync_rows(syn1_row(cfg, node), st.hot_hs_rows + at, st.hot_hs_base + at, cfg.dim)
    st.since_sync = 0


# ---------------------------------------------------------------- output sets

cdef inline int huffman_outputs(const TrainConfig *cfg, ThreadState *st, int32_t word) noexcept nogil:
    """Fill out_rows/labels with ``word``'s Huffman path; return its length."""
    cdef int64_t start = cfg.path_offsets[word]
    cdef int n = <int>(cfg.path_offsets[word + 1] - start)
    cdef int k
    for k in range(n):
        st.out_rows[k] = cfg.points[start + k]
        st.labels[k] = <float>(1 - cfg.codes[start + k])  # in int: no double round trip
    return n


cdef inline void refill_negatives(const TrainConfig *cfg, ThreadState *st) noexcept nogil:
    """Draw a batch of negatives, keeping the unused tail (already prefetched) in front.

    Drawn many at once, the alias-table loads of different draws overlap; drawn
    one window at a time, each waited on its load (perf: ~15% of the SG kernel
    on the draw, with the accept/alias branch mispredicted half the time).
    """
    cdef int64_t keep = st.neg_len - st.neg_pos, d
    memmove(st.neg_batch, st.neg_batch + st.neg_pos, keep * sizeof(int32_t))
    for d in range(keep, st.neg_len):
        st.neg_batch[d] = sample_negative(cfg, st)
    st.neg_pos = 0


cdef inline void empty_negative_batch(const TrainConfig *cfg, ThreadState *st) noexcept nogil:
    """Size the batch of draws for this config, empty: the first window draws one."""
    st.neg_len = NEG_BATCH_WINDOWS * cfg.settings.negative
    st.neg_pos = st.neg_len


cdef inline void draw_negatives(const TrainConfig *cfg, ThreadState *st) noexcept nogil:
    """The window's negatives into st.negatives; prefetch the rows of the window after next.

    Prefetching ahead gives the memory system whole window updates to bring the
    random output rows into cache (they miss it otherwise, and the forward pass
    waits on them). Two windows ahead rather than one: on 60 MB of IMDB, whose rows
    fill L3, CBOW-NS took 0.972 / 0.974x the CPU time and SG-NS
    0.980x; three ahead, 0.996x (benchmarks/README.md, "Session 12"). Drawing apart
    from the update also keeps the update a function of its inputs, so the test twin
    can feed it known draws.
    """
    cdef int d, k = cfg.settings.negative
    cdef int64_t ahead
    if st.neg_pos + (1 + NEG_PREFETCH_AHEAD) * k > st.neg_len:
        refill_negatives(cfg, st)
    memcpy(st.negatives, st.neg_batch + st.neg_pos, k * sizeof(int32_t))
    st.neg_pos += k
    ahead = st.neg_pos + (NEG_PREFETCH_AHEAD - 1) * k  # the window NEG_PREFETCH_AHEAD on
    for d in range(k):
        fw_prefetch_row(syn1neg_row(cfg, st.neg_batch[ahead + d]), cfg.dim)


cdef inline void prefetch_window(const TrainConfig *cfg, ThreadState *st, int i, int n) noexcept nogil:
    """Prefetch what window i + 1 needs beyond window i: its centre's output rows and
    the context row that enters it; for hierarchical softmax also the paths of the
    centres after it (prefetch_paths)."""
    cdef int32_t centre, node
    cdef int64_t k
    if i + 1 >= n:
        return
    centre = st.sentence[i + 1]
    if cfg.settings.negative:
        fw_prefetch_row(syn1neg_row(cfg, centre), cfg.dim)
    if cfg.settings.hs:
        prefetch_paths(cfg, st, i, n)
        for k in range(cfg.path_offsets[centre], cfg.path_offsets[centre + 1]):
            node = cfg.points[k]
            if node < cfg.hs_prefetch_below:  # not a cached root level nor a private copy
                fw_prefetch_row(syn1_row(cfg, node), cfg.dim)
    if i + 1 + cfg.settings.window < n and cfg.syn0 != NULL:  # floret has no word rows
        fw_prefetch_row(syn0_row(cfg, st.sentence[i + 1 + cfg.settings.window]), cfg.dim)


cdef inline void prefetch_paths(const TrainConfig *cfg, ThreadState *st, int i,
                                int n) noexcept nogil:
    """The path arrays ahead of prefetch_window's reads of them: centre i + 5's offsets,
    then (offsets cached by now) centre i + 3's points and codes. A rare word's path lies
    anywhere in megabytes of points; read on demand one window ahead it stalled the loop.
    Two windows ahead of their reads, not one: on 60 MB of IMDB, whose rows fill L3,
    CBOW-HS took 0.94-0.97x the CPU time (benchmarks/README.md, "Session 12")."""
    cdef int32_t c
    cdef int64_t start
    if i + 5 < n:
        fw_prefetch(&cfg.path_offsets[st.sentence[i + 5]])
    if i + 3 < n:
        c = st.sentence[i + 3]
        start = cfg.path_offsets[c]
        fw_prefetch(&cfg.points[start])
        fw_prefetch(&cfg.codes[start])


cdef inline int negative_outputs(const TrainConfig *cfg, ThreadState *st, int32_t word) noexcept nogil:
    """Fill out_rows/labels with ``word`` (label 1) and st.negatives (label 0).

    A draw equal to ``word`` is dropped, as word2vec.c does.
    """
    cdef int n = 1
    cdef int d
    cdef int32_t w
    st.out_rows[0] = word
    st.labels[0] = 1.0
    for d in range(cfg.settings.negative):
        w = st.negatives[d]
        if w != word:
            st.out_rows[n] = w
            st.labels[n] = 0.0
            n += 1
    return n


# ---------------------------------------------------------------- window updates

cdef inline float input_factor(const TrainConfig *cfg, int32_t row) noexcept nogil:
    """How much of its update input ``row`` takes (vectors_lockf; 1 when unset)."""
    return cfg.lockf[row] if cfg.lockf != NULL else 1.0


cdef void sg_window(const TrainConfig *cfg, ThreadState *st, int32_t centre, int n_ctx,
                    float alpha) noexcept nogil:
    """Skip-gram: context rows st.in_rows[0:n_ctx] predict ``centre``."""
    cdef int r, n_out
    cdef int dim = cfg.dim
    for r in range(n_ctx):
        st.in_ptrs[r] = syn0_row(cfg, st.in_rows[r])
    if not cfg.settings.hs and 1 + cfg.settings.negative <= FW_FUSED_MAX_OUT and cfg.lockf == NULL:
        # One block: both updates in one sweep, straight into the rows.
        n_out = negative_outputs(cfg, st, centre)
        resolve_outputs(st, cfg.syn1neg, cfg.syn1neg_pitch, NULL, 0, 0, n_out)
        block_scores(cfg, st, n_ctx, n_out, alpha, False)
        fused_block_update(cfg, st, n_ctx, n_out)
        return
    memset(st.grad_in, 0, n_ctx * st.line_pitch * sizeof(float))
    if cfg.settings.hs:
        hs_block(cfg, st, centre, n_ctx, alpha)
    if cfg.settings.negative:
        ns_block(cfg, st, centre, n_ctx, alpha)
    for r in range(n_ctx):
        axpy(input_factor(cfg, st.in_rows[r]), grad_row(st, r), st.in_ptrs[r], dim)


cdef void cbow_window(const TrainConfig *cfg, ThreadState *st, int32_t centre, int n_ctx,
                      float alpha) noexcept nogil:
    """CBOW: the mean (or sum) of context rows st.in_rows[0:n_ctx] predicts ``centre``."""
    cdef int r
    cdef int dim = cfg.dim
    # Four context rows per pass over the hidden row, and four rows take the error per
    # pass over it below (one row per pass kept each chunk of the hidden row waiting on
    # its own store: a third of the CBOW-NS window's samples).
    memset(st.hidden, 0, dim * sizeof(float))
    fw_add_rows(st.hidden, cfg.syn0, st.in_rows, n_ctx, dim, cfg.syn0_pitch)
    if cfg.settings.cbow_mean:
        scale(1.0 / n_ctx, st.hidden, dim)
    st.in_ptrs[0] = st.hidden
    memset(st.grad_in, 0, dim * sizeof(float))
    if cfg.settings.hs:
        hs_block(cfg, st, centre, 1, alpha)
    if cfg.settings.negative:
        ns_block(cfg, st, centre, 1, alpha)
    # Like word2vec.c and gensim, every context row gets the full error, mean or sum.
    if cfg.lockf == NULL:
        fw_add_to_rows(cfg.syn0, st.in_rows, n_ctx, 1.0, st.grad_in, dim, cfg.syn0_pitch)
        return
    for r in range(n_ctx):
        axpy(input_factor(cfg, st.in_rows[r]), st.grad_in, syn0_row(cfg, st.in_rows[r]), dim)


# ---------------------------------------------------------------- FastText windows
#
# The subword path: taken per sentence when the job has n-gram tables (cfg.ngram_offsets),
# so a word2vec job runs the functions above unchanged. Scaling follows gensim's
# fasttext_inner.pyx (and Facebook's fastText): the input gradient is added in full, not
# divided by the number of rows averaged, to the word row and to every bucket row.
#
# A word's composite row (the mean of its ~20 rows) is built once per sentence position,
# not once per window it takes part in (about 2 * window times), and the gradients the
# position collects in its windows reach its rows once, when it leaves the last window
# (ft_flush); meanwhile the composite is moved by each gradient exactly as the flush
# will move the mean (ft_collect), so later windows see every update of that position.
# Without lock factors every row takes the flush's step, so the sum of the gradients is
# how far the composite moved: the ring keeps the composite as built instead of a sum,
# and skip-gram NS moves the composites with word2vec's fused sweep (ft_in_place).
# What a position does not see until a flush: updates of rows it shares with another
# position in the same windows (a repeated word, a shared n-gram), as Hogwild threads
# do not see each other's at once. Building and spreading ~20 rows per window per
# context word was most of FastText's time; per position it is 1/(2 * window) of it.
# floret keeps no word rows (cfg.syn0 is NULL): a word is its bucket rows alone, the
# word's own hashes among them.


cdef inline float *ring_row(ThreadState *st, int slot) noexcept nogil:
    """Ring slot ``slot``'s composite row (slots are whole lines apart)."""
    return st.ring_rows + <int64_t>slot * st.line_pitch


cdef inline float *ring_grad(ThreadState *st, int slot) noexcept nogil:
    return st.ring_grads + <int64_t>slot * st.line_pitch


cdef inline float ngram_factor(const TrainConfig *cfg, int32_t bucket) noexcept nogil:
    """How much of its update bucket row ``bucket`` takes (1 when no factors are set)."""
    return cfg.ngram_lockf[bucket] if cfg.ngram_lockf != NULL else 1.0


cdef inline int add_word_rows(const TrainConfig *cfg, int32_t w, float *acc) noexcept nogil:
    """acc += word ``w``'s own row (unless floret) and its bucket rows; return how many
    rows were added."""
    cdef int dim = cfg.dim
    cdef int64_t start = cfg.ngram_offsets[w], end = cfg.ngram_offsets[w + 1]
    cdef int own = cfg.syn0 != NULL
    if own:
        axpy(1.0, syn0_row(cfg, w), acc, dim)
    fw_add_rows(acc, cfg.syn0_ngrams, cfg.ngram_ids + start, end - start, dim, cfg.ngrams_pitch)
    return <int>(own + end - start)


cdef inline void spread_word_grad(const TrainConfig *cfg, int32_t w, const float *grad) noexcept nogil:
    """Add ``grad`` to word ``w``'s own row and to each of its bucket rows (each times its
    lock factor)."""
    cdef int dim = cfg.dim
    cdef int64_t k
    cdef int32_t b
    if cfg.syn0 != NULL:
        axpy(input_factor(cfg, w), grad, syn0_row(cfg, w), dim)
    if cfg.ngram_lockf == NULL:
        fw_add_to_rows(cfg.syn0_ngrams, cfg.ngram_ids + cfg.ngram_offsets[w],
                       cfg.ngram_offsets[w + 1] - cfg.ngram_offsets[w], 1.0, grad, dim,
                       cfg.ngrams_pitch)
        return
    for k in range(cfg.ngram_offsets[w], cfg.ngram_offsets[w + 1]):
        b = cfg.ngram_ids[k]
        axpy(ngram_factor(cfg, b), grad, bucket_row(cfg, b), dim)


cdef inline void prefetch_buckets(const TrainConfig *cfg, int32_t w) noexcept nogil:
    """Prefetch the bucket rows of ``w``, the word entering the next window: they are
    random rows of a large matrix, and the next window reads them all."""
    cdef int64_t k
    for k in range(cfg.ngram_offsets[w], cfg.ngram_offsets[w + 1]):
        fw_prefetch_row(bucket_row(cfg, cfg.ngram_ids[k]), cfg.dim)


cdef inline void prefetch_bucket_ids(const TrainConfig *cfg, int32_t w) noexcept nogil:
    """Prefetch the bucket ids of ``w``: without them the prefetch of its rows (a window
    later) first waits for a miss on a random word's ids."""
    fw_prefetch(cfg.ngram_ids + cfg.ngram_offsets[w])


cdef inline bint ft_in_place(const TrainConfig *cfg) noexcept nogil:
    """Whether windows only move the ring's composites (no lock factors: every row of a
    word takes the same step, so the mean moves by it): a flush then spreads how far its
    composite moved since it was built, and skip-gram with negative sampling alone can
    use word2vec's fused one-sweep update on the composites. With lock factors the rows
    take different steps: windows collect each gradient as well (ft_collect)."""
    return cfg.lockf == NULL and cfg.ngram_lockf == NULL


cdef inline void ft_build(const TrainConfig *cfg, ThreadState *st, int slot, int32_t w,
                          bint in_place) noexcept nogil:
    """Ring ``slot`` takes a new position of word ``w``: its composite row (the mean of the
    word's rows as they are now), no gradient yet (in place: ring_grads keeps the
    composite as built), its rows' count and mean lock factor."""
    cdef int dim = cfg.dim
    cdef float *row = ring_row(st, slot)
    cdef int64_t k
    cdef float factor
    cdef int n_rows
    memset(row, 0, dim * sizeof(float))
    n_rows = add_word_rows(cfg, w, row)
    if n_rows > 1:
        scale(1.0 / n_rows, row, dim)
    if in_place:
        memcpy(ring_grad(st, slot), row, dim * sizeof(float))
    else:
        memset(ring_grad(st, slot), 0, dim * sizeof(float))
    st.ring_count[slot] = n_rows
    factor = 1.0
    if (cfg.lockf != NULL or cfg.ngram_lockf != NULL) and n_rows > 0:
        factor = input_factor(cfg, w) if cfg.syn0 != NULL else 0.0
        for k in range(cfg.ngram_offsets[w], cfg.ngram_offsets[w + 1]):
            factor += ngram_factor(cfg, cfg.ngram_ids[k])
        factor /= n_rows
    st.ring_factor[slot] = factor


cdef inline void ft_flush(const TrainConfig *cfg, ThreadState *st, int slot, int32_t w,
                          bint in_place) noexcept nogil:
    """The position in ``slot`` leaves the windows: its collected gradient (in place: its
    composite now minus as built) goes to the word's row and every bucket row (each times
    its lock factor)."""
    cdef int i, dim = cfg.dim
    cdef float *grad = ring_grad(st, slot)
    cdef const float *row = ring_row(st, slot)
    if in_place:
        for i in range(dim):
            grad[i] = row[i] - grad[i]
    spread_word_grad(cfg, w, grad)


cdef inline void ft_collect(const TrainConfig *cfg, ThreadState *st, int slot, const float *grad,
                            float factor, bint in_place) noexcept nogil:
    """Position ``slot`` takes ``factor * grad``: added now to its composite row as the flush
    will move it (every row by the same step: the mean by that step times the rows' mean
    lock factor), so later windows see it at once, and (unless in place) collected for
    its flush."""
    cdef int dim = cfg.dim
    if not in_place:
        axpy(factor, grad, ring_grad(st, slot), dim)
    axpy(factor * st.ring_factor[slot], grad, ring_row(st, slot), dim)


cdef void ft_sg_window(const TrainConfig *cfg, ThreadState *st, int32_t centre, int n_ctx,
                       float alpha, bint in_place) noexcept nogil:
    """FastText skip-gram: each context position's composite row (ring slot
    st.ctx_slot[r]) predicts ``centre``; each takes its input gradient (in place, or
    collected)."""
    cdef int r, n_out
    cdef int dim = cfg.dim
    for r in range(n_ctx):
        st.in_ptrs[r] = ring_row(st, st.ctx_slot[r])
    if (in_place and not cfg.settings.hs and cfg.settings.negative
            and 1 + cfg.settings.negative <= FW_FUSED_MAX_OUT):
        # The composites are the thread's own copies: one sweep writes them.
        n_out = negative_outputs(cfg, st, centre)
        resolve_outputs(st, cfg.syn1neg, cfg.syn1neg_pitch, NULL, 0, 0, n_out)
        block_scores(cfg, st, n_ctx, n_out, alpha, False)
        fused_block_update(cfg, st, n_ctx, n_out)
        return
    memset(st.grad_in, 0, n_ctx * st.line_pitch * sizeof(float))
    if cfg.settings.hs:
        hs_block(cfg, st, centre, n_ctx, alpha)
    if cfg.settings.negative:
        ns_block(cfg, st, centre, n_ctx, alpha)
    for r in range(n_ctx):
        ft_collect(cfg, st, st.ctx_slot[r], grad_row(st, r), 1.0, in_place)


cdef void ft_cbow_window(const TrainConfig *cfg, ThreadState *st, int32_t centre, int n_ctx,
                         float alpha, bint in_place) noexcept nogil:
    """FastText CBOW: the hidden layer is the mean (or sum) of every row of every context
    word, own and bucket rows alike, as in gensim (each composite weighted by its row
    count); each of those rows gets the error (divided by the row count for the sum, as
    gensim does), collected per position."""
    cdef int r, slot
    cdef float count = 0.0
    cdef int dim = cfg.dim
    cdef float factor = 1.0
    for r in range(n_ctx):
        slot = st.ctx_slot[r]
        st.ctx_rows[r] = ring_row(st, slot)
        count += st.ring_count[slot]
    # Four composites per pass over the hidden row, and (in place) four take the error
    # per pass over it: one axpy per composite stored the hidden row, and the gradient
    # was loaded, once per composite.
    if cfg.settings.cbow_mean:
        for r in range(n_ctx):
            st.ctx_weight[r] = st.ring_count[st.ctx_slot[r]] / count
    else:
        factor = 1.0 / count
        for r in range(n_ctx):
            st.ctx_weight[r] = st.ring_count[st.ctx_slot[r]]
    fw_weighted_sum(st.hidden, st.ctx_rows, st.ctx_weight, n_ctx, dim)
    st.in_ptrs[0] = st.hidden
    memset(st.grad_in, 0, dim * sizeof(float))
    if cfg.settings.hs:
        hs_block(cfg, st, centre, 1, alpha)
    if cfg.settings.negative:
        ns_block(cfg, st, centre, 1, alpha)
    if in_place:  # every composite's lock factor is 1 (ft_in_place)
        fw_add_to_each(st.ctx_rows, n_ctx, factor, st.grad_in, dim)
        return
    for r in range(n_ctx):
        ft_collect(cfg, st, st.ctx_slot[r], st.grad_in, factor, in_place)


# ---------------------------------------------------------------- sentences and chunks

cdef inline float current_alpha(const TrainConfig *cfg) noexcept nogil:
    cdef double done = <double>fw_atomic_load_i64(cfg.schedule_done)
    cdef const TrainSettings *s = &cfg.settings
    cdef double progress = done / <double>s.schedule_total if s.schedule_total > 0 else 1.0
    cdef double alpha = s.start_alpha - (s.start_alpha - s.end_alpha) * progress
    if alpha < s.end_alpha:
        alpha = s.end_alpha
    return <float>alpha


cdef int subsample(const TrainConfig *cfg, ThreadState *st, int64_t start, int64_t end) noexcept nogil:
    """Copy the sentence ids[start:end] into st.sentence, dropping subsampled words."""
    cdef int n = 0
    cdef int64_t k
    cdef int32_t w
    for k in range(start, end):
        w = cfg.ids[k]
        # Written always, kept by the count: a frequent word's keep-or-drop is a coin
        # flip a branch would mispredict. n <= k - start, inside the sentence buffer.
        st.sentence[n] = w
        n += <int>(cfg.sample_int[w] >= next_u32(st))
    return n


cdef inline int window_start(const TrainConfig *cfg, ThreadState *st, int i, int n,
                             int *hi) noexcept nogil:
    """The window around position i of n: its first position, returned, and one past its
    last in ``hi``; shrunk by a random 0..window-1 on both sides (word2vec's reduced
    window) when shrink_windows is set."""
    cdef int b = <int>bounded(st, cfg.settings.window) if cfg.settings.shrink_windows else 0
    cdef int lo = i - cfg.settings.window + b
    hi[0] = i + cfg.settings.window + 1 - b
    if hi[0] > n:
        hi[0] = n
    return lo if lo > 0 else 0


cdef void train_sentence(const TrainConfig *cfg, ThreadState *st, int64_t start, int64_t end,
                         float alpha) noexcept nogil:
    """word2vec: subsample one sentence and train each of its windows."""
    cdef int n = subsample(cfg, st, start, end)
    cdef int i, j, lo, hi, n_ctx
    st.effective_words += n
    for i in range(n):
        lo = window_start(cfg, st, i, n, &hi)
        n_ctx = 0
        for j in range(lo, hi):
            if j != i:
                st.in_rows[n_ctx] = st.sentence[j]
                n_ctx += 1
        if n_ctx == 0:
            continue
        if cfg.settings.negative:
            draw_negatives(cfg, st)
        prefetch_window(cfg, st, i, n)
        if cfg.settings.sg:
            sg_window(cfg, st, st.sentence[i], n_ctx, alpha)
        else:
            cbow_window(cfg, st, st.sentence[i], n_ctx, alpha)


cdef void ft_train_sentence(const TrainConfig *cfg, ThreadState *st, int64_t start, int64_t end,
                            float alpha) noexcept nogil:
    """FastText (the job has n-gram tables): subsample one sentence and train its windows.

    Positions enter the ring (ft_build) when the first window that can reach them
    starts, and leave it (ft_flush) when the last one has passed: at centre i the ring
    holds positions i - window .. i + window, 2 * window + 1 = st.n_ring slots.
    """
    cdef int n = subsample(cfg, st, start, end)
    cdef int i, j, lo, hi, n_ctx, reach
    cdef int window = cfg.settings.window
    cdef int ring = st.n_ring
    cdef int built = 0, flushed = 0
    cdef bint in_place = ft_in_place(cfg)
    st.effective_words += n
    for i in range(n):
        while flushed < i - window:
            ft_flush(cfg, st, flushed % ring, st.sentence[flushed], in_place)
            flushed += 1
        reach = i + window + 1 if i + window + 1 < n else n
        while built < reach:
            ft_build(cfg, st, built % ring, st.sentence[built], in_place)
            built += 1
        lo = window_start(cfg, st, i, n, &hi)
        n_ctx = 0
        for j in range(lo, hi):
            if j != i:
                st.ctx_slot[n_ctx] = j % ring
                n_ctx += 1
        if n_ctx == 0:
            continue
        if cfg.settings.negative:
            draw_negatives(cfg, st)
        prefetch_window(cfg, st, i, n)
        if i + 1 + window < n:  # the position the next window builds
            prefetch_buckets(cfg, st.sentence[i + 1 + window])
        if i + 2 + window < n:  # and the bucket ids of the one after: the next prefetch reads them
            prefetch_bucket_ids(cfg, st.sentence[i + 2 + window])
        if cfg.settings.sg:
            ft_sg_window(cfg, st, st.sentence[i], n_ctx, alpha, in_place)
        else:
            ft_cbow_window(cfg, st, st.sentence[i], n_ctx, alpha, in_place)
    while flushed < built:
        ft_flush(cfg, st, flushed % ring, st.sentence[flushed], in_place)
        flushed += 1


cdef void train_chunks(TrainConfig *cfg, ThreadState *st) noexcept nogil:
    """Take chunks from the shared counter and train their sentences until none is left."""
    load_hot_rows(cfg, st)
    empty_negative_batch(cfg, st)
    take_chunks(cfg, st)
    sync_hot_rows(cfg, st)


cdef inline void start_chunk_stream(const TrainConfig *cfg, ThreadState *st, int64_t c) noexcept nogil:
    """Restart the thread's random stream for chunk ``c`` (see TrainConfig.seed) and drop
    the negatives it drew ahead from the previous chunk's stream."""
    # Mixed, not summed: splitmix64 streams whose start states differ by a multiple of
    # its increment are the same sequence shifted, so starts must be scattered.
    st.rng = mix64(cfg.seed + mix64((<uint64_t>cfg.epoch << 32) + <uint64_t>c))
    st.neg_pos = st.neg_len


cdef void take_chunks(TrainConfig *cfg, ThreadState *st) noexcept nogil:
    cdef int64_t c, s, start, end
    cdef float alpha
    while True:
        if fw_atomic_load_int(cfg.stop):
            return
        c = fw_atomic_add_i64(cfg.next_chunk, 1)
        if c >= cfg.n_chunks:
            return
        start_chunk_stream(cfg, st, c)
        for s in range(cfg.chunk_starts[c], cfg.chunk_starts[c + 1]):
            start = cfg.sent_offsets[s]
            end = cfg.sent_offsets[s + 1]
            alpha = current_alpha(cfg)
            if cfg.ngram_offsets == NULL:
                train_sentence(cfg, st, start, end, alpha)
            else:
                ft_train_sentence(cfg, st, start, end, alpha)
            st.words += end - start
            st.since_sync += end - start
            if st.since_sync >= cfg.sync_interval:
                sync_hot_rows(cfg, st)
            fw_atomic_add_i64(cfg.schedule_done, end - start)
            if fw_atomic_load_int(cfg.stop):
                return
