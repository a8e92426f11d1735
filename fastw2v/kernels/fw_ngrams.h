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
 * Used by fastw2v/_ngrams.pyx, once per vocabulary (not per occurrence); the training
 * kernels will read the resulting CSR arrays.
 */
#ifndef FASTW2V_FW_NGRAMS_H
#define FASTW2V_FW_NGRAMS_H

#include <stddef.h>
#include <stdint.h>

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

#endif
