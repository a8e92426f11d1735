# cython: language_level=3
"""FastText's character n-grams and their buckets, as Facebook's fastText computes them.

The C is ``fastw2v/kernels/fw_ngrams.h`` (the rules are written there once). This module
is the Python-facing side: :func:`vocab_buckets` computes the bucket ids of a whole
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

__all__ = ["ft_hash", "ngrams", "word_buckets", "vocab_buckets", "compose_vectors",
           "compose_vector", "MAX_BUCKET", "EOS"]

cdef extern from "kernels/fw_ngrams.h" nogil:
    uint32_t fw_ft_hash(const unsigned char *s, size_t len)
    int fw_is_eos(const unsigned char *w, size_t len)
    int64_t fw_ngram_count(const unsigned char *w, size_t len, int64_t min_n, int64_t max_n,
                           uint32_t bucket)
    int64_t fw_ngram_enumerate(const unsigned char *w, size_t len, int64_t min_n, int64_t max_n,
                               uint32_t bucket, int32_t *ids, int64_t *starts, int64_t *ends)
    void fw_compose_row(const float *word_row, const float *ngrams, const int32_t *ids,
                        int64_t n_ids, int64_t dim, float *out)

#: The largest bucket count: fastText stores it as an int32, and ids are int32.
MAX_BUCKET = 2 ** 31 - 1
#: fastText's end-of-sentence token, which it gives no n-grams.
EOS = "</s>"


cdef bytes _as_bytes(word):
    if isinstance(word, bytes):
        return <bytes>word
    if isinstance(word, str):
        return (<str>word).encode("utf-8")
    raise TypeError(f"a word must be str or bytes, not {type(word).__name__}")


def _check_params(min_n, max_n, bucket):
    if min_n < 0 or max_n < 0:
        raise ValueError(f"min_n and max_n must be >= 0, got {min_n} and {max_n}")
    if not 0 <= bucket <= MAX_BUCKET:
        raise ValueError(f"bucket must be in [0, {MAX_BUCKET}], got {bucket}")


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


def word_buckets(word, int64_t min_n, int64_t max_n, int64_t bucket, bint facebook_eos=False):
    """Bucket ids (``hash % bucket``) of `word`'s n-grams, for an out-of-vocabulary lookup.

    Parameters
    ----------
    word : str or bytes
    min_n, max_n : int
        Shortest and longest n-gram, in characters.
    bucket : int
        Number of buckets; 0 gives no n-grams.
    facebook_eos : bool
        Give ``"</s>"`` no n-grams, as fastText does (gensim gives it some).

    Returns
    -------
    numpy.ndarray of int32
        What gensim's ``ft_ngram_hashes`` returns, in the same order.
    """
    _check_params(min_n, max_n, bucket)
    cdef bytes b = _as_bytes(word)
    cdef const unsigned char *w = <const unsigned char *>PyBytes_AS_STRING(b)
    cdef size_t n = PyBytes_GET_SIZE(b)
    if facebook_eos and fw_is_eos(w, n):
        return np.empty(0, dtype=np.int32)
    count = fw_ngram_count(w, n, min_n, max_n, <uint32_t>bucket)
    ids = np.empty(count, dtype=np.int32)
    cdef int32_t[::1] out = ids
    if count:
        fw_ngram_enumerate(w, n, min_n, max_n, <uint32_t>bucket, &out[0], NULL, NULL)
    return ids


def vocab_buckets(words, int64_t min_n, int64_t max_n, int64_t bucket, bint facebook_eos=False,
                  max_ids=None):
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
    _check_params(min_n, max_n, bucket)
    encoded = [_as_bytes(w) for w in words]
    cdef Py_ssize_t n_words = len(encoded), i
    offsets = np.zeros(n_words + 1, dtype=np.int64)
    cdef int64_t[::1] off = offsets
    cdef const unsigned char **ptrs = <const unsigned char **>malloc(max(n_words, 1) * sizeof(void *))
    cdef size_t *lens = <size_t *>malloc(max(n_words, 1) * sizeof(size_t))
    cdef int32_t[::1] ids_view
    cdef int32_t *out
    cdef uint32_t ubucket = <uint32_t>bucket
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
        with nogil:  # counting first: the table is allocated once, at its exact size
            for i in range(n_words):
                if facebook_eos and fw_is_eos(ptrs[i], lens[i]):
                    off[i + 1] = off[i]
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
            with nogil:
                for i in range(n_words):
                    if off[i + 1] > off[i]:
                        fw_ngram_enumerate(ptrs[i], lens[i], min_n, max_n, ubucket, out + off[i],
                                           NULL, NULL)
        return offsets, ids
    finally:
        free(ptrs)
        free(lens)


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
    vectors_vocab : numpy.ndarray of float32, (n_words, dim)
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
    vocab = np.ascontiguousarray(vectors_vocab, dtype=np.float32)
    grams = np.ascontiguousarray(vectors_ngrams, dtype=np.float32)
    off_arr = np.ascontiguousarray(offsets, dtype=np.int64)
    ids_arr = np.ascontiguousarray(ids, dtype=np.int32)
    if vocab.ndim != 2 or grams.ndim != 2 or grams.shape[1] != vocab.shape[1]:
        raise ValueError(f"vectors_vocab {vocab.shape} and vectors_ngrams {grams.shape} must be "
                         "2-D with the same number of columns")
    check_csr(off_arr, ids_arr, vocab.shape[0], grams.shape[0])
    if out is None:
        out_arr = np.empty_like(vocab)
    elif not (isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == vocab.shape
              and out.flags.c_contiguous and out.flags.writeable
              and not np.shares_memory(out, vocab) and not np.shares_memory(out, grams)):
        raise ValueError("out must be a writeable C-contiguous float32 array shaped as "
                         "vectors_vocab, sharing no memory with the inputs")
    else:
        out_arr = out
    if vocab.size == 0:
        return out_arr
    cdef const float[:, ::1] v = vocab
    cdef float[:, ::1] o = out_arr
    cdef int64_t[::1] off = off_arr
    cdef const int32_t *id_ptr = <const int32_t *><size_t>ids_arr.ctypes.data
    cdef const float *g_ptr = <const float *><size_t>grams.ctypes.data
    cdef int64_t dim = vocab.shape[1], i, n = vocab.shape[0]
    with nogil:
        for i in range(n):
            fw_compose_row(&v[i, 0], g_ptr, id_ptr + off[i], off[i + 1] - off[i], dim, &o[i, 0])
    return out_arr


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
