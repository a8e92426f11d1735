"""Parallel C-level reading of a plain-text corpus file (``corpus_file=`` input).

Each worker thread reads its own byte range of the file with ``pread`` into a
large buffer, without the GIL and without Python objects. Ranges are cut at
line boundaries: thread t owns the lines that *start* in
``[start_t, start_{t+1})``, so every line is read exactly once, whatever the
thread count.

Tokenisation is word2vec.c's and matches :mod:`fastw2v.corpus.readers`:
tokens split on ASCII whitespace (space ``\\t \\n \\r \\v \\f``) and NUL, a
``\\n`` ends a sentence, empty lines give no sentence, and invalid UTF-8 is
replaced by U+FFFD exactly as ``bytes.decode("utf-8", "replace")`` does, so
keys are always valid UTF-8 and equal the Python readers' tokens.

Entry points:

* :func:`scan_vocab` counts every token (one hash table per thread, merged).
* :func:`scan_encode` counts and, in the same read, writes every token as a
  provisional id (its key's index), which :func:`remap_ids` turns into the
  training stream once the vocabulary is known: one read of the file in all.
* :func:`encode_file` turns the file into an int32 id stream plus sentence
  offsets, looking tokens up in one read-only table shared by all threads.
"""
import os
import shutil
import tempfile
import threading

import numpy as np

from cpython.unicode cimport PyUnicode_DecodeUTF8
from cython.view cimport array as cvarray
from libc.errno cimport errno, EINTR, ENOMEM
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t, uintptr_t
from libc.stdlib cimport calloc, free, malloc, realloc
from libc.string cimport memchr, memcmp, memcpy, memmove
from posix.fcntl cimport O_RDONLY, open as c_open
from posix.mman cimport MADV_DONTNEED, madvise
from posix.unistd cimport _SC_PAGESIZE, close, pread, sysconf, write

__all__ = ["scan_vocab", "scan_encode", "encode_file"]

# 4 MiB reads: large enough that syscalls cost nothing, small enough for L3.
cdef enum:
    READ_BUFFER_BYTES = 4 * 1024 * 1024
    MODE_SCAN = 0
    MODE_ENCODE = 1
    # Tokens hashed ahead of their lookup, so that their slots' cache misses overlap
    # (a lookup of a rare word waits on memory otherwise: ~half the scan's time).
    PENDING_TOKENS = 16

# Byte classes: 0 = token byte, 1 = separator, 2 = newline (ends a sentence).
cdef uint8_t BYTE_CLASS[256]
for _b in range(256):
    BYTE_CLASS[_b] = 0
for _b in (0x20, 0x09, 0x0D, 0x0B, 0x0C, 0x00):  # space \t \r \v \f NUL
    BYTE_CLASS[_b] = 1
BYTE_CLASS[0x0A] = 2  # \n


# ---------------------------------------------------------------------------
# Hash table: open addressing, linear probing, short keys inline in the slot
# ---------------------------------------------------------------------------
#
# A lookup touches one 32-byte slot (half a cache line): the slot holds the
# value and, for keys of at most 15 bytes (nearly every word), the key itself.
# The previous layout (slot -> entry -> arena) cost three dependent cache misses
# per token on a rare word, ~80% of the scan's time (perf, IMDB).

cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>
    /* A key of up to 15 bytes, zero-padded, its length in the top byte; longer
       keys pack to (0, 0xFF << 56) and are compared in the arena. Only in-bounds
       bytes are read (fixed-size memcpy compiles to plain loads). */
    typedef struct { uint64_t lo, hi; } fw_key16;
    #define FW_LONG_KEY ((uint64_t)0xFF << 56)
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
    static inline int fw_key_is_long(fw_key16 k) { return k.hi == FW_LONG_KEY; }
    static inline void *fw_alloc_zeroed64(size_t size) {
        size = (size + 63) / 64 * 64;
        void *p = aligned_alloc(64, size ? size : 64);
        if (p) memset(p, 0, size ? size : 64);
        return p;
    }
    """
    ctypedef struct fw_key16:
        uint64_t lo
        uint64_t hi
    fw_key16 fw_pack_key(const uint8_t* p, int64_t n) nogil
    bint fw_key_is_long(fw_key16 k) nogil
    void* fw_alloc_zeroed64(size_t size) nogil
    void __builtin_prefetch(const void* p) nogil


cdef struct Slot:       # 32 bytes
    uint32_t hash_hi    # upper 32 hash bits
    int32_t entry       # index into entries, plus one; 0 marks an empty slot
    int64_t value       # count (scan), word id (encode) or provisional id (TokenIds)
    uint64_t key_lo     # fw_key16 of the key
    uint64_t key_hi

cdef struct Entry:
    int64_t key_offset  # into the arena (every key is there, for export and long keys)
    int64_t key_length
    uint64_t hash
    uint64_t slot       # where the entry's slot is now (moves on rehash)

cdef struct Table:
    Slot* slots
    uint64_t mask       # number of slots - 1 (a power of two)
    Entry* entries      # in insertion order
    int64_t n_entries
    int64_t entries_capacity
    char* arena
    int64_t arena_used
    int64_t arena_capacity


cdef inline uint64_t fmix64(uint64_t h) noexcept nogil:
    # MurmurHash3's finaliser: every input bit reaches the low bits we mask.
    h ^= h >> 33
    h *= 0xff51afd7ed558ccdULL
    h ^= h >> 33
    h *= 0xc4ceb9fe1a85ec53ULL
    h ^= h >> 33
    return h


cdef inline uint64_t hash_bytes(const uint8_t* p, int64_t n) noexcept nogil:
    # Eight bytes per multiply, for long keys.
    cdef uint64_t h = 0x9e3779b97f4a7c15ULL ^ <uint64_t>n
    cdef uint64_t w
    cdef int64_t i
    while n >= 8:
        memcpy(&w, p, 8)
        h = (h ^ w) * 0x87c37b91114253d5ULL
        h ^= h >> 31
        p += 8
        n -= 8
    w = 0
    for i in range(n):
        w |= (<uint64_t>p[i]) << (8 * i)
    return fmix64(h ^ w)


cdef inline uint64_t hash_key(const uint8_t* p, int64_t n, fw_key16 k) noexcept nogil:
    if fw_key_is_long(k):
        return hash_bytes(p, n)
    return fmix64((k.lo * 0x87c37b91114253d5ULL) ^ (k.hi * 0x4cf5ad432745937fULL))


cdef int table_init(Table* t, int64_t n_slots) noexcept nogil:
    """Empty table with `n_slots` slots (a power of two). Returns -1 on OOM."""
    t.slots = <Slot*>fw_alloc_zeroed64(n_slots * sizeof(Slot))
    t.mask = n_slots - 1
    t.entries_capacity = n_slots // 2
    t.entries = <Entry*>malloc(t.entries_capacity * sizeof(Entry))
    t.n_entries = 0
    t.arena_capacity = 8 * n_slots
    t.arena = <char*>malloc(t.arena_capacity)
    t.arena_used = 0
    if t.slots == NULL or t.entries == NULL or t.arena == NULL:
        table_free(t)
        return -1
    return 0


cdef void table_free(Table* t) noexcept nogil:
    free(t.slots)
    free(t.entries)
    free(t.arena)
    t.slots = NULL
    t.entries = NULL
    t.arena = NULL
    t.n_entries = 0


cdef inline uint64_t table_find_slot(const Table* t, const uint8_t* key, int64_t n,
                                     fw_key16 k, uint64_t h) noexcept nogil:
    """Slot holding `key` (packed `k`, hash `h`), or the empty slot where it would go."""
    cdef uint64_t i = h & t.mask
    cdef uint32_t hi = <uint32_t>(h >> 32)
    cdef const Slot* s
    cdef const Entry* e
    while True:
        s = &t.slots[i]
        if s.entry == 0:
            return i
        if s.hash_hi == hi and s.key_lo == k.lo and s.key_hi == k.hi:
            if not fw_key_is_long(k):
                return i
            e = &t.entries[s.entry - 1]
            if e.key_length == n and memcmp(t.arena + e.key_offset, key, n) == 0:
                return i
        i = (i + 1) & t.mask


cdef inline int64_t table_value(const Table* t, int64_t k) noexcept nogil:
    """Value of entry `k`."""
    return t.slots[t.entries[k].slot].value


cdef int table_rehash(Table* t, uint64_t n_slots) noexcept nogil:
    """Move every entry's slot into `n_slots` new ones, in entry order. -1 on OOM.

    Entries may have been compacted since their slots were written (prune): the
    old slot is found through entry.slot and re-pointed at the entry's new index.
    """
    cdef Slot* slots = <Slot*>fw_alloc_zeroed64(n_slots * sizeof(Slot))
    cdef uint64_t mask = n_slots - 1, i
    cdef int64_t k
    cdef Entry* e
    if slots == NULL:
        return -1
    for k in range(t.n_entries):
        e = &t.entries[k]
        i = e.hash & mask
        while slots[i].entry != 0:
            i = (i + 1) & mask
        slots[i] = t.slots[e.slot]
        slots[i].entry = <int32_t>(k + 1)
        e.slot = i
    free(t.slots)
    t.slots = slots
    t.mask = mask
    return 0


cdef int table_insert_at(Table* t, uint64_t slot, const uint8_t* key, int64_t n,
                         fw_key16 k, uint64_t h, int64_t value) noexcept nogil:
    """Add a new key at empty `slot` (from table_find_slot). Returns -1 on OOM."""
    cdef int64_t cap
    cdef void* p
    cdef Entry* e
    cdef Slot* s
    if t.n_entries >= 0x7FFFFFFF:
        return -1  # slot.entry is an int32
    if t.arena_used + n > t.arena_capacity:
        cap = t.arena_capacity * 2
        while cap < t.arena_used + n:
            cap *= 2
        p = realloc(t.arena, cap)
        if p == NULL:
            return -1
        t.arena = <char*>p
        t.arena_capacity = cap
    if t.n_entries == t.entries_capacity:
        p = realloc(t.entries, 2 * t.entries_capacity * sizeof(Entry))
        if p == NULL:
            return -1
        t.entries = <Entry*>p
        t.entries_capacity *= 2
    memcpy(t.arena + t.arena_used, key, n)
    e = &t.entries[t.n_entries]
    e.key_offset = t.arena_used
    e.key_length = n
    e.hash = h
    e.slot = slot
    t.arena_used += n
    t.n_entries += 1
    s = &t.slots[slot]
    s.hash_hi = <uint32_t>(h >> 32)
    s.entry = <int32_t>t.n_entries
    s.value = value
    s.key_lo = k.lo
    s.key_hi = k.hi
    # Keep the load factor at most 1/2 so probe chains stay short.
    if 2 * <uint64_t>t.n_entries > t.mask:
        return table_rehash(t, 2 * (t.mask + 1))
    return 0


cdef inline int64_t table_add(Table* t, const uint8_t* key, int64_t n,
                              int64_t delta) noexcept nogil:
    """Add `delta` to the value of `key`, inserting it if new.

    Returns the key's entry index (its position in insertion order), or -1 on OOM.
    """
    cdef fw_key16 k = fw_pack_key(key, n)
    return table_add_hashed(t, key, n, k, hash_key(key, n, k), delta)


cdef inline int64_t table_add_hashed(Table* t, const uint8_t* key, int64_t n, fw_key16 k,
                                     uint64_t h, int64_t delta) noexcept nogil:
    """table_add with the key already packed and hashed."""
    cdef uint64_t slot = table_find_slot(t, key, n, k, h)
    cdef Slot* s = &t.slots[slot]
    if s.entry != 0:
        s.value += delta
        return s.entry - 1
    if table_insert_at(t, slot, key, n, k, h, delta) != 0:
        return -1
    return t.n_entries - 1


cdef inline int64_t table_get_hashed(const Table* t, const uint8_t* key, int64_t n, fw_key16 k,
                                     uint64_t h) noexcept nogil:
    """Value of `key` (packed `k`, hash `h`), or -1 if absent."""
    cdef uint64_t slot = table_find_slot(t, key, n, k, h)
    if t.slots[slot].entry == 0:
        return -1
    return t.slots[slot].value


cdef int table_prune(Table* t, int64_t min_reduce) noexcept nogil:
    """Drop entries with value < min_reduce (gensim's prune_vocab), keeping order."""
    cdef int64_t k, kept = 0, used = 0
    cdef Entry e
    for k in range(t.n_entries):
        e = t.entries[k]
        if table_value(t, k) < min_reduce:
            continue
        memmove(t.arena + used, t.arena + e.key_offset, e.key_length)
        e.key_offset = used
        used += e.key_length
        t.entries[kept] = e
        kept += 1
    t.n_entries = kept
    t.arena_used = used
    return table_rehash(t, t.mask + 1)


cdef int table_merge(Table* dst, const Table* src, int32_t* index_map) noexcept nogil:
    """Add every entry of `src` to `dst`, in `src`'s insertion order.

    With `index_map` (room for src.n_entries), src entry k's index in dst goes to
    index_map[k]. Returns -1 on OOM.
    """
    cdef int64_t k, at
    for k in range(src.n_entries):
        at = table_add(dst, <const uint8_t*>src.arena + src.entries[k].key_offset,
                       src.entries[k].key_length, table_value(src, k))
        if at < 0:
            return -1
        if index_map != NULL:
            index_map[k] = <int32_t>at
    return 0


# ---------------------------------------------------------------------------
# UTF-8 repair, identical to bytes.decode("utf-8", "replace")
# ---------------------------------------------------------------------------

cdef inline int64_t utf8_sequence_length(const uint8_t* s, int64_t n, int64_t i) noexcept nogil:
    """Length of the valid sequence at s[i] (> 0), or minus the length of the
    maximal invalid subpart that one U+FFFD replaces (Unicode 3.9, as CPython)."""
    cdef uint8_t c = s[i], lo = 0x80, hi = 0xBF
    cdef int64_t need, j
    if c < 0x80:
        return 1
    if 0xC2 <= c <= 0xDF:
        need = 1
    elif c == 0xE0:
        need = 2
        lo = 0xA0
    elif c == 0xED:  # excludes the UTF-16 surrogates
        need = 2
        hi = 0x9F
    elif 0xE1 <= c <= 0xEF:
        need = 2
    elif c == 0xF0:
        need = 3
        lo = 0x90
    elif 0xF1 <= c <= 0xF3:
        need = 3
    elif c == 0xF4:  # nothing above U+10FFFF
        need = 3
        hi = 0x8F
    else:
        return -1
    for j in range(1, need + 1):
        if i + j >= n or not (lo <= s[i + j] <= hi):
            return -j
        lo = 0x80
        hi = 0xBF
    return need + 1


cdef int64_t utf8_repair(const uint8_t* s, int64_t n, uint8_t* out) noexcept nogil:
    """Write `s` with invalid sequences replaced by EF BF BD into `out`
    (room for 3 * n bytes); return the length written, or -1 if `s` is valid."""
    cdef int64_t i = 0, m = 0, k
    while i < n:
        k = utf8_sequence_length(s, n, i)
        if k < 0:
            break
        i += k
    if i == n:
        return -1
    memcpy(out, s, i)
    m = i
    while i < n:
        k = utf8_sequence_length(s, n, i)
        if k > 0:
            memcpy(out + m, s + i, k)
            m += k
            i += k
        else:
            out[m] = 0xEF
            out[m + 1] = 0xBF
            out[m + 2] = 0xBD
            m += 3
            i -= k
    return m


def _utf8_repair(bytes data):
    """Python twin of the C UTF-8 repair, for tests: bytes -> valid UTF-8 bytes."""
    cdef int64_t n = len(data)
    cdef bytearray out = bytearray(3 * n + 1)
    cdef uint8_t* p = <uint8_t*><char*>out
    cdef int64_t m = utf8_repair(<const uint8_t*><const char*>data, n, p)
    return data if m < 0 else bytes(out[:m])


# ---------------------------------------------------------------------------
# One worker: read a byte range, emit tokens and sentence ends
# ---------------------------------------------------------------------------

cdef struct Pending:
    const uint8_t* token    # into the read buffer (flushed before the buffer moves)
    int64_t n
    uint64_t h
    fw_key16 k


cdef struct Job:
    const char* path
    int64_t start           # this thread owns the lines starting in [start, end)
    int64_t end
    int mode                # MODE_SCAN or MODE_ENCODE
    Table* table            # own table (scan) or the shared read-only one (encode)
    int64_t max_vocab_size  # scan: prune above this many entries; 0 = never
    int64_t min_reduce      # scan: next prune threshold, gensim's min_reduce
    int64_t max_sentence_length
    int64_t raw_words       # every token read
    int64_t n_sentences     # scan: LineSentence sentences; encode: emitted sentences
    int64_t sentence_tokens # tokens (scan) or in-vocab tokens (encode) so far in the sentence
    int32_t* ids            # encode: the id stream; scan with record_ids: provisional ids
    int64_t n_ids
    int64_t ids_capacity
    int64_t* sentence_ends  # encode: end of each sentence in `ids`; scan: of each line
    int64_t ends_capacity
    int record_ids          # scan: also write each token's entry index (one-pass encoding)
    int64_t max_ids         # scan: give the recording up beyond this many ids (memory budget)
    int64_t line_tokens     # scan with record_ids: tokens so far in the line
    int spill_fd            # encode: ids past max_ids go to this file (-1: none)
    int64_t spilled_ids     # encode: ids written to spill_fd so far
    int io_error            # errno of a failed spill write
    int64_t n_lines         # scan with record_ids: lines recorded in sentence_ends
    uint8_t* scratch        # room for a repaired token
    int64_t scratch_capacity
    int error               # 0, or an errno value
    int cancel              # set from Python (Ctrl-C): stop at the next read
    int64_t bytes_read      # bytes of the file read so far (progress display only)
    Pending pending[PENDING_TOKENS]  # tokens hashed and prefetched, not yet looked up
    int n_pending


cdef int grow(void** p, int64_t* capacity, int64_t needed, size_t itemsize) noexcept nogil:
    """Realloc `p` to hold at least `needed` items (doubling). -1 on OOM."""
    cdef int64_t cap = capacity[0] if capacity[0] > 0 else 1024
    cdef void* q
    while cap < needed:
        cap *= 2
    q = realloc(p[0], cap * itemsize)
    if q == NULL:
        return -1
    p[0] = q
    capacity[0] = cap
    return 0


cdef int spill_ids(Job* job) noexcept nogil:
    """Encode past its memory share: append the buffered ids to the worker's spill file."""
    cdef const char* p = <const char*>job.ids
    cdef int64_t left = job.n_ids * <int64_t>sizeof(int32_t)
    cdef ssize_t wrote
    while left > 0:
        wrote = write(job.spill_fd, p, left)
        if wrote < 0:
            if errno == EINTR:
                continue
            job.io_error = errno
            return -1
        p += wrote
        left -= wrote
    job.spilled_ids += job.n_ids
    job.n_ids = 0
    return 0


cdef void drop_recording(Job* job) noexcept nogil:
    """Past the memory budget: stop recording ids (train() will encode in a second pass)."""
    free(job.ids)
    free(job.sentence_ends)
    job.ids = NULL
    job.sentence_ends = NULL
    job.n_ids = job.ids_capacity = job.n_lines = job.ends_capacity = 0
    job.record_ids = 0


cdef inline int record_id(Job* job, int64_t entry) noexcept nogil:
    """Append a token's provisional id (scan with record_ids). -1 on OOM."""
    cdef int64_t cap
    cdef void* q
    if job.n_ids == job.ids_capacity:
        if job.ids_capacity >= job.max_ids:
            drop_recording(job)
            return 0
        cap = min(max(2 * job.ids_capacity, <int64_t>1024), job.max_ids)
        q = realloc(job.ids, cap * sizeof(int32_t))
        if q == NULL:
            return -1
        job.ids = <int32_t*>q
        job.ids_capacity = cap
    job.ids[job.n_ids] = <int32_t>entry
    job.n_ids += 1
    job.line_tokens += 1
    return 0


cdef inline int end_line(Job* job) noexcept nogil:
    """Scan with record_ids: close the current line (it has tokens). -1 on OOM."""
    job.line_tokens = 0
    if job.n_lines == job.ends_capacity:
        if grow(<void**>&job.sentence_ends, &job.ends_capacity, job.n_lines + 1,
                sizeof(int64_t)) != 0:
            return -1
    job.sentence_ends[job.n_lines] = job.n_ids
    job.n_lines += 1
    return 0


cdef inline int end_sentence(Job* job) noexcept nogil:
    """Close the current sentence (it has tokens)."""
    job.sentence_tokens = 0
    if job.mode == MODE_SCAN:
        job.n_sentences += 1
        # gensim checks the vocabulary size after every sentence.
        if job.max_vocab_size > 0 and job.table.n_entries > job.max_vocab_size:
            if table_prune(job.table, job.min_reduce) != 0:
                return -1
            job.min_reduce += 1
        return 0
    if job.n_sentences == job.ends_capacity:
        if grow(<void**>&job.sentence_ends, &job.ends_capacity, job.n_sentences + 1,
                sizeof(int64_t)) != 0:
            return -1
    job.sentence_ends[job.n_sentences] = job.spilled_ids + job.n_ids
    job.n_sentences += 1
    return 0


cdef inline int on_token(Job* job, const uint8_t* token, int64_t n, uint8_t any_high) noexcept nogil:
    """Queue a token (hash it, prefetch its slot); look up the queue when full.

    A token with non-ASCII bytes is repaired into the scratch buffer and looked
    up at once, after the queue, so tokens are always looked up in file order.
    """
    cdef int64_t repaired
    cdef fw_key16 k
    cdef uint64_t h
    cdef Pending* q
    if any_high:
        if flush_tokens(job) != 0:
            return -1
        if job.scratch_capacity < 3 * n:
            if grow(<void**>&job.scratch, &job.scratch_capacity, 3 * n, 1) != 0:
                return -1
        repaired = utf8_repair(token, n, job.scratch)
        if repaired >= 0:
            token = job.scratch
            n = repaired
        k = fw_pack_key(token, n)
        return look_up(job, token, n, k, hash_key(token, n, k))
    k = fw_pack_key(token, n)
    h = hash_key(token, n, k)
    __builtin_prefetch(&job.table.slots[h & job.table.mask])
    q = &job.pending[job.n_pending]
    q.token = token
    q.n = n
    q.k = k
    q.h = h
    job.n_pending += 1
    if job.n_pending == PENDING_TOKENS:
        return flush_tokens(job)
    return 0


cdef inline int flush_tokens(Job* job) noexcept nogil:
    """Look up the queued tokens, in order. -1 on OOM."""
    cdef int j, n = job.n_pending
    cdef Pending* q
    job.n_pending = 0
    for j in range(n):
        q = &job.pending[j]
        if look_up(job, q.token, q.n, q.k, q.h) != 0:
            return -1
    return 0


cdef inline int look_up(Job* job, const uint8_t* token, int64_t n, fw_key16 k,
                        uint64_t h) noexcept nogil:
    """Count (scan) or encode one token. -1 on OOM."""
    cdef int64_t word_id
    job.raw_words += 1
    if job.mode == MODE_SCAN:
        word_id = table_add_hashed(job.table, token, n, k, h, 1)
        if word_id < 0:
            return -1
        if job.record_ids and record_id(job, word_id) != 0:
            return -1
    else:
        word_id = table_get_hashed(job.table, token, n, k, h)
        if word_id < 0:
            return 0  # out of vocabulary: counted, dropped
        if job.n_ids == job.ids_capacity:
            if job.spill_fd >= 0 and job.n_ids >= job.max_ids:
                if spill_ids(job) != 0:
                    return -1
            elif grow(<void**>&job.ids, &job.ids_capacity, job.n_ids + 1, sizeof(int32_t)) != 0:
                return -1
        job.ids[job.n_ids] = <int32_t>word_id
        job.n_ids += 1
    job.sentence_tokens += 1
    if job.sentence_tokens == job.max_sentence_length:
        return end_sentence(job)  # a long line continues as a new sentence
    return 0


cdef inline int on_newline(Job* job) noexcept nogil:
    if flush_tokens(job) != 0:
        return -1
    if job.record_ids and job.line_tokens > 0 and end_line(job) != 0:
        return -1
    if job.sentence_tokens > 0:
        return end_sentence(job)
    return 0


cdef int run_job(Job* job) noexcept nogil:
    """Read the lines owned by `job`; returns 0 or an errno value."""
    cdef int fd = c_open(job.path, O_RDONLY)
    cdef int64_t capacity = READ_BUFFER_BYTES, got, keep, length = 0, i = 0, token_start = 0
    cdef int64_t buf_offset     # file offset of buf[0]
    cdef uint8_t* buf
    cdef uint8_t* hit
    cdef uint8_t c, cls, any_high = 0
    cdef bint in_token = False, skipping = job.start > 0, done = False
    cdef void* grown
    cdef int rc = 0
    if fd < 0:
        return errno
    buf = <uint8_t*>malloc(capacity)
    if buf == NULL:
        close(fd)
        return ENOMEM
    # A thread starting mid-line skips to just after the next '\n'; reading
    # from start - 1 makes a line that begins exactly at `start` ours.
    buf_offset = job.start - 1 if skipping else 0
    if job.start >= job.end and not skipping:
        done = True
    while not done and not job.cancel:
        # Refill: carry an unfinished token to the front of the buffer. Queued
        # tokens point into the buffer: look them up first.
        if flush_tokens(job) != 0:
            rc = ENOMEM
            break
        keep = length - token_start if in_token else 0
        if keep > 0 and token_start > 0:
            memmove(buf, buf + token_start, keep)
        buf_offset += length - keep
        if keep == capacity:  # a token as long as the buffer: grow it
            grown = realloc(buf, 2 * capacity)
            if grown == NULL:
                rc = ENOMEM
                break
            buf = <uint8_t*>grown
            capacity *= 2
        got = pread(fd, buf + keep, capacity - keep, buf_offset + keep)
        if got > 0:
            job.bytes_read += got
        if got < 0:
            rc = errno
            break
        if got == 0:  # end of file ends the last token and line
            if in_token and on_token(job, buf, keep, any_high & 0x80) != 0:
                rc = ENOMEM
            elif not skipping and on_newline(job) != 0:
                rc = ENOMEM
            break
        length = keep + got
        i = keep
        token_start = 0
        if skipping:
            hit = <uint8_t*>memchr(buf, ord("\n"), length)
            if hit == NULL:
                continue
            skipping = False
            i = hit - buf + 1
            if buf_offset + i >= job.end:
                break
        while i < length:
            if in_token:
                # Tight loop over token bytes; most of the time goes here.
                while i < length:
                    c = buf[i]
                    if BYTE_CLASS[c] != 0:
                        break
                    any_high |= c
                    i += 1
                if i == length:
                    break
                if on_token(job, buf + token_start, i - token_start, any_high & 0x80) != 0:
                    rc = ENOMEM
                    done = True
                    break
                in_token = False
            c = buf[i]
            cls = BYTE_CLASS[c]
            if cls == 0:
                in_token = True
                token_start = i
                any_high = 0
                continue
            i += 1
            if cls == 2:
                if on_newline(job) != 0:
                    rc = ENOMEM
                    done = True
                    break
                if buf_offset + i >= job.end:  # the next line is the next thread's
                    done = True
                    break
    if rc == 0 and flush_tokens(job) != 0:  # tokens still point into buf
        rc = ENOMEM
    if rc == ENOMEM and job.io_error:
        rc = job.io_error
    free(buf)
    close(fd)
    return rc


cdef class _Worker:
    """Holds one thread's Job; ``run`` is the threading.Thread target."""
    cdef Job job
    cdef bytes path

    def __cinit__(self):
        self.job.table = NULL
        self.job.ids = NULL
        self.job.sentence_ends = NULL
        self.job.scratch = NULL
        self.job.n_ids = 0
        self.job.ids_capacity = 0
        self.job.ends_capacity = 0
        self.job.scratch_capacity = 0
        self.job.raw_words = 0
        self.job.n_sentences = 0
        self.job.sentence_tokens = 0
        self.job.error = 0
        self.job.min_reduce = 1
        self.job.max_vocab_size = 0
        self.job.bytes_read = 0
        self.job.record_ids = 0
        self.job.max_ids = 0
        self.job.line_tokens = 0
        self.job.n_lines = 0
        self.job.n_pending = 0
        self.job.spill_fd = -1
        self.job.spilled_ids = 0
        self.job.io_error = 0

    def run(self):
        with nogil:
            self.job.error = run_job(&self.job)

    @property
    def bytes_read(self):
        """Bytes this worker has read (a racy read of a counter: for progress only)."""
        return self.job.bytes_read

    def cancel(self):
        # A plain store read by the worker after each pread (a call, so the
        # compiler cannot keep the flag in a register across it).
        self.job.cancel = 1

    def __dealloc__(self):
        free(self.job.ids)
        free(self.job.sentence_ends)
        free(self.job.scratch)
        if self.job.mode == MODE_SCAN and self.job.table != NULL:
            table_free(self.job.table)
            free(self.job.table)


def _check_corpus_file(path):
    """Validate a corpus_file; return (path as bytes, size in bytes)."""
    path = os.fspath(path)
    with open(path, "rb") as fin:  # FileNotFoundError, IsADirectoryError
        head = fin.read(3)
    if not head:
        raise ValueError("corpus_file %r is empty" % (path,))
    if head[:2] == b"\x1f\x8b":
        raise ValueError("corpus_file %r is gzip-compressed; corpus_file must be plain text "
                         "(decompress it, or use LineSentence)" % (path,))
    if head == b"BZh":
        raise ValueError("corpus_file %r is bz2-compressed; corpus_file must be plain text "
                         "(decompress it, or use LineSentence)" % (path,))
    return os.fsencode(path), os.path.getsize(path)


cdef list _make_workers(bytes path, int64_t size, int mode, int n_threads,
                        int64_t max_vocab_size, int64_t max_sentence_length,
                        Table* shared_table, int64_t max_ids=0):
    """One worker per byte range. A scan with `max_ids` > 0 also records provisional
    ids, each worker up to its share of `max_ids`."""
    cdef list workers = []
    cdef _Worker w
    cdef int t
    cdef int64_t range_bytes
    for t in range(n_threads):
        w = _Worker()
        w.path = path
        w.job.path = path
        w.job.mode = mode
        w.job.start = size * t // n_threads
        w.job.end = size * (t + 1) // n_threads
        w.job.max_vocab_size = max_vocab_size
        w.job.max_sentence_length = max_sentence_length
        if mode == MODE_SCAN:
            w.job.table = <Table*>malloc(sizeof(Table))
            if w.job.table == NULL or table_init(w.job.table, 1 << 16) != 0:
                free(w.job.table)
                w.job.table = NULL
                raise MemoryError()
            if max_ids > 0:
                w.job.record_ids = 1
                w.job.max_ids = max(max_ids // n_threads, 1)
                # About one token per 5 bytes of text (IMDB: 5.3); realloc grows it if not.
                range_bytes = w.job.end - w.job.start
                w.job.ids_capacity = min(range_bytes // 5 + 1024, w.job.max_ids)
                w.job.ids = <int32_t*>malloc(w.job.ids_capacity * sizeof(int32_t))
                if w.job.ids == NULL:
                    raise MemoryError()
        else:
            w.job.table = shared_table
            # Pre-size the id stream at about one id per 6 bytes of text (at most the
            # worker's share of a memory budget, past which it spills to a file).
            range_bytes = w.job.end - w.job.start
            w.job.ids_capacity = range_bytes // 6 + 1024
            if max_ids > 0:
                w.job.max_ids = max(max_ids // n_threads, 1024)
                w.job.ids_capacity = min(w.job.ids_capacity, w.job.max_ids)
            w.job.ids = <int32_t*>malloc(w.job.ids_capacity * sizeof(int32_t))
            if w.job.ids == NULL:
                raise MemoryError()
        workers.append(w)
    return workers


def _run_threads(list workers, progress=None):
    """Run the workers in threads; ``progress(bytes_read)`` is called ~10 times a second."""
    cdef _Worker w
    threads = [threading.Thread(target=w.run, name="fastw2v-filescan-%d" % t, daemon=True)
               for t, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.1)
                if progress is not None:
                    progress(sum(w.bytes_read for w in workers))
        if progress is not None:
            progress(sum(w.bytes_read for w in workers))
    except BaseException:
        # Ctrl-C: stop the workers within one read and wait for them, since
        # the caller frees memory they use (the shared table).
        for w in workers:
            w.cancel()
        for thread in threads:
            while thread.is_alive():
                thread.join(0.1)
        raise
    for w in workers:
        if w.job.error == ENOMEM:
            raise MemoryError("out of memory while reading %r" % (w.path,))
        if w.job.error != 0:
            raise OSError(w.job.error, os.strerror(w.job.error), os.fsdecode(w.path))


def _check_args(path, n_threads, max_sentence_length):
    """Shared argument checks: (n_threads, (path as bytes, size in bytes))."""
    n_threads = _check_threads(n_threads)
    if max_sentence_length < 1:
        raise ValueError("max_sentence_length must be at least 1")
    return n_threads, _check_corpus_file(path)


def _check_threads(n_threads):
    n_threads = int(n_threads)
    if n_threads < 1:
        raise ValueError("n_threads must be at least 1, got %d" % n_threads)
    return n_threads


def scan_vocab(path, n_threads=2, max_vocab_size=None, max_sentence_length=10000,
               progress=None):
    """Count every token of a plain-text corpus file, reading it with several threads.

    Parameters
    ----------
    path : str or os.PathLike
        Plain-text file, one sentence per line (not compressed).
    n_threads : int, optional
        Worker threads; each reads its own byte range, cut at line boundaries.
    max_vocab_size : int or None, optional
        gensim's memory cap: whenever a table holds more entries, entries with
        count < ``min_reduce`` are dropped and ``min_reduce`` grows by one.
        Applied to each thread's table after every sentence, and once more to
        the merged table.
    progress : callable, optional
        Called from the calling thread about ten times a second with the number of
        bytes read so far (for a progress display; the workers never call Python).
    max_sentence_length : int, optional
        Only affects `n_sentences`: a longer line counts as several sentences,
        as :class:`~fastw2v.corpus.LineSentence` yields them.

    Returns
    -------
    keys : list of str
        Distinct tokens in order of first occurrence in the file.
    counts : numpy.ndarray of int64
        Count of each key.
    total_words : int
        Number of tokens read (pruned ones included).
    n_sentences : int
        Number of sentences, as LineSentence would yield them.
    min_reduce : int
        Next pruning threshold reached (1 when nothing was pruned).

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If the file is empty or compressed (gzip or bz2).
    """
    return _scan(path, n_threads, max_vocab_size, max_sentence_length, progress, 0)[:5]


def scan_encode(path, n_threads=2, max_id_bytes=2 * 1024**3, max_sentence_length=10000,
                progress=None):
    """Count every token and write the file as provisional ids, in one parallel read.

    A token's provisional id is its key's position in ``keys`` (order of first
    occurrence), so once the vocabulary is chosen, the training stream is a remap
    of these ids (:func:`remap_ids`) instead of a second read of the file.

    Parameters
    ----------
    path, n_threads, max_sentence_length, progress
        As for :func:`scan_vocab` (without ``max_vocab_size``: pruning during the
        scan would invalidate ids already written).
    max_id_bytes : int, optional
        Memory budget of the ids: past it (each thread past its share) the
        recording is given up and ``ids`` is None; the counts are unaffected.

    Returns
    -------
    keys, counts, total_words, n_sentences
        As for :func:`scan_vocab`.
    ids : numpy.ndarray of int32 or None
        Every token's provisional id, in file order.
    line_lengths : numpy.ndarray of int64 or None
        Tokens of each non-empty line (lines are not split here).
    """
    keys, counts, total_words, n_sentences, _, ids, lengths = _scan(
        path, n_threads, None, max_sentence_length, progress, max(int(max_id_bytes) // 4, 0))
    return keys, counts, total_words, n_sentences, ids, lengths


def _scan(path, n_threads, max_vocab_size, max_sentence_length, progress, int64_t max_ids):
    cdef bytes bpath
    cdef int64_t size, k, cap = 0, total_ids = 0, total_lines = 0, pos, prev
    cdef _Worker w
    cdef Table* merged
    cdef int64_t[::1] counts_view
    cdef int64_t[::1] lengths_view
    cdef int32_t* stream
    cdef int32_t* index_map = NULL
    cdef bint recorded
    n_threads, (bpath, size) = _check_args(path, n_threads, max_sentence_length)
    if max_vocab_size is not None:
        cap = int(max_vocab_size)
    if cap > 0:
        max_ids = 0  # pruning renumbers entries
    workers = _make_workers(bpath, size, MODE_SCAN, n_threads, cap, max_sentence_length, NULL,
                            max_ids)
    _run_threads(workers, progress)

    total_words = 0
    n_sentences = 0
    min_reduce = 1
    recorded = max_ids > 0
    for w in workers:
        total_words += w.job.raw_words
        n_sentences += w.job.n_sentences
        min_reduce = max(min_reduce, w.job.min_reduce)
        recorded = recorded and w.job.record_ids
        total_ids += w.job.n_ids
        total_lines += w.job.n_lines
    if not recorded:
        for w in workers:
            drop_recording(&w.job)
    w = workers[0]
    merged = w.job.table
    ids = lengths = None
    if recorded:
        lengths = np.empty(total_lines, dtype=np.int64)
        lengths_view = lengths
        pos = 0
        for w in workers:
            prev = 0
            for k in range(w.job.n_lines):
                lengths_view[pos] = w.job.sentence_ends[k] - prev
                prev = w.job.sentence_ends[k]
                pos += 1
            free(w.job.sentence_ends)
            w.job.sentence_ends = NULL
        w = workers[0]
        stream = <int32_t*>realloc(w.job.ids, max(total_ids, 1) * sizeof(int32_t))
        if stream == NULL:
            raise MemoryError()
        w.job.ids = stream
        pos = w.job.n_ids
    for w in workers[1:]:
        if recorded:
            index_map = <int32_t*>malloc(max(w.job.table.n_entries, 1) * sizeof(int32_t))
            if index_map == NULL:
                raise MemoryError()
        rc = table_merge(merged, w.job.table, index_map)
        table_free(w.job.table)
        if rc == 0 and recorded:
            # Thread-local entry indices become merged ones while moving into place.
            with nogil:
                move_ids_releasing_source(stream + pos, w.job.ids, w.job.n_ids, index_map)
            pos += w.job.n_ids
            drop_recording(&w.job)
        free(index_map)
        index_map = NULL
        if rc != 0:
            raise MemoryError()
    if n_threads > 1 and cap > 0 and merged.n_entries > cap:
        if table_prune(merged, min_reduce) != 0:
            raise MemoryError()
        min_reduce += 1

    keys = [PyUnicode_DecodeUTF8(merged.arena + merged.entries[k].key_offset,
                                 merged.entries[k].key_length, NULL)
            for k in range(merged.n_entries)]
    counts = np.empty(merged.n_entries, dtype=np.int64)
    counts_view = counts
    for k in range(merged.n_entries):
        counts_view[k] = table_value(merged, k)
    if recorded:
        w = workers[0]
        ids = take_int32_buffer(w.job.ids, total_ids) if total_ids else np.zeros(0, np.int32)
        if total_ids == 0:
            free(w.job.ids)
        w.job.ids = NULL
        w.job.n_ids = 0
    return keys, counts, total_words, n_sentences, min_reduce, ids, lengths


cdef Table* build_lookup_table(dict key_to_index) except NULL:
    """A table from UTF-8 key to word id; keys that cannot be UTF-8 are skipped."""
    cdef Table* t = <Table*>malloc(sizeof(Table))
    cdef int64_t n_slots = 1024, index
    cdef bytes key_bytes
    cdef const uint8_t* data
    cdef fw_key16 k
    cdef uint64_t h, slot
    if t == NULL:
        raise MemoryError()
    while n_slots < 2 * len(key_to_index) + 2:
        n_slots *= 2
    if table_init(t, n_slots) != 0:
        free(t)
        raise MemoryError()
    try:
        for key, index in key_to_index.items():
            if index < 0 or index > 0x7FFFFFFF:
                raise ValueError("word id %d of %r does not fit int32" % (index, key))
            try:
                key_bytes = key.encode("utf-8")
            except UnicodeEncodeError:
                continue  # never produced by the reader (lone surrogates)
            data = key_bytes
            k = fw_pack_key(data, len(key_bytes))
            h = hash_key(data, len(key_bytes), k)
            slot = table_find_slot(t, data, len(key_bytes), k, h)
            if t.slots[slot].entry != 0:
                continue
            if table_insert_at(t, slot, data, len(key_bytes), k, h, index) != 0:
                raise MemoryError()
    except BaseException:
        table_free(t)
        free(t)
        raise
    return t


cdef void move_ids_releasing_source(int32_t* dst, int32_t* src, int64_t n,
                                    const int32_t* index_map) noexcept nogil:
    """Copy n ids (through `index_map` unless NULL) in 1 MiB steps, returning each
    copied whole page of `src` to the OS (MADV_DONTNEED) so that source and
    destination are never both resident. `src` must be freed afterwards; its
    released pages read as zeros until then."""
    cdef int64_t done = 0, i, step
    cdef size_t page = <size_t>sysconf(_SC_PAGESIZE)
    cdef uintptr_t released = (<uintptr_t>src + page - 1) & ~(page - 1)
    cdef uintptr_t copied_end
    while done < n:
        step = min(<int64_t>(1 << 18), n - done)
        if index_map == NULL:
            memcpy(dst + done, src + done, step * sizeof(int32_t))
        else:
            for i in range(done, done + step):
                dst[i] = index_map[src[i]]
        done += step
        copied_end = (<uintptr_t>(src + done)) & ~(page - 1)
        if copied_end > released:
            madvise(<void*>released, copied_end - released, MADV_DONTNEED)
            released = copied_end


def _close_spill_files(list workers, list paths, keep):
    """Close the workers' spill files and remove all but `keep`."""
    cdef _Worker w
    for w in workers:
        if w.job.spill_fd >= 0:
            close(w.job.spill_fd)
            w.job.spill_fd = -1
    for p in paths:
        if p != keep:
            try:
                os.unlink(p)
            except OSError:
                pass


def _join_spill_files(list workers, list paths, int64_t total_ids):
    """Past the budget: every worker's ids into its file, the files into the first one,
    returned as a read-only memory map of it."""
    cdef _Worker w
    try:
        for w in workers:
            if spill_ids(&w.job) != 0:
                raise OSError(w.job.io_error, os.strerror(w.job.io_error), paths[0])
        w = workers[0]
        with os.fdopen(os.dup(w.job.spill_fd), "ab") as out:
            for path in paths[1:]:
                with open(path, "rb") as part:
                    shutil.copyfileobj(part, out, 16 << 20)
        _close_spill_files(workers, paths, keep=paths[0])
        if total_ids == 0:
            os.unlink(paths[0])
            return np.zeros(0, np.int32)
        return np.memmap(paths[0], dtype=np.int32, mode="r", shape=(total_ids,))
    except BaseException:
        _close_spill_files(workers, paths, keep=None)
        raise


cdef object take_int32_buffer(int32_t* data, int64_t n):
    """A numpy array that owns the malloc'd `data` (freed with it, no copy)."""
    cdef cvarray arr = cvarray(shape=(n,), itemsize=sizeof(int32_t), format="i",
                               mode="c", allocate_buffer=False)
    arr.data = <char*>data
    arr.callback_free_data = free
    return np.asarray(arr)


def encode_file(path, dict key_to_index, n_threads=2, max_sentence_length=10000,
                progress=None, max_id_bytes=None):
    """Encode a plain-text corpus file as an int32 id stream, reading it with several threads.

    Parameters
    ----------
    path : str or os.PathLike
        Plain-text file, one sentence per line (not compressed).
    key_to_index : dict of str to int
        Vocabulary; tokens not in it are dropped.
    n_threads : int, optional
        Worker threads; each reads its own byte range, cut at line boundaries.
        The result does not depend on it.
    progress : callable, optional
        Called from the calling thread about ten times a second with the number of
        bytes read so far (for a progress display; the workers never call Python).
    max_sentence_length : int, optional
        A line with more in-vocabulary tokens is cut into several sentences.
    max_id_bytes : int or None, optional
        Memory budget of the id stream: a worker past its share writes its ids to a
        temporary file, and the stream comes back as a read-only memory map of one
        file (``ids.filename``; the caller removes it). None: no limit.

    Returns
    -------
    ids : numpy.ndarray or numpy.memmap of int32
        Word ids of all in-vocabulary tokens, in file order.
    sentence_offsets : numpy.ndarray of int64
        Length ``n_sentences + 1``; sentence i is ``ids[offsets[i]:offsets[i + 1]]``.
        A sentence without in-vocabulary tokens is dropped.
    raw_words : int
        Number of tokens read, out-of-vocabulary ones included.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If the file is empty or compressed (gzip or bz2).
    """
    cdef bytes bpath
    cdef int64_t size, total_ids = 0, total_sentences = 0, pos, k, shift, max_ids = 0
    cdef _Worker w
    cdef Table* table
    cdef int32_t* stream
    cdef int64_t[::1] offsets_view
    n_threads, (bpath, size) = _check_args(path, n_threads, max_sentence_length)
    if max_id_bytes is not None:
        max_ids = max(int(max_id_bytes) // 4, 1)
    table = build_lookup_table(key_to_index)
    spill_paths = []
    workers = []
    try:
        workers = _make_workers(bpath, size, MODE_ENCODE, n_threads, 0,
                                max_sentence_length, table, max_ids)
        if max_ids:
            for w in workers:
                fd, spill_path = tempfile.mkstemp(prefix="fastw2v-ids-", suffix=".int32")
                spill_paths.append(spill_path)
                w.job.spill_fd = fd
        _run_threads(workers, progress)
        spilled = False
        for w in workers:
            spilled = spilled or w.job.spilled_ids > 0
    except BaseException:
        _close_spill_files(workers, spill_paths, keep=None)
        raise
    finally:
        table_free(table)
        free(table)

    raw_words = 0
    for w in workers:
        raw_words += w.job.raw_words
        total_ids += w.job.spilled_ids + w.job.n_ids
        total_sentences += w.job.n_sentences

    offsets = np.empty(total_sentences + 1, dtype=np.int64)
    offsets_view = offsets
    offsets_view[0] = 0
    pos = 1
    shift = 0
    for w in workers:
        for k in range(w.job.n_sentences):
            offsets_view[pos] = w.job.sentence_ends[k] + shift
            pos += 1
        shift += w.job.spilled_ids + w.job.n_ids
        free(w.job.sentence_ends)
        w.job.sentence_ends = NULL

    if spilled:
        return _join_spill_files(workers, spill_paths, total_ids), offsets, raw_words
    _close_spill_files(workers, spill_paths, keep=None)
    if total_ids == 0:
        return np.empty(0, dtype=np.int32), offsets, raw_words
    # Grow thread 0's buffer in place (glibc mremaps large blocks) and move the
    # others in, releasing their pages as they are copied: peak memory stays
    # near one stream instead of two.
    w = workers[0]
    stream = <int32_t*>realloc(w.job.ids, total_ids * sizeof(int32_t))
    if stream == NULL:
        raise MemoryError()
    w.job.ids = NULL
    pos = w.job.n_ids
    for w in workers[1:]:
        move_ids_releasing_source(stream + pos, w.job.ids, w.job.n_ids, NULL)
        pos += w.job.n_ids
        free(w.job.ids)
        w.job.ids = NULL
    return take_int32_buffer(stream, total_ids), offsets, raw_words


# ---------------------------------------------------------------------------
# Token lists from Python iterables: the same C table instead of a dict
# ---------------------------------------------------------------------------

cdef extern from "Python.h":
    const char* PyUnicode_AsUTF8AndSize(object unicode, Py_ssize_t* size) except NULL
    # An ASCII str stores its characters as its UTF-8 bytes: read them without a call.
    bint PyUnicode_IS_COMPACT_ASCII(object unicode)
    const char* PyUnicode_DATA(object unicode)
    Py_ssize_t PyUnicode_GET_LENGTH(object unicode)


cdef int table_look_up_all(Table* t, const uint8_t** data, const int64_t* sizes, int64_t n,
                           int32_t* out) noexcept nogil:
    """out[i] = id of token i (a new id, the next one, for a new token), hashing and
    prefetching PENDING_TOKENS ahead of the lookups. -1 on OOM."""
    cdef Pending pending[PENDING_TOKENS]
    cdef int64_t i, first = 0, j
    cdef uint64_t slot
    cdef int q
    while first < n:
        q = 0
        for i in range(first, min(first + PENDING_TOKENS, n)):
            pending[q].k = fw_pack_key(data[i], sizes[i])
            pending[q].h = hash_key(data[i], sizes[i], pending[q].k)
            __builtin_prefetch(&t.slots[pending[q].h & t.mask])
            q += 1
        for j in range(q):
            i = first + j
            slot = table_find_slot(t, data[i], sizes[i], pending[j].k, pending[j].h)
            if t.slots[slot].entry != 0:
                out[i] = <int32_t>t.slots[slot].value
            else:
                out[i] = <int32_t>t.n_entries
                if table_insert_at(t, slot, data[i], sizes[i], pending[j].k, pending[j].h,
                                   t.n_entries) != 0:
                    return -1
        first += q
    return 0


cdef class TokenBatch:
    """Tokens of consecutive sentences staged by :meth:`TokenIds.stage`, and their ids.

    Holds the sentences (so the UTF-8 data of their str tokens stays alive) and the
    C pointers to that data, so that :meth:`TokenIds.look_up_batch` can run without
    the GIL in another thread while Python reads the next sentences.
    """
    cdef const uint8_t** data
    cdef int64_t* sizes
    cdef int64_t n
    cdef int64_t capacity
    cdef list held
    cdef object out

    def __cinit__(self, int64_t capacity=1 << 18):
        self.n = 0
        self.capacity = 0
        self.held = []
        self.grow(max(capacity, 1))

    def __dealloc__(self):
        free(self.data)
        free(self.sizes)

    def __len__(self):
        return self.n

    cdef grow(self, int64_t capacity):
        cdef void* p = realloc(self.data, capacity * sizeof(uint8_t*))
        if p == NULL:
            raise MemoryError()
        self.data = <const uint8_t**>p
        p = realloc(self.sizes, capacity * sizeof(int64_t))
        if p == NULL:
            raise MemoryError()
        self.sizes = <int64_t*>p
        out = np.empty(capacity, dtype=np.int32)
        if self.out is not None:
            out[:self.n] = self.out[:self.n]
        self.out = out
        self.capacity = capacity

    def ids(self):
        """The looked-up ids of the staged tokens (a view, valid until the next clear)."""
        return self.out[:self.n]

    def clear(self):
        """Drop the staged tokens and release their sentences."""
        self.n = 0
        self.held = []


cdef class TokenIds:
    """Provisional ids for tokens, in order of first appearance, in the C hash table.

    :meth:`stage` collects sentences' tokens (lists of str) into a :class:`TokenBatch`
    and :meth:`look_up_batch` gives their ids without the GIL; :meth:`add` does both for
    one sentence. A str's UTF-8 form is cached by
    CPython (ASCII strings are stored as UTF-8 already), so a lookup is a hash and
    a probe of bytes, with no Python hashing, dict or int objects: about 3x faster than
    a dict per token on IMDB (benchmarks/README.md, "Speed notes").
    """
    cdef Table table
    cdef bint ready

    def __cinit__(self):
        self.ready = table_init(&self.table, 1 << 16) == 0
        if not self.ready:
            raise MemoryError()

    def __dealloc__(self):
        if self.ready:
            table_free(&self.table)
            self.ready = False

    def __len__(self):
        return self.table.n_entries

    def add(self, list sentence, int32_t[::1] out, Py_ssize_t pos):
        """Ids of ``sentence``'s tokens into ``out[pos:pos + len(sentence)]``.

        Raises TypeError for a token that is not a str. One sentence staged and looked
        up at once (:meth:`stage`, :meth:`look_up_batch`), in the calling thread.
        """
        cdef Py_ssize_t n = len(sentence)
        cdef TokenBatch batch
        if pos < 0 or pos + n > out.shape[0]:
            raise ValueError("output buffer too small")
        batch = TokenBatch(max(n, 1))
        self.stage(sentence, batch)
        self.look_up_batch(batch)
        np.asarray(out)[pos:pos + n] = batch.out[:n]

    def stage(self, list sentence, TokenBatch batch):
        """Append ``sentence``'s tokens to ``batch`` for a later :meth:`look_up_batch`.

        Runs with the GIL: checks every token is a str (TypeError otherwise) and
        keeps the sentence in the batch, so that the UTF-8 data its tokens point to
        lives until the batch is cleared.
        """
        cdef Py_ssize_t size, n = len(sentence)
        cdef const char* data
        cdef object token
        cdef bytes encoded
        if batch.n + n > batch.capacity:
            batch.grow(batch.n + n)
        for token in sentence:
            if not isinstance(token, str):
                raise TypeError(f"tokens must be str, found {type(token).__name__} {token!r}; "
                                "convert tokens to strings before training")
            if PyUnicode_IS_COMPACT_ASCII(token):
                data = PyUnicode_DATA(token)
                size = PyUnicode_GET_LENGTH(token)
            else:
                try:
                    data = PyUnicode_AsUTF8AndSize(token, &size)
                except UnicodeEncodeError:  # lone surrogates: their own, distinct byte form
                    encoded = (<str>token).encode("utf-8", "surrogatepass")
                    batch.held.append(encoded)
                    data = encoded
                    size = len(encoded)
            batch.data[batch.n] = <const uint8_t*>data
            batch.sizes[batch.n] = size
            batch.n += 1
        batch.held.append(sentence)

    def look_up_batch(self, TokenBatch batch):
        """Ids of every token staged in ``batch`` into ``batch.ids()``, without the GIL.

        Meant for a worker thread, one batch at a time and in staging order (ids are
        given in order of first appearance), while the caller stages the next batch.
        """
        cdef int32_t[::1] out = batch.out
        cdef int rc
        if batch.n == 0:
            return
        with nogil:
            rc = table_look_up_all(&self.table, batch.data, batch.sizes, batch.n, &out[0])
        if rc != 0:
            raise MemoryError("too many distinct tokens")

    def words(self):
        """The distinct tokens, in order of first appearance (= their ids)."""
        cdef int64_t k
        return [PyUnicode_DecodeUTF8(self.table.arena + self.table.entries[k].key_offset,
                                     self.table.entries[k].key_length, "surrogatepass")
                for k in range(self.table.n_entries)]


def remap_ids(int32_t[::1] ids, const int64_t[::1] old_to_new, const int64_t[::1] bounds,
              int64_t[::1] kept_lengths):
    """Map provisional ids through ``old_to_new`` in place, dropping those mapped to -1.

    Sentence ``s`` is ``ids[bounds[s]:bounds[s + 1]]`` before; its kept length goes to
    ``kept_lengths[s]``. Returns the number of ids kept (now ``ids[:kept]``). Kept ids
    never move right, so one forward pass compacts the array in place.
    """
    cdef Py_ssize_t n_sent = kept_lengths.shape[0]
    cdef Py_ssize_t n_old = old_to_new.shape[0]
    cdef int64_t s, k, write = 0, start, new
    cdef int32_t old
    if bounds.shape[0] != n_sent + 1 or (n_sent and (bounds[0] != 0 or bounds[n_sent] > ids.shape[0])):
        raise ValueError("sentence bounds do not describe the ids")
    # Every index checked here, once, so the loop below runs unchecked.
    used = np.asarray(ids)[:bounds[n_sent] if n_sent else 0]
    if np.any(np.diff(np.asarray(bounds)) < 0):
        raise ValueError("sentence bounds must not decrease")
    if len(used) and (int(used.min()) < 0 or int(used.max()) >= n_old):
        raise ValueError("provisional ids out of range of old_to_new")
    if n_old and int(np.asarray(old_to_new).max()) > 0x7FFFFFFF:
        raise ValueError("new ids must fit int32")
    with nogil:
        for s in range(n_sent):
            start = write
            for k in range(bounds[s], bounds[s + 1]):
                old = ids[k]
                new = old_to_new[old]
                if new >= 0:
                    ids[write] = <int32_t>new
                    write += 1
            kept_lengths[s] = write - start
    return write
