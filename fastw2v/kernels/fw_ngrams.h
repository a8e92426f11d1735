/* Character n-grams of a word and their hash buckets, exactly as Facebook's fastText
 * computes them (src/dictionary.cc: hash, computeSubwords), so .bin files interoperate.
 *
 * - The word is wrapped as "<" word ">" (done virtually here: fw_wrapped_byte).
 * - A "character" is a byte that is not a UTF-8 continuation byte ((c & 0xC0) == 0x80)
 *   together with the continuation bytes after it; continuation bytes never start an
 *   n-gram. Invalid UTF-8 is taken as it comes, byte for byte, as fastText does.
 * - n-grams of n = max(min_n, 1) .. max_n characters, in fastText's order: by start,
 *   then by length. The 1-grams "<" (at the start) and ">" (at the end) are skipped.
 * - The hash is 32-bit FNV-1a over the n-gram's bytes, each byte sign-extended first
 *   (fastText hashes `uint32_t(int8_t(c))`: every model it ever released was trained
 *   on signed chars, and it kept that for compatibility), and the bucket is
 *   hash % bucket. A model's row for it is nwords + bucket id.
 * - bucket == 0 means no n-grams (gensim's convention; fastText would divide by zero).
 *
 * floret (explosion's fastText fork, `-mode floret`, read by spaCy) keeps no word rows:
 * the whole wrapped word "<word>" is one more entry, hashed like the n-grams, and each
 * entry takes `hash_count` (1..4) rows of the one bucket table. Its hash is
 * MurmurHash3_x64_128 (seeded, over unsigned bytes); row k of an entry is the k-th
 * 32-bit word of the 128-bit hash (low half of h1, high half of h1, then h2's) modulo
 * the bucket count. Entries come word first, then the n-grams in fastText's order, each
 * entry's rows together; duplicates are kept (a 3-letter word is both). Checked against
 * the `floret` package's get_subwords and the `mmh3` package (tests/test_ngrams.py).
 *
 * Used by fastw2v/_ngrams.pyx, once per vocabulary (not per occurrence); the training
 * kernels will read the resulting CSR arrays.
 */
#ifndef FASTW2V_FW_NGRAMS_H
#define FASTW2V_FW_NGRAMS_H

#include <stddef.h>
#include <stdint.h>
#include "fw_memory.h"  /* fw_prefetch_row */

#include "fw_hash.h"

#define FW_FNV_OFFSET 2166136261u
#define FW_FNV_PRIME 16777619u

static inline uint32_t fw_ft_hash_step(uint32_t h, unsigned char c) {
    /* int8_t then uint32_t: bytes >= 0x80 become 0xFFFFFFxx, as in fastText. */
    h ^= (uint32_t)(int32_t)(int8_t)c;
    return h * FW_FNV_PRIME;
}

/* fastText's hash of `len` bytes (the vocabulary's hash as well as the n-grams'). */
static inline uint32_t fw_ft_hash(const unsigned char *s, size_t len) {
    uint32_t h = FW_FNV_OFFSET;
    for (size_t i = 0; i < len; i++) {
        h = fw_ft_hash_step(h, s[i]);
    }
    return h;
}

static inline int fw_is_continuation(unsigned char c) {
    return (c & 0xC0) == 0x80;
}

/* Byte k of "<" word ">" (k < len + 2), without building the wrapped copy. */
static inline unsigned char fw_wrapped_byte(const unsigned char *w, size_t len, size_t k) {
    if (k == 0) return '<';
    if (k == len + 1) return '>';
    return w[k - 1];
}

/* Whether `w` is fastText's end-of-sentence token "</s>", which gets no n-grams
 * (fastText: Dictionary::initNgrams and getSubwords skip it). */
static inline int fw_is_eos(const unsigned char *w, size_t len) {
    return len == 4 && w[0] == '<' && w[1] == '/' && w[2] == 's' && w[3] == '>';
}

/* Number of n-grams of `w` (not wrapped), computed from its character count in
 * O(len), so a caller can bound the table before enumerating it: a character
 * start k with n characters exists when k + n <= chars, and the two boundary
 * 1-grams are skipped. */
static inline int64_t fw_ngram_count(const unsigned char *w, size_t len, int64_t min_n,
                                     int64_t max_n, uint32_t bucket) {
    if (bucket == 0) return 0;
    int64_t chars = 2;  /* "<" and ">" */
    for (size_t i = 0; i < len; i++) {
        chars += !fw_is_continuation(w[i]);
    }
    int64_t lo = min_n < 1 ? 1 : min_n;
    int64_t hi = max_n < chars ? max_n : chars;
    int64_t total = 0;
    for (int64_t n = lo; n <= hi; n++) {
        total += chars - n + 1 - (n == 1 ? 2 : 0);
    }
    return total;
}

/* Enumerate the n-grams of `w` in fastText's order. For each, when given, writes its
 * bucket id to ids[c], and its byte span in the wrapped word to starts[c], ends[c]
 * (half-open). Returns the count, which is fw_ngram_count(...): callers size the
 * outputs with that. Each start's hash is extended byte by byte as its n-grams grow,
 * so the whole word costs O(len * (max_n - min_n + 1)) steps. */
static inline int64_t fw_ngram_enumerate(const unsigned char *w, size_t len, int64_t min_n,
                                         int64_t max_n, uint32_t bucket, int32_t *ids,
                                         int64_t *starts, int64_t *ends) {
    if (bucket == 0) return 0;
    size_t size = len + 2;
    int64_t count = 0;
    for (size_t i = 0; i < size; i++) {
        if (fw_is_continuation(fw_wrapped_byte(w, len, i))) continue;
        uint32_t h = FW_FNV_OFFSET;
        size_t j = i;
        for (int64_t n = 1; j < size && n <= max_n; n++) {
            h = fw_ft_hash_step(h, fw_wrapped_byte(w, len, j++));
            while (j < size && fw_is_continuation(fw_wrapped_byte(w, len, j))) {
                h = fw_ft_hash_step(h, fw_wrapped_byte(w, len, j++));
            }
            if (n >= min_n && !(n == 1 && (i == 0 || j == size))) {
                if (ids) ids[count] = (int32_t)(h % bucket);
                if (starts) starts[count] = (int64_t)i;
                if (ends) ends[count] = (int64_t)j;
                count++;
            }
        }
    }
    return count;
}

/* ---------------------------------------------------------------- floret */

/* floret's default seed (its -hashSeed; also written in every .floret header). */
#define FW_FLORET_SEED 2166136261u
#define FW_FLORET_MAX_HASHES 4

/* Little-endian 64-bit read of 8 bytes at `p`, on any host. */
static inline uint64_t fw_load_le64(const unsigned char *p) {
    uint64_t v = 0;
    for (int b = 7; b >= 0; b--) v = (v << 8) | p[b];
    return v;
}

/* MurmurHash3_x64_128 (Austin Appleby's public-domain algorithm) of `len` bytes with a
 * 32-bit seed, as four 32-bit words: out = {lo(h1), hi(h1), lo(h2), hi(h2)}. */
static inline void fw_murmur3_128(const unsigned char *s, size_t len, uint32_t seed,
                                  uint32_t out[4]) {
    const uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
    uint64_t h1 = seed, h2 = seed, k1, k2;
    size_t blocks = len / 16;
    for (size_t i = 0; i < blocks; i++) {
        k1 = fw_load_le64(s + 16 * i);
        k2 = fw_load_le64(s + 16 * i + 8);
        k1 *= c1; k1 = fw_rotl64(k1, 31); k1 *= c2; h1 ^= k1;
        h1 = fw_rotl64(h1, 27); h1 += h2; h1 = h1 * 5 + 0x52dce729;
        k2 *= c2; k2 = fw_rotl64(k2, 33); k2 *= c1; h2 ^= k2;
        h2 = fw_rotl64(h2, 31); h2 += h1; h2 = h2 * 5 + 0x38495ab5;
    }
    const unsigned char *tail = s + 16 * blocks;
    size_t rest = len & 15;
    k1 = 0;
    k2 = 0;
    for (size_t b = rest; b > 8; b--) k2 = (k2 << 8) | tail[b - 1];
    if (rest > 8) {
        k2 *= c2; k2 = fw_rotl64(k2, 33); k2 *= c1; h2 ^= k2;
    }
    for (size_t b = rest < 8 ? rest : 8; b > 0; b--) k1 = (k1 << 8) | tail[b - 1];
    if (rest > 0) {
        k1 *= c1; k1 = fw_rotl64(k1, 31); k1 *= c2; h1 ^= k1;
    }
    h1 ^= (uint64_t)len;
    h2 ^= (uint64_t)len;
    h1 += h2;
    h2 += h1;
    h1 = fw_fmix64(h1);
    h2 = fw_fmix64(h2);
    h1 += h2;
    h2 += h1;
    out[0] = (uint32_t)h1;
    out[1] = (uint32_t)(h1 >> 32);
    out[2] = (uint32_t)h2;
    out[3] = (uint32_t)(h2 >> 32);
}

/* The `hash_count` rows of one floret entry (bytes s[0:len]) into ids[0:hash_count]. */
static inline void fw_floret_rows(const unsigned char *s, size_t len, uint32_t bucket,
                                  int hash_count, uint32_t seed, int32_t *ids) {
    uint32_t h[4];
    fw_murmur3_128(s, len, seed, h);
    for (int k = 0; k < hash_count; k++) ids[k] = (int32_t)(h[k] % bucket);
}

/* Number of floret rows of `w`: hash_count per entry, the word and its n-grams. */
static inline int64_t fw_floret_count(const unsigned char *w, size_t len, int64_t min_n,
                                      int64_t max_n, uint32_t bucket, int hash_count) {
    if (bucket == 0) return 0;
    return (int64_t)hash_count * (1 + fw_ngram_count(w, len, min_n, max_n, bucket));
}

/* floret's rows of `w` into ids (fw_floret_count of them), in floret's order. `wrapped`
 * is scratch of at least len + 2 bytes, where "<" w ">" is written: murmur hashes
 * contiguous bytes. The n-gram spans are fw_ngram_enumerate's. */
static inline int64_t fw_floret_enumerate(const unsigned char *w, size_t len, int64_t min_n,
                                          int64_t max_n, uint32_t bucket, int hash_count,
                                          uint32_t seed, unsigned char *wrapped, int32_t *ids) {
    if (bucket == 0) return 0;
    size_t size = len + 2;
    for (size_t k = 0; k < size; k++) wrapped[k] = fw_wrapped_byte(w, len, k);
    fw_floret_rows(wrapped, size, bucket, hash_count, seed, ids);
    int64_t count = hash_count;
    for (size_t i = 0; i < size; i++) {
        if (fw_is_continuation(wrapped[i])) continue;
        size_t j = i;
        for (int64_t n = 1; j < size && n <= max_n; n++) {
            j++;
            while (j < size && fw_is_continuation(wrapped[j])) j++;
            if (n >= min_n && !(n == 1 && (i == 0 || j == size))) {
                fw_floret_rows(wrapped + i, j - i, bucket, hash_count, seed, ids + count);
                count += hash_count;
            }
        }
    }
    return count;
}

/* out = (word_row, if given, + the rows of `ids` in `ngrams`) / number of rows added,
 * summed in float in this order, as fastText's getWordVector and gensim's
 * adjust_vectors do (built without reassociation: setup.py PLAIN_MATH). With no row
 * at all, out is zero. */
static inline void fw_compose_row(const float *word_row, const float *ngrams, const int32_t *ids,
                                  int64_t n_ids, int64_t dim, float *out) {
    int64_t rows = 0;
    for (int64_t d = 0; d < dim; d++) out[d] = 0.0f;
    if (word_row) {
        for (int64_t d = 0; d < dim; d++) out[d] += word_row[d];
        rows++;
    }
    for (int64_t k = 0; k < n_ids; k++) {
        const float *row = ngrams + (int64_t)ids[k] * dim;
        for (int64_t d = 0; d < dim; d++) out[d] += row[d];
        rows++;
    }
    if (rows > 0) {
        float r = (float)rows;
        for (int64_t d = 0; d < dim; d++) out[d] /= r;
    }
}

/* fw_compose_row for words [lo, hi) of a CSR table (word i's bucket ids are
   ids[offsets[i]:offsets[i + 1]]; word_rows NULL: no rows of their own), into
   out[i * dim ...]. The rows of word i + 2 are prefetched while word i is summed: they
   are random rows of a large matrix, and one at a time each waited on its miss. */
static inline void fw_compose_rows(const float *word_rows, const float *ngrams,
                                   const int64_t *offsets, const int32_t *ids, int64_t lo,
                                   int64_t hi, int64_t dim, float *out) {
    for (int64_t i = lo; i < hi; i++) {
        if (i + 2 < hi)
            for (int64_t k = offsets[i + 2]; k < offsets[i + 3]; k++)
                fw_prefetch_row(ngrams + (int64_t)ids[k] * dim, (int)dim);
        fw_compose_row(word_rows ? word_rows + i * dim : NULL, ngrams, ids + offsets[i],
                       offsets[i + 1] - offsets[i], dim, out + i * dim);
    }
}

#endif
