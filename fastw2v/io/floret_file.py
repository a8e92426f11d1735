"""floret's ``.floret`` vectors: the text file spaCy reads (``spacy init vectors --mode floret``).

Layout, as explosion's floret writes it (``saveFloretVectors``) and spaCy reads it:

* a header line ``bucket dim minn maxn hash_count hash_seed bow eow``, e.g.
  ``50000 300 4 5 2 2166136261 < >``;
* then ``bucket`` lines ``index v1 ... vdim``, one per row of the bucket table, in order
  (spaCy places rows in file order and ignores the index; this reader checks it).

The file holds no vocabulary: every word's vector, in a vocabulary or not, is the mean of
its rows (:class:`~fastw2v.fasttext_vectors.FastTextKeyedVectors` in floret mode). floret
writes 5 significant digits; this writer writes 9, which round-trip float32 exactly.
"""
import os

import numpy as np

from fastw2v._ngrams import _check_params

from .errors import FormatError, TruncatedFileError
from .native import _write_atomic

__all__ = ["save_floret_vectors", "load_floret_vectors"]

#: floret's word boundaries; other markers are not supported (floret has no flag for them).
BOW, EOW = "<", ">"
_ROWS_PER_WRITE = 4096


def save_floret_vectors(kv, path):
    """Write floret-mode vectors as a ``.floret`` file (for spaCy), atomically.

    Parameters
    ----------
    kv : FastTextKeyedVectors
        In floret mode (``mode="floret"``).
    path : str or os.PathLike

    Raises
    ------
    ValueError
        `kv` is not in floret mode (a ``.floret`` file has no word rows: fastText-mode
        vectors would lose theirs), or has no bucket rows.
    """
    if not getattr(kv, "floret", False):
        raise ValueError("only floret-mode vectors (mode='floret') can be written as .floret; "
                         "fastText-mode vectors have word rows the format cannot hold")
    table = kv.vectors_ngrams
    if table is None or len(table) != kv.bucket:
        raise ValueError("these vectors have no bucket rows to write")
    dim = kv.vector_size
    header = (f"{kv.bucket} {dim} {kv.min_n} {kv.max_n} {kv.hash_count} {kv.hash_seed} "
              f"{BOW} {EOW}\n")
    row_fmt = "%d" + " %.9g" * dim + "\n"

    def write(fout):
        fout.write(header.encode("ascii"))
        for start in range(0, len(table), _ROWS_PER_WRITE):
            block = np.asarray(table[start:start + _ROWS_PER_WRITE], dtype=np.float32).tolist()
            fout.write("".join(row_fmt % (start + i, *row) for i, row in enumerate(block))
                       .encode("ascii"))

    _write_atomic(os.fspath(path), write)


def _header(path, line):
    fields = line.split()
    if len(fields) != 8:
        raise FormatError(path, f"not a .floret file: the header has {len(fields)} fields, "
                                "expected 'bucket dim minn maxn hash_count hash_seed bow eow'")
    try:
        bucket, dim, min_n, max_n, hash_count, hash_seed = (int(f) for f in fields[:6])
    except ValueError:
        raise FormatError(path, f"not a .floret file: header {line[:80]!r}") from None
    bow, eow = (f.decode("utf-8", "replace") for f in fields[6:])
    if (bow, eow) != (BOW, EOW):
        raise FormatError(path, f"word boundaries {bow!r} {eow!r}: only floret's '<' '>' are supported")
    try:  # the n-gram code's own checks (floret mode: bucket >= 1), and a dimension
        _check_params(min_n, max_n, bucket, "floret", hash_count, hash_seed)
        if not 1 <= dim < 2 ** 31:
            raise ValueError(f"dim must be in [1, 2**31), got {dim}")
    except ValueError as exc:
        raise FormatError(path, f"invalid header values ({exc}): bucket={bucket}, dim={dim}, "
                                f"minn={min_n}, maxn={max_n}, hash_count={hash_count}, "
                                f"hash_seed={hash_seed}") from None
    return bucket, dim, min_n, max_n, hash_count, hash_seed


def load_floret_vectors(path):
    """Read a ``.floret`` file (written by floret or :func:`save_floret_vectors`).

    The rows are read into one preallocated array, line by line; a header that asks for
    more rows than the file could hold is refused before anything is allocated.

    Parameters
    ----------
    path : str or os.PathLike
        An uncompressed ``.floret`` file.

    Returns
    -------
    FastTextKeyedVectors
        In floret mode, with no vocabulary keys: ``kv[word]`` gives any word's vector;
        ``kv.vectors_for_all(words)`` makes plain vectors for a word list.

    Raises
    ------
    fastw2v.io.FormatError
        Not a ``.floret`` file, or a damaged one (a row with the wrong index or number of
        values, a value that is not a finite number; :class:`TruncatedFileError` when
        rows are missing).
    """
    from fastw2v.fasttext_vectors import FastTextKeyedVectors

    path = os.fspath(path)
    size = os.path.getsize(path)
    with open(path, "rb") as fin:
        head = fin.readline(1024)
        bucket, dim, min_n, max_n, hash_count, hash_seed = _header(path, head)
        # Each row holds at least "i v ... v\n": 2 bytes per value plus the index.
        if bucket * (2 * dim + 2) > size:
            raise TruncatedFileError(path, f"the header declares {bucket} rows of {dim} values, "
                                           f"more than a {size}-byte file can hold")
        table = np.empty((bucket, dim), dtype=np.float32)
        limit = 64 * (dim + 1)
        for row in range(bucket):
            line = fin.readline(limit)
            if not line:
                raise TruncatedFileError(path, f"the file ends after {row} of {bucket} rows")
            fields = line.split()
            if len(fields) != dim + 1:
                raise FormatError(path, f"row {row}: {len(fields)} fields, expected an index and "
                                        f"{dim} values")
            try:
                index = int(fields[0])
                table[row] = np.array(fields[1:], dtype=np.float32)
            except ValueError:
                raise FormatError(path, f"row {row}: not numbers") from None
            if index != row:
                raise FormatError(path, f"row {row} has index {index}")
        if fin.read(4096).strip():
            raise FormatError(path, f"more than the {bucket} rows its header declares")
    if not np.all(np.isfinite(table)):
        raise FormatError(path, "holds values that are not finite numbers")
    kv = FastTextKeyedVectors(dim, min_n, max_n, bucket, mode="floret", hash_count=hash_count,
                              hash_seed=hash_seed)
    kv.vectors_ngrams = table
    kv.recalc_char_ngram_buckets()
    kv.adjust_vectors()
    return kv
