"""The word2vec C formats: text (and GloVe text without header) and binary.

Layout
------
Text::

    <count> <dim>\\n
    <key> <v1> <v2> ... <v_dim>\\n          (one line per key)

GloVe files are the same without the header line (``no_header=True``).

Binary (word2vec.c ``-binary 1``)::

    <count> <dim>\\n
    <key> <dim little-endian float32>\\n    (one record per key)

word2vec.c writes the newline after each vector, gensim does not; both are
read. Text lines may carry a trailing space (word2vec.c writes one).

Reading is strict: anything that is not exactly such a file raises
:class:`~fastw2v.io.errors.FormatError` naming the file, the row and the
problem. The header is checked against the file size before anything is
allocated; compressed (.gz/.bz2) files, whose size is unknown in advance,
grow their arrays geometrically as rows actually arrive, so a lying header
never causes a giant allocation.

Writing refuses keys that the C tools could not read back: empty keys and
keys containing ASCII whitespace or NUL.
"""
import logging
import os
import re

import numpy as np

from fastw2v.io._files import is_compressed, open_binary
from fastw2v.io.errors import FormatError, KeyDecodeError, TruncatedFileError

logger = logging.getLogger(__name__)

__all__ = ["read_word2vec_format", "write_word2vec_format", "read_vocab_file", "FormatError"]

MAX_KEY_BYTES = 100_000     # longer "keys" mean we are reading garbage
MAX_HEADER_BYTES = 256
CHUNK_BYTES = 1 << 20
_HEADER_RE = re.compile(rb"[ \t]*([0-9]+)[ \t]+([0-9]+)[ \t\r]*\n?")
_BAD_KEY_BYTES = re.compile(rb"[ \t\n\r\x0b\x0c\x00]")
_BAD_KEY_CHARS = re.compile(r"[ \t\n\r\x0b\x0c\x00]")
_FLOAT32_LE = np.dtype("<f4")


# --------------------------------------------------------------------------- writing

def _key_text(key):
    """The text form of `key` for the C formats; ValueError if it cannot be stored."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        key = str(int(key))
    if not isinstance(key, str):
        raise ValueError(f"key {key!r} is not a str; the word2vec formats store text keys")
    if not key or _BAD_KEY_CHARS.search(key):
        raise ValueError(
            f"key {key!r} is empty or contains whitespace/NUL; the word2vec formats "
            "(and word2vec.c) could not read it back")
    return key


def write_word2vec_format(fname, keys, vectors, counts=None, fvocab=None, binary=False,
                          total_vec=None, write_header=True, prefix="", append=False, order=None):
    """Write `keys` and their rows of `vectors` in the word2vec text or binary format.

    Parameters
    ----------
    fname : str or os.PathLike
        Output path; ``.gz`` / ``.bz2`` compress.
    keys : sequence of str
        One key per row of `vectors`, in file order.
    vectors : numpy.ndarray
        2-D array (len(keys), dim); stored as float32.
    counts : numpy.ndarray, optional
        Per-key counts, written to `fvocab` as word2vec.c's ``-save-vocab`` file.
    fvocab : str, optional
        Path of the vocabulary file ("key count" per line). Needs `counts`.
    binary : bool
        Binary (word2vec.c ``-binary 1``) rather than text.
    total_vec : int, optional
        Count written in the header (default: ``len(keys)``).
    write_header : bool
        False writes no header line (GloVe text).
    prefix : str
        Written before every key (gensim's ``prefix``, e.g. to tell two vocabularies
        apart in one file).
    append : bool
        Add to the end of `fname` instead of replacing it.
    order : array of int, optional
        The rows to write, in this order (default: all, in index order).

    Raises
    ------
    ValueError
        A key is empty or contains whitespace, shapes disagree, or `fvocab`
        is given without counts.
    """
    vectors = np.asarray(vectors)
    if vectors.ndim != 2 or vectors.shape[0] != len(keys):
        raise ValueError(f"vectors of shape {vectors.shape} do not match {len(keys)} keys")
    if order is not None:
        order = np.asarray(order, dtype=np.int64)
        keys = [keys[i] for i in order.tolist()]
        vectors = vectors[order]
        counts = None if counts is None else np.asarray(counts)[order]
    texts = [_key_text(prefix + str(k) if prefix else k) for k in keys]  # all checked before writing
    if fvocab is not None:
        if counts is None:
            raise ValueError("cannot write fvocab: these vectors have no 'count' attribute")
        counts = np.asarray(counts)
        with open_binary(fvocab, "wb") as fout:
            fout.write("".join(f"{t} {int(c)}\n" for t, c in zip(texts, counts)).encode("utf8"))
    n, dim = vectors.shape
    total_vec = n if total_vec is None else int(total_vec)
    with open_binary(fname, "ab" if append else "wb") as fout:
        if write_header:
            fout.write(f"{total_vec} {dim}\n".encode("ascii"))
        step = 4096
        if binary:
            for start in range(0, n, step):
                block = np.ascontiguousarray(vectors[start:start + step], dtype=_FLOAT32_LE)
                fout.write(b"".join(
                    t.encode("utf8") + b" " + row.tobytes() + b"\n"
                    for t, row in zip(texts[start:start + step], block)))
        else:
            # %.9g round-trips every float32 exactly.
            row_fmt = " ".join(["%.9g"] * dim)
            for start in range(0, n, step):
                block = np.asarray(vectors[start:start + step], dtype=np.float32).tolist()
                fout.write("".join(
                    f"{t} {row_fmt % tuple(row)}\n"
                    for t, row in zip(texts[start:start + step], block)).encode("utf8"))


# --------------------------------------------------------------------------- reading

class _Rows:
    """Row storage that is either preallocated (size known and checked) or grows
    geometrically, so memory stays within 2x of the data actually read."""

    def __init__(self, dim, dtype, capacity, grow_to=None):
        self.dim, self.dtype, self.grow_to = dim, dtype, grow_to
        self.array = np.empty((capacity, dim), dtype=dtype)

    def put(self, i, row):
        if i >= len(self.array):
            new_cap = max(16, 2 * len(self.array))
            if self.grow_to is not None:
                new_cap = min(new_cap, self.grow_to)
            grown = np.empty((new_cap, self.dim), dtype=self.dtype)
            grown[:len(self.array)] = self.array
            self.array = grown
        self.array[i] = row

    def result(self, n):
        if n == len(self.array):
            return self.array
        return np.ascontiguousarray(self.array[:n])


class _Stream:
    """A byte buffer over a file object, refilled in chunks."""

    def __init__(self, fin, initial=b""):
        self.fin, self.buf, self.pos, self.eof = fin, initial, 0, False

    def more(self, at_least=CHUNK_BYTES):
        """Read more bytes; False at end of file."""
        if self.eof:
            return False
        new = self.fin.read(max(CHUNK_BYTES, at_least))
        if not new:
            self.eof = True
            return False
        self.buf = self.buf[self.pos:] + new
        self.pos = 0
        return True

    def rest_is_whitespace(self):
        if self.buf[self.pos:].strip():
            return False
        while True:
            chunk = self.fin.read(CHUNK_BYTES)
            if not chunk:
                return True
            if chunk.strip():
                return False


def read_vocab_file(fvocab, encoding="utf8", unicode_errors="strict"):
    """Read word2vec.c's vocabulary file ("word count" per line) into a dict."""
    counts = {}
    with open_binary(fvocab, "rb") as fin:
        for line_no, line in enumerate(fin, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2 or not parts[1].isdigit():
                raise FormatError(fvocab, f"line {line_no}: expected 'word count', got {line[:80]!r}")
            try:
                word = parts[0].decode(encoding, errors=unicode_errors)
            except UnicodeDecodeError as err:
                raise KeyDecodeError(fvocab, f"line {line_no}: key is not valid {encoding} ({err.reason})",
                                     err) from None
            counts[word] = int(parts[1])
    return counts


def _parse_header(fname, line):
    match = _HEADER_RE.fullmatch(line)
    if match is None:
        if not line:
            raise FormatError(fname, "empty file (no '<count> <dim>' header)")
        raise FormatError(fname, f"invalid header {line[:60]!r}; expected '<count> <dim>' "
                                 "(pass no_header=True for GloVe text files)")
    count, dim = int(match.group(1)), int(match.group(2))
    if dim <= 0:
        raise FormatError(fname, f"header declares vector size {dim}; it must be positive")
    return count, dim


def _decode_key(fname, raw, row, encoding, unicode_errors):
    try:
        return raw.decode(encoding, errors=unicode_errors)
    except UnicodeDecodeError as err:
        raise KeyDecodeError(fname, f"row {row}: key is not valid {encoding} ({err.reason}); "
                                    "pass unicode_errors='replace' or 'ignore' to load anyway",
                             err) from None


def _read_binary(fname, stream, count, dim, rows, encoding, unicode_errors):
    """Read `count` binary records; returns the list of keys (duplicates dropped)."""
    nbytes = dim * 4
    keys, seen = [], {}
    for record in range(count):
        while True:
            buf, pos = stream.buf, stream.pos
            while pos < len(buf) and buf[pos] == 10:  # the newline after the previous vector
                pos += 1
            stream.pos = pos
            space = buf.find(b" ", pos, pos + MAX_KEY_BYTES + 1)
            if space >= 0 and len(buf) - space - 1 >= nbytes:
                break
            if space < 0 and len(buf) - pos > MAX_KEY_BYTES:
                raise FormatError(fname, f"record {record}: no key ends within {MAX_KEY_BYTES} bytes")
            if not stream.more(nbytes + MAX_KEY_BYTES):
                raise TruncatedFileError(fname, f"truncated: header declares {count} vectors of size {dim}, "
                                         f"file ends inside record {record}")
        raw = buf[pos:space]
        if not raw or _BAD_KEY_BYTES.search(raw):
            raise FormatError(fname, f"record {record}: invalid key {raw[:60]!r} (empty or with "
                                     "whitespace); not a binary word2vec file or vector size is wrong")
        key = _decode_key(fname, raw, record, encoding, unicode_errors)
        stream.pos = space + 1 + nbytes
        if key in seen:
            logger.warning("duplicate key %r in %s, ignoring all but the first", key, fname)
            continue
        seen[key] = len(keys)
        rows.put(len(keys), np.frombuffer(buf, dtype=_FLOAT32_LE, count=dim, offset=space + 1))
        keys.append(key)
    return keys


def _text_line_limit(dim):
    return MAX_KEY_BYTES + 64 * (dim + 1)


def _parse_text_line(fname, line, line_no, dim, encoding, unicode_errors):
    parts = line.split()
    if len(parts) != dim + 1:
        raise FormatError(fname, f"line {line_no}: expected a key and {dim} numbers, "
                                 f"got {len(parts)} fields")
    key = _decode_key(fname, parts[0], line_no, encoding, unicode_errors)
    try:
        values = [float(x) for x in parts[1:]]
    except ValueError:
        bad = next(x for x in parts[1:] if not _is_float(x))
        raise FormatError(fname, f"line {line_no}: {bad[:40]!r} is not a number") from None
    return key, values


def _is_float(x):
    try:
        float(x)
        return True
    except ValueError:
        return False


def _read_text(fname, fin, count, dim, rows, encoding, unicode_errors, first_line_no):
    """Read `count` text lines (count=None: to end of file); returns the keys."""
    keys, seen = [], {}
    n_rows = 0  # rows read, duplicates included: they count towards the header's count
    line_no = first_line_no - 1
    limit = _text_line_limit(dim) if dim else MAX_KEY_BYTES + 64 * 100_000
    while count is None or n_rows < count:
        line = fin.readline(limit)
        line_no += 1
        if not line:
            if count is None:
                break
            raise TruncatedFileError(fname, f"truncated: header declares {count} vectors, "
                                     f"file ends at line {line_no} after {len(keys)}")
        if len(line) >= limit and not line.endswith(b"\n"):
            raise FormatError(fname, f"line {line_no}: longer than {limit} bytes")
        if not line.strip():
            continue  # blank lines carry nothing
        if dim is None:  # GloVe: the first line decides the vector size
            dim = len(line.split()) - 1
            if dim <= 0:
                raise FormatError(fname, f"line {line_no}: a key without numbers")
            rows.dim = dim
            rows.array = np.empty((0, dim), dtype=rows.dtype)
            limit = _text_line_limit(dim)
        key, values = _parse_text_line(fname, line, line_no, dim, encoding, unicode_errors)
        n_rows += 1
        if key in seen:
            logger.warning("duplicate key %r in %s, ignoring all but the first", key, fname)
            continue
        seen[key] = len(keys)
        rows.put(len(keys), values)
        keys.append(key)
    return keys, dim


def read_word2vec_format(fname, fvocab=None, binary=False, encoding="utf8",
                         unicode_errors="strict", limit=None, datatype=np.float32,
                         no_header=False):
    """Read a word2vec text/binary (or GloVe text) file.

    Parameters are those of gensim's ``KeyedVectors.load_word2vec_format``.

    Returns
    -------
    keys : list of str
        Keys in file order, duplicates after the first dropped (with a warning).
    vectors : numpy.ndarray
        (len(keys), dim) array of `datatype`.
    counts : numpy.ndarray
        int64 counts: from `fvocab` when given (0 for keys it lacks), else
        gensim's made-up descending counts ``n_declared - index``.

    Raises
    ------
    FormatError
        The file is not a valid file of the format (message names file and row).
    """
    fname_s = os.fspath(fname)
    if no_header and binary:
        raise ValueError("no_header is only available for text-format files")
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be None or >= 0, got {limit}")
    counts_by_key = read_vocab_file(fvocab, encoding, unicode_errors) if fvocab is not None else None
    size = None if is_compressed(fname_s) else os.path.getsize(fname_s)

    with open_binary(fname_s, "rb") as fin:
        try:
            if no_header:
                declared, dim, header_len = None, None, 0
            else:
                header = fin.readline(MAX_HEADER_BYTES)
                declared, dim = _parse_header(fname_s, header)
                header_len = len(header)
            to_read = declared if limit is None else (limit if declared is None else min(declared, limit))
            if to_read is not None and dim is not None and size is not None:
                # The smallest record is a 1-byte key, its separator and the values.
                per_row = 2 + 4 * dim if binary else 2 + 2 * dim
                if to_read * per_row - 1 > size - header_len:
                    raise TruncatedFileError(fname_s, f"header declares {declared} vectors of size {dim}, "
                                               f"which cannot fit in {size} bytes")
            if to_read is not None and dim is not None and size is not None:
                rows = _Rows(dim, datatype, to_read)
            else:
                rows = _Rows(dim or 1, datatype, 0, grow_to=to_read)
            if binary:
                stream = _Stream(fin)
                keys = _read_binary(fname_s, stream, to_read, dim, rows, encoding, unicode_errors)
                if limit is None and not stream.rest_is_whitespace():
                    raise FormatError(fname_s, f"data after the {declared} vectors the header declares")
            else:
                keys, dim = _read_text(fname_s, fin, to_read, dim, rows, encoding, unicode_errors,
                                       first_line_no=1 if no_header else 2)
                if dim is None:
                    raise FormatError(fname_s, "empty file (no vectors)")
                if limit is None and not no_header and fin.read(CHUNK_BYTES).strip():
                    raise FormatError(fname_s, f"more lines than the {declared} the header declares")
        except FormatError:
            raise
        except EOFError as err:  # e.g. a truncated .gz stream
            raise TruncatedFileError(fname_s, f"cannot read: {err}") from None
        except OSError as err:  # e.g. a corrupt .bz2 stream
            raise FormatError(fname_s, f"cannot read: {err}") from None
    vectors = rows.result(len(keys))
    n_declared = to_read if to_read is not None else len(keys)
    if counts_by_key is None:
        counts = n_declared - np.arange(len(keys), dtype=np.int64)
    else:
        missing = [k for k in keys if k not in counts_by_key]
        if missing:
            logger.warning("vocabulary file %s lacks %d keys (e.g. %r); their count is 0",
                           fvocab, len(missing), missing[0])
        counts = np.array([counts_by_key.get(k, 0) for k in keys], dtype=np.int64)
    return keys, vectors, counts
