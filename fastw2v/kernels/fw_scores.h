/* The HogBatch block's forward half: every input row's dot product with every output
 * row (fw_scores), then each score's error times the learning rate (fw_grads), for
 * the one-sweep updates of fw_fused.h to apply. Included by _train_kernels.pxi.
 *
 * AVX-512 and AVX2 builds: the dot products of a block of two inputs and up to eight
 * outputs (four with AVX2's 16 registers) are summed across their vectors together,
 * one transposing tree of adds for the block instead of one reduction per product,
 * and the last n % width floats take one masked step. perf annotate of SG-NS had the
 * per-product reductions and the compiler's scalar 4-float tail at about a third of
 * the scores' cycles. Every other build (SSE2, NEON) keeps the plain loops of
 * fw_block.h, which the compiler vectorises.
 */
#ifndef FASTW2V_FW_SCORES_H
#define FASTW2V_FW_SCORES_H

#include <stdint.h>
#include "fw_block.h"

/* The sigmoid table's index of score f (|f| < max_exp): word2vec.c's, in double so
   that the largest float below max_exp cannot round up to one past the table. */
#define FW_TABLE_SCALE(size, max_exp) ((double)(size) / (2.0 * (double)(max_exp)))

/* One score's error: (label - sigmoid(f)) * alpha, the sigmoid read from the table
   inside (-max_exp, max_exp) and 0 / 1 outside; with skip_saturated (hierarchical
   softmax) no gradient outside. NaN (a diverging model) fails both comparisons: its
   sigmoid is 0, or its gradient 0, and the trainer reports the divergence. */
static inline float fw_grad_one(float f, float label, const float *table, int size, int max_exp,
                                float alpha, int skip_saturated) {
    float s;
    if (f > -max_exp && f < max_exp) {
        int i = (int)(((double)f + max_exp) * FW_TABLE_SCALE(size, max_exp));
        s = table[i < size ? i : size - 1];
    } else {
        if (skip_saturated)
            return 0.f;
        s = f >= max_exp ? 1.f : 0.f;
    }
    return (label - s) * alpha;
}

/* The block's sums are named variables, not an array: with an array of 16 vectors GCC
   kept them in memory (a store per FMA and a 1 KB clear per block: SG-NS 15% slower
   than the plain loops). FW_SUM_STEP(k) adds output k's step when the block has it. */
#define FW_SUM_STEP(k, FMA, load)                             \
    if (NO > k) {                                             \
        O = load(o[k] + i);                                   \
        a##k = FMA(X0, O, a##k);                              \
        b##k = FMA(X1, O, b##k);                              \
    }

#if defined(__AVX512F__) && defined(__AVX512VL__) && defined(__AVX512DQ__)
#include <immintrin.h>
#define FW_SCORES_PAIR_OUT 8    /* outputs per block of two inputs */

static inline __attribute__((always_inline)) __m512 fw_pair_sum(
        __m512 a, __m512 b, const int lo_imm, const int hi_imm) {
    return _mm512_add_ps(_mm512_shuffle_f32x4(a, b, lo_imm), _mm512_shuffle_f32x4(a, b, hi_imm));
}
static inline __attribute__((always_inline)) __m512 fw_lane_sum(
        __m512 a, __m512 b, const int lo_imm, const int hi_imm) {
    return _mm512_add_ps(_mm512_shuffle_ps(a, b, lo_imm), _mm512_shuffle_ps(a, b, hi_imm));
}
/* a + b over two selections of 128-bit lanes (fw_pair_sum) or of floats in each lane */
#define FW_HALVES _MM_SHUFFLE(1, 0, 1, 0), _MM_SHUFFLE(3, 2, 3, 2)
#define FW_EVEN_ODD _MM_SHUFFLE(2, 0, 2, 0), _MM_SHUFFLE(3, 1, 3, 1)
/* Sixteen vectors' sums in one vector, lane i = the sum of v_i's 16 floats: four levels
   of lane-pair adds (16 -> 8 -> 4 -> 2 -> 1 vectors), then one permute. */
static inline __attribute__((always_inline)) __m512 fw_sum16(
        __m512 v0, __m512 v1, __m512 v2, __m512 v3, __m512 v4, __m512 v5, __m512 v6,
        __m512 v7, __m512 v8, __m512 v9, __m512 v10, __m512 v11, __m512 v12, __m512 v13,
        __m512 v14, __m512 v15) {
    /* each pair folded to 8 partials of each: [v0 | v0 | v1 | v1] in 128-bit lanes */
    __m512 u0 = fw_pair_sum(v0, v1, FW_HALVES), u1 = fw_pair_sum(v2, v3, FW_HALVES);
    __m512 u2 = fw_pair_sum(v4, v5, FW_HALVES), u3 = fw_pair_sum(v6, v7, FW_HALVES);
    __m512 u4 = fw_pair_sum(v8, v9, FW_HALVES), u5 = fw_pair_sum(v10, v11, FW_HALVES);
    __m512 u6 = fw_pair_sum(v12, v13, FW_HALVES), u7 = fw_pair_sum(v14, v15, FW_HALVES);
    /* 128-bit lane j of w_q: the 4 partials of v_(4q + j) */
    __m512 w0 = fw_pair_sum(u0, u1, FW_EVEN_ODD), w1 = fw_pair_sum(u2, u3, FW_EVEN_ODD);
    __m512 w2 = fw_pair_sum(u4, u5, FW_EVEN_ODD), w3 = fw_pair_sum(u6, u7, FW_EVEN_ODD);
    /* lane j of x_s: 2 partials of v_(8s + j), 2 of v_(8s + 4 + j) */
    __m512 x0 = fw_lane_sum(w0, w1, FW_HALVES), x1 = fw_lane_sum(w2, w3, FW_HALVES);
    /* lane 4j + e: the sum of v_(j + 4e) */
    __m512 r = fw_lane_sum(x0, x1, FW_EVEN_ODD);
    const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    return _mm512_permutexvar_ps(order, r);
}

/* out[k] = x0 . o_k and out[ld + k] = x1 . o_k for NO (1..8) outputs, 16 floats per step,
   the last n % 16 in one masked step. */
static inline __attribute__((always_inline)) void fw_scores_block(
        const float *x0, const float *x1, float *const *o, const int NO, int n, float *out,
        int ld) {
    __m512 a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7, X0, X1, O;
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = _mm512_setzero_ps();
    b0 = b1 = b2 = b3 = b4 = b5 = b6 = b7 = _mm512_setzero_ps();
    for (int i = 0; i < n; i += 16) {
        __mmask16 mask = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
#define FW_LOAD(p) _mm512_maskz_loadu_ps(mask, p)
        X0 = FW_LOAD(x0 + i);
        X1 = FW_LOAD(x1 + i);
        FW_SUM_STEP(0, _mm512_fmadd_ps, FW_LOAD) FW_SUM_STEP(1, _mm512_fmadd_ps, FW_LOAD)
        FW_SUM_STEP(2, _mm512_fmadd_ps, FW_LOAD) FW_SUM_STEP(3, _mm512_fmadd_ps, FW_LOAD)
        FW_SUM_STEP(4, _mm512_fmadd_ps, FW_LOAD) FW_SUM_STEP(5, _mm512_fmadd_ps, FW_LOAD)
        FW_SUM_STEP(6, _mm512_fmadd_ps, FW_LOAD) FW_SUM_STEP(7, _mm512_fmadd_ps, FW_LOAD)
#undef FW_LOAD
    }
    __m512 sums = fw_sum16(a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7);
    __mmask16 row = (__mmask16)((1u << NO) - 1);  /* lanes 0..7: x0's scores, 8..15: x1's */
    _mm512_mask_storeu_ps(out, row, sums);
    _mm512_mask_storeu_ps(out + ld, row,  /* x1's scores down to lanes 0..7 */
                          _mm512_shuffle_f32x4(sums, sums, _MM_SHUFFLE(3, 2, 3, 2)));
}

#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define FW_SCORES_PAIR_OUT 4    /* 2 x 4 sums, two inputs and an output: 11 of 16 registers */

/* Eight vectors of eight partial sums in one vector, lane i = the sum of t_i's: a tree
   of horizontal adds, then the two 128-bit halves added. */
static inline __attribute__((always_inline)) __m256 fw_sum8(
        __m256 t0, __m256 t1, __m256 t2, __m256 t3, __m256 t4, __m256 t5, __m256 t6,
        __m256 t7) {
    __m256 h01 = _mm256_hadd_ps(t0, t1), h23 = _mm256_hadd_ps(t2, t3);
    __m256 h45 = _mm256_hadd_ps(t4, t5), h67 = _mm256_hadd_ps(t6, t7);
    __m256 h03 = _mm256_hadd_ps(h01, h23), h47 = _mm256_hadd_ps(h45, h67);
    return _mm256_add_ps(_mm256_permute2f128_ps(h03, h47, 0x20),
                         _mm256_permute2f128_ps(h03, h47, 0x31));
}

/* Lanes 0..7 all ones, then all zeros: a load at 8 - r masks all but r lanes. */
static const int32_t fw_lane_masks[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

/* As the AVX-512 fw_scores_block, NO <= 4, 8 floats per step, the last n % 8 in one
   masked load. */
static inline __attribute__((always_inline)) void fw_scores_block(
        const float *x0, const float *x1, float *const *o, const int NO, int n, float *out,
        int ld) {
    __m256 a0, a1, a2, a3, b0, b1, b2, b3, X0, X1, O;
    a0 = a1 = a2 = a3 = b0 = b1 = b2 = b3 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        X0 = _mm256_loadu_ps(x0 + i);
        X1 = _mm256_loadu_ps(x1 + i);
        FW_SUM_STEP(0, _mm256_fmadd_ps, _mm256_loadu_ps)
        FW_SUM_STEP(1, _mm256_fmadd_ps, _mm256_loadu_ps)
        FW_SUM_STEP(2, _mm256_fmadd_ps, _mm256_loadu_ps)
        FW_SUM_STEP(3, _mm256_fmadd_ps, _mm256_loadu_ps)
    }
    if (i < n) {
        __m256i mask = _mm256_loadu_si256((const __m256i *)(fw_lane_masks + 8 - (n - i)));
#define FW_LOAD(p) _mm256_maskload_ps(p, mask)
        X0 = FW_LOAD(x0 + i);
        X1 = FW_LOAD(x1 + i);
        FW_SUM_STEP(0, _mm256_fmadd_ps, FW_LOAD) FW_SUM_STEP(1, _mm256_fmadd_ps, FW_LOAD)
        FW_SUM_STEP(2, _mm256_fmadd_ps, FW_LOAD) FW_SUM_STEP(3, _mm256_fmadd_ps, FW_LOAD)
#undef FW_LOAD
    }
    float sums[8];  /* lanes 0..3: x0's scores, 4..7: x1's */
    _mm256_storeu_ps(sums, fw_sum8(a0, a1, a2, a3, b0, b1, b2, b3));
    for (int k = 0; k < NO; k++) {
        out[k] = sums[k];
        out[ld + k] = sums[4 + k];
    }
}
#endif

#if defined(FW_SCORES_PAIR_OUT)
/* One block of m outputs, m a constant in each instance (the sums stay in registers). */
static inline void fw_scores_pair(const float *x0, const float *x1, float *const *o, int m,
                                  int n, float *out, int ld) {
    switch (m) {  /* m <= FW_SCORES_PAIR_OUT: no instance above it */
        case 1: fw_scores_block(x0, x1, o, 1, n, out, ld); break;
        case 2: fw_scores_block(x0, x1, o, 2, n, out, ld); break;
        case 3: fw_scores_block(x0, x1, o, 3, n, out, ld); break;
#if FW_SCORES_PAIR_OUT == 8
        case 4: fw_scores_block(x0, x1, o, 4, n, out, ld); break;
        case 5: fw_scores_block(x0, x1, o, 5, n, out, ld); break;
        case 6: fw_scores_block(x0, x1, o, 6, n, out, ld); break;
        case 7: fw_scores_block(x0, x1, o, 7, n, out, ld); break;
        default: fw_scores_block(x0, x1, o, 8, n, out, ld); break;
#else
        default: fw_scores_block(x0, x1, o, 4, n, out, ld); break;
#endif
    }
}

/* out[r * n_out + k] = x_r . o_k for every input and output row (n floats each): pairs
   of inputs against blocks of FW_SCORES_PAIR_OUT outputs; an odd last input (and CBOW's
   one hidden row) takes fw_dot_many, whose independent reductions measured as fast for
   one input as a tree (CBOW-NS 3% slower with the tree). */
static inline void fw_scores(float *const *x, int n_in, float *const *o, int n_out, int n,
                             float *out) {
    int r = 0;
    for (; r + 2 <= n_in; r += 2)
        for (int k0 = 0; k0 < n_out; k0 += FW_SCORES_PAIR_OUT) {
            int m = n_out - k0 < FW_SCORES_PAIR_OUT ? n_out - k0 : FW_SCORES_PAIR_OUT;
            fw_scores_pair(x[r], x[r + 1], o + k0, m, n, out + r * n_out + k0, n_out);
        }
    if (r < n_in)
        fw_dot_many(x[r], o, n_out, n, out + r * n_out);
}

#else  /* SSE2, NEON: the plain loops, which the compiler vectorises */

static inline void fw_scores(float *const *x, int n_in, float *const *o, int n_out, int n,
                             float *out) {
    int r = 0;
    for (; r + 2 <= n_in; r += 2)
        fw_dot2_many(x[r], x[r + 1], o, n_out, n, out + r * n_out, out + (r + 1) * n_out);
    if (r < n_in)
        fw_dot_many(x[r], o, n_out, n, out + r * n_out);
}

#endif

/* Each score of the n_in x n_out block g becomes its error times alpha (fw_grad_one), in
   place. Scalar in every build: a gather of eight table entries (AVX-512) made SG-NS 8%
   slower than these loads, which overlap with the next window's work. */
static inline void fw_grads(float *g, int n_in, int n_out, const float *labels,
                            const float *table, int size, int max_exp, float alpha,
                            int skip_saturated) {
    for (int r = 0; r < n_in; r++)
        for (int k = 0; k < n_out; k++)
            g[r * n_out + k] = fw_grad_one(g[r * n_out + k], labels[k], table, size, max_exp,
                                           alpha, skip_saturated);
}

#endif
