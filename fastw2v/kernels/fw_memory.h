/* Memory the training threads share and memory each keeps to itself.
 *
 * Shared: relaxed atomic counters (next chunk, words done, the stop flag).
 * Private: zeroed allocations on whole, 128-byte aligned cache-line pairs, the
 * pitch that puts a buffer's rows on whole lines, and a prefetch of one line or
 * one model row. Included by the training kernels (_train_kernels.pxi), by
 * fw_fused.h (fw_line_pitch) and, for fw_prefetch_row, by fw_ngrams.h.
 */
#ifndef FASTW2V_FW_MEMORY_H
#define FASTW2V_FW_MEMORY_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* Bytes of whole cache-line pairs that hold n bytes (at least one pair). */
static inline size_t fw_lines(size_t n) {
    size_t size = (n + 127) / 128 * 128;
    return size ? size : 128;
}

/* Zeroed memory on whole, 128-byte aligned cache-line pairs: one thread's
   state never shares a line (or the adjacent line the prefetcher pulls in)
   with another's, so the threads' private writes do not bounce between cores. */
static inline void *fw_alloc_lines(size_t n) {
    size_t size = fw_lines(n);
    void *p = aligned_alloc(128, size);
    if (p) memset(p, 0, size);
    return p;
}

/* Floats from one row to the next of a buffer whose rows of n floats each start a
   64-byte line (the buffer itself starting one): a row that straddles two lines costs
   each 512-bit load and store of it both. */
static inline int64_t fw_line_pitch(int64_t n) {
    return (n + 15) / 16 * 16;
}

static inline void fw_prefetch(const void *p) {
    __builtin_prefetch(p);
}

static inline void fw_prefetch_row(const float *p, int dim) {
    for (int b = 0; b < dim * (int)sizeof(float); b += 64)
        __builtin_prefetch((const char *)p + b);
}

#endif
