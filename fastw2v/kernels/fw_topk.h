/* Top-k cosine search: a small GEMM micro-kernel over 16-float vectors (GCC
 * vector extensions) fused with a running top k per query, so the score matrix
 * is never written to memory. Built twice, baseline and AVX-512
 * (_similarity_impl.pxi); see that file for why.
 */
#ifndef FASTW2V_FW_TOPK_H
#define FASTW2V_FW_TOPK_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef float fw_v16 __attribute__((vector_size(64)));
typedef float fw_v16u __attribute__((vector_size(64), aligned(4)));

enum { FW_MR = 12, FW_NR = 32, FW_NB = 256 };

/* Per-query running top k: unsorted slots plus the position of the worst. */
typedef struct {
    float *val;       /* m x k */
    int32_t *idx;     /* m x k */
    float *worst;     /* m: the smallest kept score (-inf until k are kept) */
    int32_t *worst_at;
    int k;
} fw_topk;

static void fw_topk_insert(fw_topk *t, int64_t q, float v, int32_t i) {
    float *val = t->val + q * t->k;
    int32_t *idx = t->idx + q * t->k;
    int w = t->worst_at[q];
    val[w] = v;
    idx[w] = i;
    float worst = val[0];
    int at = 0;
    for (int j = 1; j < t->k; j++)
        if (val[j] < worst) { worst = val[j]; at = j; }
    t->worst[q] = worst;
    t->worst_at[q] = at;
}

/* Pack rows [r0, r0 + nr) of unit (n x dim) as panels of 16 rows, dimension-major:
   panel p holds row r0 + 16 p + l at packed[(p * dim + d) * 16 + l]. Missing rows
   of the last panel are zeros (their scores are never considered). */
static void fw_pack(const float *unit, int64_t r0, int nr, int dim, float *packed) {
    int panels = (nr + 15) / 16;
    memset(packed, 0, (size_t)panels * dim * 16 * sizeof(float));
    for (int r = 0; r < nr; r++) {
        const float *row = unit + (r0 + r) * (int64_t)dim;
        float *dst = packed + (int64_t)(r / 16) * dim * 16 + (r % 16);
        for (int d = 0; d < dim; d++)
            dst[d * 16] = row[d];
    }
}

/* Scores of queries [q0, q0 + mr) (mr <= FW_MR) against two packed panels (32 rows,
   nr of them real) at `panel`; each score above its query's worst kept one is kept. */
static void fw_tile(const float *queries, int64_t q0, int mr, int dim, const float *panel,
                    int64_t row0, int nr, fw_topk *t) {
    fw_v16 acc[FW_MR][2];
    for (int i = 0; i < FW_MR; i++)
        acc[i][0] = acc[i][1] = (fw_v16){0};
    const float *q = queries + q0 * (int64_t)dim;
    const float *p1 = panel + (int64_t)dim * 16;
    if (mr == FW_MR) {
        for (int d = 0; d < dim; d++) {
            fw_v16 b0 = *(const fw_v16u *)(panel + d * 16);
            fw_v16 b1 = *(const fw_v16u *)(p1 + d * 16);
            for (int i = 0; i < FW_MR; i++) {
                float a = q[i * (int64_t)dim + d];
                acc[i][0] += a * b0;
                acc[i][1] += a * b1;
            }
        }
    } else {
        for (int d = 0; d < dim; d++) {
            fw_v16 b0 = *(const fw_v16u *)(panel + d * 16);
            fw_v16 b1 = *(const fw_v16u *)(p1 + d * 16);
            for (int i = 0; i < mr; i++) {
                float a = q[i * (int64_t)dim + d];
                acc[i][0] += a * b0;
                acc[i][1] += a * b1;
            }
        }
    }
    for (int i = 0; i < mr; i++) {
        float worst = t->worst[q0 + i];
        for (int h = 0; h < 2; h++) {
            fw_v16 s = acc[i][h];
            /* Quick reject: nothing in this half beats the worst kept score. */
            int any = 0;
            for (int l = 0; l < 16; l++)
                any |= s[l] > worst;
            if (!any)
                continue;
            for (int l = 0; l < 16; l++) {
                int r = h * 16 + l;
                if (r < nr && s[l] > t->worst[q0 + i])
                    fw_topk_insert(t, q0 + i, s[l], (int32_t)(row0 + r));
            }
        }
    }
}

/* Top k rows of unit[lo:hi] for each query; returns 0, or -1 if out of memory.
   NaN scores are never kept (a NaN compares false). */
static int fw_top_k_dot(const float *queries, int64_t m, const float *unit, int64_t lo,
                        int64_t hi, int dim, fw_topk *t) {
    float *packed = NULL;
    size_t bytes = (size_t)FW_NB * dim * sizeof(float);
    if (posix_memalign((void **)&packed, 64, bytes ? bytes : 64))
        return -1;
    memset(packed, 0, bytes);
    for (int64_t r0 = lo; r0 < hi; r0 += FW_NB) {
        int nb = (int)(hi - r0 < FW_NB ? hi - r0 : FW_NB);
        fw_pack(unit, r0, nb, dim, packed);
        for (int64_t q0 = 0; q0 < m; q0 += FW_MR) {
            int mr = (int)(m - q0 < FW_MR ? m - q0 : FW_MR);
            for (int c = 0; c < nb; c += FW_NR) {
                const float *panel = packed + (int64_t)(c / 16) * dim * 16;
                /* With nr <= 16 the second panel is stale (or zero) memory inside
                   the buffer; its scores are never kept. */
                int nr = nb - c < FW_NR ? nb - c : FW_NR;
                fw_tile(queries, q0, mr, dim, panel, r0 + c, nr, t);
            }
        }
    }
    free(packed);
    return 0;
}

#endif
