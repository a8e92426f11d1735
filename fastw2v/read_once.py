"""Read a corpus once for both ``build_vocab()`` and the next ``train()``.

``Word2Vec`` keeps one :class:`ReadOnce`. Its :meth:`~ReadOnce.scan` counts the words
of a corpus for the vocabulary; for a ``corpus_file`` and for fastw2v's own readers
(``LineSentence``, ``PathLineSentences``, ``Text8Corpus`` over files) the same read
also keeps every token as a provisional id, within ``memory_budget``. The next
:meth:`~ReadOnce.encode` of the same, unchanged corpus turns those ids into the
training stream (:func:`fastw2v.encode.remap`) instead of reading the corpus again.

A ``LineSentence`` of one plain local file is scanned as that file would be as a
``corpus_file``: by the C reader with every worker, which splits it as LineSentence
does, instead of by Python (see ``_plain_file_of``); its kept ids serve the next
``train()`` unless a line is longer than ``max_sentence_length``. Without a kept scan
(a later ``train()``, a scan past ``memory_budget``) Python reads it, as any reader.

When a kept scan stands for the corpus:

* a ``corpus_file``: the same path, with the same size, modification time and inode;
* fastw2v's readers: the same object, over files of the same sizes and modification
  times, with the same ``limit`` and ``max_sentence_length``;
* any other iterable is user code with its own idea of a second pass: it is read
  again, as gensim does; so is a corpus scanned with ``max_vocab_size`` (pruning while
  counting renumbers the words) or past ``memory_budget``.

A scan stands for one ``encode`` only: the ids become that call's stream.
"""
from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass

import numpy as np

from . import vocab as _vocab
from .corpus.limits import MAX_SENTENCE_TOKENS
from .encode import IdStream, ScannedCorpus, encode_file, encode_iterable, remap, scan_iterable
from .progress import FileProgress, scan_progress, wrap_sentences

__all__ = ["ReadOnce", "VocabScan"]

logger = logging.getLogger("fastw2v")


@dataclass
class VocabScan:
    """The word counts of one read of a corpus.

    Attributes
    ----------
    keys : list of str
        Distinct tokens, in order of first appearance.
    counts : numpy.ndarray of int64
        Occurrences of each key.
    total_words : int
        Tokens read (raw words, before any pruning).
    corpus_count : int
        Sentences read.
    """

    keys: list
    counts: np.ndarray
    total_words: int
    corpus_count: int


class ReadOnce:
    """Counts a corpus for the vocabulary and keeps its ids for the next encoding.

    See the module docstring for when a kept scan stands for a corpus.
    """

    def __init__(self):
        self._kept = None  # (source, fingerprint, ScannedCorpus) of the last scan

    def clear(self) -> None:
        """Drop a kept scan (and its spill file, if it had one)."""
        kept, self._kept = self._kept, None
        if kept is not None:
            kept[2].close()

    def scan(self, corpus_iterable=None, corpus_file=None, *, workers: int,
             max_vocab_size: int | None = None, trim_rule=None, memory_budget: int,
             progress=None, progress_per: int = 10000) -> VocabScan:
        """Count every token of a corpus, keeping its ids where they can serve :meth:`encode`.

        Parameters
        ----------
        corpus_iterable : iterable of list of str, optional
        corpus_file : str or os.PathLike, optional
            Plain text, read by ``workers`` C threads. Exactly one of the two is given.
        workers : int
            Reader threads for a ``corpus_file``.
        max_vocab_size : int or None
            gensim's pruning while counting (then nothing is kept for :meth:`encode`).
        trim_rule : callable, optional
            Passed to the pruning of user iterables (:func:`fastw2v.vocab.count_words`).
        memory_budget : int
            Bytes of provisional ids to keep; past it nothing is kept.
        progress : None, bool or Reporter
            The model's ``progress``: None logs lines, True draws bars, False is silent;
            a custom Reporter follows training only, so the scan is then silent.
        progress_per : int
            Sentences between log lines of an iterable (in logging mode).

        Returns
        -------
        VocabScan
        """
        self.clear()  # a scan stands for its corpus only until the next one
        log_every = progress_per if progress is None else 0
        if corpus_file is not None:
            return self._scan_file(os.fspath(corpus_file), workers, max_vocab_size,
                                   memory_budget, progress)
        fingerprint = _fingerprint(corpus_iterable) if max_vocab_size is None else None
        path = _plain_file_of(corpus_iterable) if fingerprint is not None else None
        if path is not None:
            # A LineSentence of one plain local file: the C reader splits it as
            # LineSentence does, with every worker, instead of Python's str.split.
            found = self._scan_file(path, workers, None, memory_budget, progress)
            if self._kept is not None:
                scanned = self._kept[2]
                if len(scanned.lengths) and scanned.lengths.max() > MAX_SENTENCE_TOKENS:
                    # LineSentence cuts a long line every max_sentence_length tokens read,
                    # the remapped stream after that many kept: train() reads it in Python.
                    self.clear()
                else:
                    self._kept = (corpus_iterable, fingerprint, scanned)
            return found
        sentences = wrap_sentences(corpus_iterable, progress)
        if fingerprint is not None:
            # fastw2v's own readers: one pass both counts and encodes (as provisional
            # ids), and encode() on the same, unchanged corpus remaps that.
            scanned = scan_iterable(sentences, memory_budget, log_every, _log_scan)
            self._kept = (corpus_iterable, fingerprint, scanned)
            return VocabScan(scanned.words, scanned.counts, scanned.raw_words,
                             scanned.corpus_count)
        # Any other iterable is read again by encode(); pruning (max_vocab_size) needs
        # counts as it goes.
        counted, total_words, corpus_count, _ = _vocab.count_words(
            sentences, max_vocab_size, trim_rule, log_every)
        keys = list(counted)
        counts = np.fromiter(counted.values(), dtype=np.int64, count=len(keys))
        return VocabScan(keys, counts, total_words, corpus_count)

    def _scan_file(self, path, workers, max_vocab_size, memory_budget, progress) -> VocabScan:
        from .corpus._filescan import scan_encode, scan_vocab

        shown = FileProgress(scan_progress(progress), os.path.getsize(path), "vocabulary")
        try:
            if max_vocab_size is not None:  # pruning while counting renumbers the words
                keys, counts, total_words, corpus_count, _ = scan_vocab(
                    path, n_threads=workers, max_vocab_size=max_vocab_size, progress=shown)
                return VocabScan(keys, counts, total_words, corpus_count)
            # One read: the scan also writes the file as provisional ids (within
            # memory_budget), which encode() of the unchanged file remaps.
            stamp = _file_fingerprint(path)
            keys, counts, total_words, corpus_count, ids, lengths = scan_encode(
                path, n_threads=workers, max_id_bytes=memory_budget, progress=shown)
        finally:
            shown.close()
        if ids is not None and stamp is not None:
            self._kept = (("file", path), stamp, ScannedCorpus(
                keys, counts, ids, lengths, total_words, corpus_count))
        return VocabScan(keys, counts, total_words, corpus_count)

    def encode(self, corpus_iterable, corpus_file, key_to_index: dict, *, workers: int,
               memory_budget: int, progress=None) -> IdStream:
        """The training stream of a corpus: the kept scan remapped, or a new read.

        Parameters
        ----------
        corpus_iterable : iterable of list of str, optional
        corpus_file : str or os.PathLike, optional
        key_to_index : dict
            The vocabulary; other tokens are dropped.
        workers : int
            Reader threads for a ``corpus_file``.
        memory_budget : int
            Bytes of ids kept in RAM; past it the stream spills to a memory-mapped file.
        progress : None, bool or Reporter
            As for :meth:`scan`.

        Returns
        -------
        IdStream
        """
        kept, self._kept = self._kept, None
        if corpus_file is not None:
            path = os.fspath(corpus_file)
            if kept is not None and kept[0] == ("file", path) \
                    and kept[1] == _file_fingerprint(path):
                logger.info("encoding %s from the build_vocab() scan (no second read)", path)
                return remap(kept[2], key_to_index)
            _close(kept)
            shown = FileProgress(scan_progress(progress), os.path.getsize(path), "encoding")
            try:
                return encode_file(path, key_to_index, n_threads=workers, progress=shown,
                                   memory_budget=memory_budget)
            finally:
                shown.close()
        if kept is not None and kept[0] is corpus_iterable \
                and kept[1] == _fingerprint(corpus_iterable):
            logger.info("encoding the corpus from the build_vocab() scan (no second pass)")
            return remap(kept[2], key_to_index)
        _close(kept)
        return encode_iterable(wrap_sentences(corpus_iterable, progress, desc="encoding"),
                               key_to_index, memory_budget=memory_budget)


def _close(kept) -> None:
    if kept is not None:
        kept[2].close()


def _log_scan(sentence_no, words, distinct):
    logger.info("PROGRESS: at sentence #%i, processed %i words, keeping %i word types",
                sentence_no, words, distinct)


def _file_fingerprint(path):
    """(size, modification time, inode) of a corpus_file, or None if it cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _plain_file_of(corpus):
    """The path of a LineSentence whose vocabulary scan the C file reader can do, or None.

    That is a :class:`~fastw2v.corpus.LineSentence` itself (not a subclass, which may
    change how it reads) over one local, non-empty, uncompressed regular file, with no
    ``limit`` and the default ``max_sentence_length``. The reader splits tokens and
    lines as LineSentence does (:mod:`fastw2v.corpus._filescan`) and counts sentences
    as it yields them. Its progress is reported in bytes, not ``progress_per`` sentences.
    """
    from .corpus.readers import LineSentence
    from .corpus.sources import is_compressed_name, is_uri

    if type(corpus) is not LineSentence or corpus.limit is not None \
            or corpus.max_sentence_length != MAX_SENTENCE_TOKENS:
        return None
    source = corpus.source
    if not isinstance(source, (str, os.PathLike)) or is_uri(source):
        return None  # an open file object, or a remote one
    path = os.fspath(source)
    if not isinstance(path, str) or is_compressed_name(path):
        return None
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size == 0:
            return None  # a pipe, a device, a directory, an empty file: Python reads it
        with open(path, "rb") as fin:
            head = fin.read(3)
    except OSError:
        return None  # not readable: LineSentence raises its own error
    if head[:2] == b"\x1f\x8b" or head == b"BZh":
        return None  # compressed under another name: LineSentence reads it as text
    return path


def _fingerprint(corpus):
    """What must not have changed for a scan to stand for the corpus in :meth:`ReadOnce.encode`.

    Only fastw2v's own file readers qualify (LineSentence, PathLineSentences,
    Text8Corpus over files, not open streams): the same object over files of the
    same sizes and modification times reads the same tokens. Anything else is
    user code, read again as gensim does: None.
    """
    from .corpus.readers import LineSentence, PathLineSentences, Text8Corpus

    if isinstance(corpus, PathLineSentences):
        paths = list(corpus.input_files)
    elif isinstance(corpus, LineSentence):
        paths = [corpus.source]
    elif isinstance(corpus, Text8Corpus):
        paths = [corpus.fname]
    else:
        return None
    stamps = []
    for path in paths:
        if not isinstance(path, (str, bytes, os.PathLike)):
            return None  # an open file object: its content can change under us
        try:
            st = os.stat(path)
        except OSError:
            return None
        stamps.append((os.fspath(path), st.st_size, st.st_mtime_ns))
    return (type(corpus).__name__, tuple(stamps), getattr(corpus, "limit", None),
            getattr(corpus, "max_sentence_length", None))
