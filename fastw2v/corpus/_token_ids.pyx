"""Provisional ids for the tokens of Python iterables, and their remap to word ids.

The one-pass reading of fastw2v's own readers (:func:`fastw2v.encode.scan_iterable`)
gives every token a provisional id -- its position in order of first appearance --
from the same C hash table the file reader uses (``_token_table.pxd``), instead of
a dict. Once the vocabulary is chosen, :func:`remap_ids` turns those ids (of an
iterable or of a ``corpus_file`` scan) into the training stream in place.
"""
import numpy as np

from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t
from libc.stdlib cimport free, realloc

from fastw2v.corpus._token_table cimport (
    HashedKey, Table, hash_token, table_find_slot, table_free, table_init, table_insert_at,
    table_prefetch)

__all__ = ["TokenBatch", "TokenIds", "remap_ids"]

cdef enum:
    # Tokens hashed ahead of their lookup, so that their slots' cache misses overlap.
    PENDING_TOKENS = 16

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
    cdef HashedKey pending[PENDING_TOKENS]
    cdef int64_t i, first = 0, j
    cdef uint64_t slot
    cdef int q
    while first < n:
        q = 0
        for i in range(first, min(first + PENDING_TOKENS, n)):
            pending[q] = hash_token(data[i], sizes[i])
            table_prefetch(t, pending[q].h)
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
