/* The HogBatch block update in one sweep over the vector (AVX-512 intrinsics in the
 * _train_avx512 build, AVX2 + FMA intrinsics in _train_avx2, GCC/Clang 4-float vector
 * extensions in every other build):
 * in place for skip-gram negative sampling (fw_fused_update), into a gradient buffer
 * for hierarchical softmax's paths and CBOW's (or, with HS or vectors_lockf,
 * skip-gram's) negative-sampling block (fw_fused_accumulate). Included by
 * _train_kernels.pxi.
 */
#ifndef FASTW2V_FW_FUSED_H
#define FASTW2V_FW_FUSED_H

#include <stddef.h>

#include "fw_memory.h"  /* fw_line_pitch: the gradient buffer's rows start lines */

/* The skip-gram NS block's two updates in one sweep over the vector:
       x_r += sum_k g[r, k] o_k    and    o_k += sum_r g[r, k] x_r
   both from the rows as they were (each chunk of a row is read before it is
   written, and rows are distinct: the caller merges repeated rows first).
   The output chunks and their sums stay in registers while every input row
   passes, so each row is loaded and stored once: about half the loads and a
   third of the stores of the three-pass form. */
#define FW_FUSED_MAX_OUT 8

/* The sweep's last n - i elements (dim not a multiple of the vector width), one at a
   time; arguments as fw_fused_m's below. */
static inline __attribute__((always_inline)) void fw_fused_tail(
        float *const *x, int n_in, float *gin, float *const *o, const int m, const float *g,
        int gs, int n, int i) {
    const ptrdiff_t gp = fw_line_pitch(n);  /* gin's rows start lines */
    for (; i < n; i++) {
        float O[FW_FUSED_MAX_OUT], A[FW_FUSED_MAX_OUT];
        for (int k = 0; k < m; k++)
            A[k] = O[k] = o[k][i];
        for (int r = 0; r < n_in; r++) {
            float *yr = gin ? gin + (ptrdiff_t)r * gp : x[r];
            float X = x[r][i], Y = yr[i];
            for (int k = 0; k < m; k++) {
                Y += g[r * gs + k] * O[k];
                A[k] += g[r * gs + k] * X;
            }
            yr[i] = Y;
        }
        for (int k = 0; k < m; k++)
            o[k][i] = A[k];
    }
}
#if defined(__AVX512F__)
#include <immintrin.h>
/* As the AVX2 fw_fused_m below, 16 floats per step; the last n % 16 take one masked
   step (dim 100: six steps and a 4-lane one, where AVX2 takes twelve, one SSE and none
   scalar). 32 registers hold 2 * 8 output chunks, the input and its sum. */
static inline __attribute__((always_inline)) void fw_fused_m(
        float *const *x, int n_in, float *gin, float *const *o, const int m, const float *g,
        int gs, int n) {
    const ptrdiff_t gp = fw_line_pitch(n);
    for (int i = 0; i < n; i += 16) {
        __mmask16 mask = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        __m512 O[FW_FUSED_MAX_OUT], A[FW_FUSED_MAX_OUT];
        for (int k = 0; k < m; k++) {
            O[k] = _mm512_maskz_loadu_ps(mask, o[k] + i);
            A[k] = O[k];
        }
        for (int r = 0; r < n_in; r++) {
            const float *gr = g + r * gs;
            float *yr = gin ? gin + (ptrdiff_t)r * gp : x[r];
            __m512 X = _mm512_maskz_loadu_ps(mask, x[r] + i);
            __m512 Y = gin ? _mm512_maskz_loadu_ps(mask, yr + i) : X;
            for (int k = 0; k < m; k++) {
                __m512 b = _mm512_set1_ps(gr[k]);
                Y = _mm512_fmadd_ps(b, O[k], Y);
                A[k] = _mm512_fmadd_ps(b, X, A[k]);
            }
            _mm512_mask_storeu_ps(yr + i, mask, Y);
        }
        for (int k = 0; k < m; k++)
            _mm512_mask_storeu_ps(o[k] + i, mask, A[k]);
    }
}
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
/* gin NULL: x_r += sum_k g[r, k] o_k in place; otherwise the rows x_r are only read
   and row r of the gradient buffer gin (rows fw_line_pitch(n) floats apart, each on
   whole lines) takes that sum instead. g[r, k]
   is g[r * gs + k]: a block of m columns of a wider grads matrix. */
static inline __attribute__((always_inline)) void fw_fused_m(
        float *const *x, int n_in, float *gin, float *const *o, const int m, const float *g,
        int gs, int n) {
    const ptrdiff_t gp = fw_line_pitch(n);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 O[FW_FUSED_MAX_OUT], A[FW_FUSED_MAX_OUT];
        for (int k = 0; k < m; k++) {
            O[k] = _mm256_loadu_ps(o[k] + i);
            A[k] = O[k];
        }
        for (int r = 0; r < n_in; r++) {
            const float *gr = g + r * gs;
            float *yr = gin ? gin + (ptrdiff_t)r * gp : x[r];
            __m256 X = _mm256_loadu_ps(x[r] + i), Y = gin ? _mm256_loadu_ps(yr + i) : X;
            for (int k = 0; k < m; k++) {
                __m256 b = _mm256_broadcast_ss(gr + k);
                Y = _mm256_fmadd_ps(b, O[k], Y);
                A[k] = _mm256_fmadd_ps(b, X, A[k]);
            }
            _mm256_storeu_ps(yr + i, Y);
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
            const float *gr = g + r * gs;
            float *yr = gin ? gin + (ptrdiff_t)r * gp : x[r];
            __m128 X = _mm_loadu_ps(x[r] + i), Y = gin ? _mm_loadu_ps(yr + i) : X;
            for (int k = 0; k < m; k++) {
                __m128 b = _mm_broadcast_ss(gr + k);
                Y = _mm_fmadd_ps(b, O[k], Y);
                A[k] = _mm_fmadd_ps(b, X, A[k]);
            }
            _mm_storeu_ps(yr + i, Y);
        }
        for (int k = 0; k < m; k++)
            _mm_storeu_ps(o[k] + i, A[k]);
    }
    fw_fused_tail(x, n_in, gin, o, m, g, gs, n, i);
}
#else
#include "fw_vec.h"
/* Every other target (baseline x86-64 = SSE2, aarch64 = NEON, ...): the same
   sweep on 4-float vectors in GCC/Clang's vector extension, which lowers to
   the target's 128-bit registers without intrinsics. A loop over a runtime
   chunk width and output count (the form this replaced) kept the chunks in
   memory and ran 6x slower than AVX2; with m a constant the 2m chunks live in
   registers (12 of SSE2's 16 at 1 + 5 negatives; NEON has 32). */
/* Rows up to this many get their grads broadcast once per block rather than
   once per chunk (SSE2 has no broadcast load: a shuffle per grad per chunk). */
#define FW_FUSED_MAX_IN 32
/* gb: the grads already broadcast (n_in * m vectors), or NULL to broadcast
   g in the loop; each call site passes one or the other as a constant. */
static inline __attribute__((always_inline)) void fw_fused_chunks(
        float *const *x, int n_in, float *gin, float *const *o, const int m, const float *g,
        int gs, const fw_v4 *gb, int n) {
    const ptrdiff_t gp = fw_line_pitch(n);
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        fw_v4 O[FW_FUSED_MAX_OUT], A[FW_FUSED_MAX_OUT];
        for (int k = 0; k < m; k++)
            A[k] = O[k] = fw_load4(o[k] + i);
        for (int r = 0; r < n_in; r++) {
            float *yr = gin ? gin + (ptrdiff_t)r * gp : x[r];
            fw_v4 X = fw_load4(x[r] + i), Y = gin ? fw_load4(yr + i) : X;
            for (int k = 0; k < m; k++) {
                fw_v4 b = gb ? gb[r * m + k] : fw_splat4(g[r * gs + k]);
                Y += b * O[k];
                A[k] += b * X;
            }
            fw_store4(yr + i, Y);
        }
        for (int k = 0; k < m; k++)
            fw_store4(o[k] + i, A[k]);
    }
    fw_fused_tail(x, n_in, gin, o, m, g, gs, n, i);
}
/* As the AVX2 fw_fused_m above (gin, gs: see there). */
static inline __attribute__((always_inline)) void fw_fused_m(
        float *const *x, int n_in, float *gin, float *const *o, const int m, const float *g,
        int gs, int n) {
    if (n_in <= FW_FUSED_MAX_IN) {
        fw_v4 gb[FW_FUSED_MAX_IN * FW_FUSED_MAX_OUT];
        for (int r = 0; r < n_in; r++)
            for (int k = 0; k < m; k++)
                gb[r * m + k] = fw_splat4(g[r * gs + k]);
        fw_fused_chunks(x, n_in, gin, o, m, g, gs, gb, n);
    } else {
        fw_fused_chunks(x, n_in, gin, o, m, g, gs, (const fw_v4 *)0, n);
    }
}
#endif

/* x_r += sum_k g[r, k] o_k and o_k += sum_r g[r, k] x_r, in place, m <= 8 outputs: one
   instance per output count, so that m is a constant and the chunks of every output
   row live in registers. */
static inline void fw_fused_update(float *const *x, int n_in, float *const *o, int m,
                                   const float *g, int n) {
    switch (m) {
        case 1: fw_fused_m(x, n_in, (float *)0, o, 1, g, 1, n); break;
        case 2: fw_fused_m(x, n_in, (float *)0, o, 2, g, 2, n); break;
        case 3: fw_fused_m(x, n_in, (float *)0, o, 3, g, 3, n); break;
        case 4: fw_fused_m(x, n_in, (float *)0, o, 4, g, 4, n); break;
        case 5: fw_fused_m(x, n_in, (float *)0, o, 5, g, 5, n); break;
        case 6: fw_fused_m(x, n_in, (float *)0, o, 6, g, 6, n); break;
        case 7: fw_fused_m(x, n_in, (float *)0, o, 7, g, 7, n); break;
        default: fw_fused_m(x, n_in, (float *)0, o, 8, g, 8, n); break;
    }
}

/* Outputs per sweep of fw_fused_accumulate: 2 * 6 output chunks and the input, its
   gradient and a grad in registers fill x86's 16 vector registers; eight spilled
   (CBOW-HS 5% slower than the three-pass update, measured with kernel_cpu.py). AVX-512
   has 32 registers, where 2 * 8 chunks fit (SG-HS 0.937 -> 0.782 CPU s with the 512-bit
   sweep, benchmarks/README.md "Session 9"). */
#if defined(__AVX512F__)
#define FW_FUSED_BLOCK_OUT 8  /* 32 registers: 2 * 8 chunks fit */
#else
#define FW_FUSED_BLOCK_OUT 6
#endif
_Static_assert(FW_FUSED_BLOCK_OUT <= FW_FUSED_MAX_OUT, "a block must fit the sweep");

/* The same sweep for any number of outputs, with the inputs' share added to a gradient
   buffer instead of the rows: gin[r] += sum_k g[r, k] o_k, o_k += sum_r g[r, k] x_r, for
   g an n_in x n_out matrix. Blocks of up to FW_FUSED_BLOCK_OUT outputs each take one
   sweep; the x_r are read, never written, so every block sees them as they were, and
   each output row is in one block: the result is the three-pass block update's. The
   output rows must be distinct (a Huffman path's nodes are). */
static inline void fw_fused_accumulate(float *const *x, int n_in, float *gin, float *const *o,
                                       int n_out, const float *g, int n) {
    for (int k0 = 0; k0 < n_out; k0 += FW_FUSED_BLOCK_OUT) {
        int m = n_out - k0 < FW_FUSED_BLOCK_OUT ? n_out - k0 : FW_FUSED_BLOCK_OUT;
        float *const *ob = o + k0;
        const float *gb = g + k0;
        switch (m) {  /* m <= FW_FUSED_BLOCK_OUT: no instance above it */
            case 1: fw_fused_m(x, n_in, gin, ob, 1, gb, n_out, n); break;
            case 2: fw_fused_m(x, n_in, gin, ob, 2, gb, n_out, n); break;
            case 3: fw_fused_m(x, n_in, gin, ob, 3, gb, n_out, n); break;
            case 4: fw_fused_m(x, n_in, gin, ob, 4, gb, n_out, n); break;
            case 5: fw_fused_m(x, n_in, gin, ob, 5, gb, n_out, n); break;
#if FW_FUSED_BLOCK_OUT == 8
            case 6: fw_fused_m(x, n_in, gin, ob, 6, gb, n_out, n); break;
            case 7: fw_fused_m(x, n_in, gin, ob, 7, gb, n_out, n); break;
            default: fw_fused_m(x, n_in, gin, ob, 8, gb, n_out, n); break;
#else
            default: fw_fused_m(x, n_in, gin, ob, 6, gb, n_out, n); break;
#endif
        }
    }
}

#endif
