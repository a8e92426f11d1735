/* The skip-gram negative-sampling block update in one sweep over the vector
 * (AVX2 + FMA intrinsics in the _train_avx2 build, a loop the compiler
 * vectorises in the baseline build). Included by _train_kernels.pxi.
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

#endif
