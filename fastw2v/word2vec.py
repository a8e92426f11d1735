"""``Word2Vec``: gensim 4.x's model class on fastw2v's layers.

Layer 6 of the design. The class keeps gensim's names, defaults and behaviour
(``build_vocab`` then ``train``, attributes ``wv``, ``syn1neg``, ``syn1``,
``corpus_count``...), checks every parameter, and delegates the work:
counting to :mod:`fastw2v.vocab` (or the C reader for ``corpus_file``), encoding
to :mod:`fastw2v.encode`, training to :mod:`fastw2v.trainer`.

Differences from gensim, on purpose:

* A corpus is read and encoded once per ``train()`` call; later epochs run on the
  int32 id stream (so the iterable must yield the same sentences each pass, as
  gensim also assumes).
* Sentences longer than 10,000 tokens are split, not truncated.
* The loss is tallied in float64 per thread and summed, so it neither saturates
  nor races; ``get_latest_training_loss()`` is the loss of the latest ``train()`` call.
* Negative samples come from an alias table (exact ``count ** ns_exponent``
  distribution) rather than gensim's ``cum_table``; skip-gram shares one set of
  negatives per window (HogBatch).
* Parameters out of range raise ``ValueError`` up front, an empty corpus or one
  where no word reaches ``min_count`` raises ``ValueError`` in ``build_vocab``.
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Iterator
from types import GeneratorType

import numpy as np

from . import vocab as _vocab
from .encode import (DEFAULT_MEMORY_BUDGET, ScannedCorpus, encode_file, encode_iterable, remap,
                     scan_iterable)
from .keyedvectors import KeyedVectors
from .progress import FileProgress, wrap_sentences
from .trainer import run_training

logger = logging.getLogger("fastw2v")

MAX_WORDS_IN_BATCH = 10000

_INT_PARAMS = ("vector_size", "window", "workers", "sg", "hs", "negative", "cbow_mean", "epochs",
               "null_word", "sorted_vocab", "batch_words", "min_count")


def _prep_vectors(target_shape, prior_vectors=None, seed=0):
    """Random initial vectors, uniform in [-1/size, 1/size) (gensim's scheme and generator)."""
    rng = np.random.default_rng(seed=seed)
    vectors = rng.random(target_shape, dtype=np.float32)
    vectors *= 2.0
    vectors -= 1.0
    vectors /= target_shape[1]
    if prior_vectors is not None and len(prior_vectors):
        vectors[:prior_vectors.shape[0]] = prior_vectors
    return vectors


class Word2Vec:
    """Train, use and evaluate word2vec embeddings (gensim 4.x's API).

    Parameters
    ----------
    sentences : iterable of list of str, optional
        A restartable corpus, e.g. :class:`~fastw2v.LineSentence`. Given a corpus (this or
        ``corpus_file``), the model builds its vocabulary and trains right away.
    corpus_file : str or os.PathLike, optional
        Plain-text corpus, one sentence per line, tokens separated by ASCII whitespace.
        Read by ``workers`` threads in parallel.
    vector_size : int
        Dimensionality of the word vectors.
    alpha, min_alpha : float
        Learning rate decays linearly from ``alpha`` to ``min_alpha`` over all words of all epochs.
    window : int
        Maximum distance between the current and the predicted word.
    min_count : int
        Ignore words with total frequency below this.
    max_vocab_size : int, optional
        Prune the rarest words during the vocabulary scan when more distinct words are seen.
    sample : float
        Subsampling threshold for frequent words (word2vec's formula); 0 disables.
    seed : int
        Seed of the initial vectors and of the threads' random streams.
    workers : int
        Training threads. With ``workers=1`` a seeded run is bit-reproducible.
    sg : {0, 1}
        1 for skip-gram, 0 for CBOW.
    hs : {0, 1}
        1 for hierarchical softmax.
    negative : int
        Negative samples per positive example; 0 disables negative sampling.
    ns_exponent : float
        Exponent of the negative-sampling distribution ``count ** ns_exponent``.
    cbow_mean : {0, 1}
        CBOW hidden layer is the mean (1) or the sum (0) of the context vectors.
    hashfxn : callable
        Accepted for compatibility; unused (initial vectors come from ``seed``).
    epochs : int
        Passes over the corpus.
    null_word : {0, 1}
        Add gensim's null pseudo-word ``'\\0'`` to the vocabulary.
    trim_rule : callable, optional
        ``trim_rule(word, count, min_count)`` returning ``RULE_DISCARD``, ``RULE_KEEP`` or
        ``RULE_DEFAULT`` (see :mod:`fastw2v.vocab`); used during ``build_vocab`` only.
    sorted_vocab : {0, 1}
        Sort the vocabulary by descending frequency.
    batch_words : int
        Words per unit of work that threads take.
    compute_loss : bool
        Tally the training loss (see :meth:`get_latest_training_loss`).
    callbacks : sequence of CallbackAny2Vec
    comment : str, optional
    max_final_vocab : int, optional
        Raise ``min_count`` so that at most this many words are kept.
    shrink_windows : bool
        Draw each window's effective size uniformly from 1..window (word2vec's default).
    memory_budget : int, optional
        Bytes of encoded corpus (4 per token) kept in RAM, default 2 GiB (fastw2v only).
        Past it the stream spills to a temporary, memory-mapped file, so a corpus larger
        than RAM still trains. It also bounds the ids that ``build_vocab`` keeps from its
        read of a ``corpus_file`` or of fastw2v's own readers, so that ``train`` on the
        same files need not read them again; beyond it, ``train`` reads them again.
    progress : None, bool or fastw2v.progress.Reporter, keyword-only
        How training reports progress (fastw2v only): None logs lines through the
        ``fastw2v`` logger every ``report_delay`` seconds, like gensim; True draws a tqdm
        bar (``pip install fastw2v[progress]``) over training and vocabulary scans;
        False is silent. See :mod:`fastw2v.progress`.
    """

    def __init__(self, sentences=None, corpus_file=None, vector_size=100, alpha=0.025, window=5,
                 min_count=5, max_vocab_size=None, sample=1e-3, seed=1, workers=3,
                 min_alpha=0.0001, sg=0, hs=0, negative=5, ns_exponent=0.75, cbow_mean=1,
                 hashfxn=hash, epochs=5, null_word=0, trim_rule=None, sorted_vocab=1,
                 batch_words=MAX_WORDS_IN_BATCH, compute_loss=False, callbacks=(), comment=None,
                 max_final_vocab=None, shrink_windows=True, memory_budget=None, *, progress=None):
        corpus_iterable = sentences
        self.progress = progress
        self.vector_size = vector_size
        self.alpha = alpha
        self.window = window
        self.min_count = min_count
        self.max_vocab_size = max_vocab_size
        self.sample = sample
        self.seed = seed
        self.workers = workers
        self.min_alpha = min_alpha
        self.sg = sg
        self.hs = hs
        self.negative = negative
        self.ns_exponent = ns_exponent
        self.cbow_mean = cbow_mean
        self.hashfxn = hashfxn
        self.epochs = epochs
        self.null_word = null_word
        self.sorted_vocab = sorted_vocab
        self.batch_words = batch_words
        self.compute_loss = bool(compute_loss)
        self.callbacks = callbacks
        self.comment = comment
        self.max_final_vocab = max_final_vocab
        self.shrink_windows = bool(shrink_windows)
        self.memory_budget = DEFAULT_MEMORY_BUDGET if memory_budget is None else memory_budget
        self._scanned = None  # (corpus, fingerprint, ScannedCorpus) of the last one-pass scan
        self._check_params()

        self.layer1_size = self.vector_size
        self.train_count = 0
        self.total_train_time = 0.0
        self.running_training_loss = 0.0
        self.min_alpha_yet_reached = float(self.alpha)
        self.corpus_count = 0
        self.corpus_total_words = 0
        self.effective_min_count = self.min_count
        self.raw_vocab = None
        self.partially_trained = False
        self.wv = KeyedVectors(self.vector_size)
        self._init_tables()

        if corpus_iterable is not None or corpus_file is not None:
            self._check_corpus_sanity(corpus_iterable, corpus_file, passes=self.epochs + 1)
            self.build_vocab(corpus_iterable=corpus_iterable, corpus_file=corpus_file,
                             trim_rule=trim_rule)
            self.train(corpus_iterable=corpus_iterable, corpus_file=corpus_file,
                       total_examples=self.corpus_count, total_words=self.corpus_total_words,
                       epochs=self.epochs, start_alpha=self.alpha, end_alpha=self.min_alpha,
                       compute_loss=self.compute_loss, callbacks=callbacks)
        elif trim_rule is not None:
            logger.warning("trim_rule is only used by build_vocab(); without a corpus it is ignored")

    # ------------------------------------------------------------ checks

    def _check_params(self):
        """Coerce and range-check the hyper-parameters; ValueError names the culprit."""
        for name in _INT_PARAMS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    raise ValueError(f"{name} must be an integer, got {value!r}")
            setattr(self, name, int(value))
        for name in ("alpha", "min_alpha", "sample", "ns_exponent"):
            value = getattr(self, name)
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"{name} must be a number, got {value!r}") from None
            if not np.isfinite(value):
                raise ValueError(f"{name} must be finite, got {value!r}")
            setattr(self, name, value)
        positive = ("vector_size", "window", "workers", "batch_words")
        for name in positive:
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        for name in ("alpha", "min_alpha", "sample", "min_count", "negative", "epochs"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")
        for name in ("sg", "hs", "cbow_mean", "null_word", "sorted_vocab"):
            if getattr(self, name) not in (0, 1):
                raise ValueError(f"{name} must be 0 or 1, got {getattr(self, name)}")
        if not self.hs and not self.negative:
            raise ValueError("hs=0 and negative=0 leave nothing to train: set hs=1 or negative > 0")
        for name in ("max_vocab_size", "max_final_vocab"):
            value = getattr(self, name)
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                    raise ValueError(f"{name} must be a positive integer or None, got {value!r}")
                setattr(self, name, int(value))
        if self.window > 10000:
            raise ValueError(f"window must be at most 10000, got {self.window}")
        if self.negative > 10000:
            raise ValueError(f"negative must be at most 10000, got {self.negative}")
        if isinstance(self.memory_budget, bool) or not isinstance(self.memory_budget, (int, np.integer)) \
                or self.memory_budget < 0:
            raise ValueError(f"memory_budget must be a non-negative integer, got {self.memory_budget!r}")

    def _check_corpus_sanity(self, corpus_iterable=None, corpus_file=None, passes=1):
        if corpus_file is None and corpus_iterable is None:
            raise TypeError("Either one of corpus_file or corpus_iterable value must be provided")
        if corpus_file is not None and corpus_iterable is not None:
            raise TypeError("Both corpus_file and corpus_iterable must not be provided at the same time")
        if corpus_file is not None:
            path = os.fspath(corpus_file)
            if not os.path.exists(path):
                raise FileNotFoundError(f"corpus_file {path!r} does not exist")
            if not os.path.isfile(path):
                raise ValueError(f"corpus_file {path!r} is not a regular file")
            if os.path.getsize(path) == 0:
                raise ValueError(f"corpus_file {path!r} is empty")
            return
        if isinstance(corpus_iterable, (str, bytes)):
            raise TypeError(
                "corpus_iterable must be an iterable of token lists, got a string; "
                "for a file path use corpus_file=... or LineSentence(path)")
        if not isinstance(corpus_iterable, Iterable):
            raise TypeError(
                f"The corpus_iterable must be an iterable of lists of strings, got {corpus_iterable!r}")
        if passes > 1 and (isinstance(corpus_iterable, (GeneratorType, Iterator))):
            raise TypeError(
                f"corpus_iterable is a one-shot {type(corpus_iterable).__name__}: it can be read once, "
                f"but training needs {passes} passes (vocabulary + epochs). Pass a restartable "
                "iterable, e.g. a list, LineSentence, or a class whose __iter__ reopens the data.")

    # ------------------------------------------------------------ vocabulary

    def _init_tables(self):
        self._alias_prob = np.zeros(0, np.uint32)
        self._alias_index = np.zeros(0, np.int32)
        self._codes = np.zeros(0, np.uint8)
        self._points = np.zeros(0, np.int32)
        self._path_offsets = np.zeros(1, np.int64)

    def scan_vocab(self, corpus_iterable=None, corpus_file=None, progress_per=10000, workers=None,
                   trim_rule=None):
        """Count words into ``self.raw_vocab``; return ``(total_words, corpus_count)``."""
        self._scanned = None  # a scan stands for its corpus only until the next one
        fingerprint = _fingerprint(corpus_iterable) \
            if corpus_file is None and self.max_vocab_size is None else None
        if corpus_file is not None:
            from .corpus._filescan import scan_encode, scan_vocab as _scan_file
            path = os.fspath(corpus_file)
            shown = FileProgress(self._file_progress_mode(), os.path.getsize(path), "vocabulary")
            try:
                if self.max_vocab_size is None:
                    # One read: the scan also writes the file as provisional ids (within
                    # memory_budget), which train() on the unchanged file remaps.
                    stamp = _file_fingerprint(path)
                    keys, counts, total_words, corpus_count, ids, lengths = scan_encode(
                        path, n_threads=int(workers or self.workers),
                        max_id_bytes=self.memory_budget, progress=shown)
                    if ids is not None and stamp is not None:
                        self._scanned = (("file", path), stamp, ScannedCorpus(
                            keys, counts, ids, lengths, total_words, corpus_count))
                else:  # pruning while counting renumbers the words: count only
                    keys, counts, total_words, corpus_count, _ = _scan_file(
                        path, n_threads=int(workers or self.workers),
                        max_vocab_size=self.max_vocab_size, progress=shown)
            finally:
                shown.close()
        elif fingerprint is not None:
            # A corpus read from files by fastw2v's own readers: one pass both counts and
            # encodes (as provisional ids), and train() on the same, unchanged corpus
            # remaps that instead of reading and splitting every line again.
            scanned = scan_iterable(wrap_sentences(corpus_iterable, self.progress), self.memory_budget,
                                    progress_per if self.progress is None else 0, _log_scan)
            keys, counts = scanned.words, scanned.counts
            total_words, corpus_count = scanned.raw_words, scanned.corpus_count
            self._scanned = (corpus_iterable, fingerprint, scanned)
        else:
            # Any other iterable is read again by train(), as gensim does (it may be user
            # code with its own idea of a second pass); pruning during the scan
            # (max_vocab_size) needs counts as it goes. Log lines only in logging mode:
            # the bar replaces them, progress=False silences them.
            counted, total_words, corpus_count, _ = _vocab.count_words(
                wrap_sentences(corpus_iterable, self.progress), self.max_vocab_size, trim_rule,
                progress_per if self.progress is None else 0)
            keys = list(counted)
            counts = np.fromiter(counted.values(), dtype=np.int64, count=len(keys))
        # Keys and counts as arrays; the raw_vocab dict is built if someone reads it.
        self._raw_vocab, self._raw_arrays = None, (keys, counts)
        logger.info("collected %i word types from a corpus of %i raw words and %i sentences",
                    len(keys), total_words, corpus_count)
        return int(total_words), int(corpus_count)

    @property
    def raw_vocab(self):
        """Every word of the last scan with its count (a dict, as in gensim).

        A scan keeps the counts as arrays and this dict is built on first access:
        ``build_vocab`` itself never needs it unless a trim_rule, max_final_vocab,
        update or null_word asks for it.
        """
        if self._raw_vocab is None and self._raw_arrays is not None:
            keys, counts = self._raw_arrays
            self._raw_vocab, self._raw_arrays = dict(zip(keys, counts.tolist())), None
        return self._raw_vocab

    @raw_vocab.setter
    def raw_vocab(self, value):
        self._raw_vocab, self._raw_arrays = value, None

    def build_vocab(self, corpus_iterable=None, corpus_file=None, update=False, progress_per=10000,
                    keep_raw_vocab=False, trim_rule=None, **kwargs):
        """Build the vocabulary from a corpus (one pass) and initialise the weights.

        Parameters
        ----------
        corpus_iterable : iterable of list of str, optional
        corpus_file : str, optional
        update : bool
            Add the corpus's new words to an existing vocabulary (counts are summed).
        progress_per : int
            Sentences between progress log lines.
        keep_raw_vocab : bool
            Keep ``self.raw_vocab`` (the counts before trimming) after building.
        trim_rule : callable, optional

        Raises
        ------
        ValueError
            If the corpus is empty or no word reaches ``min_count``.
        """
        self._check_corpus_sanity(corpus_iterable, corpus_file, passes=1)
        total_words, corpus_count = self.scan_vocab(
            corpus_iterable=corpus_iterable, corpus_file=corpus_file, progress_per=progress_per,
            trim_rule=trim_rule, workers=kwargs.get("workers"))
        self.corpus_count = corpus_count
        self.corpus_total_words = total_words
        if total_words == 0:
            raise ValueError("the corpus is empty: it has no tokens to build a vocabulary from")
        report = self.prepare_vocab(update=update, keep_raw_vocab=keep_raw_vocab, trim_rule=trim_rule)
        report["memory"] = self.estimate_memory(vocab_size=report["num_retained_words"])
        self.prepare_weights(update=update)
        return report

    def build_vocab_from_freq(self, word_freq, keep_raw_vocab=False, corpus_count=None,
                              trim_rule=None, update=False):
        """Build the vocabulary from a ``{word: count}`` mapping instead of a corpus."""
        raw_vocab = dict(word_freq)
        _vocab.check_token_types(raw_vocab)
        for word, count in raw_vocab.items():
            if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
                raise ValueError(f"word_freq[{word!r}] must be a non-negative integer, got {count!r}")
        self.raw_vocab = raw_vocab
        self.corpus_count = corpus_count or 0
        self.corpus_total_words = int(sum(raw_vocab.values()))
        report = self.prepare_vocab(keep_raw_vocab=keep_raw_vocab, trim_rule=trim_rule, update=update)
        self.prepare_weights(update=update)
        return report

    def prepare_vocab(self, update=False, keep_raw_vocab=False, trim_rule=None, min_count=None,
                      sample=None, dry_run=False):
        """Apply min_count / max_final_vocab / trim_rule, sort, and build the sampling tables."""
        min_count = self.min_count if min_count is None else min_count
        sample = self.sample if sample is None else sample
        arrays = self._raw_arrays \
            if trim_rule is None and self.max_final_vocab is None and not update else None
        raw_vocab = {} if arrays is not None else (self.raw_vocab or {})
        self.effective_min_count = _vocab.effective_min_count(raw_vocab, min_count, self.max_final_vocab)
        kept_counts = None
        if trim_rule is None:  # the common case: numpy over the counts, no call per word
            if arrays is not None:  # straight from the scan, no dict
                keys, all_counts = arrays
                all_counts = np.asarray(all_counts, dtype=np.int64)
            else:
                keys = list(raw_vocab)
                all_counts = np.fromiter(raw_vocab.values(), dtype=np.int64, count=len(keys))
            kept_at = np.flatnonzero(all_counts >= self.effective_min_count)
            kept = [keys[i] for i in kept_at.tolist()]
            kept_counts = all_counts[kept_at]
            retain_total = int(kept_counts.sum())
        else:
            kept = [w for w, c in raw_vocab.items()
                    if _vocab.keep_vocab_item(w, c, self.effective_min_count, trim_rule)]
            retain_total = sum(raw_vocab[w] for w in kept)
        n_raw = len(arrays[0]) if arrays is not None else len(raw_vocab)
        report = {"drop_unique": n_raw - len(kept), "retain_total": retain_total,
                  "num_retained_words": len(kept)}
        if dry_run:
            return report
        wv = self.wv
        if not update:
            if arrays is not None and (not kept or self.null_word):
                raw_vocab = self.raw_vocab  # the rare cases that look words up: build the dict
            if not kept:
                top = max(raw_vocab.items(), key=lambda kv: kv[1], default=(None, 0))
                raise ValueError(
                    f"no word reaches min_count={self.effective_min_count}: the corpus has "
                    f"{len(raw_vocab)} distinct words, the most frequent ({top[0]!r}) appears "
                    f"{top[1]} times; lower min_count or give a larger corpus")
            words = kept
            counts = kept_counts if kept_counts is not None else \
                np.array([raw_vocab[w] for w in kept], dtype=np.int64)
            if self.null_word and "\0" not in raw_vocab:
                words = words + ["\0"]
                counts = np.append(counts, 1)
            if self.sorted_vocab:
                words, counts = _vocab.sort_by_descending_count(words, counts)
            self.min_count, self.sample = min_count, sample
        else:
            if not len(wv.index_to_key):
                raise RuntimeError(
                    "You cannot do an online vocabulary-update of a model which has no prior vocabulary. "
                    "First build the vocabulary of your model with a corpus before doing an online update.")
            words = list(wv.index_to_key)
            counts = np.array(wv.expandos["count"], dtype=np.int64)
            new_counts = []
            for w in kept:
                i = wv.key_to_index.get(w)
                if i is None:
                    words.append(w)
                    new_counts.append(raw_vocab[w])
                else:
                    counts[i] += raw_vocab[w]
            counts = np.concatenate([counts, np.array(new_counts, dtype=np.int64)])
        wv.index_to_key = list(words)
        wv.key_to_index = dict(zip(words, range(len(words))))
        thresholds, downsample_total = _vocab.sample_thresholds(counts, sample)
        wv.expandos = {"count": counts, "sample_int": thresholds}
        wv.norms = None
        report["downsample_total"] = int(downsample_total)
        if self.hs:
            self._codes, self._points, self._path_offsets = _vocab.huffman_tree(counts)
        if self.negative:
            self._alias_prob, self._alias_index = _vocab.alias_table(counts, self.ns_exponent)
        if not keep_raw_vocab:
            self.raw_vocab = {}
        logger.info("vocabulary: %i words kept (effective_min_count=%i), %i dropped; "
                    "subsampling leaves ~%i of %i words", len(words), self.effective_min_count,
                    report["drop_unique"], downsample_total, retain_total)
        return report

    def prepare_weights(self, update=False):
        """Initialise (or, with ``update``, extend) the input and output matrices."""
        n = len(self.wv.index_to_key)
        prior = self.wv.vectors if update and getattr(self.wv, "vectors", None) is not None else None
        if update and (prior is None or not len(prior)):
            raise RuntimeError("You cannot do an online vocabulary-update of a model which has no "
                               "prior vocabulary. First build the vocabulary with a corpus.")
        self.wv.vectors = _prep_vectors((n, self.vector_size), prior, seed=self.seed)
        self.wv.vector_size = self.vector_size
        self.wv.norms = None
        if self.hs:
            self.syn1 = self._grow(getattr(self, "syn1", None) if update else None, max(n - 1, 1))
        if self.negative:
            self.syn1neg = self._grow(getattr(self, "syn1neg", None) if update else None, n)

    def _grow(self, prior, rows):
        out = np.zeros((rows, self.layer1_size), dtype=np.float32)
        if prior is not None and len(prior):
            keep = min(len(prior), rows)
            out[:keep] = prior[:keep]
        return out

    def init_weights(self):
        """Reset all weights to an untrained state, keeping the vocabulary."""
        self.prepare_weights(update=False)

    def update_weights(self):
        """Extend the weights for words added by ``build_vocab(update=True)``."""
        self.prepare_weights(update=True)

    def _kernel_tables(self):
        return {
            "sample_int": self.wv.expandos["sample_int"],
            "alias_prob": self._alias_prob, "alias_index": self._alias_index,
            "codes": self._codes, "points": self._points, "path_offsets": self._path_offsets,
        }

    # ------------------------------------------------------------ training

    def _check_training_sanity(self, epochs=None, total_examples=None, total_words=None):
        if epochs is None or isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) \
                or epochs <= 0:
            raise ValueError("You must specify an explicit epochs count (a positive integer). "
                             "The usual value is epochs=model.epochs.")
        if not self.hs and not self.negative:
            raise ValueError("hs=0 and negative=0 leave nothing to train: set hs=1 or negative > 0")
        if not self.wv.key_to_index:
            raise RuntimeError("you must first build vocabulary before training the model")
        if getattr(self.wv, "vectors", None) is None or not len(self.wv.vectors):
            raise RuntimeError("you must initialize vectors before training the model")
        if total_words is None and total_examples is None:
            raise ValueError(
                "You must specify either total_examples or total_words, for proper learning-rate "
                "and progress calculations. If you've just built the vocabulary using the same "
                "corpus, using the count cached in the model is sufficient: "
                "total_examples=model.corpus_count.")
        if self.alpha > self.min_alpha_yet_reached:
            logger.warning("Effective 'alpha' higher than previous training cycles")

    def train(self, corpus_iterable=None, corpus_file=None, total_examples=None, total_words=None,
              epochs=None, start_alpha=None, end_alpha=None, word_count=0, queue_factor=2,
              report_delay=1.0, compute_loss=False, callbacks=(), **kwargs):
        """Train the model on a corpus, in ``workers`` threads, for ``epochs`` passes.

        Parameters
        ----------
        corpus_iterable : iterable of list of str, optional
        corpus_file : str, optional
        total_examples, total_words : int, optional
            Required (one of them), as in gensim; fastw2v counts the encoded corpus
            exactly and uses that for the learning-rate schedule.
        epochs : int
            Required.
        start_alpha, end_alpha : float, optional
            Override ``alpha`` / ``min_alpha`` (and store them, as gensim does).
        word_count, queue_factor : int
            Accepted for compatibility; unused.
        report_delay : float
            Seconds between progress log lines.
        compute_loss : bool
        callbacks : sequence of CallbackAny2Vec

        Returns
        -------
        (int, int)
            Words trained on after subsampling, and raw words read, over all epochs.
        """
        saved = (self.alpha, self.min_alpha, self.epochs)
        self.alpha = start_alpha or self.alpha
        self.min_alpha = end_alpha or self.min_alpha
        self.epochs = epochs
        try:
            self._check_params()
            self._check_training_sanity(epochs, total_examples, total_words)
            self._check_corpus_sanity(corpus_iterable, corpus_file, passes=epochs)
        except BaseException:
            # A refused call leaves the model as it was (no bad alpha/epochs stored).
            self.alpha, self.min_alpha, self.epochs = saved
            raise
        self.compute_loss = bool(compute_loss)
        self.running_training_loss = 0.0
        start = time.perf_counter()
        for cb in callbacks:
            cb.on_train_begin(self)
        stream = self._encode(corpus_iterable, corpus_file)
        try:
            if stream.n_words == 0:
                if stream.raw_words == 0:
                    raise ValueError("the training corpus is empty")
                logger.warning("no word of the training corpus is in the vocabulary; nothing trained")
                return 0, stream.raw_words * epochs
            self.partially_trained = True
            result = run_training(
                self, stream, epochs=epochs, start_alpha=self.alpha, end_alpha=self.min_alpha,
                compute_loss=self.compute_loss, callbacks=callbacks, report_delay=report_delay,
                seed=self._job_seed(), progress=self.progress)
        finally:
            stream.close()
        self.partially_trained = False
        self.running_training_loss = result.loss if self.compute_loss else 0.0
        self.min_alpha_yet_reached = self.min_alpha
        self.train_count += 1
        self.total_train_time += time.perf_counter() - start
        for cb in callbacks:
            cb.on_train_end(self)
        return result.effective_words, result.raw_words

    def _job_seed(self):
        # Distinct but reproducible random streams for each train() call of a model.
        return (int(self.seed) * 1000003 + self.train_count) & 0xFFFFFFFFFFFFFFFF

    def _file_progress_mode(self):
        # A custom Reporter instance only follows training; scans then stay quiet.
        return self.progress if self.progress is None or isinstance(self.progress, bool) else False

    def _encode(self, corpus_iterable, corpus_file):
        """Read the corpus once into an id stream (with a bar or log lines, as ``progress`` says)."""
        scanned, self._scanned = getattr(self, "_scanned", None), None
        if corpus_file is not None:
            path = os.fspath(corpus_file)
            if scanned is not None and scanned[0] == ("file", path) \
                    and scanned[1] == _file_fingerprint(path):
                logger.info("encoding %s from the build_vocab() scan (no second read)", path)
                return remap(scanned[2], self.wv.key_to_index)
            shown = FileProgress(self._file_progress_mode(), os.path.getsize(path), "encoding")
            try:
                return encode_file(path, self.wv.key_to_index, n_threads=self.workers,
                                   progress=shown, memory_budget=self.memory_budget)
            finally:
                shown.close()
        if scanned is not None and scanned[0] is corpus_iterable \
                and scanned[1] == _fingerprint(corpus_iterable):
            logger.info("encoding the corpus from the build_vocab() scan (no second pass)")
            return remap(scanned[2], self.wv.key_to_index)
        return encode_iterable(wrap_sentences(corpus_iterable, self.progress, desc="encoding"),
                               self.wv.key_to_index, memory_budget=self.memory_budget)

    def get_latest_training_loss(self):
        """Loss of the latest ``train()`` call (summed over all its examples), if ``compute_loss``."""
        return self.running_training_loss

    # ------------------------------------------------------------ use

    def predict_output_word(self, context_words_list, topn=10):
        """Probability distribution of the centre word given context words (NS models only).

        Returns a list of ``(word, probability)`` of length ``topn``, or None when every
        context word is unknown.
        """
        if not self.negative:
            raise RuntimeError(
                "We have currently only implemented predict_output_word for the negative sampling "
                "scheme, so you need to have run word2vec with negative > 0 for this to work.")
        indices = [self.wv.get_index(w) for w in context_words_list if w in self.wv]
        if not indices:
            logger.warning("All the input context words are out-of-vocabulary for the current model.")
            return None
        l1 = np.sum(self.wv.vectors[indices], axis=0, dtype=np.float64)
        if self.cbow_mean:
            l1 /= len(indices)
        scores = self.syn1neg.astype(np.float64) @ l1
        scores -= scores.max()  # softmax without overflow
        prob = np.exp(scores)
        prob /= prob.sum()
        top = np.argsort(-prob, kind="stable")[:topn]
        return [(self.wv.index_to_key[i], float(prob[i])) for i in top]

    def estimate_memory(self, vocab_size=None, report=None):
        """Estimated bytes needed for a vocabulary of ``vocab_size`` words (gensim's keys)."""
        vocab_size = vocab_size or len(self.wv.index_to_key)
        report = dict(report or {})
        itemsize = np.dtype(np.float32).itemsize
        report["vocab"] = vocab_size * (700 if self.hs else 500)
        report["vectors"] = vocab_size * self.vector_size * itemsize
        if self.hs:
            report["syn1"] = vocab_size * self.layer1_size * itemsize
        if self.negative:
            report["syn1neg"] = vocab_size * self.layer1_size * itemsize
        report["total"] = sum(report.values())
        return report

    def __str__(self):
        return (f"{type(self).__name__}<vocab={len(self.wv.index_to_key)}, "
                f"vector_size={self.vector_size}, alpha={self.alpha}>")

    __repr__ = __str__

    def __getitem__(self, key):
        raise TypeError("Word2Vec objects are not subscriptable: use model.wv[key] (as in gensim 4)")

    def __contains__(self, key):
        raise TypeError("use `key in model.wv` (as in gensim 4)")

    # ------------------------------------------------------------ persistence

    _PARAMS = ("vector_size", "alpha", "window", "min_count", "max_vocab_size", "sample", "seed",
               "workers", "min_alpha", "sg", "hs", "negative", "ns_exponent", "cbow_mean", "epochs",
               "null_word", "sorted_vocab", "batch_words", "compute_loss", "comment",
               "max_final_vocab", "shrink_windows", "memory_budget")
    _STATE = ("train_count", "total_train_time", "running_training_loss", "min_alpha_yet_reached",
              "corpus_count", "corpus_total_words", "effective_min_count", "partially_trained")

    def save(self, fname, *args, **kwargs):
        """Save the whole model (vectors, output weights, vocabulary, parameters) natively.

        No pickle: arrays go to ``.npy`` side files and everything else to a JSON
        file at ``fname``, replaced atomically (see :mod:`fastw2v.io.native`).
        """
        from .io.native import save_native
        from .similarities._attach import save_index_beside
        meta = {"params": {k: getattr(self, k) for k in self._PARAMS},
                "state": {k: getattr(self, k) for k in self._STATE},
                "index_to_key": list(self.wv.index_to_key)}
        if meta["params"]["comment"] is not None and not isinstance(meta["params"]["comment"], str):
            meta["params"]["comment"] = str(meta["params"]["comment"])
        arrays = {"vectors": self.wv.vectors, "count": self.wv.expandos["count"],
                  "sample_int": self.wv.expandos["sample_int"]}
        if self.hs:
            arrays.update(syn1=self.syn1, codes=self._codes, points=self._points,
                          path_offsets=self._path_offsets)
        if self.negative:
            arrays["syn1neg"] = self.syn1neg
        save_native(fname, arrays, meta, kind="Word2Vec")
        save_index_beside(fname, self.wv)  # self.wv.indexer, if any (fastw2v.similarities)

    @classmethod
    def load(cls, fname, mmap=None, **kwargs):
        """Load a model written by :meth:`save`; ``mmap='r'`` maps the arrays read-only."""
        from .io.errors import FormatError
        from .io.native import load_native
        from .similarities._attach import load_index_beside
        arrays, meta = load_native(fname, mmap=mmap, expected_kind="Word2Vec")
        try:
            model = cls._from_native(fname, arrays, meta)
        except FormatError:
            raise
        except (KeyError, TypeError, AttributeError, IndexError, ValueError, OverflowError) as err:
            # Whatever the JSON holds, a damaged file is reported as such, never as a KeyError.
            raise FormatError(fname, f"inconsistent Word2Vec model: {type(err).__name__}: {err}") from None
        model.wv.indexer = load_index_beside(fname, model.wv, mmap)  # saved with the model, if it was
        return model

    @classmethod
    def _from_native(cls, fname, arrays, meta):
        from .io.errors import FormatError
        params, state, words = meta.get("params"), meta.get("state"), meta.get("index_to_key")
        if not (isinstance(params, dict) and set(params) <= set(cls._PARAMS)
                and isinstance(state, dict) and set(state) <= set(cls._STATE)
                and isinstance(words, list) and all(type(w) is str for w in words)
                and len(set(words)) == len(words)
                and all(isinstance(v, (int, float)) for v in state.values())):
            raise FormatError(fname, "inconsistent Word2Vec model: bad 'params', 'state' or 'index_to_key'")
        params = dict(params)
        model = cls(**params)
        for k, v in state.items():
            setattr(model, k, v)
        words = list(words)
        n = len(words)
        vectors = arrays["vectors"]
        if vectors.ndim != 2 or vectors.shape != (n, model.vector_size) \
                or len(arrays["count"]) != n or len(arrays["sample_int"]) != n:
            raise FormatError(fname, f"arrays do not match the vocabulary of {n} words")
        if (model.hs and arrays["syn1"].shape != (max(n - 1, 1), model.layer1_size)) or \
                (model.negative and arrays["syn1neg"].shape != (n, model.layer1_size)):
            raise FormatError(fname, "output weights do not match the vocabulary")
        wv = model.wv
        wv.index_to_key = words
        wv.key_to_index = dict(zip(words, range(len(words))))
        wv.vectors = vectors
        wv.expandos = {"count": np.asarray(arrays["count"], np.int64),
                       "sample_int": np.asarray(arrays["sample_int"], np.uint32)}
        wv.norms = None
        if model.hs:
            model.syn1 = arrays["syn1"]
            model._codes = np.asarray(arrays["codes"], np.uint8)
            model._points = np.asarray(arrays["points"], np.int32)
            model._path_offsets = np.asarray(arrays["path_offsets"], np.int64)
        if model.negative:
            model.syn1neg = arrays["syn1neg"]
            model._alias_prob, model._alias_index = _vocab.alias_table(wv.expandos["count"],
                                                                       model.ns_exponent)
        return model


def _log_scan(sentence_no, words, distinct):
    logger.info("PROGRESS: at sentence #%i, processed %i words, keeping %i word types",
                sentence_no, words, distinct)


def _file_fingerprint(path):
    """(size, modification time) of a corpus_file, or None if it cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _fingerprint(corpus):
    """What must not have changed for a build_vocab() scan to stand for the corpus in train().

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
