/* The skip-gram negative-sampling block update in one sweep over the vector
 * (AVX2 + FMA intrinsics in the _train_avx2 build, GCC/Clang 4-float vector
 * extensions in every other build). Included by _train_kernels.pxi.
 */
#ifndef FASTW2V_FW_FUSED_H
#define FASTW2V_FW_FUSED_H

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
        float *const *x, int n_in, float *const *o, const int m, const float *g,
        const fw_v4 *gb, int n) {
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        fw_v4 O[FW_FUSED_MAX_OUT], A[FW_FUSED_MAX_OUT];
        for (int k = 0; k < m; k++)
            A[k] = O[k] = fw_load4(o[k] + i);
        for (int r = 0; r < n_in; r++) {
            fw_v4 X = fw_load4(x[r] + i), Y = X;
            for (int k = 0; k < m; k++) {
                fw_v4 b = gb ? gb[r * m + k] : fw_splat4(g[r * m + k]);
                Y += b * O[k];
                A[k] += b * X;
            }
            fw_store4(x[r] + i, Y);
        }
        for (int k = 0; k < m; k++)
            fw_store4(o[k] + i, A[k]);
    }
    for (; i < n; i++) {  /* dim not a multiple of 4 */
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
static inline __attribute__((always_inline)) void fw_fused_m(
        float *const *x, int n_in, float *const *o, const int m, const float *g, int n) {
    if (n_in <= FW_FUSED_MAX_IN) {
        fw_v4 gb[FW_FUSED_MAX_IN * FW_FUSED_MAX_OUT];
        for (int j = 0; j < n_in * m; j++)
            gb[j] = fw_splat4(g[j]);
        fw_fused_chunks(x, n_in, o, m, g, gb, n);
    } else {
        fw_fused_chunks(x, n_in, o, m, g, (const fw_v4 *)0, n);
    }
}
#endif

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

#endif
