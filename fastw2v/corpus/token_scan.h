/* Finding where a token ends, eight bytes at a time.
 *
 * Used by the file reader (_reader.pxi). A byte loop over the token with a
 * class lookup per byte cost a load, a lookup and a hard-to-predict exit
 * branch per byte; reading eight bytes as one word finds the first
 * separator candidate with a few integer operations (SWAR), so a typical
 * word (IMDB: 4.3 bytes) ends in one step. Plain C on uint64_t: the same
 * code, and the same tests, on every target.
 */
#ifndef FASTW2V_TOKEN_SCAN_H
#define FASTW2V_TOKEN_SCAN_H

#include <stdint.h>
#include <string.h>

#define FW_ONES 0x0101010101010101ULL
#define FW_HIGHS 0x8080808080808080ULL

/* Index of the first byte at or after buf[i] that is not a token byte
   (byte_class[c] != 0), or `length` if none is; ORs every token byte passed
   over into *any_high (the caller tests its top bit for non-ASCII).

   Every separator (space, \t \n \v \f \r, NUL) is below 0x21, so a word's
   bytes below 0x21 are the candidates: (w - 0x21..) & ~w & 0x80.. flags them.
   Borrows can flag a byte *above* a true candidate, never below one, so the
   lowest flag is exact; bytes >= 0x80 are never flagged (~w clears their top
   bit). A candidate that is a token byte after all (a control character such
   as 0x01) is passed over in the byte-class check. */
static inline int64_t fw_token_end(const uint8_t *buf, int64_t i, int64_t length,
                                   const uint8_t *byte_class, uint8_t *any_high) {
    uint64_t high = 0, w, cand;
    int pos;
    while (i + 8 <= length) {
        memcpy(&w, buf + i, 8);  /* little- or big-endian: see the shift below */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap64(w);  /* byte k of the text in bits 8k..8k+7 */
#endif
        cand = (w - 0x21 * FW_ONES) & ~w & FW_HIGHS;
        if (cand == 0) {
            high |= w;
            i += 8;
            continue;
        }
        pos = __builtin_ctzll(cand) >> 3;  /* bytes before the candidate are token bytes */
        if (pos > 0)
            high |= w & (~0ULL >> (8 * (8 - pos)));
        i += pos;
        if (byte_class[buf[i]] != 0)
            goto done;
        i += 1;  /* a control byte inside a token: below 0x80, nothing to OR */
    }
    while (i < length && byte_class[buf[i]] == 0) {
        high |= buf[i];
        i++;
    }
done:
    if (high & FW_HIGHS)
        *any_high |= 0x80;
    return i;
}

#endif
