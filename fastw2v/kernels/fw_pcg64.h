/* numpy's PCG64 stream, so that random initial rows can be filled in C, by several
 * threads, with the exact values numpy.random.default_rng(seed).random(dtype=float32)
 * gives (and therefore gensim's initial vectors).
 *
 * PCG64 is PCG's XSL-RR 128/64 generator: a 128-bit LCG whose state is advanced, then
 * output as the rotated xor of its halves. numpy hands out 32-bit draws low half first,
 * and a float32 is the top 24 bits of a 32-bit draw times 2^-24. A thread starts from a
 * state numpy's PCG64.advance() computed for it (fastw2v/_uniform.pyx).
 */
#ifndef FASTW2V_FW_PCG64_H
#define FASTW2V_FW_PCG64_H

#include <stdint.h>

typedef unsigned __int128 fw_u128;

static inline uint64_t fw_pcg64_next(fw_u128 *state, fw_u128 inc) {
    const fw_u128 mult = ((fw_u128)2549297995355413924ULL << 64) | 4865540595714422341ULL;
    *state = *state * mult + inc;
    uint64_t folded = (uint64_t)(*state >> 64) ^ (uint64_t)*state;
    unsigned rot = (unsigned)(*state >> 122);
    return (folded >> rot) | (folded << ((-rot) & 63));
}

/* out[i] = (2 u_i - 1) / dim for n uniforms u_i in [0, 1), n even, each step rounded in
 * float32 as numpy's in-place `v *= 2; v -= 1; v /= dim` rounds it. */
static inline void fw_uniform_rows(uint64_t state_hi, uint64_t state_lo, uint64_t inc_hi,
                                   uint64_t inc_lo, float *out, int64_t n, int dim) {
    fw_u128 state = ((fw_u128)state_hi << 64) | state_lo;
    const fw_u128 inc = ((fw_u128)inc_hi << 64) | inc_lo;
    const float scale = 1.0f / 16777216.0f, divisor = (float)dim;
    for (int64_t i = 0; i + 1 < n; i += 2) {
        uint64_t draw = fw_pcg64_next(&state, inc);
        float u0 = (float)((uint32_t)draw >> 8) * scale;
        float u1 = (float)((uint32_t)(draw >> 32) >> 8) * scale;
        out[i] = (u0 * 2.0f - 1.0f) / divisor;
        out[i + 1] = (u1 * 2.0f - 1.0f) / divisor;
    }
}

#endif
