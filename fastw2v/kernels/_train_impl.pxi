"""Training kernels: skip-gram and CBOW, negative sampling and hierarchical softmax.

Layer 4 of the design. Everything below ``train_chunks`` runs without the GIL on
plain C data described by :c:type:`TrainConfig` (shared) and :c:type:`ThreadState`
(one per thread). Python checks every index once, at the boundary
(:class:`TrainJob`), so the loops carry no bounds checks.

The update is HogBatch (Ji et al. 2016, Intel's pWord2Vec), generalised:

* skip-gram: for one centre word, the window's context rows are the inputs and
  the outputs are the centre word plus ONE set of ``negative`` samples shared by
  all of them (NS), or the centre word's Huffman path (HS; word2vec's path is
  the same for every context word, so sharing loses nothing). Scores, errors and
  both gradients are three small dense products (:func:`block_update`), and
  each row is written once.
* CBOW: the input is the single hidden row (mean or sum of the context rows)
  and the outputs are as above; the input gradient goes to every context row.

Outputs are updated in place from a snapshot-consistent gradient (computed from
rows read before any write of the block); inputs get their accumulated gradient
at the end of the window, so a word that appears twice in a window receives
both contributions.
"""
from libc.math cimport exp, log1p
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free
from libc.string cimport memcpy, memmove, memset

import numpy as np

cdef enum:
    NEG_BATCH_WINDOWS = 256   # windows of negative draws made per batch (5 KB with 5)

cdef extern from *:
    """
    /* Relaxed atomics: counters only order work, they guard no data. */
    static inline int64_t fw_atomic_add_i64(int64_t *p, int64_t v) {
        return __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
    }
    static inline int64_t fw_atomic_load_i64(int64_t *p) {
        return __atomic_load_n(p, __ATOMIC_RELAXED);
    }
    static inline int fw_atomic_load_int(int *p) {
        return __atomic_load_n(p, __ATOMIC_RELAXED);
    }
    static inline void fw_atomic_store_int(int *p, int v) {
        __atomic_store_n(p, v, __ATOMIC_RELAXED);
    }
    #include <stdlib.h>
    #include <string.h>
    /* Zeroed memory on whole, 128-byte aligned cache-line pairs: one thread's
       state never shares a line (or the adjacent line the prefetcher pulls in)
       with another's, so the threads' private writes do not bounce between cores. */
    static inline void *fw_alloc_lines(size_t n) {
        size_t size = (n + 127) / 128 * 128;
        void *p = aligned_alloc(128, size ? size : 128);
        if (p) memset(p, 0, size ? size : 128);
        return p;
    }
    static inline void fw_prefetch_row(const float *p, int dim) {
        for (int b = 0; b < dim * (int)sizeof(float); b += 64)
            __builtin_prefetch((const char *)p + b);
    }
    /* Register-blocked pieces of the HogBatch block update. Each combines up
       to four rows per pass over the vector, so the destination row is loaded
       and stored once per four sources (and the source once per four dot
       products) instead of once per pair. `restrict` holds: destinations are
       gradient buffers or output rows, sources are rows of other matrices or
       other buffers; a row that repeats among the outputs is only ever a
       source of one call and a destination of another. */
    static inline void fw_axpy4(float *__restrict__ y, float a0, const float *__restrict__ x0,
                                float a1, const float *__restrict__ x1, float a2,
                                const float *__restrict__ x2, float a3,
                                const float *__restrict__ x3, int n) {
        for (int i = 0; i < n; i++)
            y[i] += a0 * x0[i] + a1 * x1[i] + a2 * x2[i] + a3 * x3[i];
    }
    static inline void fw_axpy2(float *__restrict__ y, float a0, const float *__restrict__ x0,
                                float a1, const float *__restrict__ x1, int n) {
        for (int i = 0; i < n; i++)
            y[i] += a0 * x0[i] + a1 * x1[i];
    }
    static inline void fw_axpy1(float *__restrict__ y, float a0, const float *__restrict__ x0, int n) {
        for (int i = 0; i < n; i++)
            y[i] += a0 * x0[i];
    }
    /* y += sum_j a[j * stride] * x[j] over m sources, four at a time. */
    static inline void fw_axpy_many(float *__restrict__ y, const float *a, int stride,
                                    float *const *x, int m, int n) {
        int j = 0;
        for (; j + 4 <= m; j += 4)
            fw_axpy4(y, a[j * stride], x[j], a[(j + 1) * stride], x[j + 1],
                     a[(j + 2) * stride], x[j + 2], a[(j + 3) * stride], x[j + 3], n);
        if (j + 2 <= m) {
            fw_axpy2(y, a[j * stride], x[j], a[(j + 1) * stride], x[j + 1], n);
            j += 2;
        }
        if (j < m)
            fw_axpy1(y, a[j * stride], x[j], n);
    }
    /* out[j] = x . o[j] for m rows, four at a time (one load of x per four). */
    static inline void fw_dot_many(const float *__restrict__ x, float *const *o, int m, int n,
                                   float *out) {
        int j = 0;
        for (; j + 4 <= m; j += 4) {
            const float *__restrict__ o0 = o[j], *__restrict__ o1 = o[j + 1];
            const float *__restrict__ o2 = o[j + 2], *__restrict__ o3 = o[j + 3];
            float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
            for (int i = 0; i < n; i++) {
                s0 += x[i] * o0[i]; s1 += x[i] * o1[i];
                s2 += x[i] * o2[i]; s3 += x[i] * o3[i];
            }
            out[j] = s0; out[j + 1] = s1; out[j + 2] = s2; out[j + 3] = s3;
        }
        if (j + 2 <= m) {  /* 1 + 5 negatives leaves two */
            const float *__restrict__ o0 = o[j], *__restrict__ o1 = o[j + 1];
            float s0 = 0.f, s1 = 0.f;
            for (int i = 0; i < n; i++) {
                s0 += x[i] * o0[i]; s1 += x[i] * o1[i];
            }
            out[j] = s0; out[j + 1] = s1;
            j += 2;
        }
        if (j < m) {
            const float *__restrict__ o0 = o[j];
            float s0 = 0.f;
            for (int i = 0; i < n; i++)
                s0 += x[i] * o0[i];
            out[j] = s0;
        }
    }
    /* out0[j] = x0 . o[j], out1[j] = x1 . o[j]: two inputs against four outputs per
       pass, so eight independent sums hide the FMA latency (one input's four sums
       left the FMA units half idle) and each output row is loaded once per two. */
    static inline void fw_dot2_many(const float *__restrict__ x0, const float *__restrict__ x1,
                                    float *const *o, int m, int n, float *out0, float *out1) {
        int j = 0;
        for (; j + 4 <= m; j += 4) {
            const float *__restrict__ o0 = o[j], *__restrict__ o1 = o[j + 1];
            const float *__restrict__ o2 = o[j + 2], *__restrict__ o3 = o[j + 3];
            float a0 = 0.f, a1 = 0.f, a2 = 0.f, a3 = 0.f, b0 = 0.f, b1 = 0.f, b2 = 0.f, b3 = 0.f;
            for (int i = 0; i < n; i++) {
                float u = x0[i], v = x1[i];
                a0 += u * o0[i]; a1 += u * o1[i]; a2 += u * o2[i]; a3 += u * o3[i];
                b0 += v * o0[i]; b1 += v * o1[i]; b2 += v * o2[i]; b3 += v * o3[i];
            }
            out0[j] = a0; out0[j + 1] = a1; out0[j + 2] = a2; out0[j + 3] = a3;
            out1[j] = b0; out1[j + 1] = b1; out1[j + 2] = b2; out1[j + 3] = b3;
        }
        if (j + 2 <= m) {
            const float *__restrict__ o0 = o[j], *__restrict__ o1 = o[j + 1];
            float a0 = 0.f, a1 = 0.f, b0 = 0.f, b1 = 0.f;
            for (int i = 0; i < n; i++) {
                float u = x0[i], v = x1[i];
                a0 += u * o0[i]; a1 += u * o1[i];
                b0 += v * o0[i]; b1 += v * o1[i];
            }
            out0[j] = a0; out0[j + 1] = a1; out1[j] = b0; out1[j + 1] = b1;
            j += 2;
        }
        if (j < m) {
            const float *__restrict__ o0 = o[j];
            float a0 = 0.f, b0 = 0.f;
            for (int i = 0; i < n; i++) {
                a0 += x0[i] * o0[i]; b0 += x1[i] * o0[i];
            }
            out0[j] = a0; out1[j] = b0;
        }
    }

    /* The skip-gram NS block's two updates in one sweep over the vector:
           x_r += sum_k g[r, k] o_k    and    o_k += sum_r g[r, k] x_r
       both from the rows as they were (each chunk of a row is read before it is
       written, and rows are distinct: the caller merges repeated rows first).
       The output chunks and their sums stay in registers while every input row
       passes, so each row is loaded and stored once, with no gradient buffer:
       about half the loads and a third of the stores of the three-pass form. */
    #define FW_FUSED_MAX_OUT 8
    #if defined(__AVX2__) && defined(__FMA__)
    #include <immintrin.h>
    static inline __attribute__((always_inline)) void fw_fused_m(
            float *const *x, int n_in, float *const *o, const int m, const float *g, int n) {
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            __m256 O[FW_FUSED_MAX_OUT], A[FW_FUSED_MAX_OUT];
            for (int k = 0; k < m; k++) {
                O[k] = _mm256_loadu_ps(o[k] + i);
                A[k] = O[k];
            }
            for (int r = 0; r < n_in; r++) {
                const float *gr = g + r * m;
                __m256 X = _mm256_loadu_ps(x[r] + i), Y = X;
                for (int k = 0; k < m; k++) {
                    __m256 b = _mm256_broadcast_ss(gr + k);
                    Y = _mm256_fmadd_ps(b, O[k], Y);
                    A[k] = _mm256_fmadd_ps(b, X, A[k]);
                }
                _mm256_storeu_ps(x[r] + i, Y);
            }
            for (int k = 0; k < m; k++)
                _mm256_storeu_ps(o[k] + i, A[k]);
        }
        for (; i + 4 <= n; i += 4) {
            __m128 O[FW_FUSED_MAX_OUT], A[FW_FUSED_MAX_OUT];
            for (int k = 0; k < m; k++) {
                O[k] = _mm_loadu_ps(o[k] + i);
                A[k] = O[k];
            }
            for (int r = 0; r < n_in; r++) {
                const float *gr = g + r * m;
                __m128 X = _mm_loadu_ps(x[r] + i), Y = X;
                for (int k = 0; k < m; k++) {
                    __m128 b = _mm_broadcast_ss(gr + k);
                    Y = _mm_fmadd_ps(b, O[k], Y);
                    A[k] = _mm_fmadd_ps(b, X, A[k]);
                }
                _mm_storeu_ps(x[r] + i, Y);
            }
            for (int k = 0; k < m; k++)
                _mm_storeu_ps(o[k] + i, A[k]);
        }
        for (; i < n; i++) {
            float O[FW_FUSED_MAX_OUT], A[FW_FUSED_MAX_OUT];
            for (int k = 0; k < m; k++)
                A[k] = O[k] = o[k][i];
            for (int r = 0; r < n_in; r++) {
                float X = x[r][i], Y = X;
                for (int k = 0; k < m; k++) {
                    Y += g[r * m + k] * O[k];
                    A[k] += g[r * m + k] * X;
                }
                x[r][i] = Y;
            }
            for (int k = 0; k < m; k++)
                o[k][i] = A[k];
        }
    }
    /* One instance per output count, so that m is a constant and the chunks of
       every output row live in registers. */
    static inline void fw_fused_update(float *const *x, int n_in, float *const *o, int m,
                                       const float *g, int n) {
        switch (m) {
            case 1: fw_fused_m(x, n_in, o, 1, g, n); break;
            case 2: fw_fused_m(x, n_in, o, 2, g, n); break;
            case 3: fw_fused_m(x, n_in, o, 3, g, n); break;
            case 4: fw_fused_m(x, n_in, o, 4, g, n); break;
            case 5: fw_fused_m(x, n_in, o, 5, g, n); break;
            case 6: fw_fused_m(x, n_in, o, 6, g, n); break;
            case 7: fw_fused_m(x, n_in, o, 7, g, n); break;
            default: fw_fused_m(x, n_in, o, 8, g, n); break;
        }
    }
    #else
    /* Baseline build: the same sweep in chunks of four that the compiler vectorises. */
    static inline void fw_fused_update(float *const *x, int n_in, float *const *o, int m,
                                       const float *g, int n) {
        for (int i = 0; i < n; i += 4) {
            int w = n - i < 4 ? n - i : 4;
            float O[FW_FUSED_MAX_OUT][4], A[FW_FUSED_MAX_OUT][4], X[4];
            for (int k = 0; k < m; k++)
                for (int l = 0; l < w; l++)
                    A[k][l] = O[k][l] = o[k][i + l];
            for (int r = 0; r < n_in; r++) {
                for (int l = 0; l < w; l++)
                    X[l] = x[r][i + l];
                for (int k = 0; k < m; k++) {
                    float b = g[r * m + k];
                    for (int l = 0; l < w; l++) {
                        x[r][i + l] += b * O[k][l];
                        A[k][l] += b * X[l];
                    }
                }
            }
            for (int k = 0; k < m; k++)
                for (int l = 0; l < w; l++)
                    o[k][i + l] = A[k][l];
        }
    }
    #endif
    """
    int64_t fw_atomic_add_i64(int64_t *p, int64_t v) nogil
    int64_t fw_atomic_load_i64(int64_t *p) nogil
    int fw_atomic_load_int(int *p) nogil
    void fw_atomic_store_int(int *p, int v) nogil
    void *fw_alloc_lines(size_t n) nogil
    void fw_prefetch_row(const float *p, int dim) nogil
    void fw_axpy_many(float *y, const float *a, int stride, float * const *x, int m, int n) nogil
    void fw_dot_many(const float *x, float * const *o, int m, int n, float *out) nogil
    void fw_dot2_many(const float *x0, const float *x1, float * const *o, int m, int n,
                      float *out0, float *out1) nogil
    void fw_fused_update(float * const *x, int n_in, float * const *o, int m, const float *g,
                         int n) nogil
    enum: FW_FUSED_MAX_OUT


# ---------------------------------------------------------------- random numbers

cdef inline uint64_t next_u64(ThreadState *st) noexcept nogil:
    # splitmix64: full 64-bit period, passes BigCrush, two multiplies per draw.
    st.rng += <uint64_t>0x9E3779B97F4A7C15
    cdef uint64_t z = st.rng
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EB
    return z ^ (z >> 31)


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
    cdef const uint32_t *entry = cfg.alias + 2 * <int64_t>slot  # one cache line holds both
    cdef int32_t other = <int32_t>entry[1]
    return slot if <uint32_t>r < entry[0] else other


# ---------------------------------------------------------------- small dense algebra

cdef inline void axpy(float a, const float *x, float *y, int n) noexcept nogil:
    cdef int i
    for i in range(n):
        y[i] = y[i] + a * x[i]


cdef inline void scale(float a, float *x, int n) noexcept nogil:
    cdef int i
    for i in range(n):
        x[i] = x[i] * a


cdef inline float sigmoid(const TrainConfig *cfg, float f) noexcept nogil:
    # Written so that NaN (a diverging model) falls out as 0 instead of indexing
    # the table with garbage; the trainer reports the divergence after the epoch.
    if f > -MAX_EXP and f < MAX_EXP:
        return cfg.sigmoid_table[<int>((f + MAX_EXP) * (SIGMOID_TABLE_SIZE / (2.0 * MAX_EXP)))]
    return 1.0 if f >= MAX_EXP else 0.0


cdef inline double log_loss(float f, float label) noexcept nogil:
    # -log sigmoid(+f) for a positive, -log sigmoid(-f) for a negative, computed
    # stably (no table: this runs only with compute_loss).
    cdef double z = f if label > 0.5 else -f
    if z > 0:
        return log1p(exp(-z))
    return -z + log1p(exp(z))


cdef void block_update(const TrainConfig *cfg, ThreadState *st, int n_in, int n_out,
                       float alpha) noexcept nogil:
    """One HogBatch block: inputs st.in_ptrs[0:n_in], outputs st.out_ptrs[0:n_out].

    scores = X O^T; grads = (labels - sigmoid(scores)) * alpha;
    grad_in += grads O (accumulated, applied by the caller); O += grads^T X.
    """
    cdef int dim = cfg.dim
    cdef int r, k
    cdef float *grads = st.grads
    block_scores(cfg, st, n_in, n_out, alpha)
    for r in range(n_in):
        # grad_in[r] += sum_k grads[r, k] O[k]: reads the outputs before any is written
        fw_axpy_many(st.grad_in + <int64_t>r * dim, grads + r * n_out, 1, st.out_ptrs, n_out, dim)
    for k in range(n_out):
        fw_axpy_many(st.out_ptrs[k], grads + k, n_out, st.in_ptrs, n_in, dim)


cdef void block_scores(const TrainConfig *cfg, ThreadState *st, int n_in, int n_out,
                       float alpha) noexcept nogil:
    """st.grads[r, k] = (labels[k] - sigmoid(x_r . o_k)) * alpha, and the loss if asked."""
    cdef int dim = cfg.dim
    cdef int r, k
    cdef float f
    cdef float *grads = st.grads
    cdef float *row
    r = 0
    while r + 2 <= n_in:
        fw_dot2_many(st.in_ptrs[r], st.in_ptrs[r + 1], st.out_ptrs, n_out, dim,
                     grads + r * n_out, grads + (r + 1) * n_out)
        r += 2
    if r < n_in:
        fw_dot_many(st.in_ptrs[r], st.out_ptrs, n_out, dim, grads + r * n_out)
    for r in range(n_in):
        row = grads + r * n_out
        for k in range(n_out):
            f = row[k]
            row[k] = (st.labels[k] - sigmoid(cfg, f)) * alpha
            if cfg.compute_loss:
                st.loss += log_loss(f, st.labels[k])


cdef void fused_block_update(const TrainConfig *cfg, ThreadState *st, int n_in,
                             int n_out) noexcept nogil:
    """Apply st.grads to inputs and outputs in one sweep (fw_fused_update).

    The sweep writes each row once, so a row that appears twice (a context word
    repeated in the window, a word drawn twice as a negative) is first merged into
    one: its grads rows (or columns) are summed, which is exactly the sum of both
    updates that block_update applies. Uses in_rows/out_rows as scratch (row_of,
    col_of): the window needs neither after its pointers are resolved; the merged
    grads go to the second half of st.grads.
    """
    cdef int32_t *row_of = st.in_rows
    cdef int32_t *col_of = st.out_rows
    cdef int r, k, j, n_in2 = 0, n_out2 = 0
    cdef float *g = st.grads
    cdef float *merged
    for r in range(n_in):
        j = 0
        while j < n_in2 and st.in_ptrs[j] != st.in_ptrs[r]:
            j += 1
        row_of[r] = j
        if j == n_in2:
            st.in_ptrs[n_in2] = st.in_ptrs[r]
            n_in2 += 1
    for k in range(n_out):
        j = 0
        while j < n_out2 and st.out_ptrs[j] != st.out_ptrs[k]:
            j += 1
        col_of[k] = j
        if j == n_out2:
            st.out_ptrs[n_out2] = st.out_ptrs[k]
            n_out2 += 1
    if n_in2 < n_in or n_out2 < n_out:
        merged = g + n_in * n_out
        memset(merged, 0, n_in2 * n_out2 * sizeof(float))
        for r in range(n_in):
            for k in range(n_out):
                merged[row_of[r] * n_out2 + col_of[k]] += g[r * n_out + k]
        g = merged
    fw_fused_update(st.in_ptrs, n_in2, st.out_ptrs, n_out2, g, cfg.dim)


cdef inline void resolve_outputs(ThreadState *st, float *matrix, float *hot_rows, int32_t hot_lo,
                                 int32_t hot_hi, int n_out, int dim) noexcept nogil:
    """Point st.out_ptrs at each output row: the thread's private copy for hot rows."""
    cdef int k
    cdef int32_t row
    for k in range(n_out):
        row = st.out_rows[k]
        if row >= hot_lo and row < hot_hi:
            st.out_ptrs[k] = hot_rows + <int64_t>(row - hot_lo) * dim
        else:
            st.out_ptrs[k] = matrix + <int64_t>row * dim


cdef inline void hs_block(const TrainConfig *cfg, ThreadState *st, int32_t centre, int n_in,
                          float alpha) noexcept nogil:
    cdef int n_out = huffman_outputs(cfg, st, centre)
    resolve_outputs(st, cfg.syn1, st.hot_hs_rows, cfg.hot_hs_lo, cfg.hot_hs_hi, n_out, cfg.dim)
    block_update(cfg, st, n_in, n_out, alpha)


cdef inline void ns_block(const TrainConfig *cfg, ThreadState *st, int32_t centre, int n_in,
                          float alpha) noexcept nogil:
    cdef int n_out = negative_outputs(cfg, st, centre)
    resolve_outputs(st, cfg.syn1neg, NULL, 0, 0, n_out, cfg.dim)  # NS has no private rows
    block_update(cfg, st, n_in, n_out, alpha)


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
    cdef int64_t i, n
    if cfg.hot_hs_hi > cfg.hot_hs_lo:
        n = <int64_t>(cfg.hot_hs_hi - cfg.hot_hs_lo) * cfg.dim
        for i in range(n):
            st.hot_hs_rows[i] = cfg.syn1[<int64_t>cfg.hot_hs_lo * cfg.dim + i]
            st.hot_hs_base[i] = cfg.syn1[<int64_t>cfg.hot_hs_lo * cfg.dim + i]
    st.since_sync = 0


cdef void sync_hot_rows(const TrainConfig *cfg, ThreadState *st) noexcept nogil:
    if cfg.hot_hs_hi > cfg.hot_hs_lo:
        sync_rows(cfg.syn1 + <int64_t>cfg.hot_hs_lo * cfg.dim, st.hot_hs_rows, st.hot_hs_base,
                  <int64_t>(cfg.hot_hs_hi - cfg.hot_hs_lo) * cfg.dim)
    st.since_sync = 0


# ---------------------------------------------------------------- output sets

cdef inline int huffman_outputs(const TrainConfig *cfg, ThreadState *st, int32_t word) noexcept nogil:
    """Fill out_rows/labels with ``word``'s Huffman path; return its length."""
    cdef int64_t start = cfg.path_offsets[word]
    cdef int n = <int>(cfg.path_offsets[word + 1] - start)
    cdef int k
    for k in range(n):
        st.out_rows[k] = cfg.points[start + k]
        st.labels[k] = 1.0 - cfg.codes[start + k]
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


cdef inline void draw_negatives(const TrainConfig *cfg, ThreadState *st) noexcept nogil:
    """The window's negatives into st.negatives; prefetch the next window's rows.

    Prefetching one window ahead gives the memory system a whole window update
    to bring the random output rows into cache (they miss it otherwise, and the
    forward pass waits on them). Drawing apart from the update also keeps the
    update a function of its inputs, so the test twin can feed it known draws.
    """
    cdef int d, k = cfg.negative
    if st.neg_pos + 2 * k > st.neg_len:
        refill_negatives(cfg, st)
    memcpy(st.negatives, st.neg_batch + st.neg_pos, k * sizeof(int32_t))
    st.neg_pos += k
    for d in range(k):
        fw_prefetch_row(cfg.syn1neg + <int64_t>st.neg_batch[st.neg_pos + d] * cfg.dim, cfg.dim)


cdef inline void prefetch_window(const TrainConfig *cfg, ThreadState *st, int i, int n) noexcept nogil:
    """Prefetch what window i + 1 needs beyond window i: its centre's output rows and
    the context row that enters it."""
    cdef int32_t centre
    cdef int64_t k
    if i + 1 >= n:
        return
    centre = st.sentence[i + 1]
    if cfg.negative:
        fw_prefetch_row(cfg.syn1neg + <int64_t>centre * cfg.dim, cfg.dim)
    if cfg.hs:
        for k in range(cfg.path_offsets[centre], cfg.path_offsets[centre + 1]):
            fw_prefetch_row(cfg.syn1 + <int64_t>cfg.points[k] * cfg.dim, cfg.dim)
    if i + 1 + cfg.window < n:
        fw_prefetch_row(cfg.syn0 + <int64_t>st.sentence[i + 1 + cfg.window] * cfg.dim, cfg.dim)


cdef inline int negative_outputs(const TrainConfig *cfg, ThreadState *st, int32_t word) noexcept nogil:
    """Fill out_rows/labels with ``word`` (label 1) and st.negatives (label 0).

    A draw equal to ``word`` is dropped, as word2vec.c does.
    """
    cdef int n = 1
    cdef int d
    cdef int32_t w
    st.out_rows[0] = word
    st.labels[0] = 1.0
    for d in range(cfg.negative):
        w = st.negatives[d]
        if w != word:
            st.out_rows[n] = w
            st.labels[n] = 0.0
            n += 1
    return n


# ---------------------------------------------------------------- window updates

cdef void sg_window(const TrainConfig *cfg, ThreadState *st, int32_t centre, int n_ctx,
                    float alpha) noexcept nogil:
    """Skip-gram: context rows st.in_rows[0:n_ctx] predict ``centre``."""
    cdef int r, n_out
    cdef int dim = cfg.dim
    for r in range(n_ctx):
        st.in_ptrs[r] = cfg.syn0 + <int64_t>st.in_rows[r] * dim
    if not cfg.hs and 1 + cfg.negative <= FW_FUSED_MAX_OUT:
        # One block: both updates in one sweep, straight into the rows.
        n_out = negative_outputs(cfg, st, centre)
        resolve_outputs(st, cfg.syn1neg, NULL, 0, 0, n_out, dim)
        block_scores(cfg, st, n_ctx, n_out, alpha)
        fused_block_update(cfg, st, n_ctx, n_out)
        return
    memset(st.grad_in, 0, n_ctx * dim * sizeof(float))
    if cfg.hs:
        hs_block(cfg, st, centre, n_ctx, alpha)
    if cfg.negative:
        ns_block(cfg, st, centre, n_ctx, alpha)
    for r in range(n_ctx):
        axpy(1.0, st.grad_in + <int64_t>r * dim, st.in_ptrs[r], dim)


cdef void cbow_window(const TrainConfig *cfg, ThreadState *st, int32_t centre, int n_ctx,
                      float alpha) noexcept nogil:
    """CBOW: the mean (or sum) of context rows st.in_rows[0:n_ctx] predicts ``centre``."""
    cdef int r
    cdef int dim = cfg.dim
    memset(st.hidden, 0, dim * sizeof(float))
    for r in range(n_ctx):
        axpy(1.0, cfg.syn0 + <int64_t>st.in_rows[r] * dim, st.hidden, dim)
    if cfg.cbow_mean:
        scale(1.0 / n_ctx, st.hidden, dim)
    st.in_ptrs[0] = st.hidden
    memset(st.grad_in, 0, dim * sizeof(float))
    if cfg.hs:
        hs_block(cfg, st, centre, 1, alpha)
    if cfg.negative:
        ns_block(cfg, st, centre, 1, alpha)
    # Like word2vec.c and gensim, every context row gets the full error, mean or sum.
    for r in range(n_ctx):
        axpy(1.0, st.grad_in, cfg.syn0 + <int64_t>st.in_rows[r] * dim, dim)


# ---------------------------------------------------------------- sentences and chunks

cdef inline float current_alpha(const TrainConfig *cfg) noexcept nogil:
    cdef double done = <double>fw_atomic_load_i64(cfg.schedule_done)
    cdef double progress = done / <double>cfg.schedule_total if cfg.schedule_total > 0 else 1.0
    cdef double alpha = cfg.start_alpha - (cfg.start_alpha - cfg.end_alpha) * progress
    if alpha < cfg.end_alpha:
        alpha = cfg.end_alpha
    return <float>alpha


cdef int subsample(const TrainConfig *cfg, ThreadState *st, int64_t start, int64_t end) noexcept nogil:
    """Copy the sentence ids[start:end] into st.sentence, dropping subsampled words."""
    cdef int n = 0
    cdef int64_t k
    cdef int32_t w
    for k in range(start, end):
        w = cfg.ids[k]
        if cfg.sample_int[w] < next_u32(st):
            continue
        st.sentence[n] = w
        n += 1
    return n


cdef void train_sentence(const TrainConfig *cfg, ThreadState *st, int64_t start, int64_t end,
                         float alpha) noexcept nogil:
    cdef int n = subsample(cfg, st, start, end)
    cdef int i, j, lo, hi, b, n_ctx
    st.effective_words += n
    for i in range(n):
        b = <int>bounded(st, cfg.window) if cfg.shrink_windows else 0
        lo = i - cfg.window + b
        if lo < 0:
            lo = 0
        hi = i + cfg.window + 1 - b
        if hi > n:
            hi = n
        n_ctx = 0
        for j in range(lo, hi):
            if j != i:
                st.in_rows[n_ctx] = st.sentence[j]
                n_ctx += 1
        if n_ctx == 0:
            continue
        if cfg.negative:
            draw_negatives(cfg, st)
        prefetch_window(cfg, st, i, n)
        if cfg.sg:
            sg_window(cfg, st, st.sentence[i], n_ctx, alpha)
        else:
            cbow_window(cfg, st, st.sentence[i], n_ctx, alpha)


cdef void train_chunks(TrainConfig *cfg, ThreadState *st) noexcept nogil:
    """Take chunks from the shared counter and train their sentences until none is left."""
    load_hot_rows(cfg, st)
    st.neg_len = NEG_BATCH_WINDOWS * cfg.negative
    st.neg_pos = st.neg_len  # empty: the first window draws a batch
    take_chunks(cfg, st)
    sync_hot_rows(cfg, st)


cdef void take_chunks(TrainConfig *cfg, ThreadState *st) noexcept nogil:
    cdef int64_t c, s, start, end
    cdef float alpha
    while True:
        if fw_atomic_load_int(cfg.stop):
            return
        c = fw_atomic_add_i64(cfg.next_chunk, 1)
        if c >= cfg.n_chunks:
            return
        for s in range(cfg.chunk_starts[c], cfg.chunk_starts[c + 1]):
            start = cfg.sent_offsets[s]
            end = cfg.sent_offsets[s + 1]
            alpha = current_alpha(cfg)
            train_sentence(cfg, st, start, end, alpha)
            st.words += end - start
            st.since_sync += end - start
            if st.since_sync >= cfg.sync_words:
                sync_hot_rows(cfg, st)
            fw_atomic_add_i64(cfg.schedule_done, end - start)
            if fw_atomic_load_int(cfg.stop):
                return


# ---------------------------------------------------------------- Python boundary

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
    cdef int max_in
    cdef int max_out
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
            self.states[t] = <ThreadState *>fw_alloc_lines(sizeof(ThreadState))
            if self.states[t] == NULL:
                raise MemoryError()
            self._init_state(self.states[t], max(max_sentence, 1), seed, t)

    cdef float *_f32(self, a) except NULL:
        self._keep.append(a)
        return _ptr_f32(a)

    def _arr(self, a, dtype, expected_len, name):
        a = np.ascontiguousarray(a, dtype=dtype)
        if a.ndim != 1 or (expected_len is not None and len(a) != expected_len):
            raise ValueError(f"{name} must be 1-D of length {expected_len}, got shape {a.shape}")
        self._keep.append(a)
        return a

    cdef int _init_state(self, ThreadState *st, int64_t max_sentence, uint64_t seed, int t) except -1:
        cdef int dim = self.cfg.dim
        cdef int64_t n_hot_hs
        st.rng = seed * <uint64_t>0x2545F4914F6CDD1D + <uint64_t>(t + 1) * <uint64_t>0x9E3779B97F4A7C15
        st.sentence = <int32_t *>fw_alloc_lines(max_sentence * sizeof(int32_t))
        st.in_rows = <int32_t *>fw_alloc_lines(self.max_in * sizeof(int32_t))
        st.in_ptrs = <float **>fw_alloc_lines(self.max_in * sizeof(float *))
        st.out_rows = <int32_t *>fw_alloc_lines(self.max_out * sizeof(int32_t))
        st.out_ptrs = <float **>fw_alloc_lines(self.max_out * sizeof(float *))
        st.labels = <float *>fw_alloc_lines(self.max_out * sizeof(float))
        # Two blocks of grads: the window's, and room to merge repeated rows (SG-NS).
        st.grads = <float *>fw_alloc_lines(2 * self.max_in * self.max_out * sizeof(float))
        st.grad_in = <float *>fw_alloc_lines(self.max_in * dim * sizeof(float))
        st.hidden = <float *>fw_alloc_lines(dim * sizeof(float))
        st.negatives = <int32_t *>fw_alloc_lines(max(self.cfg.negative, 1) * sizeof(int32_t))
        st.neg_batch = <int32_t *>fw_alloc_lines(
            NEG_BATCH_WINDOWS * max(self.cfg.negative, 1) * sizeof(int32_t))
        if (st.sentence == NULL or st.in_rows == NULL or st.in_ptrs == NULL or st.out_rows == NULL
                or st.labels == NULL or st.grads == NULL or st.grad_in == NULL or st.hidden == NULL
                or st.negatives == NULL or st.neg_batch == NULL or st.out_ptrs == NULL):
            raise MemoryError()
        n_hot_hs = <int64_t>(self.cfg.hot_hs_hi - self.cfg.hot_hs_lo) * dim
        if n_hot_hs:
            st.hot_hs_rows = <float *>fw_alloc_lines(n_hot_hs * sizeof(float))
            st.hot_hs_base = <float *>fw_alloc_lines(n_hot_hs * sizeof(float))
            if st.hot_hs_rows == NULL or st.hot_hs_base == NULL:
                raise MemoryError()
        return 0

    def __dealloc__(self):
        cdef int t
        if self.states != NULL:
            for t in range(self.n_threads):
                if self.states[t] == NULL:
                    continue
                free(self.states[t].sentence)
                free(self.states[t].in_rows)
                free(self.states[t].in_ptrs)
                free(self.states[t].out_rows)
                free(self.states[t].out_ptrs)
                free(self.states[t].hot_hs_rows)
                free(self.states[t].hot_hs_base)
                free(self.states[t].labels)
                free(self.states[t].grads)
                free(self.states[t].grad_in)
                free(self.states[t].hidden)
                free(self.states[t].negatives)
                free(self.states[t].neg_batch)
                free(self.states[t])
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


# ---------------------------------------------------------------- test twin

def window_update(syn0, syn1, syn1neg, int32_t centre, context, negatives, codes, points,
                  float alpha, int sg=1, int cbow_mean=1, int compute_loss=0):
    """Apply one window's update with known draws: the kernel's own code, callable from Python.

    Calls ``sg_window`` / ``cbow_window`` with the negative draws replaced by
    ``negatives`` (a draw equal to ``centre`` is dropped, as in training) and the
    centre word's Huffman path given by ``codes``/``points``, so tests can compare
    it with a numpy reference. Pass ``syn1=None`` for NS only and ``syn1neg=None``
    for HS only. Returns the loss of the window.
    """
    cdef TrainConfig cfg
    cdef ThreadState st
    cdef int n_ctx
    n_words, dim = _check_matrix("syn0", syn0, None, None)
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
    memset(&st, 0, sizeof(st))
    cfg.dim = dim
    cfg.n_words = n_words
    cfg.sg = sg
    cfg.cbow_mean = cbow_mean
    cfg.compute_loss = compute_loss
    table = sigmoid_table()
    cfg.sigmoid_table = <const float *><size_t>table.ctypes.data
    cfg.syn0 = _ptr_f32(syn0)
    path_offsets = np.zeros(n_words + 1, np.int64)
    path_offsets[centre + 1:] = len(codes)
    if syn1 is not None:
        _check_matrix("syn1", syn1, None, dim)
        if len(codes) < 1 or len(points) != len(codes) or points.min() < 0 \
                or points.max() >= syn1.shape[0]:
            raise ValueError("Huffman path out of range")
        cfg.hs = 1
        cfg.syn1 = _ptr_f32(syn1)
        cfg.codes = <const uint8_t *><size_t>codes.ctypes.data
        cfg.points = <const int32_t *><size_t>points.ctypes.data
        cfg.path_offsets = <const int64_t *><size_t>path_offsets.ctypes.data
    if syn1neg is not None:
        _check_matrix("syn1neg", syn1neg, n_words, dim)
        cfg.syn1neg = _ptr_f32(syn1neg)
        cfg.negative = len(negatives)
        if cfg.negative == 0:
            raise ValueError("negative sampling needs at least one negative")
        st.negatives = <int32_t *><size_t>negatives.ctypes.data
    if not (cfg.hs or cfg.negative):
        raise ValueError("give syn1 (HS) or syn1neg (NS)")
    n_out_max = max(len(codes), len(negatives) + 1)
    in_rows = context.copy()
    in_ptrs = np.zeros(n_ctx, np.uintp)
    out_rows = np.zeros(n_out_max, np.int32)
    out_ptrs = np.zeros(n_out_max, np.uintp)
    labels = np.zeros(n_out_max, np.float32)
    grads = np.zeros(2 * n_ctx * n_out_max, np.float32)  # as TrainJob: room to merge repeats
    grad_in = np.zeros(n_ctx * dim, np.float32)
    hidden = np.zeros(dim, np.float32)
    st.in_rows = <int32_t *><size_t>in_rows.ctypes.data
    st.in_ptrs = <float **><size_t>in_ptrs.ctypes.data
    st.out_rows = <int32_t *><size_t>out_rows.ctypes.data
    st.out_ptrs = <float **><size_t>out_ptrs.ctypes.data
    st.labels = <float *><size_t>labels.ctypes.data
    st.grads = <float *><size_t>grads.ctypes.data
    st.grad_in = <float *><size_t>grad_in.ctypes.data
    st.hidden = <float *><size_t>hidden.ctypes.data
    with nogil:
        if sg:
            sg_window(&cfg, &st, centre, n_ctx, alpha)
        else:
            cbow_window(&cfg, &st, centre, n_ctx, alpha)
    return st.loss


def negative_draws(alias, int negative, int windows, uint64_t seed=1):
    """``windows`` x ``negative`` draws of the kernel's negative sampler, for tests.

    Runs the training path itself (batched draws from the packed alias table of
    :func:`fastw2v.vocab.alias_table`) on a thread state seeded like thread 0 of
    a job with ``seed``.
    """
    cdef TrainConfig cfg
    cdef ThreadState st
    cdef int w, d
    cdef int32_t[:, ::1] out
    packed = np.ascontiguousarray(alias, np.uint32)
    n_words = len(packed)
    if n_words < 1 or packed.shape != (n_words, 2) or packed[:, 1].max() >= n_words \
            or negative < 1 or windows < 0:
        raise ValueError("a packed (n, 2) alias table with aliases in range, negative >= 1")
    rows = np.zeros((n_words, 1), np.float32)  # prefetched, never read
    batch = np.zeros(NEG_BATCH_WINDOWS * negative, np.int32)
    drawn = np.zeros(negative, np.int32)
    result = np.zeros((windows, negative), np.int32)
    out = result
    memset(&cfg, 0, sizeof(cfg))
    memset(&st, 0, sizeof(st))
    cfg.n_words = n_words
    cfg.negative = negative
    cfg.dim = 1
    cfg.alias = <const uint32_t *><size_t>packed.ctypes.data
    cfg.syn1neg = <float *><size_t>rows.ctypes.data
    st.rng = seed * <uint64_t>0x2545F4914F6CDD1D + <uint64_t>0x9E3779B97F4A7C15
    st.neg_batch = <int32_t *><size_t>batch.ctypes.data
    st.negatives = <int32_t *><size_t>drawn.ctypes.data
    st.neg_len = NEG_BATCH_WINDOWS * negative
    st.neg_pos = st.neg_len
    for w in range(windows):
        draw_negatives(&cfg, &st)
        for d in range(negative):
            out[w, d] = st.negatives[d]
    return result
