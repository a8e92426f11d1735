/* A 4-float vector in GCC/Clang's vector extension: the portable kernels'
 * SIMD type. It lowers to the target's 128-bit registers (SSE2 on baseline
 * x86-64, NEON on aarch64) with no intrinsics, and the compiler keeps such
 * values in registers where it would not vectorise the plain loops the same
 * way on every target. Included by fw_fused.h's portable path.
 */
#ifndef FASTW2V_FW_VEC_H
#define FASTW2V_FW_VEC_H

typedef float fw_v4 __attribute__((vector_size(16)));

/* Rows are float arrays with no alignment promise: memcpy is the portable
   unaligned load and store (one movups / ldr q each). */
static inline fw_v4 fw_load4(const float *p) {
    fw_v4 v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}
static inline void fw_store4(float *p, fw_v4 v) { __builtin_memcpy(p, &v, sizeof v); }
static inline fw_v4 fw_splat4(float a) { return (fw_v4){a, a, a, a}; }

#endif
