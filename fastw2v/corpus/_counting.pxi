# Counting mode of the file reader: every token counted in the thread's own table
# (scan_vocab), optionally also written as a provisional id (scan_encode).
# Included by _filescan.pyx; the reader (_reader.pxi) calls these per token and per
# sentence, and the entry points below merge the threads' results.


cdef struct Counting:
    int64_t max_vocab_size  # prune above this many entries; 0 = never
    int64_t min_reduce      # next prune threshold, gensim's min_reduce
    int64_t n_sentences     # sentences as LineSentence yields them (long lines split)


cdef struct Recording:      # provisional ids written while counting (one-pass encoding)
    int on                  # still recording (given up past max_ids)
    int32_t* ids            # each token's entry index in the thread's table
    int64_t n_ids
    int64_t capacity
    int64_t max_ids         # this thread's share of the memory budget, in ids
    int64_t* line_ends      # end of each non-empty line in `ids` (lines are not split)
    int64_t n_lines
    int64_t ends_capacity
    int64_t line_tokens     # tokens so far in the current line


cdef void drop_recording(Recording* r) noexcept nogil:
    """Past the memory budget: stop recording ids (train() will encode in a second pass)."""
    free(r.ids)
    free(r.line_ends)
    r.ids = NULL
    r.line_ends = NULL
    r.n_ids = r.capacity = r.n_lines = r.ends_capacity = 0
    r.on = 0


cdef inline int record_id(Recording* r, int64_t entry) noexcept nogil:
    """Append a token's provisional id. -1 on OOM."""
    cdef int64_t cap
    cdef void* q
    if r.n_ids == r.capacity:
        if r.capacity >= r.max_ids:
            drop_recording(r)
            return 0
        cap = min(max(2 * r.capacity, <int64_t>1024), r.max_ids)
        q = realloc(r.ids, cap * sizeof(int32_t))
        if q == NULL:
            return -1
        r.ids = <int32_t*>q
        r.capacity = cap
    r.ids[r.n_ids] = <int32_t>entry
    r.n_ids += 1
    r.line_tokens += 1
    return 0


cdef inline int count_token(Table* table, Recording* r, const uint8_t* token, int64_t n,
                            fw_key16 k, uint64_t h) noexcept nogil:
    """Count one token (and record its provisional id). -1 on OOM."""
    cdef int64_t entry = table_add_hashed(table, token, n, k, h, 1)
    if entry < 0:
        return -1
    if r.on and record_id(r, entry) != 0:
        return -1
    return 0


cdef inline int end_counted_sentence(Counting* c, Table* table) noexcept nogil:
    """A sentence ended (a line, or a piece of a long one). -1 on OOM."""
    c.n_sentences += 1
    # gensim checks the vocabulary size after every sentence.
    if c.max_vocab_size > 0 and table.n_entries > c.max_vocab_size:
        if table_prune(table, c.min_reduce) != 0:
            return -1
        c.min_reduce += 1
    return 0


cdef inline int end_recorded_line(Recording* r) noexcept nogil:
    """Close the current line (it has tokens). -1 on OOM."""
    r.line_tokens = 0
    if r.n_lines == r.ends_capacity:
        if grow(<void**>&r.line_ends, &r.ends_capacity, r.n_lines + 1, sizeof(int64_t)) != 0:
            return -1
    r.line_ends[r.n_lines] = r.n_ids
    r.n_lines += 1
    return 0


cdef int start_counting(Job* job, int64_t max_vocab_size, int64_t max_ids,
                        int n_threads) except -1:
    """Give a worker its own table; with `max_ids` > 0 it also records provisional ids,
    up to its share of `max_ids`."""
    cdef int64_t range_bytes
    job.count.max_vocab_size = max_vocab_size
    job.count.min_reduce = 1
    job.table = <Table*>malloc(sizeof(Table))
    if job.table == NULL or table_init(job.table, 1 << 16) != 0:
        free(job.table)
        job.table = NULL
        raise MemoryError()
    if max_ids > 0:
        job.record.on = 1
        job.record.max_ids = max(max_ids // n_threads, 1)
        # About one token per 5 bytes of text (IMDB: 5.3); realloc grows it if not.
        range_bytes = job.end - job.start
        job.record.capacity = min(range_bytes // 5 + 1024, job.record.max_ids)
        job.record.ids = <int32_t*>malloc(job.record.capacity * sizeof(int32_t))
        if job.record.ids == NULL:
            raise MemoryError()
    return 0


def scan_vocab(path, n_threads=2, max_vocab_size=None, max_sentence_length=MAX_SENTENCE_TOKENS,
               progress=None, byte_range=None):
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
    max_sentence_length : int, optional
        Only affects `n_sentences`: a longer line counts as several sentences,
        as :class:`~fastw2v.corpus.LineSentence` yields them.
    byte_range : (int, int), optional
        Read only the lines that start in ``[first, end)`` (see :func:`_owned_bytes`).
    progress : callable, optional
        Called from the calling thread about ten times a second with the number of
        bytes read so far (for a progress display; the workers never call Python).

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
    return _scan(path, n_threads, max_vocab_size, max_sentence_length, progress, 0, byte_range)[:5]


def scan_encode(path, n_threads=2, max_id_bytes=2 * 1024**3,
                max_sentence_length=MAX_SENTENCE_TOKENS, progress=None, byte_range=None):
    """Count every token and write the file as provisional ids, in one parallel read.

    A token's provisional id is its key's position in ``keys`` (order of first
    occurrence), so once the vocabulary is chosen, the training stream is a remap
    of these ids (:func:`fastw2v.corpus._token_ids.remap_ids`) instead of a second
    read of the file.

    Parameters
    ----------
    path, n_threads, max_sentence_length, progress, byte_range
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
        path, n_threads, None, max_sentence_length, progress, max(int(max_id_bytes) // 4, 0),
        byte_range)
    return keys, counts, total_words, n_sentences, ids, lengths


def _scan(path, n_threads, max_vocab_size, max_sentence_length, progress, int64_t max_ids,
          byte_range=None):
    """Count (and record, with `max_ids` > 0) in parallel, then merge the threads' results."""
    cdef bytes bpath
    cdef int64_t size, cap = 0
    cdef _Worker w
    cdef bint recorded
    n_threads, (bpath, size) = _check_args(path, n_threads, max_sentence_length)
    if max_vocab_size is not None:
        cap = int(max_vocab_size)
    if cap > 0:
        max_ids = 0  # pruning renumbers entries
    first, size = _owned_bytes(size, byte_range)
    workers = _make_workers(bpath, size, MODE_SCAN, n_threads, cap, max_sentence_length, NULL,
                            max_ids, first)
    _run_threads(workers, progress)

    total_words = 0
    n_sentences = 0
    min_reduce = 1
    recorded = max_ids > 0
    for w in workers:
        total_words += w.job.raw_words
        n_sentences += w.job.count.n_sentences
        min_reduce = max(min_reduce, w.job.count.min_reduce)
        recorded = recorded and w.job.record.on
    if not recorded:
        for w in workers:
            drop_recording(&w.job.record)
    ids, lengths = _merge_counts(workers, recorded)
    w = workers[0]
    if n_threads > 1 and cap > 0 and w.job.table.n_entries > cap:
        if table_prune(w.job.table, min_reduce) != 0:
            raise MemoryError()
        min_reduce += 1
    keys, counts = _table_keys_and_counts(w.job.table)
    return keys, counts, total_words, n_sentences, min_reduce, ids, lengths


cdef tuple _merge_counts(list workers, bint recorded):
    """Merge every worker's table into the first one's, in thread (= file) order.

    With `recorded`, also join the provisional ids into one stream, translating
    each thread's entry indices into the merged table's, and return it with the
    line lengths; otherwise (None, None).
    """
    cdef _Worker w, first = workers[0]
    cdef Table* merged = first.job.table
    cdef int32_t* stream = NULL
    cdef int32_t* index_map = NULL
    cdef int64_t total_ids = 0, pos = 0
    cdef int rc
    lengths = None
    if recorded:
        lengths = _line_lengths(workers)
        for w in workers:
            total_ids += w.job.record.n_ids
        stream = <int32_t*>realloc(first.job.record.ids, max(total_ids, 1) * sizeof(int32_t))
        if stream == NULL:
            raise MemoryError()
        first.job.record.ids = stream
        pos = first.job.record.n_ids
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
                move_ids_releasing_source(stream + pos, w.job.record.ids, w.job.record.n_ids,
                                          index_map)
            pos += w.job.record.n_ids
            drop_recording(&w.job.record)
        free(index_map)
        index_map = NULL
        if rc != 0:
            raise MemoryError()
    if not recorded:
        return None, None
    ids = take_int32_buffer(stream, total_ids) if total_ids else np.zeros(0, np.int32)
    if total_ids == 0:
        free(stream)
    first.job.record.ids = NULL
    first.job.record.n_ids = 0
    return ids, lengths


cdef object _line_lengths(list workers):
    """Tokens of each recorded line, all workers in order; frees their line ends."""
    cdef _Worker w
    cdef int64_t total_lines = 0, pos = 0, prev, k
    cdef int64_t[::1] lengths_view
    for w in workers:
        total_lines += w.job.record.n_lines
    lengths = np.empty(total_lines, dtype=np.int64)
    lengths_view = lengths
    for w in workers:
        prev = 0
        for k in range(w.job.record.n_lines):
            lengths_view[pos] = w.job.record.line_ends[k] - prev
            prev = w.job.record.line_ends[k]
            pos += 1
        free(w.job.record.line_ends)
        w.job.record.line_ends = NULL
    return lengths


cdef tuple _table_keys_and_counts(const Table* t):
    """The table's keys (str, in insertion order) and values (int64 array)."""
    cdef int64_t k
    cdef int64_t[::1] counts_view
    keys = [PyUnicode_DecodeUTF8(t.arena + t.entries[k].key_offset, t.entries[k].key_length, NULL)
            for k in range(t.n_entries)]
    counts = np.empty(t.n_entries, dtype=np.int64)
    counts_view = counts
    for k in range(t.n_entries):
        counts_view[k] = table_value(t, k)
    return keys, counts
