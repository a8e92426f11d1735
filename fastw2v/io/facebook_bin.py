"""Facebook fastText's ``.bin`` model files: a checked reader and an atomic writer.

Layout (fastText 0.9, file version 12; little-endian, as every fastText build writes it)
-----------------------------------------------------------------------------------------
1. ``int32`` magic 793712314, ``int32`` version (at most 12).
2. args: 12 ``int32`` (dim, ws, epoch, minCount, neg, wordNgrams, loss, model, bucket, minn,
   maxn, lrUpdateRate) and a ``float64`` (t).
3. dictionary: ``int32`` size, nwords, nlabels; ``int64`` ntokens, pruneidx_size; ``size``
   entries of (word bytes, NUL, ``int64`` count, ``int8`` type); pruneidx_size pairs of
   ``int32`` (quantized models only).
4. ``bool`` quant_input; the input matrix: ``int64`` rows (nwords + bucket), ``int64``
   cols (dim), rows x cols ``float32``: word rows, then bucket rows.
5. ``bool`` qout; the output matrix: ``int64`` rows (nwords), ``int64`` cols, floats.

Reading
-------
The file is read once, front to back. Every size the header declares is checked against
the bytes that remain in the file *before* anything of that size is allocated, so a
damaged or hostile file raises :class:`~fastw2v.io.errors.FormatError` (a
:class:`~fastw2v.io.errors.TruncatedFileError` when it is too short for what it declares)
instead of allocating what it claims. The matrices are read with ``readinto`` straight
into their final numpy arrays; the dictionary is parsed from bounded chunks. Quantized
(``.ftz``) and supervised models are refused with a clear message.

Writing
-------
:func:`write_facebook_bin` writes to a temporary file beside the target, fsyncs it and
renames it over the target: a save that fails or is refused leaves the old file as it was.
"""
import dataclasses
import os
import struct

import numpy as np

from fastw2v._ngrams import MAX_HASH_COUNT
from fastw2v.vector_store import padded_rows, read_rows, write_rows

from .errors import FormatError, TruncatedFileError
from .native import _fsync_dir, _write_atomic

__all__ = ["MAGIC", "VERSION", "ARG_FIELDS", "FLORET_ARG_FIELDS", "DEFAULT_ARGS", "FacebookExtras", "FacebookModel",
           "read_facebook_bin", "write_facebook_bin"]

MAGIC = 793712314
VERSION = 12
#: The args block, in file order, with gensim's names for fastText's fields.
ARG_FIELDS = (("dim", "i"), ("ws", "i"), ("epoch", "i"), ("min_count", "i"), ("neg", "i"),
              ("word_ngrams", "i"), ("loss", "i"), ("model", "i"), ("bucket", "i"),
              ("minn", "i"), ("maxn", "i"), ("lr_update_rate", "i"), ("t", "d"))
_ARGS_FMT = "<" + "".join(f for _, f in ARG_FIELDS)
#: explosion's floret writes two more fields after maxn, with the same magic and version:
#: ``mode`` (1 fastText's hashing, 2 floret's) and ``hash_count``. A file is read as
#: fastText's first and as floret's when that fails (the shifted dictionary header of a
#: floret file never passes fastText's checks); an args dict with ``mode`` is written so.
FLORET_ARG_FIELDS = ARG_FIELDS[:11] + (("mode", "i"), ("hash_count", "i")) + ARG_FIELDS[11:]
_FLORET_ARGS_FMT = "<" + "".join(f for _, f in FLORET_ARG_FIELDS)
#: floret's ``mode`` field.
FLORET_MODE_FASTTEXT, FLORET_MODE_FLORET = 1, 2
#: fastText's skipgram defaults (loss 2 = negative sampling, model 2 = skipgram), for
#: vectors that did not come from a ``.bin``; dim, bucket, minn, maxn come from the vectors.
DEFAULT_ARGS = {"ws": 5, "epoch": 5, "min_count": 5, "neg": 5, "word_ngrams": 1, "loss": 2,
                "model": 2, "lr_update_rate": 100, "t": 1e-4}
_LOSSES = {1: "hs", 2: "ns", 3: "softmax", 4: "ova"}
_MODELS = {1: "cbow", 2: "skipgram", 3: "supervised"}
_ENTRY_MIN = 10          # the shortest dictionary entry: NUL, int64 count, int8 type
_ENTRY_TAIL = struct.Struct("<qb")
MAX_WORD_BYTES = 1 << 20  # longer "words" are damage, not tokens
_CHUNK = 1 << 22          # dictionary read size
_BLOCK = 1 << 24          # bytes per read of a matrix, per write of its zero rows


@dataclasses.dataclass
class FacebookExtras:
    """What a ``.bin`` holds besides the vectors, kept so that a written ``.bin`` round-trips.

    Attributes
    ----------
    args : dict
        fastText's args (names as in :data:`ARG_FIELDS`).
    ntokens : int
        Tokens seen in training.
    version : int
        The file version read.
    output : numpy.ndarray or None
        The output matrix (nwords x dim), when the loader was asked to keep it.
    """
    args: dict
    ntokens: int
    version: int = VERSION
    output: object = None


@dataclasses.dataclass
class FacebookModel:
    """Everything :func:`read_facebook_bin` read.

    Attributes
    ----------
    args : dict
    version : int
    words : list of bytes
        The dictionary's words as stored (no decoding).
    counts : numpy.ndarray of int64
    ntokens : int
    input : numpy.ndarray of float32
        (nwords + bucket, dim): word rows, then bucket rows.
    output : numpy.ndarray of float32 or None
        (nwords, dim), when read.
    """
    args: dict
    version: int
    words: list
    counts: np.ndarray
    ntokens: int
    input: np.ndarray
    output: object = None


class _Source:
    """A file read front to back, knowing how many bytes remain (for the size checks)."""

    def __init__(self, fin, path):
        self.fin, self.path = fin, path
        self.size = os.fstat(fin.fileno()).st_size
        self.pos = 0

    def remaining(self):
        return self.size - self.pos

    def need(self, n, what):
        if n > self.remaining():
            raise TruncatedFileError(self.path, f"{what} needs {n} bytes at offset {self.pos}, "
                                                f"but the file has only {self.remaining()} left")

    def read(self, n, what):
        self.need(n, what)
        data = self.fin.read(n)
        if len(data) != n:  # the file shrank under us
            raise TruncatedFileError(self.path, f"{what}: file ended at offset {self.pos + len(data)}")
        self.pos += n
        return data

    def unpack(self, fmt, what):
        return struct.unpack(fmt, self.read(struct.calcsize(fmt), what))

    def read_some(self, n):
        data = self.fin.read(min(n, self.remaining()))
        self.pos += len(data)
        return data

    def unread(self, n):
        self.fin.seek(-n, os.SEEK_CUR)
        self.pos -= n

    def skip(self, n, what):
        self.need(n, what)
        self.fin.seek(n, os.SEEK_CUR)
        self.pos += n

    def readinto(self, arr, what):
        view = memoryview(arr).cast("B")
        self.need(len(view), what)
        done = 0
        while done < len(view):
            got = self.fin.readinto(view[done:done + _BLOCK])
            if not got:
                raise TruncatedFileError(self.path, f"{what}: file ended at offset {self.pos + done}")
            done += got
        self.pos += done


def _fail(path, problem):
    raise FormatError(path, problem)


def _read_header(src, floret=False):
    """Magic, version and args (fastText's layout, or floret's), each checked."""
    magic, version = src.unpack("<ii", "the file header")
    if magic != MAGIC:
        _fail(src.path, f"not a fastText .bin model (magic number {magic}, expected {MAGIC}); "
                        "early fastText files without a magic number are not supported")
    if not 0 <= version <= VERSION:
        _fail(src.path, f"fastText file version {version} is not supported (at most {VERSION})")
    fields, fmt = (FLORET_ARG_FIELDS, _FLORET_ARGS_FMT) if floret else (ARG_FIELDS, _ARGS_FMT)
    args = dict(zip([name for name, _ in fields], src.unpack(fmt, "the args block")))
    if floret and (args["mode"] not in (FLORET_MODE_FASTTEXT, FLORET_MODE_FLORET)
                   or not 1 <= args["hash_count"] <= MAX_HASH_COUNT):
        _fail(src.path, f"invalid floret args: mode={args['mode']}, hashCount={args['hash_count']}")
    if args["model"] not in _MODELS or args["loss"] not in _LOSSES:
        _fail(src.path, f"unknown model {args['model']} or loss {args['loss']} in the args")
    if args["dim"] < 1 or args["bucket"] < 0 or args["minn"] < 0 or args["maxn"] < 0:
        _fail(src.path, f"invalid args: dim={args['dim']}, bucket={args['bucket']}, "
                        f"minn={args['minn']}, maxn={args['maxn']}")
    return version, args


def _read_entries(src, size):
    """`size` dictionary entries, from bounded chunks: (words as bytes, counts, types)."""
    words, counts, types = [], np.empty(size, dtype=np.int64), np.empty(size, dtype=np.int8)
    buf, start = b"", 0
    for i in range(size):
        end = buf.find(b"\0", start)
        while end < 0 or len(buf) - end - 1 < _ENTRY_TAIL.size:
            if (end < 0 and len(buf) - start > MAX_WORD_BYTES) or end - start > MAX_WORD_BYTES:
                _fail(src.path, f"dictionary entry {i} is longer than {MAX_WORD_BYTES} bytes")
            more = src.read_some(_CHUNK)
            if not more:
                raise TruncatedFileError(src.path, f"the file ends inside dictionary entry {i} of {size}")
            buf, start = buf[start:] + more, 0
            end = buf.find(b"\0")
        if end - start > MAX_WORD_BYTES:
            _fail(src.path, f"dictionary entry {i} is longer than {MAX_WORD_BYTES} bytes")
        words.append(buf[start:end])
        counts[i], types[i] = _ENTRY_TAIL.unpack_from(buf, end + 1)
        start = end + 1 + _ENTRY_TAIL.size
    if len(buf) > start:
        src.unread(len(buf) - start)  # bytes past the dictionary belong to what follows
    return words, counts, types


def _read_dictionary(src, args):
    size, nwords, nlabels, ntokens, pruneidx_size = src.unpack("<iiiqq", "the dictionary header")
    if size < 0 or nwords < 0 or nlabels < 0 or nwords + nlabels != size:
        _fail(src.path, f"invalid dictionary header: size={size}, nwords={nwords}, nlabels={nlabels}")
    src.need(size * _ENTRY_MIN, f"a dictionary of {size} entries")
    words, counts, types = _read_entries(src, size)
    expected = np.repeat(np.array([0, 1], dtype=np.int8), [nwords, nlabels])  # words, then labels
    if not np.array_equal(types, expected):
        bad = int(np.flatnonzero(types != expected)[0])
        _fail(src.path, f"dictionary entry {bad} has type {int(types[bad])}, expected {int(expected[bad])}")
    if pruneidx_size < -1:
        _fail(src.path, f"invalid pruneidx_size {pruneidx_size}")
    if pruneidx_size > 0:
        src.skip(8 * pruneidx_size, f"a prune index of {pruneidx_size} pairs")
    return words, counts, ntokens, pruneidx_size, nlabels


def _read_flag(src, what):
    flag, = src.unpack("<B", what)
    if flag > 1:
        _fail(src.path, f"{what} is {flag}, not 0 or 1")
    return bool(flag)


def _matrix_shape(src, what, rows, dim):
    m, n = src.unpack("<qq", f"the {what} header")
    if (m, n) != (rows, dim):
        _fail(src.path, f"the {what} is {m} x {n}, but the header declares {rows} x {dim}")
    src.need(m * n * 4, f"the {what} ({m} x {n} floats)")
    return m, n


def read_facebook_bin(path, read_output=False, before_matrix=None):
    """Read a fastText ``.bin`` (unsupervised, not quantized).

    Parameters
    ----------
    path : str or os.PathLike
        An uncompressed ``.bin``.
    read_output : bool
        Read the output matrix too (otherwise its size is checked and it is skipped).
    before_matrix : callable, optional
        Called as ``before_matrix(args, words)`` after the dictionary and the input
        matrix's size check, before the matrix is allocated: a caller's own checks
        (the n-gram table's bound) fail there, cheaply.

    Returns
    -------
    FacebookModel
        A floret ``.bin``'s args also hold ``mode`` and ``hash_count``.

    Raises
    ------
    FormatError
        Not a fastText (or floret) model, a supervised or quantized one, or a header that
        disagrees with itself or with the file; :class:`TruncatedFileError` when the file
        is shorter than its header declares.
    ValueError
        `path` names a compressed file.
    """
    path = os.fspath(path)
    if path.endswith((".gz", ".bz2", ".xz", ".zst")):
        raise ValueError(f"{path}: decompress it first; fastText .bin files are read uncompressed")
    try:
        return _read_bin(path, read_output, before_matrix, floret=False)
    except FormatError as as_fasttext:
        try:
            return _read_bin(path, read_output, before_matrix, floret=True)
        except FormatError as as_floret:
            # Neither: the complaint to read is the one of the layout the file's dictionary
            # header fits (a damaged floret file would otherwise read as a bad fastText one).
            raise (as_floret if _floret_dictionary_fits(path) else as_fasttext) from None


def _floret_dictionary_fits(path):
    """Whether the dictionary header after floret's args block is self-consistent (and
    after fastText's is not): the file is floret's, damaged further on."""
    def fits(fmt):
        with open(path, "rb") as fin:
            fin.seek(8 + struct.calcsize(fmt))
            head = fin.read(struct.calcsize("<iii"))
        if len(head) < 12:
            return False
        size, nwords, nlabels = struct.unpack("<iii", head)
        return size >= 0 and nwords >= 0 and nlabels >= 0 and size == nwords + nlabels
    return fits(_FLORET_ARGS_FMT) and not fits(_ARGS_FMT)


def _read_bin(path, read_output, before_matrix, floret):
    with open(path, "rb") as fin:
        src = _Source(fin, path)
        version, args = _read_header(src, floret)
        words, counts, ntokens, pruneidx_size, nlabels = _read_dictionary(src, args)
        if _read_flag(src, "quant_input"):  # checked first: it is what a .ftz user must hear
            _fail(path, "a quantized model (.ftz): not supported; use the model's full .bin")
        if args["model"] == 3 or nlabels:
            _fail(path, f"a supervised (classifier) model ({nlabels} labels): only unsupervised "
                        "(skipgram, cbow) word-vector models are read")
        if pruneidx_size != -1:
            _fail(path, f"a pruned dictionary (pruneidx_size={pruneidx_size}) in an unquantized "
                        "model: fastText refuses this file too")
        nwords, dim = len(words), args["dim"]
        rows, _ = _matrix_shape(src, "input matrix", nwords + args["bucket"], dim)
        if before_matrix is not None:
            before_matrix(args, words)
        matrix = np.empty((rows, dim), dtype="<f4")
        src.readinto(matrix, "the input matrix")
        _read_flag(src, "qout")  # only meaningful for quantized models
        _matrix_shape(src, "output matrix", nwords, dim)
        if src.remaining() != nwords * dim * 4:
            _fail(path, f"{src.remaining() - nwords * dim * 4} bytes after the output matrix")
        output = None
        if read_output:
            # On whole cache lines, as fastw2v trains an output layer (load_facebook_model).
            output = read_rows(padded_rows(nwords, dim),
                               lambda buf: src.readinto(buf, "the output matrix"), "<f4")
    return FacebookModel(args=args, version=version, words=words, counts=counts, ntokens=ntokens,
                         input=matrix, output=output)


def _entry_blocks(words, counts, per_block=65536):
    for start in range(0, len(words), per_block):
        yield b"".join(w + b"\0" + _ENTRY_TAIL.pack(int(c), 0)
                       for w, c in zip(words[start:start + per_block],
                                       counts[start:start + per_block].tolist()))


def _write_rows(fout, arr):
    write_rows(fout, arr, "<f4")  # fastText's matrices are little-endian float32


def _write_zero_rows(fout, rows, dim):
    if rows <= 0:
        return
    step = max(1, _BLOCK // max(1, dim * 4))
    zeros = np.zeros((min(step, rows), dim), dtype="<f4")
    for start in range(0, rows, step):
        fout.write(memoryview(zeros[:min(step, rows - start)]).cast("B"))


def _check_write(path, args, words, counts, matrices, output):
    """ValueError for anything fastText could not load, before the file is touched."""
    missing = [name for name, _ in ARG_FIELDS if name not in args]
    if "mode" in args and ("hash_count" not in args
                           or args["mode"] not in (FLORET_MODE_FASTTEXT, FLORET_MODE_FLORET)
                           or not 1 <= args["hash_count"] <= MAX_HASH_COUNT):
        raise ValueError(f"{path}: floret args need mode {FLORET_MODE_FASTTEXT} or "
                         f"{FLORET_MODE_FLORET} and hash_count 1..{MAX_HASH_COUNT}")
    if missing:
        raise ValueError(f"{path}: args lack {missing}")
    dim, nwords = args["dim"], len(words)
    for w in words:
        if not isinstance(w, bytes) or b"\0" in w:
            raise ValueError(f"{path}: word {w!r} is not bytes without NUL")
    if len(set(words)) != nwords:
        raise ValueError(f"{path}: the words are not distinct")
    if np.shape(counts) != (nwords,):
        raise ValueError(f"{path}: {np.shape(counts)} counts for {nwords} words")
    vocab, ngrams = matrices
    for name, arr, rows in (("word rows", vocab, nwords), ("bucket rows", ngrams, args["bucket"]),
                            ("output matrix", output, nwords)):
        if arr is None and name == "word rows":
            continue  # floret: written as zeros
        if np.ndim(arr) != 2 or np.shape(arr) != (rows, dim):
            raise ValueError(f"{path}: the {name} have shape {np.shape(arr)}, expected {(rows, dim)}")


def write_facebook_bin(path, args, words, counts, ntokens, vectors_vocab, vectors_ngrams, output,
                       first_word_row=None):
    """Write a fastText ``.bin`` (file version 12) atomically.

    Parameters
    ----------
    path : str or os.PathLike
    args : dict
        Every field of :data:`ARG_FIELDS`; with ``mode`` and ``hash_count`` too, the file is
        floret's (:data:`FLORET_ARG_FIELDS`), which floret reads and fastText does not.
    words : list of bytes
        The dictionary, in row order (distinct, no NUL).
    counts : array of int
    ntokens : int
    vectors_vocab, vectors_ngrams : numpy.ndarray
        The input matrix's word rows (nwords x dim; None writes zeros, for floret's mode,
        whose word rows are unused) and bucket rows (bucket x dim).
    output : numpy.ndarray
        The output matrix (nwords x dim).
    first_word_row : numpy.ndarray, optional
        With ``vectors_vocab=None``: the first word's row (floret reads that one word row,
        meant for ``"</s>"``, whichever word is first); the others are zeros.

    Raises
    ------
    ValueError
        The parts do not fit together; nothing is written.
    """
    path = os.path.abspath(os.fspath(path))
    _check_write(path, args, words, counts, (vectors_vocab, vectors_ngrams), output)
    fields, fmt = (FLORET_ARG_FIELDS, _FLORET_ARGS_FMT) if "mode" in args else (ARG_FIELDS, _ARGS_FMT)
    header = struct.pack("<ii", MAGIC, VERSION) + struct.pack(fmt, *[args[n] for n, _ in fields])
    nwords, dim = len(words), args["dim"]

    def write(fout):
        fout.write(header)
        fout.write(struct.pack("<iiiqq", nwords, nwords, 0, int(ntokens), -1))
        for block in _entry_blocks(words, np.asarray(counts, dtype=np.int64)):
            fout.write(block)
        fout.write(struct.pack("<?qq", False, nwords + args["bucket"], dim))
        if vectors_vocab is None:
            if first_word_row is not None and nwords:
                _write_rows(fout, np.reshape(first_word_row, (1, dim)))
                _write_zero_rows(fout, nwords - 1, dim)
            else:
                _write_zero_rows(fout, nwords, dim)
        else:
            _write_rows(fout, vectors_vocab)
        _write_rows(fout, vectors_ngrams)
        fout.write(struct.pack("<?qq", False, nwords, dim))
        _write_rows(fout, output)

    _write_atomic(path, write)
    _fsync_dir(os.path.dirname(path))
