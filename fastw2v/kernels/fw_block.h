/* Small dense algebra of the HogBatch block update: dot products and sums of
 * rows, a few rows at a time, written so the compiler vectorises them (the
 * kernels build with -fassociative-math so it may reorder the sums).
 * Included by the training kernels (_train_kernels.pxi).
 */
#ifndef FASTW2V_FW_BLOCK_H
#define FASTW2V_FW_BLOCK_H

#include <stdint.h>

/* Register-blocked pieces of the HogBatch block update. Each combines up
   to four rows per pass over the vector, so a row is loaded once per four
   dot products (or the destination stored once per four sources) instead of
   once per pair. */

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

/* y += rows[ids[k]] for k < m (rows `pitch` floats apart, n summed): four rows per pass
   over y, so y is loaded and stored once per four (a FastText word has ~15 bucket rows to
   sum). */
static inline void fw_add_rows(float *__restrict__ y, const float *rows, const int32_t *ids,
                               int64_t m, int n, int64_t pitch) {
    int64_t k = 0;
    for (; k + 4 <= m; k += 4) {
        const float *__restrict__ r0 = rows + (int64_t)ids[k] * pitch;
        const float *__restrict__ r1 = rows + (int64_t)ids[k + 1] * pitch;
        const float *__restrict__ r2 = rows + (int64_t)ids[k + 2] * pitch;
        const float *__restrict__ r3 = rows + (int64_t)ids[k + 3] * pitch;
        for (int i = 0; i < n; i++)
            y[i] += (r0[i] + r1[i]) + (r2[i] + r3[i]);
    }
    for (; k < m; k++) {
        const float *__restrict__ r = rows + (int64_t)ids[k] * pitch;
        for (int i = 0; i < n; i++)
            y[i] += r[i];
    }
}

/* rows[ids[k]] += a * g for k < m (rows `pitch` floats apart, n updated), four rows per
   pass over g. The ids may repeat (two n-grams hashed to one bucket): each row is then
   written by one statement after the other within a pass, so both updates land. */
static inline void fw_add_to_rows(float *rows, const int32_t *ids, int64_t m, float a,
                                  const float *__restrict__ g, int n, int64_t pitch) {
    int64_t k = 0;
    for (; k + 4 <= m; k += 4) {
        float *r0 = rows + (int64_t)ids[k] * pitch, *r1 = rows + (int64_t)ids[k + 1] * pitch;
        float *r2 = rows + (int64_t)ids[k + 2] * pitch, *r3 = rows + (int64_t)ids[k + 3] * pitch;
        for (int i = 0; i < n; i++) {
            float step = a * g[i];
            r0[i] += step; r1[i] += step; r2[i] += step; r3[i] += step;
        }
    }
    for (; k < m; k++) {
        float *r = rows + (int64_t)ids[k] * pitch;
        for (int i = 0; i < n; i++)
            r[i] += a * g[i];
    }
}

/* y = sum of w[k] * x[k] for k < m (m >= 1): four rows per pass over y, the first
   pass writing y (no clearing first). FastText CBOW's hidden layer: the window's ring
   composites, each weighted by its row count; one axpy per composite loaded and
   stored the hidden row once per composite. */
static inline void fw_weighted_sum(float *__restrict__ y, float *const *x, const float *w, int m,
                                   int n) {
    int k = m % 4;
    const float *__restrict__ x0 = x[0];
    float w0 = w[0];
    if (k == 0) {
        const float *__restrict__ x1 = x[1], *__restrict__ x2 = x[2], *__restrict__ x3 = x[3];
        float w1 = w[1], w2 = w[2], w3 = w[3];
        for (int i = 0; i < n; i++)
            y[i] = (w0 * x0[i] + w1 * x1[i]) + (w2 * x2[i] + w3 * x3[i]);
        k = 4;
    } else if (k == 1) {
        for (int i = 0; i < n; i++)
            y[i] = w0 * x0[i];
    } else if (k == 2) {
        const float *__restrict__ x1 = x[1];
        float w1 = w[1];
        for (int i = 0; i < n; i++)
            y[i] = w0 * x0[i] + w1 * x1[i];
    } else {
        const float *__restrict__ x1 = x[1], *__restrict__ x2 = x[2];
        float w1 = w[1], w2 = w[2];
        for (int i = 0; i < n; i++)
            y[i] = (w0 * x0[i] + w1 * x1[i]) + w2 * x2[i];
    }
    for (; k + 4 <= m; k += 4) {
        const float *__restrict__ x0 = x[k], *__restrict__ x1 = x[k + 1];
        const float *__restrict__ x2 = x[k + 2], *__restrict__ x3 = x[k + 3];
        float w0 = w[k], w1 = w[k + 1], w2 = w[k + 2], w3 = w[k + 3];
        for (int i = 0; i < n; i++)
            y[i] += (w0 * x0[i] + w1 * x1[i]) + (w2 * x2[i] + w3 * x3[i]);
    }
}

/* y[k] += a * g for k < m distinct rows y[k], four rows per pass over g (FastText
   CBOW: every context composite of the window takes the same step). */
static inline void fw_add_to_each(float *const *y, int m, float a, const float *__restrict__ g,
                                  int n) {
    int k = 0;
    for (; k + 4 <= m; k += 4) {
        float *__restrict__ y0 = y[k], *__restrict__ y1 = y[k + 1];
        float *__restrict__ y2 = y[k + 2], *__restrict__ y3 = y[k + 3];
        for (int i = 0; i < n; i++) {
            float step = a * g[i];
            y0[i] += step; y1[i] += step; y2[i] += step; y3[i] += step;
        }
    }
    for (; k < m; k++) {
        float *__restrict__ y0 = y[k];
        for (int i = 0; i < n; i++)
            y0[i] += a * g[i];
    }
}

#endif
