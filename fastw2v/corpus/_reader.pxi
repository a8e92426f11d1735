# The parallel byte-range reader: one worker per thread reads its own byte range of
# the file with pread, splits it into tokens and lines, repairs invalid UTF-8, and
# hands every token to its mode's action (_counting.pxi or _encoding.pxi) through a
# queue of hashed, prefetched tokens. Included by _filescan.pyx.


cdef extern from "token_scan.h" nogil:
    int64_t fw_token_end(const uint8_t* buf, int64_t i, int64_t length,
                         const uint8_t* byte_class, uint8_t* any_high)


# Byte classes: 0 = token byte, 1 = separator, 2 = newline (ends a sentence).
cdef uint8_t BYTE_CLASS[256]
for _b in range(256):
    BYTE_CLASS[_b] = 0
for _b in (0x20, 0x09, 0x0D, 0x0B, 0x0C, 0x00):  # space \t \r \v \f NUL
    BYTE_CLASS[_b] = 1
BYTE_CLASS[0x0A] = 2  # \n


cdef enum:
    # Readable bytes after the read buffer's data, so that a token's key packs with
    # 16-byte loads (hash_padded_token) even at the end of the data.
    KEY_PAD = 16


cdef struct Pending:
    const uint8_t* token    # into the read buffer (flushed before the buffer moves)
    int64_t n
    uint64_t h
    fw_key16 k


cdef struct TokenQueue:     # tokens hashed and prefetched, not yet looked up
    Pending pending[PENDING_TOKENS]
    int n


cdef struct Job:
    # What to read, and how far it got (every mode).
    const char* path
    int64_t start           # this thread owns the lines starting in [start, end)
    int64_t end
    int64_t bytes_read      # bytes of the file read so far (progress display only)
    int cancel              # set from Python (Ctrl-C): stop at the next read
    int error               # 0, or an errno value
    uint8_t* scratch        # room for a repaired token
    int64_t scratch_capacity
    TokenQueue queue
    # Tokens and sentences (every mode).
    int mode                # MODE_SCAN: `count` and `record`; MODE_ENCODE: `encode`
    Table* table            # the thread's own (scan) or the shared read-only one (encode)
    int64_t max_sentence_length
    int64_t raw_words       # every token read
    int64_t sentence_tokens # tokens (scan) or in-vocabulary tokens (encode) in the sentence
    Counting count
    Recording record
    Encoding encode


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


cdef inline int end_sentence(Job* job) noexcept nogil:
    """Close the current sentence (it has tokens). -1 on OOM."""
    job.sentence_tokens = 0
    if job.mode == MODE_SCAN:
        return end_counted_sentence(&job.count, job.table)
    return end_encoded_sentence(&job.encode)


cdef inline int look_up(Job* job, const uint8_t* token, int64_t n, fw_key16 k,
                        uint64_t h) noexcept nogil:
    """Count (scan) or encode one token. -1 on OOM."""
    cdef int kept
    job.raw_words += 1
    if job.mode == MODE_SCAN:
        if count_token(job.table, &job.record, token, n, k, h) != 0:
            return -1
    else:
        kept = encode_token(job.table, &job.encode, token, n, k, h)
        if kept <= 0:
            return kept  # -1: error; 0: out of vocabulary, counted and dropped
    job.sentence_tokens += 1
    if job.sentence_tokens == job.max_sentence_length:
        return end_sentence(job)  # a long line continues as a new sentence
    return 0


cdef inline int flush_tokens(Job* job) noexcept nogil:
    """Look up the queued tokens, in order. -1 on OOM."""
    cdef int j, n = job.queue.n
    cdef Pending* q
    job.queue.n = 0
    for j in range(n):
        q = &job.queue.pending[j]
        if look_up(job, q.token, q.n, q.k, q.h) != 0:
            return -1
    return 0


cdef inline int on_token(Job* job, const uint8_t* token, int64_t n, uint8_t any_high) noexcept nogil:
    """Queue a token (hash it, prefetch its slot); look up the queue when full.

    A token with non-ASCII bytes is repaired into the scratch buffer and looked
    up at once, after the queue, so tokens are always looked up in file order.
    """
    cdef int64_t repaired
    cdef HashedKey hk
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
        hk = hash_token(token, n)
        return look_up(job, token, n, hk.k, hk.h)
    hk = hash_padded_token(token, n)  # the read buffer has KEY_PAD bytes after its data
    table_prefetch(job.table, hk.h)
    q = &job.queue.pending[job.queue.n]
    q.token = token
    q.n = n
    q.k = hk.k
    q.h = hk.h
    job.queue.n += 1
    if job.queue.n == PENDING_TOKENS:
        return flush_tokens(job)
    return 0


cdef inline int on_newline(Job* job) noexcept nogil:
    if flush_tokens(job) != 0:
        return -1
    if job.record.on and job.record.line_tokens > 0 and end_recorded_line(&job.record) != 0:
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
    buf = <uint8_t*>malloc(capacity + KEY_PAD)
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
            grown = realloc(buf, 2 * capacity + KEY_PAD)
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
                # Most of the time goes here: eight bytes per step (token_scan.h).
                i = fw_token_end(buf, i, length, BYTE_CLASS, &any_high)
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
    if rc == ENOMEM and job.encode.io_error:
        rc = job.encode.io_error
    free(buf)
    close(fd)
    return rc


cdef class _Worker:
    """Holds one thread's Job; ``run`` is the threading.Thread target."""
    cdef Job job
    cdef bytes path

    def __cinit__(self):
        memset(&self.job, 0, sizeof(Job))
        self.job.encode.spill_fd = -1

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
        free(self.job.record.ids)
        free(self.job.record.line_ends)
        free(self.job.encode.ids)
        free(self.job.encode.sentence_ends)
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
                        Table* shared_table, int64_t max_ids=0, int64_t first_byte=0):
    """One worker per byte range of [first_byte, size), ready for its mode (see
    start_counting, start_encoding)."""
    cdef list workers = []
    cdef _Worker w
    cdef int t
    for t in range(n_threads):
        w = _Worker()
        w.path = path
        w.job.path = path
        w.job.mode = mode
        w.job.start = first_byte + (size - first_byte) * t // n_threads
        w.job.end = first_byte + (size - first_byte) * (t + 1) // n_threads
        w.job.max_sentence_length = max_sentence_length
        workers.append(w)
        if mode == MODE_SCAN:
            start_counting(&w.job, max_vocab_size, max_ids, n_threads)
        else:
            start_encoding(&w.job, shared_table, max_ids, n_threads)
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


def _owned_bytes(int64_t size, byte_range):
    """(first, end) of the bytes a call reads: the whole file, or `byte_range` of it.

    A range is cut at lines as the threads' ranges are (a line belongs to the range
    it starts in), so ranges that tile a file read each line once (distributed
    training gives each rank one).
    """
    if byte_range is None:
        return 0, size
    first, end = int(byte_range[0]), int(byte_range[1])
    if not 0 <= first <= end <= size:
        raise ValueError("byte_range %r is not within the file's %d bytes" % (byte_range, size))
    return first, end


def _check_threads(n_threads):
    n_threads = int(n_threads)
    if n_threads < 1:
        raise ValueError("n_threads must be at least 1, got %d" % n_threads)
    return n_threads
