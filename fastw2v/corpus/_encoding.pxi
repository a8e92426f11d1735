# Encoding mode of the file reader: every in-vocabulary token written as its word id
# (encode_file), looked up in one read-only table shared by all threads, with the
# stream spilled to temporary files past the memory budget.
# Included by _filescan.pyx; the reader (_reader.pxi) calls these per token and per
# sentence, and encode_file below joins the threads' streams.


cdef struct Encoding:
    int32_t* ids            # this thread's id stream (the part not yet spilled)
    int64_t n_ids
    int64_t capacity
    int64_t max_ids         # this thread's share of the memory budget; 0 = no limit
    int64_t* sentence_ends  # end of each emitted sentence, counting spilled ids
    int64_t n_sentences
    int64_t ends_capacity
    int spill_fd            # ids past max_ids go to this file (-1: none)
    int64_t spilled_ids     # ids written to spill_fd so far
    int io_error            # errno of a failed spill write


cdef int spill_ids(Encoding* e) noexcept nogil:
    """Past its memory share: append the buffered ids to the worker's spill file."""
    cdef const char* p = <const char*>e.ids
    cdef int64_t left = e.n_ids * <int64_t>sizeof(int32_t)
    cdef ssize_t wrote
    while left > 0:
        wrote = write(e.spill_fd, p, left)
        if wrote < 0:
            if errno == EINTR:
                continue
            e.io_error = errno
            return -1
        p += wrote
        left -= wrote
    e.spilled_ids += e.n_ids
    e.n_ids = 0
    return 0


cdef inline int encode_token(const Table* table, Encoding* e, const uint8_t* token, int64_t n,
                             fw_key16 k, uint64_t h) noexcept nogil:
    """Append one token's word id: 1 if kept, 0 if out of vocabulary (dropped), -1 on error."""
    cdef int64_t word_id = table_get_hashed(table, token, n, k, h)
    if word_id < 0:
        return 0
    if e.n_ids == e.capacity:
        if e.spill_fd >= 0 and e.n_ids >= e.max_ids:
            if spill_ids(e) != 0:
                return -1
        elif grow(<void**>&e.ids, &e.capacity, e.n_ids + 1, sizeof(int32_t)) != 0:
            return -1
    e.ids[e.n_ids] = <int32_t>word_id
    e.n_ids += 1
    return 1


cdef inline int end_encoded_sentence(Encoding* e) noexcept nogil:
    """Close the current sentence (it has in-vocabulary tokens). -1 on OOM."""
    if e.n_sentences == e.ends_capacity:
        if grow(<void**>&e.sentence_ends, &e.ends_capacity, e.n_sentences + 1,
                sizeof(int64_t)) != 0:
            return -1
    e.sentence_ends[e.n_sentences] = e.spilled_ids + e.n_ids
    e.n_sentences += 1
    return 0


cdef int start_encoding(Job* job, Table* shared_table, int64_t max_ids, int n_threads) except -1:
    """Point a worker at the shared table and pre-size its id stream."""
    # About one id per 6 bytes of text, at most the worker's share of a memory
    # budget (past which it spills to a file).
    job.table = shared_table
    job.encode.capacity = (job.end - job.start) // 6 + 1024
    if max_ids > 0:
        job.encode.max_ids = max(max_ids // n_threads, 1024)
        job.encode.capacity = min(job.encode.capacity, job.encode.max_ids)
    job.encode.ids = <int32_t*>malloc(job.encode.capacity * sizeof(int32_t))
    if job.encode.ids == NULL:
        raise MemoryError()
    return 0


cdef Table* build_lookup_table(dict key_to_index) except NULL:
    """A table from UTF-8 key to word id; keys that cannot be UTF-8 are skipped."""
    cdef Table* t = <Table*>malloc(sizeof(Table))
    cdef int64_t n_slots = 1024, index
    cdef bytes key_bytes
    cdef const uint8_t* data
    cdef HashedKey hk
    cdef uint64_t slot
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
            hk = hash_token(data, len(key_bytes))
            slot = table_find_slot(t, data, len(key_bytes), hk.k, hk.h)
            if t.slots[slot].entry != 0:
                continue
            if table_insert_at(t, slot, data, len(key_bytes), hk.k, hk.h, index) != 0:
                raise MemoryError()
    except BaseException:
        table_free(t)
        free(t)
        raise
    return t


def _close_spill_files(list workers, list paths, keep):
    """Close the workers' spill files and remove all but `keep`."""
    cdef _Worker w
    for w in workers:
        if w.job.encode.spill_fd >= 0:
            close(w.job.encode.spill_fd)
            w.job.encode.spill_fd = -1
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
            if spill_ids(&w.job.encode) != 0:
                raise OSError(w.job.encode.io_error, os.strerror(w.job.encode.io_error), paths[0])
        w = workers[0]
        with os.fdopen(os.dup(w.job.encode.spill_fd), "ab") as out:
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


def encode_file(path, dict key_to_index, n_threads=2, max_sentence_length=MAX_SENTENCE_TOKENS,
                progress=None, max_id_bytes=None, byte_range=None):
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
    max_sentence_length : int, optional
        A line with more in-vocabulary tokens is cut into several sentences.
    progress : callable, optional
        Called from the calling thread about ten times a second with the number of
        bytes read so far (for a progress display; the workers never call Python).
    max_id_bytes : int or None, optional
        Memory budget of the id stream: a worker past its share writes its ids to a
        temporary file, and the stream comes back as a read-only memory map of one
        file (``ids.filename``; the caller removes it). None: no limit.
    byte_range : (int, int), optional
        Read only the lines that start in ``[first, end)`` (see :func:`_owned_bytes`).

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
    cdef int64_t size, total_ids = 0, max_ids = 0
    cdef _Worker w
    cdef Table* table
    n_threads, (bpath, size) = _check_args(path, n_threads, max_sentence_length)
    first, size = _owned_bytes(size, byte_range)
    if max_id_bytes is not None:
        max_ids = max(int(max_id_bytes) // 4, 1)
    table = build_lookup_table(key_to_index)
    spill_paths = []
    workers = []
    try:
        workers = _make_workers(bpath, size, MODE_ENCODE, n_threads, 0,
                                max_sentence_length, table, max_ids, first)
        if max_ids:
            for w in workers:
                fd, spill_path = tempfile.mkstemp(prefix="fastw2v-ids-", suffix=".int32")
                spill_paths.append(spill_path)
                w.job.encode.spill_fd = fd
        _run_threads(workers, progress)
        spilled = False
        for w in workers:
            spilled = spilled or w.job.encode.spilled_ids > 0
    except BaseException:
        _close_spill_files(workers, spill_paths, keep=None)
        raise
    finally:
        table_free(table)
        free(table)

    raw_words = 0
    for w in workers:
        raw_words += w.job.raw_words
        total_ids += w.job.encode.spilled_ids + w.job.encode.n_ids
    offsets = _sentence_offsets(workers)
    if spilled:
        return _join_spill_files(workers, spill_paths, total_ids), offsets, raw_words
    _close_spill_files(workers, spill_paths, keep=None)
    if total_ids == 0:
        return np.empty(0, dtype=np.int32), offsets, raw_words
    return _join_streams(workers, total_ids), offsets, raw_words


cdef object _sentence_offsets(list workers):
    """Sentence offsets of the joined stream; frees the workers' sentence ends."""
    cdef _Worker w
    cdef int64_t total_sentences = 0, pos = 1, shift = 0, k
    cdef int64_t[::1] offsets_view
    for w in workers:
        total_sentences += w.job.encode.n_sentences
    offsets = np.empty(total_sentences + 1, dtype=np.int64)
    offsets_view = offsets
    offsets_view[0] = 0
    for w in workers:
        for k in range(w.job.encode.n_sentences):
            offsets_view[pos] = w.job.encode.sentence_ends[k] + shift
            pos += 1
        shift += w.job.encode.spilled_ids + w.job.encode.n_ids
        free(w.job.encode.sentence_ends)
        w.job.encode.sentence_ends = NULL
    return offsets


cdef object _join_streams(list workers, int64_t total_ids):
    """The workers' in-RAM streams as one array, in thread (= file) order."""
    cdef _Worker w = workers[0]
    cdef int32_t* stream
    cdef int64_t pos
    # Grow thread 0's buffer in place (glibc mremaps large blocks) and move the
    # others in, releasing their pages as they are copied: peak memory stays
    # near one stream instead of two.
    stream = <int32_t*>realloc(w.job.encode.ids, total_ids * sizeof(int32_t))
    if stream == NULL:
        raise MemoryError()
    w.job.encode.ids = NULL
    pos = w.job.encode.n_ids
    for w in workers[1:]:
        move_ids_releasing_source(stream + pos, w.job.encode.ids, w.job.encode.n_ids, NULL)
        pos += w.job.encode.n_ids
        free(w.job.encode.ids)
        w.job.encode.ids = NULL
    return take_int32_buffer(stream, total_ids)
