"""Corpus partitioning: which lines of the corpus each rank reads.

A corpus of plain-text files (one ``corpus_file``, or the files of a
:class:`~fastw2v.PathLineSentences` directory or a :class:`~fastw2v.LineSentence`
over one file) is treated as the concatenation of its files and cut into ``size``
byte ranges of equal length; rank ``r`` reads the ``r``-th, which may span the end
of one file and the start of the next (:class:`Piece` per file). A range is cut at
lines exactly as the reader threads' ranges are (a line belongs to the range it
starts in), so the ranks read every line once, and rank order is corpus order:
counts merged in rank order keep the corpus's order of first occurrence.

Each rank reads only its bytes: nothing on a rank is proportional to the whole corpus.
"""
from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Piece:
    """Bytes ``[first, end)`` of the plain-text file ``path`` (lines starting there)."""

    path: str
    first: int
    end: int


def rank_pieces(paths, rank: int, size: int) -> list:
    """The pieces of the files ``paths`` (in corpus order) that rank ``rank`` of ``size`` reads.

    Parameters
    ----------
    paths : sequence of str
        Plain-text files, in the order a one-process run reads them.
    rank, size : int

    Returns
    -------
    list of Piece
        Empty pieces are left out; a rank may get none (a tiny corpus on many ranks).
    """
    if not 0 <= rank < size:
        raise ValueError(f"rank {rank} is not in 0..{size - 1}")
    sizes = [os.path.getsize(p) for p in paths]
    total = sum(sizes)
    lo, hi = total * rank // size, total * (rank + 1) // size
    pieces = []
    start = 0  # offset of the current file in the concatenation
    for path, n in zip(paths, sizes):
        first, end = max(lo - start, 0), min(hi - start, n)
        if first < end:
            pieces.append(Piece(os.fspath(path), first, end))
        start += n
    return pieces


def corpus_paths(corpus_iterable=None, corpus_file=None) -> list:
    """The plain-text files of a corpus that ranks can split by bytes.

    ``corpus_file``, or fastw2v's own readers over uncompressed files (a
    :class:`~fastw2v.LineSentence` over a path without ``limit``, a
    :class:`~fastw2v.PathLineSentences`). The C reader reads these pieces with the
    same tokens as the readers (ASCII whitespace, one sentence per line).

    Raises
    ------
    TypeError
        For any other corpus: it cannot be cut by bytes, and reading all of it on
        every rank would defeat the purpose.
    """
    from ..corpus.readers import LineSentence, PathLineSentences

    if corpus_file is not None:
        return [os.fspath(corpus_file)]
    if isinstance(corpus_iterable, PathLineSentences):
        paths = [os.fspath(p) for p in corpus_iterable.input_files]
    elif isinstance(corpus_iterable, LineSentence) and isinstance(
            corpus_iterable.source, (str, bytes, os.PathLike)):
        paths = [os.fspath(corpus_iterable.source)]
    else:
        raise TypeError(
            "distributed training splits a corpus by bytes: give corpus_file=PATH, or a "
            "LineSentence(PATH) / PathLineSentences(DIR) over uncompressed files; got "
            f"{type(corpus_iterable).__name__}")
    if getattr(corpus_iterable, "limit", None) is not None:
        raise TypeError("distributed training reads whole files: LineSentence(limit=...) is not supported")
    remote = [p for p in paths if "://" in p]
    if remote:
        raise TypeError(f"distributed training reads files every rank can seek into (a shared "
                        f"filesystem), not URIs: copy {remote[0]!r} there first")
    compressed = [p for p in paths if p.endswith((".gz", ".bz2", ".zst", ".xz"))]
    if compressed:
        raise TypeError(f"distributed training needs uncompressed files (ranks seek into them); "
                        f"decompress {compressed[0]!r}")
    return paths
