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
  provisional id (its key's index), which
  :func:`fastw2v.corpus._token_ids.remap_ids` turns into the training stream once
  the vocabulary is known: one read of the file in all.
* :func:`encode_file` turns the file into an int32 id stream plus sentence
  offsets, looking tokens up in one read-only table shared by all threads.

One extension module, one file per job, so that the per-token path (reader ->
mode action -> table) compiles as one unit and inlines:

* ``_token_table.pxd`` and ``token_key.h``: the token hash table;
* ``_utf8.pxd``: UTF-8 repair;
* ``_reader.pxi``: the byte-range reader, its workers and threads;
* ``_counting.pxi``: counting and recording provisional ids (the scans);
* ``_encoding.pxi``: the id stream of a known vocabulary, spilled past its budget;
* this file: what both modes share (id buffers handed to numpy) and test twins.
"""
import os
import shutil
import tempfile
import threading

import numpy as np

from fastw2v.corpus.limits import MAX_SENTENCE_TOKENS

from cpython.unicode cimport PyUnicode_DecodeUTF8
from cython.view cimport array as cvarray
from libc.errno cimport errno, EINTR, ENOMEM
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t, uintptr_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memchr, memcpy, memmove, memset
from posix.fcntl cimport O_RDONLY, open as c_open
from posix.mman cimport MADV_DONTNEED, madvise
from posix.unistd cimport _SC_PAGESIZE, close, pread, sysconf, write

from fastw2v.corpus._token_table cimport (
    HashedKey, Table, fw_key16, fw_pack_key, fw_pack_key_padded, hash_padded_token, hash_token,
    table_add_hashed, table_find_slot, table_free, table_get_hashed, table_init, table_insert_at,
    table_merge, table_prefetch, table_prune, table_value)
from fastw2v.corpus._utf8 cimport utf8_repair

__all__ = ["scan_vocab", "scan_encode", "encode_file"]

cdef enum:
    # 4 MiB reads: large enough that syscalls cost nothing, small enough for L3.
    READ_BUFFER_BYTES = 4 * 1024 * 1024
    MODE_SCAN = 0
    MODE_ENCODE = 1
    # Tokens hashed ahead of their lookup, so that their slots' cache misses overlap
    # (a lookup of a rare word waits on memory otherwise: ~half the scan's time).
    PENDING_TOKENS = 16


include "_counting.pxi"
include "_encoding.pxi"
include "_reader.pxi"


# ---------------------------------------------------------------------------
# Id buffers, shared by both modes
# ---------------------------------------------------------------------------

cdef object take_int32_buffer(int32_t* data, int64_t n):
    """A numpy array that owns the malloc'd `data` (freed with it, no copy)."""
    cdef cvarray arr = cvarray(shape=(n,), itemsize=sizeof(int32_t), format="i",
                               mode="c", allocate_buffer=False)
    arr.data = <char*>data
    arr.callback_free_data = free
    return np.asarray(arr)


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


# ---------------------------------------------------------------------------
# Test twins
# ---------------------------------------------------------------------------

def _utf8_repair(bytes data):
    """Python twin of the C UTF-8 repair, for tests: bytes -> valid UTF-8 bytes."""
    cdef int64_t n = len(data)
    cdef bytearray out = bytearray(3 * n + 1)
    cdef uint8_t* p = <uint8_t*><char*>out
    cdef int64_t m = utf8_repair(<const uint8_t*><const char*>data, n, p)
    return data if m < 0 else bytes(out[:m])


def _pack_key_twins(bytes data, int64_t n):
    """Both key packers on ``data[:n]`` (``data`` padded to 16 bytes or more), for tests:
    ((lo, hi) of fw_pack_key, (lo, hi) of fw_pack_key_padded)."""
    if not 0 <= n <= len(data) or len(data) < 16:
        raise ValueError("need 0 <= n <= len(data) and len(data) >= 16")
    cdef const uint8_t* p = <const uint8_t*><const char*>data
    cdef fw_key16 a = fw_pack_key(p, n)
    cdef fw_key16 b = fw_pack_key_padded(p, n)
    return (a.lo, a.hi), (b.lo, b.hi)


def _token_ends(bytes data):
    """Python twin of the reader's token search, for tests: for every start index i,
    (fw_token_end(data, i), whether a byte passed over has its top bit set)."""
    cdef int64_t i, n = len(data)
    cdef const uint8_t* p = <const uint8_t*><const char*>data
    cdef uint8_t high
    out = []
    for i in range(n + 1):
        high = 0
        out.append((fw_token_end(p, i, n, BYTE_CLASS, &high), bool(high & 0x80)))
    return out
