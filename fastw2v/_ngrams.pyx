# cython: language_level=3
"""FastText's character n-grams and their buckets, as Facebook's fastText computes them.

The C is ``fastw2v/kernels/fw_ngrams.h`` (the rules are written there once). This module
is the Python-facing side, for both of its hashing modes: ``"fasttext"`` (word rows
plus FNV-1a n-gram buckets) and ``"floret"`` (no word rows: the word and its n-grams
each take ``hash_count`` MurmurHash3 rows of one table). :func:`vocab_buckets` computes the bucket ids of a whole
vocabulary at once as CSR arrays (``offsets``, ``ids``), the table a model keeps from its
vocabulary build and the training kernels read; :func:`word_buckets` does one string
(out-of-vocabulary lookups); :func:`compose_vectors` / :func:`compose_vector` average a
word's rows. Built with IEEE arithmetic (setup.py, PLAIN_MATH), so the sums are
fastText's and gensim's, in their order.
"""
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from libc.stdint cimport int32_t, int64_t, uint32_t
from libc.stdlib cimport free, malloc

import numpy as np

from fastw2v._parallel import array_threads, run_threads

__all__ = ["ft_hash", "murmur3_128", "ngrams", "word_buckets", "vocab_buckets", "compose_vectors",
           "compose_vector", "MAX_BUCKET", "EOS", "MODES", "FLORET_SEED", "MAX_HASH_COUNT"]

cdef extern from "kernels/fw_ngrams.h" nogil:
    uint32_t fw_ft_hash(const unsigned char *s, size_t len)
    int fw_is_eos(const unsigned char *w, size_t len)
    int64_t fw_ngram_count(const unsigned char *w, size_t len, int64_t min_n, int64_t max_n,
                           uint32_t bucket)
    int64_t fw_ngram_enumerate(const unsigned char *w, size_t len, int64_t min_n, int64_t max_n,
                               uint32_t bucket, int32_t *ids, int64_t *starts, int64_t *ends)
    int64_t fw_floret_count(const unsigned char *w, size_t len, int64_t min_n, int64_t max_n,
                            uint32_t bucket, int hash_count)
    int64_t fw_floret_enumerate(const unsigned char *w, size_t len, int64_t min_n, int64_t max_n,
                                uint32_t bucket, int hash_count, uint32_t seed,
                                unsigned char *wrapped, int32_t *ids)
    void fw_murmur3_128(const unsigned char *s, size_t len, uint32_t seed, uint32_t *out)
    uint32_t FW_FLORET_SEED
    void fw_compose_row(const float *word_row, const float *ngrams, const int32_t *ids,
                        int64_t n_ids, int64_t dim, float *out)
    void fw_compose_rows(const float *word_rows, const float *ngrams, const int64_t *offsets,
                         const int32_t *ids, int64_t lo, int64_t hi, int64_t dim, float *out)

# Bucket ids per thread below which compose_vectors stays on one thread: a smaller
# table is summed in about a millisecond, and threads would not pay.
COMPOSE_IDS_PER_THREAD = 50_000

#: The largest bucket count: fastText stores it as an int32, and ids are int32.
MAX_BUCKET = 2 ** 31 - 1
#: fastText's end-of-sentence token, which it gives no n-grams.
EOS = "</s>"
#: The hashing modes: fastText's (word rows + n-gram buckets) and floret's (one table).
MODES = ("fasttext", "floret")
#: floret's default MurmurHash3 seed, written in every ``.floret`` header.
FLORET_SEED = FW_FLORET_SEED
#: floret takes at most four 32-bit words of its 128-bit hash per entry.
MAX_HASH_COUNT = 4


cdef bytes _as_bytes(word):
    if isinstance(word, bytes):
        return <bytes>word
    if isinstance(word, str):
        return (<str>word).encode("utf-8")
    raise TypeError(f"a word must be str or bytes, not {type(word).__name__}")


def _check_params(min_n, max_n, bucket, mode="fasttext", hash_count=1, hash_seed=FLORET_SEED):
    if not (0 <= min_n < 2 ** 31 and 0 <= max_n < 2 ** 31):
        raise ValueError(f"min_n and max_n must be in [0, 2**31), got {min_n} and {max_n}")
    if not 0 <= bucket <= MAX_BUCKET:
        raise ValueError(f"bucket must be in [0, {MAX_BUCKET}], got {bucket}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if not 1 <= hash_count <= MAX_HASH_COUNT:
        raise ValueError(f"hash_count must be between 1 and {MAX_HASH_COUNT}, got {hash_count}")
    if not 0 <= hash_seed < 2 ** 32:
        raise ValueError(f"hash_seed must be in [0, 2**32), got {hash_seed}")
    if mode == "floret" and bucket == 0:
        raise ValueError("floret mode needs bucket > 0: its table holds the words' rows too")


def murmur3_128(word, uint32_t seed=FLORET_SEED):
    """MurmurHash3_x64_128 of `word`'s UTF-8 bytes, as floret hashes an entry.

    Parameters
    ----------
    word : str or bytes
    seed : int

    Returns
    -------
    tuple of int
        The four 32-bit words: low and high half of ``h1``, then of ``h2`` (equal to
        ``mmh3.hash128(word, seed, signed=False)`` split into 32-bit words, lowest first).
    """
    cdef bytes b = _as_bytes(word)
    cdef uint32_t out[4]
    fw_murmur3_128(<const unsigned char *>PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b), seed, out)
    return (out[0], out[1], out[2], out[3])


def ft_hash(word):
    """fastText's 32-bit FNV-1a hash of `word`'s UTF-8 bytes (bytes sign-extended).

    Parameters
    ----------
    word : str or bytes

    Returns
    -------
    int
        In [0, 2**32); equal to gensim's ``ft_hash_bytes``.
    """
    cdef bytes b = _as_bytes(word)
    return fw_ft_hash(<const unsigned char *>PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b))


def ngrams(word, int64_t min_n, int64_t max_n):
    """The character n-grams of ``<word>``, as bytes, in fastText's order.

    Parameters
    ----------
    word : str or bytes
        A str is taken as its UTF-8 bytes.
    min_n, max_n : int
        Shortest and longest n-gram, in characters.

    Returns
    -------
    list of bytes
        What gensim's ``compute_ngrams_bytes`` returns.
    """
    _check_params(min_n, max_n, 1)
    cdef bytes b = _as_bytes(word)
    cdef const unsigned char *w = <const unsigned char *>PyBytes_AS_STRING(b)
    cdef size_t n = PyBytes_GET_SIZE(b)
    count = fw_ngram_count(w, n, min_n, max_n, 1)
    starts = np.empty(count, dtype=np.int64)
    ends = np.empty(count, dtype=np.int64)
    cdef int64_t[::1] s = starts
    cdef int64_t[::1] e = ends
    if count:
        fw_ngram_enumerate(w, n, min_n, max_n, 1, NULL, &s[0], &e[0])
    wrapped = b"<" + b + b">"
    return [wrapped[i:j] for i, j in zip(starts.tolist(), ends.tolist())]


def word_buckets(word, int64_t min_n, int64_t max_n, int64_t bucket, bint facebook_eos=False, *,
                 mode="fasttext", int hash_count=1, int64_t hash_seed=FLORET_SEED):
    """Bucket ids (``hash % bucket``) of `word`'s n-grams, for an out-of-vocabulary lookup
    (in floret mode: its rows, word entry included, for any word).

    Parameters
    ----------
    word : str or bytes
    min_n, max_n : int
        Shortest and longest n-gram, in characters.
    bucket : int
        Number of buckets; 0 gives no n-grams.
    facebook_eos : bool
        Give ``"</s>"`` no n-grams, as fastText does (gensim gives it some).
    mode : {"fasttext", "floret"}
    hash_count, hash_seed : int
        floret's rows per entry (1..4) and MurmurHash3 seed; unused by ``"fasttext"``.

    Returns
    -------
    numpy.ndarray of int32
        What gensim's ``ft_ngram_hashes`` returns, in the same order (floret: what
        floret's ``get_subwords`` returns, less the word count it adds to each).
    """
    # One word is a vocabulary of one: the counting and enumeration live there, once.
    return vocab_buckets([word], min_n, max_n, bucket, facebook_eos, mode=mode,
                         hash_count=hash_count, hash_seed=hash_seed)[1]


def vocab_buckets(words, int64_t min_n, int64_t max_n, int64_t bucket, bint facebook_eos=False,
                  max_ids=None, *, mode="fasttext", int hash_count=1, int64_t hash_seed=FLORET_SEED):
    """Bucket ids of every word's n-grams, for a whole vocabulary at once, as CSR arrays.

    Computed once per vocabulary: word ``i``'s ids are ``ids[offsets[i]:offsets[i+1]]``
    (its row in a fastText input matrix is ``nwords + id``).

    Parameters
    ----------
    words : sequence of str or bytes
        str words are taken as their UTF-8 bytes.
    min_n, max_n : int
        Shortest and longest n-gram, in characters.
    bucket : int
        Number of buckets; 0 gives every word no n-grams.
    facebook_eos : bool
        Give ``"</s>"`` no n-grams, as fastText does.
    max_ids : int, optional
        Refuse (ValueError, before allocating) a table of more ids: a file's loader
        bounds the memory a hostile ``max_n`` could ask for.
    mode : {"fasttext", "floret"}
        ``"floret"``: each word's ids are its floret rows, word entry included (see
        :func:`word_buckets`).
    hash_count, hash_seed : int
        floret's rows per entry and seed.

    Returns
    -------
    offsets : numpy.ndarray of int64
        ``len(words) + 1`` monotone offsets into `ids`.
    ids : numpy.ndarray of int32
        Bucket ids, in [0, bucket).

    Raises
    ------
    ValueError
        Bad parameters, or more than `max_ids` ids.
    """
    _check_params(min_n, max_n, bucket, mode, hash_count, hash_seed)
    encoded = [_as_bytes(w) for w in words]
    cdef Py_ssize_t n_words = len(encoded), i
    offsets = np.zeros(n_words + 1, dtype=np.int64)
    cdef int64_t[::1] off = offsets
    cdef const unsigned char **ptrs = <const unsigned char **>malloc(max(n_words, 1) * sizeof(void *))
    cdef size_t *lens = <size_t *>malloc(max(n_words, 1) * sizeof(size_t))
    cdef int32_t[::1] ids_view
    cdef int32_t *out
    cdef uint32_t ubucket = <uint32_t>bucket, seed = <uint32_t>hash_seed
    cdef bint floret = mode == "floret"
    cdef size_t longest = 0
    cdef unsigned char *wrapped = NULL
    cdef bytes b
    if ptrs == NULL or lens == NULL:
        free(ptrs)
        free(lens)
        raise MemoryError()
    try:
        for i in range(n_words):
            b = encoded[i]
            ptrs[i] = <const unsigned char *>PyBytes_AS_STRING(b)
            lens[i] = PyBytes_GET_SIZE(b)
            longest = max(longest, lens[i])
        with nogil:  # counting first: the table is allocated once, at its exact size
            for i in range(n_words):
                if facebook_eos and fw_is_eos(ptrs[i], lens[i]):
                    off[i + 1] = off[i]
                elif floret:
                    off[i + 1] = off[i] + fw_floret_count(ptrs[i], lens[i], min_n, max_n, ubucket,
                                                          hash_count)
                else:
                    off[i + 1] = off[i] + fw_ngram_count(ptrs[i], lens[i], min_n, max_n, ubucket)
        total = int(offsets[n_words])
        if max_ids is not None and total > max_ids:
            raise ValueError(f"the n-gram table would hold {total} ids, more than the {max_ids} allowed "
                             f"(min_n={min_n}, max_n={max_n})")
        ids = np.empty(total, dtype=np.int32)
        if total:
            ids_view = ids
            out = &ids_view[0]
            if floret:
                wrapped = <unsigned char *>malloc(longest + 2)
                if wrapped == NULL:
                    raise MemoryError()
            with nogil:
                for i in range(n_words):
                    if off[i + 1] == off[i]:
                        continue
                    if floret:
                        fw_floret_enumerate(ptrs[i], lens[i], min_n, max_n, ubucket, hash_count, seed,
                                            wrapped, out + off[i])
                    else:
                        fw_ngram_enumerate(ptrs[i], lens[i], min_n, max_n, ubucket, out + off[i],
                                           NULL, NULL)
        return offsets, ids
    finally:
        free(ptrs)
        free(lens)
        free(wrapped)


def check_csr(offsets, ids, n_words, n_buckets, names=("offsets", "bucket ids")):
    """ValueError unless `offsets` / `ids` are a CSR table of `n_words` rows into `n_buckets`
    (the one check of every n-gram table, here and in the training kernels' inputs);
    `names` are the two arrays' names in the message."""
    off_name, ids_name = names
    if offsets.shape != (n_words + 1,) or offsets[0] != 0 or offsets[n_words] != len(ids):
        raise ValueError(f"{off_name} must have {n_words + 1} entries from 0 to "
                         f"len({ids_name}) = {len(ids)}")
    if n_words and np.any(np.diff(offsets) < 0):
        raise ValueError(f"{off_name} must not decrease")
    if len(ids) and (int(ids.min()) < 0 or int(ids.max()) >= n_buckets):
        raise ValueError(f"{ids_name} holds rows outside [0, {n_buckets})")


def compose_vectors(vectors_vocab, vectors_ngrams, offsets, ids, out=None):
    """Each word's vector: its row plus its n-gram rows, averaged (gensim's ``adjust_vectors``,
    fastText's ``getWordVector``).

    Parameters
    ----------
    vectors_vocab : numpy.ndarray of float32, (n_words, dim), or None
        None: the words have no rows of their own (floret), their vectors are the mean
        of their rows in `vectors_ngrams` (``len(offsets) - 1`` words).
    vectors_ngrams : numpy.ndarray of float32, (bucket, dim)
    offsets, ids : numpy.ndarray
        The CSR table of :func:`vocab_buckets` for the same words.
    out : numpy.ndarray of float32, (n_words, dim), optional
        Where to write them (C-contiguous, writeable, sharing no memory with the inputs),
        instead of a new array: a trained model recomposes its vectors after every epoch,
        and a second array of them, alive beside the old, would raise the peak memory.

    Returns
    -------
    numpy.ndarray of float32, (n_words, dim)
        ``out``, or a new array; the inputs are only read.

    Raises
    ------
    ValueError
        Shapes, dtypes or ids that do not fit together.
    """
    grams = np.ascontiguousarray(vectors_ngrams, dtype=np.float32)
    off_arr = np.ascontiguousarray(offsets, dtype=np.int64)
    ids_arr = np.ascontiguousarray(ids, dtype=np.int32)
    cdef bint word_rows = vectors_vocab is not None
    if word_rows:
        vocab = np.ascontiguousarray(vectors_vocab, dtype=np.float32)
        shape = vocab.shape
    elif grams.ndim == 2 and off_arr.ndim == 1 and len(off_arr):
        vocab = grams[:0]  # no word rows: only the table's words and columns count
        shape = (len(off_arr) - 1, grams.shape[1])
    else:
        raise ValueError("without vectors_vocab, offsets must be 1-D and non-empty and "
                         "vectors_ngrams 2-D")
    if vocab.ndim != 2 or grams.ndim != 2 or grams.shape[1] != vocab.shape[1]:
        raise ValueError(f"vectors_vocab {vocab.shape} and vectors_ngrams {grams.shape} must be "
                         "2-D with the same number of columns")
    check_csr(off_arr, ids_arr, shape[0], grams.shape[0])
    if out is None:
        out_arr = np.empty(shape, dtype=np.float32)
    elif not (isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == shape
              and out.flags.c_contiguous and out.flags.writeable
              and not np.shares_memory(out, vocab) and not np.shares_memory(out, grams)):
        raise ValueError("out must be a writeable C-contiguous float32 array shaped as "
                         "vectors_vocab, sharing no memory with the inputs")
    else:
        out_arr = out
    if out_arr.size == 0:
        return out_arr
    # The threads hold the arrays (not pointers into them), so an interrupted wait never
    # leaves one writing into freed memory.
    arrays = (vocab if word_rows else None, grams, off_arr, ids_arr, out_arr)
    spans = _spans(shape[0], int(off_arr[len(off_arr) - 1]))
    if len(spans) == 1:
        _compose_span(arrays, *spans[0])
    else:
        run_threads(_compose_span, [(arrays,) + span for span in spans])
    return out_arr


def _compose_span(tuple arrays, int64_t lo, int64_t hi):
    """compose_vectors' words [lo, hi), without the GIL (arrays checked there)."""
    vocab, grams, offsets, ids, out = arrays
    cdef const float *v_ptr = <const float *><size_t>(vocab.ctypes.data if vocab is not None else 0)
    cdef const float *g_ptr = <const float *><size_t>grams.ctypes.data
    cdef const int64_t *off_ptr = <const int64_t *><size_t>offsets.ctypes.data
    cdef const int32_t *id_ptr = <const int32_t *><size_t>ids.ctypes.data
    cdef float *o_ptr = <float *><size_t>out.ctypes.data
    cdef int64_t dim = out.shape[1]
    with nogil:
        fw_compose_rows(v_ptr, g_ptr, off_ptr, id_ptr, lo, hi, dim, o_ptr)


def _spans(n_words, n_ids):
    """Split words [0, n_words) into one span per thread (array_threads), or one span
    when the table is too small for threads to pay."""
    n = max(1, min(array_threads(), n_ids // COMPOSE_IDS_PER_THREAD))
    bounds = [n_words * t // n for t in range(n + 1)]
    return [(bounds[t], bounds[t + 1]) for t in range(n)]


def compose_vector(vectors_ngrams, ids, word_row=None):
    """One vector: `word_row` (if given) plus the rows `ids` of `vectors_ngrams`, averaged;
    zero when there is no row at all (an out-of-vocabulary word without n-grams).

    Parameters
    ----------
    vectors_ngrams : numpy.ndarray of float32, (bucket, dim)
    ids : array of int
        Bucket ids, from :func:`word_buckets`.
    word_row : numpy.ndarray of float32, (dim,), optional

    Returns
    -------
    numpy.ndarray of float32, (dim,)
    """
    grams = np.ascontiguousarray(vectors_ngrams, dtype=np.float32)
    ids_arr = np.ascontiguousarray(ids, dtype=np.int32)
    if grams.ndim != 2:
        raise ValueError(f"vectors_ngrams must be 2-D, got shape {grams.shape}")
    check_csr(np.array([0, len(ids_arr)], dtype=np.int64), ids_arr, 1, grams.shape[0])
    cdef int64_t dim = grams.shape[1]
    out_arr = np.zeros(dim, dtype=np.float32)
    row_arr = None
    if word_row is not None:
        row_arr = np.ascontiguousarray(word_row, dtype=np.float32)
        if row_arr.shape != (dim,):
            raise ValueError(f"word_row must have shape ({dim},), got {row_arr.shape}")
    cdef const float *row_ptr = NULL
    if row_arr is not None:
        row_ptr = <const float *><size_t>row_arr.ctypes.data
    if dim:
        fw_compose_row(row_ptr, <const float *><size_t>grams.ctypes.data,
                       <const int32_t *><size_t>ids_arr.ctypes.data, len(ids_arr), dim,
                       <float *><size_t>out_arr.ctypes.data)
    return out_arr
