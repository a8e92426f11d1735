# cython: language_level=3
# The token hash table: UTF-8 keys to 64-bit values, in C, without the GIL.
#
# Open addressing, linear probing, short keys inline in the slot. A lookup
# touches one 32-byte slot (half a cache line): the slot holds the value and,
# for keys of at most 15 bytes (nearly every word), the key itself. The earlier
# layout (slot -> entry -> arena) cost three dependent cache misses per token
# on a rare word, ~80% of the scan's time (perf, IMDB).
#
# Entries keep insertion order (an entry's index is the order of first
# appearance: the provisional id of a token), and every key is also kept in an
# arena, for export and for long keys.
#
# Every function is inline and defined here, so that the per-token loops of the
# modules that cimport this file (the file reader, TokenIds) call no function
# through a pointer. Key packing and hashing are C, in ``token_key.h``.
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcmp, memcpy, memmove


cdef extern from "token_key.h" nogil:
    ctypedef struct fw_key16:
        uint64_t lo
        uint64_t hi
    fw_key16 fw_pack_key(const uint8_t* p, int64_t n)
    fw_key16 fw_pack_key_padded(const uint8_t* p, int64_t n)
    bint fw_key_is_long(fw_key16 k)
    uint64_t fw_hash_key(const uint8_t* p, int64_t n, fw_key16 k)
    void* fw_alloc_zeroed64(size_t size)
    void fw_prefetch(const void* p)


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

cdef struct HashedKey:  # a key packed and hashed ahead of its lookup
    fw_key16 k
    uint64_t h


cdef inline HashedKey hash_token(const uint8_t* key, int64_t n) noexcept nogil:
    cdef HashedKey hk
    hk.k = fw_pack_key(key, n)
    hk.h = fw_hash_key(key, n, hk.k)
    return hk


cdef inline HashedKey hash_padded_token(const uint8_t* key, int64_t n) noexcept nogil:
    """hash_token for a key with readable bytes up to ``key + 16`` (see fw_pack_key_padded)."""
    cdef HashedKey hk
    hk.k = fw_pack_key_padded(key, n)
    hk.h = fw_hash_key(key, n, hk.k)
    return hk


cdef inline void table_prefetch(const Table* t, uint64_t h) noexcept nogil:
    """Start loading the first slot a key of hash `h` probes."""
    fw_prefetch(&t.slots[h & t.mask])


cdef inline int table_init(Table* t, int64_t n_slots) noexcept nogil:
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


cdef inline void table_free(Table* t) noexcept nogil:
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


cdef inline int table_rehash(Table* t, uint64_t n_slots) noexcept nogil:
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


cdef inline int table_insert_at(Table* t, uint64_t slot, const uint8_t* key, int64_t n,
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
    cdef HashedKey hk = hash_token(key, n)
    return table_add_hashed(t, key, n, hk.k, hk.h, delta)


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


cdef inline int table_prune(Table* t, int64_t min_reduce) noexcept nogil:
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


cdef inline int table_merge(Table* dst, const Table* src, int32_t* index_map) noexcept nogil:
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
