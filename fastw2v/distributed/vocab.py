"""Distributed vocabulary: each rank counts its part, the counts are merged in rank order.

Ranks read consecutive parts of the corpus (:mod:`.partition`), each lists its
words in order of first occurrence, so rank 0 merging the lists in rank order
sees the words in the corpus's order of first occurrence, with summed counts:
the very keys and counts a one-process scan gives. Every rank receives them and
runs the ordinary :func:`fastw2v.vocab.build` on them, so every rank ends with the
same vocabulary (words, counts, order), equal to a one-process ``build_vocab``.

Words travel as UTF-8 bytes with int64 lengths (no pickle).
"""
from __future__ import annotations

import numpy as np


def pack_words(words) -> tuple:
    """``words`` (str) as one uint8 array of their UTF-8 bytes and an int64 array of lengths."""
    encoded = [w.encode("utf-8", "surrogatepass") for w in words]
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), lengths


def unpack_words(data: np.ndarray, lengths: np.ndarray) -> list:
    """The inverse of :func:`pack_words`."""
    raw = np.asarray(data, np.uint8).tobytes()
    ends = np.cumsum(lengths).tolist()
    starts = [0] + ends[:-1]
    return [raw[a:b].decode("utf-8", "surrogatepass") for a, b in zip(starts, ends)]


def merge_in_order(parts) -> tuple:
    """Sum counts of ``(words, counts)`` parts; words in order of first appearance over the parts."""
    index: dict = {}
    merged: list = []
    for words, counts in parts:
        for word, count in zip(words, counts.tolist()):
            at = index.get(word)
            if at is None:
                index[word] = len(merged)
                merged.append([word, count])
            else:
                merged[at][1] += count
    words = [w for w, _ in merged]
    return words, np.fromiter((c for _, c in merged), dtype=np.int64, count=len(merged))


def merge_counts(comm, words, counts) -> tuple:
    """Every rank's ``(words, counts)`` merged in rank order, on every rank.

    Parameters
    ----------
    comm : Communicator
    words : list of str
        This rank's distinct words, in order of first occurrence in its part.
    counts : numpy.ndarray of int64

    Returns
    -------
    (list of str, numpy.ndarray of int64)
        The same on every rank.
    """
    if comm.size == 1:
        return list(words), np.asarray(counts, np.int64)
    data, lengths = pack_words(words)
    all_data = comm.gather(data)
    all_lengths = comm.gather(lengths)
    all_counts = comm.gather(np.asarray(counts, np.int64))
    if comm.rank == 0:
        parts = [(unpack_words(d, n), c) for d, n, c in zip(all_data, all_lengths, all_counts)]
        words, counts = merge_in_order(parts)
        data, lengths = pack_words(words)
        sizes = np.array([len(data), len(words)], np.int64)
    else:
        sizes = np.zeros(2, np.int64)
    comm.broadcast(sizes)
    if comm.rank != 0:
        data = np.empty(sizes[0], np.uint8)
        lengths = np.empty(sizes[1], np.int64)
        counts = np.empty(sizes[1], np.int64)
    comm.broadcast(data)
    comm.broadcast(lengths)
    comm.broadcast(counts)
    return (list(words) if comm.rank == 0 else unpack_words(data, lengths)), counts
