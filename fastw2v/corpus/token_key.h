/* Token keys of the corpus hash table: packing, hashing, slot allocation.
 *
 * Used by the table in _token_table.pxd (the file scanner and the iterable
 * scanner's TokenIds). A key of up to 15 bytes -- nearly every word -- is
 * packed into 16 bytes that live in the table slot itself, so a lookup
 * compares two words instead of following a pointer into the key arena.
 */
#ifndef FASTW2V_TOKEN_KEY_H
#define FASTW2V_TOKEN_KEY_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/fw_hash.h"  /* fw_fmix64: every key bit reaches the bits the table masks */

/* A key of up to 15 bytes, zero-padded, its length in the top byte; longer
   keys pack to (0, FW_LONG_KEY) and are compared in the arena. */
typedef struct { uint64_t lo, hi; } fw_key16;

#define FW_LONG_KEY ((uint64_t)0xFF << 56)

/* Only in-bounds bytes are read: the overlapping fixed-size memcpy calls
   compile to plain loads, with no branch per byte. */
static inline fw_key16 fw_pack_key(const uint8_t *p, int64_t n) {
    fw_key16 k;
    uint64_t a, b;
    uint32_t x, y;
    if (n >= 16) {
        k.lo = 0;
        k.hi = FW_LONG_KEY;
        return k;
    }
    k.hi = 0;
    if (n >= 8) {
        memcpy(&a, p, 8);
        k.lo = a;
        if (n > 8) {
            memcpy(&b, p + n - 8, 8);
            k.hi = b >> (8 * (16 - n));
        }
    } else if (n >= 4) {
        memcpy(&x, p, 4);
        memcpy(&y, p + n - 4, 4);
        k.lo = (uint64_t)x | ((uint64_t)y << (8 * (n - 4)));
    } else if (n > 0) {
        k.lo = (uint64_t)p[0] | ((uint64_t)p[n >> 1] << (8 * (n >> 1)))
               | ((uint64_t)p[n - 1] << (8 * (n - 1)));
    } else {
        k.lo = 0;
    }
    k.hi |= (uint64_t)n << 56;
    return k;
}

/* fw_pack_key for a key followed by readable bytes up to p + 16 (a token inside the
   reader's buffer): two loads and two masks, with no branch on the length, which
   fw_pack_key's three length classes mispredicted once per token or so. The bytes
   past the key are masked off, so the key equals fw_pack_key's: on a little-endian
   target, where both put byte j of the key at bits 8j of lo (j < 8) or of hi;
   elsewhere this is fw_pack_key. */
static inline fw_key16 fw_pack_key_padded(const uint8_t *p, int64_t n) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    fw_key16 k;
    uint64_t a, b, lo_mask, hi_mask;
    if (n >= 16)
        return fw_pack_key(p, n);
    memcpy(&a, p, 8);
    memcpy(&b, p + 8, 8);
    lo_mask = n >= 8 ? ~0ULL : ~(~0ULL << (8 * n));          /* n < 8: shift < 64 */
    hi_mask = n > 8 ? ~(~0ULL << (8 * (n - 8))) : 0;          /* n - 8 < 8 */
    k.lo = a & lo_mask;
    k.hi = (b & hi_mask) | ((uint64_t)n << 56);
    return k;
#else
    return fw_pack_key(p, n);
#endif
}

static inline int fw_key_is_long(fw_key16 k) { return k.hi == FW_LONG_KEY; }

/* Eight bytes per multiply, for keys too long to pack. */
static inline uint64_t fw_hash_bytes(const uint8_t *p, int64_t n) {
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)n;
    uint64_t w;
    int64_t i;
    while (n >= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0x87c37b91114253d5ULL;
        h ^= h >> 31;
        p += 8;
        n -= 8;
    }
    w = 0;
    for (i = 0; i < n; i++)
        w |= (uint64_t)p[i] << (8 * i);
    return fw_fmix64(h ^ w);
}

/* Hash of the key `p[0:n]` packed as `k`: a short key hashes its packed form. */
static inline uint64_t fw_hash_key(const uint8_t *p, int64_t n, fw_key16 k) {
    if (fw_key_is_long(k))
        return fw_hash_bytes(p, n);
    return fw_fmix64((k.lo * 0x87c37b91114253d5ULL) ^ (k.hi * 0x4cf5ad432745937fULL));
}

/* Zeroed memory on a cache-line boundary, so a 32-byte slot never straddles two lines. */
static inline void *fw_alloc_zeroed64(size_t size) {
    void *p;
    size = (size + 63) / 64 * 64;
    if (size == 0)
        size = 64;
    p = aligned_alloc(64, size);
    if (p)
        memset(p, 0, size);
    return p;
}

/* Start loading a slot's cache line ahead of its lookup. */
static inline void fw_prefetch(const void *p) { __builtin_prefetch(p); }

#endif
