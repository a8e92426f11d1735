/* 64-bit mixing steps shared by fastw2v's hashes: the token table's key hash
 * (fastw2v/corpus/token_key.h) and floret's MurmurHash3 (fw_ngrams.h). Both are
 * MurmurHash3's own steps (Austin Appleby, public domain), written once here.
 */
#ifndef FASTW2V_FW_HASH_H
#define FASTW2V_FW_HASH_H

#include <stdint.h>

static inline uint64_t fw_rotl64(uint64_t x, int r) {
    return (x << r) | (x >> (64 - r));
}

/* MurmurHash3's finaliser: every input bit reaches every output bit. */
static inline uint64_t fw_fmix64(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

#endif
