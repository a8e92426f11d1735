"""Encoding: text becomes an int32 id stream plus sentence offsets.

Layer 3 of the design. A corpus is encoded once per ``train()`` call and every
epoch then runs on the :class:`IdStream` inside the kernels, without touching a
Python object. Out-of-vocabulary tokens are dropped here (word2vec.c and gensim
drop them before windowing too), sentences longer than ``max_sentence_length``
are split into consecutive pieces (never truncated), and sentences left empty
disappear.

Iterables are encoded in Python (``dict.get`` through ``map``, so the per-token
work is C) in blocks; files given as ``corpus_file`` are encoded by the C reader
in :mod:`fastw2v.corpus._filescan`, one thread per byte range. When the vocabulary
scan already read the corpus (a corpus_file, or fastw2v's own readers) it kept every
token as a provisional id (:class:`ScannedCorpus`), and :func:`remap` turns those
into the stream without a second read.

The stream lives in RAM while it fits ``memory_budget`` bytes; beyond that it
spills to a temporary file and is memory-mapped, so a corpus larger than RAM
still trains. The default budget comes from the memory the process may really use
(:mod:`fastw2v.memory_budget`). The read-once cache that lets ``train()`` reuse
``build_vocab()``'s read is :class:`fastw2v.read_once.ReadOnce`.
"""
from __future__ import annotations

import os
import tempfile
import threading
from array import array
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np

from .corpus.limits import MAX_SENTENCE_TOKENS
from .memory_budget import default_memory_budget
from .vocab import _check_sentence

#: Default in-RAM budget of an id stream, in bytes, before it spills to disk: a quarter
#: of the memory this process may use (cgroup limits, available memory), at most 2 GiB,
#: read once at import (see :func:`default_memory_budget`).
DEFAULT_MEMORY_BUDGET = default_memory_budget()

_BLOCK_TOKENS = 1 << 20
# Tokens per lookup batch of scan_iterable: the batch's str objects stay alive until it
# is looked up, so batches are kept small enough for the cache (IMDB scan, 2 threads:
# 1M-token batches 2.6-3.0 s, 16k 1.62 s, 64k 1.48 s; lookups after reading: 1.8-2.1 s).
_LOOKUP_BATCH = 1 << 16


class _SpillFile:
    """For classes holding ``ids`` that may be a memory map of the temporary file
    ``_spill_path``: the file goes when the object is closed or collected."""

    def close(self) -> None:
        """Release a spilled stream's temporary file."""
        if self._spill_path is not None:
            self.ids = np.zeros(0, np.int32)
            try:
                os.unlink(self._spill_path)
            except OSError:
                pass
            self._spill_path = None

    def __del__(self):
        self.close()


@dataclass
class IdStream(_SpillFile):
    """An encoded corpus.

    Attributes
    ----------
    ids : numpy.ndarray of int32
        Vocabulary indices of the in-vocabulary tokens, sentence after sentence.
    offsets : numpy.ndarray of int64
        Sentence ``s`` is ``ids[offsets[s]:offsets[s + 1]]``; ``offsets[0] == 0``.
    raw_words : int
        Tokens read, including out-of-vocabulary ones (word2vec.c's word count).
    corpus_count : int
        Sentences (lines) read, before splitting or dropping.
    """

    ids: np.ndarray
    offsets: np.ndarray
    raw_words: int
    corpus_count: int
    _spill_path: str | None = field(default=None, repr=False)

    @property
    def n_words(self) -> int:
        """In-vocabulary tokens per pass."""
        return int(self.offsets[-1])

    @property
    def n_sentences(self) -> int:
        return len(self.offsets) - 1

    def chunk_starts(self, words_per_chunk: int) -> np.ndarray:
        """Sentence indices that cut the stream into chunks of about ``words_per_chunk`` words.

        Chunks are the unit of work threads take from a shared counter.
        """
        words_per_chunk = max(1, int(words_per_chunk))
        targets = np.arange(0, self.n_words, words_per_chunk, dtype=np.int64)
        starts = np.searchsorted(self.offsets[:-1], targets, side="left")
        starts = np.unique(np.append(starts, self.n_sentences)).astype(np.int64)
        if starts[0] != 0:
            starts = np.insert(starts, 0, 0)
        return starts


class _IdSink:
    """Collects encoded blocks in one growing array; spills to a file past the memory budget.

    The array grows in place (``ndarray.resize`` reallocates; glibc moves large
    blocks with ``mremap`` and leaves unwritten pages untouched), so there is no
    list of blocks and no final concatenation holding the stream twice.
    """

    def __init__(self, memory_budget: int):
        self.memory_budget = memory_budget
        self.buf = np.zeros(0, dtype=np.int32)
        self.n = 0
        self.file = None
        self.path = None

    def add(self, ids: np.ndarray) -> None:
        if not len(ids):
            return
        if self.file is None and (self.n + len(ids)) * 4 > self.memory_budget:
            fd, self.path = tempfile.mkstemp(prefix="fastw2v-ids-", suffix=".int32")
            self.file = os.fdopen(fd, "wb")
            self.buf[:self.n].tofile(self.file)
            self.buf = np.zeros(0, dtype=np.int32)
        if self.file is not None:
            ids.tofile(self.file)
            return
        end = self.n + len(ids)
        if end > len(self.buf):
            # Grow by a quarter: numpy zero-fills (so touches) the new tail, and mremap
            # makes growing cheap, so a small factor keeps the resident overshoot small.
            self.buf.resize(max(end, len(self.buf) + len(self.buf) // 4, 1 << 20), refcheck=False)
        self.buf[self.n:end] = ids
        self.n = end

    def finish(self, writeable=False):
        if self.file is None:
            self.buf.resize(self.n, refcheck=False)
            return self.buf, None
        self.file.close()
        if os.path.getsize(self.path) == 0:
            return np.zeros(0, np.int32), self.path
        return np.memmap(self.path, dtype=np.int32, mode="r+" if writeable else "r"), self.path


def _split_lengths(lengths: np.ndarray, max_len: int) -> np.ndarray:
    """Drop empty sentences and split those longer than ``max_len`` into pieces."""
    lengths = lengths[lengths > 0]
    if len(lengths) and lengths.max() > max_len:
        pieces = (lengths + max_len - 1) // max_len
        out = np.full(int(pieces.sum()), max_len, dtype=np.int64)
        ends = np.cumsum(pieces) - 1
        # The last piece of each sentence takes the remainder.
        out[ends] = lengths - (pieces - 1) * max_len
        return out
    return lengths


class _IntKeyIndex:
    """Vectorised lookup of integer tokens (item and node ids) in a vocabulary: a sorted
    array of the int keys and their rows, so an integer-array sentence is encoded by one
    ``searchsorted`` instead of a dict lookup per token."""

    def __init__(self, key_to_index: dict):
        pairs = [(k, i) for k, i in key_to_index.items()
                 if isinstance(k, (int, np.integer)) and not isinstance(k, bool)]
        keys = np.array([k for k, _ in pairs], dtype=np.int64)
        rows = np.array([i for _, i in pairs], dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        self.keys, self.rows = keys[order], rows[order]

    def look_up(self, sentence: np.ndarray) -> np.ndarray:
        """Row of each token of ``sentence``, -1 for tokens not in the vocabulary."""
        if not len(self.keys):
            return np.full(len(sentence), -1, np.int64)
        tokens = sentence.astype(np.int64, copy=False)
        at = np.minimum(np.searchsorted(self.keys, tokens), len(self.keys) - 1)
        return np.where(self.keys[at] == tokens, self.rows[at], -1)


def encode_iterable(corpus, key_to_index: dict,
                    max_sentence_length: int = MAX_SENTENCE_TOKENS,
                    memory_budget: int = DEFAULT_MEMORY_BUDGET) -> IdStream:
    """Encode an iterable of token lists.

    Parameters
    ----------
    corpus : iterable of list
        Token lists of any hashable tokens, or 1-D numpy integer arrays (looked up
        by :class:`_IntKeyIndex`, no Python object per token).
    key_to_index : dict
        Vocabulary; tokens not in it are dropped.
    max_sentence_length : int
        Longer sentences are split into pieces of at most this many in-vocabulary tokens.
    memory_budget : int
        Bytes of ids kept in RAM before the stream spills to a temporary file.

    Returns
    -------
    IdStream
    """
    get = key_to_index.get
    minus_one = repeat(-1)
    sink = _IdSink(memory_budget)
    all_lengths = []
    flat: list = []
    sentence_lengths: list = []
    raw_words = 0
    corpus_count = 0

    def flush():
        if not sentence_lengths:
            return
        ids = np.array(flat, dtype=np.int64)
        keep = ids >= 0
        bounds = np.zeros(len(sentence_lengths) + 1, dtype=np.int64)
        np.cumsum(sentence_lengths, out=bounds[1:])
        kept_before = np.concatenate(([0], np.cumsum(keep)))
        lengths = kept_before[bounds[1:]] - kept_before[bounds[:-1]]
        sink.add(ids[keep].astype(np.int32))
        all_lengths.append(_split_lengths(lengths, max_sentence_length))
        flat.clear()
        sentence_lengths.clear()

    int_ids = None  # built on the first integer-array sentence
    for sentence in corpus:
        _check_sentence(sentence, corpus_count)
        corpus_count += 1
        n = len(sentence)
        raw_words += n
        if isinstance(sentence, np.ndarray) and sentence.ndim == 1 \
                and np.issubdtype(sentence.dtype, np.integer):
            if int_ids is None:
                int_ids = _IntKeyIndex(key_to_index)
            flat.extend(int_ids.look_up(sentence).tolist())
        else:
            flat.extend(map(get, sentence, minus_one))
        sentence_lengths.append(n)
        if len(flat) >= _BLOCK_TOKENS:
            flush()
    flush()
    ids, spill_path = sink.finish()
    lengths = np.concatenate(all_lengths) if all_lengths else np.zeros(0, np.int64)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return IdStream(ids, offsets, raw_words, corpus_count, spill_path)


def encode_file(path: str, key_to_index: dict, n_threads: int,
                max_sentence_length: int = MAX_SENTENCE_TOKENS, progress=None,
                memory_budget: int | None = None) -> IdStream:
    """Encode a plain-text corpus file with the parallel C reader (one line, one sentence).

    Parameters
    ----------
    path : str
        Plain text, tokens separated by ASCII whitespace.
    key_to_index : dict
        Vocabulary; tokens not in it are dropped.
    n_threads : int
        Reader threads, each on its own byte range.
    max_sentence_length : int
        Longer lines are split into pieces of at most this many in-vocabulary tokens.
    progress : callable, optional
        Called about ten times a second with the bytes read so far.
    memory_budget : int or None
        Bytes of ids kept in RAM; past it the reader threads spill to temporary
        files, joined into one memory-mapped file. None: no limit.

    Returns
    -------
    IdStream
    """
    from .corpus._filescan import encode_file as _encode_file

    ids, offsets, raw_words = _encode_file(
        os.fspath(path), key_to_index, n_threads=n_threads,
        max_sentence_length=max_sentence_length, progress=progress, max_id_bytes=memory_budget)
    spill_path = ids.filename if isinstance(ids, np.memmap) else None
    return IdStream(ids, offsets, int(raw_words), len(offsets) - 1, spill_path)


# ---------------------------------------------------------------- one pass over an iterable

@dataclass
class ScannedCorpus(_SpillFile):
    """A corpus read once: its counts, and its tokens as provisional ids.

    Made by :func:`scan_iterable` (fastw2v's own readers) or from
    ``corpus._filescan.scan_encode`` (a corpus_file). ``build_vocab`` counts from it,
    and ``train`` on the same, unchanged corpus turns it into the training
    :class:`IdStream` with :func:`remap` instead of reading the corpus again.

    Attributes
    ----------
    words : list of str
        Distinct tokens in order of first appearance (provisional id = position).
    counts : numpy.ndarray of int64
        Occurrences of each.
    ids : numpy.ndarray of int32
        Every token's provisional id (a writeable array or memory map).
    lengths : numpy.ndarray of int64
        Tokens per sentence.
    raw_words, corpus_count : int
    """

    words: list
    counts: np.ndarray
    ids: np.ndarray
    lengths: np.ndarray
    raw_words: int
    corpus_count: int
    _spill_path: str | None = field(default=None, repr=False)


def scan_iterable(corpus, memory_budget: int = DEFAULT_MEMORY_BUDGET, progress_per: int = 0,
                  progress_log=None) -> ScannedCorpus:
    """Read an iterable of token lists once: counts and provisional ids together.

    Parameters
    ----------
    corpus : iterable of list of str
    memory_budget : int
        Bytes of ids kept in RAM before they spill to a temporary file.
    progress_per : int
        Sentences between calls of `progress_log` (0: never).
    progress_log : callable, optional
        Called as ``progress_log(sentence_no, words_so_far, distinct_so_far)``.

    Raises
    ------
    TypeError
        A sentence that is a string, or a token that is not a str.
    """
    from .corpus._token_ids import TokenBatch, TokenIds

    index = TokenIds()  # the C hash table of the corpus_file reader: no dict, no int objects
    sink = _IdSink(memory_budget)
    lookups = _Lookups(index, sink)
    staging = TokenBatch(_LOOKUP_BATCH)
    lengths = array("q")
    raw_words = 0
    try:
        for sentence_no, sentence in enumerate(corpus):
            _check_sentence(sentence, sentence_no)
            if progress_per and sentence_no % progress_per == 0 and sentence_no and progress_log:
                progress_log(sentence_no, raw_words, len(index))
            if type(sentence) is not list:
                sentence = list(sentence)
            n = len(sentence)
            if len(staging) + n > _LOOKUP_BATCH and len(staging):
                staging = lookups.submit(staging)
            index.stage(sentence, staging)
            lengths.append(n)
            raw_words += n
        lookups.submit(staging)
        lookups.finish()
    except BaseException:
        lookups.finish(keep=False)  # the worker reads what the batches hold: let it end
        raise
    ids, spill_path = sink.finish(writeable=True)
    words = index.words()
    counts = _count_ids(ids, len(words))
    return ScannedCorpus(words, counts, ids, np.array(lengths, dtype=np.int64), raw_words,
                         len(lengths), spill_path)


class _Lookups:
    """Looks staged batches up in a worker thread while the caller stages the next one.

    Reading a Python iterable holds the GIL; the C lookups of a batch do not
    (:meth:`TokenIds.look_up_batch`), so on two cores they run beside the reading
    instead of after it. One batch at a time and in order, so ids are still given in
    order of first appearance and reach the sink in corpus order.
    """

    def __init__(self, index, sink):
        self.index, self.sink = index, sink
        self.thread = None
        self.batch = None
        self.error = None

    def _run(self, batch):
        try:
            self.index.look_up_batch(batch)
        except BaseException as exc:  # re-raised in the caller's thread by _wait
            self.error = exc

    def _wait(self, keep=True):
        """Join the running lookup; its ids go to the sink. Returns the emptied batch."""
        if self.thread is None:
            return None
        self.thread.join()
        self.thread = None
        batch, self.batch = self.batch, None
        error, self.error = self.error, None
        if error is not None and keep:
            raise error
        if keep:
            self.sink.add(batch.ids())  # copied by the sink
        batch.clear()
        return batch

    def submit(self, batch):
        """Start looking ``batch`` up; return an empty batch to stage the next sentences in."""
        from .corpus._token_ids import TokenBatch

        done = self._wait()
        self.batch = batch
        self.thread = threading.Thread(target=self._run, args=(batch,), daemon=True,
                                       name="fastw2v-lookups")
        self.thread.start()
        return done if done is not None else TokenBatch(_LOOKUP_BATCH)

    def finish(self, keep=True):
        self._wait(keep)


def _count_ids(ids: np.ndarray, n: int) -> np.ndarray:
    counts = np.zeros(n, dtype=np.int64)
    for lo in range(0, len(ids), _BLOCK_TOKENS):  # blocks: a memory map is read, not loaded
        counts += np.bincount(ids[lo:lo + _BLOCK_TOKENS], minlength=n)
    return counts


def remap(scanned: ScannedCorpus, key_to_index: dict,
          max_sentence_length: int = MAX_SENTENCE_TOKENS) -> IdStream:
    """The training stream of a scanned corpus under the final vocabulary.

    Provisional ids become vocabulary indices and out-of-vocabulary tokens are
    dropped, in place, in one C pass (kept tokens never move right), so no second
    copy of the stream exists. ``scanned`` is
    consumed: its ids array becomes the stream's.
    """
    old_to_new = np.fromiter((key_to_index.get(w, -1) for w in scanned.words), dtype=np.int64,
                             count=len(scanned.words))
    from .corpus._token_ids import remap_ids

    ids = scanned.ids
    bounds = np.zeros(len(scanned.lengths) + 1, dtype=np.int64)
    np.cumsum(scanned.lengths, out=bounds[1:])
    kept_lengths = np.zeros(len(scanned.lengths), dtype=np.int64)
    write = remap_ids(ids, old_to_new, bounds, kept_lengths) if len(ids) else 0
    spill_path, scanned._spill_path = scanned._spill_path, None
    scanned.ids = np.zeros(0, np.int32)
    if spill_path is None:
        if ids.flags.owndata:
            ids.resize(write, refcheck=False)
        else:  # a C reader's buffer (freed with its owner): only out-of-vocabulary ids past the end
            ids = ids[:write]
    else:
        ids.flush()
        ids = np.memmap(spill_path, dtype=np.int32, mode="r", shape=(write,)) if write else \
            np.zeros(0, np.int32)
    lengths = _split_lengths(kept_lengths, max_sentence_length)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return IdStream(ids, offsets, scanned.raw_words, scanned.corpus_count, spill_path)
