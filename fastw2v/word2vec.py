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
  where no word reaches ``min_count`` raises :class:`~fastw2v.errors.EmptyCorpusError`
  (a ``ValueError`` and, as in gensim, a ``RuntimeError``) in ``build_vocab``.
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Iterator
from types import GeneratorType

import numpy as np

from . import params as _params
from . import vocab as _vocab
from .compat import class_only_method
from .corpus.sources import is_uri
from .errors import EmptyCorpusError
from .keyedvectors import KeyedVectors
from .vector_store import padded_rows, prep_vectors
from .memory_budget import default_memory_budget
from .read_once import ReadOnce
from .trainer import row_lock_factors, run_training

logger = logging.getLogger("fastw2v")

MAX_WORDS_IN_BATCH = _params.BY_NAME["batch_words"].default


def refuse_update_without_vocab(update, prior_rows):
    """gensim's RuntimeError for ``build_vocab(update=True)`` on a model without a vocabulary."""
    if update and (prior_rows is None or not len(prior_rows)):
        raise RuntimeError("You cannot do an online vocabulary-update of a model which has no "
                           "prior vocabulary. First build the vocabulary with a corpus.")


def grown_lock_factors(lockf, n):
    """gensim's lock factors for ``n`` rows after the vocabulary grew (or None: a new model).

    One value for every row until a user sets more; per-row factors keep theirs and the
    new rows train fully."""
    if lockf is None:
        return np.ones(1, dtype=np.float32)
    if len(lockf) > 1:
        return np.concatenate([lockf, np.ones(n - len(lockf), np.float32)])
    return lockf


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
        Bytes of encoded corpus (4 per token) kept in RAM (fastw2v only). The default is
        a quarter of the memory this process may use -- the least of its cgroup's limit
        minus usage (cgroup v2 or v1, as containers set) and the machine's available
        memory -- at most 2 GiB (:func:`fastw2v.memory_budget.default_memory_budget`).
        Past it the stream spills to a temporary, memory-mapped file, so a corpus larger
        than RAM still trains. It also bounds the ids that ``build_vocab`` keeps from its
        read of a ``corpus_file`` or of fastw2v's own readers, so that ``train`` on the
        same files need not read them again; beyond it, ``train`` reads them again.
    progress : None, bool or fastw2v.progress.Reporter, keyword-only
        How training reports progress (fastw2v only): None logs lines through the
        ``fastw2v`` logger every ``report_delay`` seconds, like gensim; True draws a tqdm
        bar over training and vocabulary scans;
        False is silent. See :mod:`fastw2v.progress`.
    """

    #: The hyper-parameter table this class checks, saves and loads (fastw2v.params).
    _PARAMS = _params.BY_NAME

    def __init__(self, sentences=None, corpus_file=None, vector_size=100, alpha=0.025, window=5,
                 min_count=5, max_vocab_size=None, sample=1e-3, seed=1, workers=3,
                 min_alpha=0.0001, sg=0, hs=0, negative=5, ns_exponent=0.75, cbow_mean=1,
                 hashfxn=hash, epochs=5, null_word=0, trim_rule=None, sorted_vocab=1,
                 batch_words=MAX_WORDS_IN_BATCH, compute_loss=False, callbacks=(), comment=None,
                 max_final_vocab=None, shrink_windows=True, memory_budget=None, *, progress=None):
        given = locals()
        corpus_iterable = sentences
        self.progress = progress
        self.callbacks = callbacks
        # Every hyper-parameter is a row of fastw2v.params.PARAMS: set, coerce and check them
        # from that table (the signature above stays gensim's, for readers and IDEs).
        for name in _params.BY_NAME:
            setattr(self, name, given[name])
        self._read_once = ReadOnce()  # build_vocab()'s read, kept for the next train()
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
        self.wv = self._new_vectors()
        self._vocab = None  # fastw2v.vocab.Vocab: the words and the objective's tables

        # Given a corpus, build the vocabulary and train.
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

    def _new_vectors(self):
        """The empty vectors a new model starts with (FastText's have n-gram buckets)."""
        return KeyedVectors(self.vector_size)

    # ------------------------------------------------------------ checks

    def _check_params(self):
        """Coerce and range-check the hyper-parameters (:mod:`fastw2v.params`); ValueError names the culprit."""
        checked = _params.check_params({name: getattr(self, name) for name in self._PARAMS},
                                       self._PARAMS)
        for name, value in checked.items():
            setattr(self, name, value)

    def _memory_budget(self):
        """``memory_budget``, or when None the default for this process now (a saved model
        keeps None, so it adapts to the machine that loads it)."""
        return self.memory_budget if self.memory_budget is not None else default_memory_budget()

    def _check_corpus_sanity(self, corpus_iterable=None, corpus_file=None, passes=1):
        if corpus_file is None and corpus_iterable is None:
            raise TypeError("Either one of corpus_file or corpus_iterable value must be provided")
        if corpus_file is not None and corpus_iterable is not None:
            raise TypeError("Both corpus_file and corpus_iterable must not be provided at the same time")
        if corpus_file is not None:
            path = os.fspath(corpus_file)
            if is_uri(path):
                raise ValueError(f"corpus_file reads local files (its threads seek to byte "
                                 f"ranges); stream {path!r} with LineSentence({path!r}) instead")
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

    def scan_vocab(self, corpus_iterable=None, corpus_file=None, progress_per=10000, workers=None,
                   trim_rule=None):
        """Count words into ``self.raw_vocab``; return ``(total_words, corpus_count)``."""
        scan = self._read_once.scan(
            corpus_iterable, corpus_file, workers=int(workers or self.workers),
            max_vocab_size=self.max_vocab_size, trim_rule=trim_rule,
            memory_budget=self._memory_budget(), progress=self.progress, progress_per=progress_per)
        keys, counts = scan.keys, scan.counts
        total_words, corpus_count = scan.total_words, scan.corpus_count
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
            raise EmptyCorpusError("the corpus is empty: it has no tokens to build a vocabulary from")
        report = self.prepare_vocab(update=update, keep_raw_vocab=keep_raw_vocab, trim_rule=trim_rule)
        report["memory"] = self.estimate_memory(vocab_size=report["num_retained_words"])
        self.prepare_weights(update=update)
        return report

    def build_vocab_from_freq(self, word_freq, keep_raw_vocab=False, corpus_count=None,
                              trim_rule=None, update=False):
        """Build the vocabulary from a ``{word: count}`` mapping instead of a corpus."""
        raw_vocab = _vocab.plain_keys(dict(word_freq))
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
        """Apply min_count / max_final_vocab / trim_rule, sort, and build the objective's tables.

        The rules and tables are :func:`fastw2v.vocab.build`'s; this method feeds it the
        last scan's counts and installs the :class:`~fastw2v.vocab.Vocab` it returns.
        Returns gensim's report dict.
        """
        min_count = self.min_count if min_count is None else min_count
        sample = self.sample if sample is None else sample
        keys, counts = self._scan_counts()
        prior = None
        if update:
            if not len(self.wv.index_to_key):
                raise RuntimeError(
                    "You cannot do an online vocabulary-update of a model which has no prior vocabulary. "
                    "First build the vocabulary of your model with a corpus before doing an online update.")
            prior = _vocab.Vocab(list(self.wv.index_to_key),
                                 np.asarray(self.wv.expandos["count"], np.int64),
                                 self.wv.expandos.get("sample_int"))
        if dry_run:
            report = _vocab.select(keys, counts, min_count=min_count,
                                   max_final_vocab=self.max_final_vocab, trim_rule=trim_rule)[2]
            self.effective_min_count = report.pop("effective_min_count")
            return report
        vocab, report = _vocab.build(
            keys, counts, min_count=min_count, sample=sample, ns_exponent=self.ns_exponent,
            hs=self.hs, negative=self.negative, sorted_vocab=self.sorted_vocab,
            null_word=self.null_word, max_final_vocab=self.max_final_vocab, trim_rule=trim_rule,
            prior=prior)
        self.effective_min_count = report.pop("effective_min_count")
        if vocab is None:
            top = int(np.argmax(counts)) if len(counts) else None
            raise EmptyCorpusError(
                f"no word reaches min_count={self.effective_min_count}: the corpus has "
                f"{len(keys)} distinct words, the most frequent "
                f"({keys[top] if top is not None else None!r}) appears "
                f"{counts[top] if top is not None else 0} times; lower min_count or give a larger corpus")
        if not update:
            self.min_count, self.sample = min_count, sample
        self._set_vocab(vocab)
        if not keep_raw_vocab:
            self.raw_vocab = {}
        logger.info("vocabulary: %i words kept (effective_min_count=%i), %i dropped; "
                    "subsampling leaves ~%i of %i words", len(vocab), self.effective_min_count,
                    report["drop_unique"], report["downsample_total"], report["retain_total"])
        return report

    def _scan_counts(self):
        """The last scan's distinct tokens and counts (a list and an int64 array)."""
        if self._raw_arrays is not None:
            keys, counts = self._raw_arrays
            return keys, np.asarray(counts, dtype=np.int64)
        raw_vocab = self.raw_vocab or {}
        return list(raw_vocab), np.fromiter(raw_vocab.values(), dtype=np.int64, count=len(raw_vocab))

    def _set_vocab(self, vocab):
        """Make ``vocab`` the model's: ``wv`` shares its words and counts."""
        self._vocab = vocab
        wv = self.wv
        wv.index_to_key = vocab.words
        wv.key_to_index = dict(zip(vocab.words, range(len(vocab.words))))
        wv.expandos = {"count": vocab.counts, "sample_int": vocab.sample_int}
        # gensim keeps each word's Huffman path as per-key 'code'/'point' attributes;
        # here they are read from the tree's arrays on demand.
        wv.derived_attrs = {"code": vocab.code_of, "point": vocab.point_of} if self.hs else {}

    def prepare_weights(self, update=False):
        """Initialise (or, with ``update``, extend) the input and output matrices."""
        n = len(self.wv.index_to_key)
        self._prepare_inputs(update, n)
        if self.hs:
            # n rows, gensim's shape; the Huffman tree uses the first n - 1 (one per inner node).
            self.syn1 = self._grow(getattr(self, "syn1", None) if update else None, n)
        if self.negative:
            self.syn1neg = self._grow(getattr(self, "syn1neg", None) if update else None, n)

    def _prepare_inputs(self, update, n):
        """``wv.vectors``: random rows, the prior ones kept on ``update``; lock factors."""
        prior = self.wv.vectors if update and getattr(self.wv, "vectors", None) is not None else None
        refuse_update_without_vocab(update, prior)
        lockf = getattr(self.wv, "vectors_lockf", None) if update else None
        self.wv.vectors = prep_vectors((n, self.vector_size), prior, seed=self.seed)
        self.wv.vectors_lockf = grown_lock_factors(lockf, n)
        self.wv.vector_size = self.vector_size

    def _grow(self, prior, rows):
        """An output layer of ``rows`` rows, zeros after the ``prior`` ones it keeps; rows
        on whole cache lines (padded_rows), where the kernels update them fastest."""
        out = padded_rows(rows, self.layer1_size)
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

    # ------------------------------------------------------------ training

    def _check_training_sanity(self, epochs=None, total_examples=None, total_words=None):
        if epochs is None or isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) \
                or epochs <= 0:
            raise ValueError("You must specify an explicit epochs count (a positive integer). "
                             "The usual value is epochs=model.epochs.")
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
        if self.hs and self.negative:
            logger.warning("Both hierarchical softmax and negative sampling are activated. They train "
                           "one set of input vectors for two objectives; set hs=0 or negative=0 "
                           "unless that is what you want.")

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
                    raise EmptyCorpusError("the training corpus is empty")
                logger.warning("no word of the training corpus is in the vocabulary; nothing trained")
                return 0, stream.raw_words * epochs
            self.partially_trained = True
            result = run_training(
                self, stream, epochs=epochs, start_alpha=self.alpha, end_alpha=self.min_alpha,
                compute_loss=self.compute_loss, callbacks=callbacks, report_delay=report_delay,
                seed=self._job_seed(), progress=self.progress, sync=self._round_sync(stream))
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

    def _kernel_inputs(self):
        """The input side of the training job, as TrainJob keywords: ``syn0`` (the rows the
        kernels train as inputs) and ``lockf`` (their lock factors, None when all 1)."""
        return {"syn0": self.wv.vectors, "lockf": row_lock_factors(self.wv)}

    def _input_matrices(self):
        """``(name, matrix)`` of each input matrix training writes (checked finite per epoch)."""
        return [("wv.vectors", self.wv.vectors)]

    def _inputs_trained(self):
        """After an epoch: what is derived from the input rows is stale (the norms cache)."""
        self.wv.vectors_changed()  # training wrote into wv.vectors: the setter cannot see it

    def _round_sync(self, stream):
        """None: each epoch is one round (fastw2v.distributed.Word2Vec syncs ranks between rounds)."""
        return None

    def _job_seed(self):
        # Distinct but reproducible random streams for each train() call of a model.
        return (int(self.seed) * 1000003 + self.train_count) & 0xFFFFFFFFFFFFFFFF

    def _encode(self, corpus_iterable, corpus_file):
        """Read the corpus once into an id stream (with a bar or log lines, as ``progress`` says)."""
        return self._read_once.encode(corpus_iterable, corpus_file, self.wv.key_to_index,
                                      workers=self.workers, memory_budget=self._memory_budget(),
                                      progress=self.progress)

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
        syn1neg = getattr(self, "syn1neg", None)
        if syn1neg is None or len(syn1neg) != len(self.wv.index_to_key):
            raise RuntimeError("predict_output_word needs the output weights syn1neg for this "
                               "vocabulary: train the model (vectors alone cannot predict)")
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

    def score(self, sentences, total_sentences=int(1e6), chunksize=100, queue_factor=2,
              report_delay=1):
        """Log probability of each sentence under the model (hierarchical softmax only).

        Parameters
        ----------
        sentences : iterable of list of str
        total_sentences : int
            Score at most this many sentences.
        chunksize, queue_factor, report_delay
            Accepted for gensim compatibility; unused (scoring is numpy over each sentence).

        Returns
        -------
        numpy.ndarray of float32
            One score per sentence: the sum, over each word and each context word within
            ``window``, of log P(word | context) along the word's Huffman path (skip-gram:
            one context word at a time; CBOW: the context's mean or sum). Unlike gensim's,
            saturated scores are summed exactly instead of being skipped.
        """
        if not self.wv.key_to_index:
            raise RuntimeError("you must first build vocabulary before scoring new data")
        if not self.hs:
            raise RuntimeError(
                "We have currently only implemented score for the hierarchical softmax scheme, "
                "so you need to have run word2vec with hs=1 and negative=0 for this to work.")
        scores = []
        for sentence_no, sentence in enumerate(sentences):
            if sentence_no >= total_sentences:
                break
            ids = [self.wv.key_to_index[w] for w in sentence if w in self.wv.key_to_index]
            scores.append(self._score_ids(ids[:MAX_WORDS_IN_BATCH]))
        return np.array(scores, dtype=np.float32)

    def _score_ids(self, ids):
        vocab, syn0, syn1 = self._vocab, self.wv.vectors, self.syn1
        total = 0.0
        for i, word in enumerate(ids):
            context = ids[max(0, i - self.window):i] + ids[i + 1:i + 1 + self.window]
            if not context:
                continue
            lo, hi = vocab.path_offsets[word], vocab.path_offsets[word + 1]
            nodes = syn1[vocab.points[lo:hi]].astype(np.float64)
            sign = 1.0 - 2.0 * vocab.codes[lo:hi]
            if self.sg:
                f = (syn0[context].astype(np.float64) @ nodes.T) * sign
            else:
                hidden = syn0[context].astype(np.float64).sum(axis=0)
                if self.cbow_mean:
                    hidden /= len(context)
                f = (nodes @ hidden) * sign
            total -= float(np.logaddexp(0.0, -f).sum())  # log sigmoid, without overflow
        return total

    def reset_from(self, other_model):
        """Take ``other_model``'s vocabulary and corpus counts, and reset the weights."""
        self._set_vocab(_vocab.Vocab.from_counts(
            list(other_model.wv.index_to_key), other_model.wv.expandos["count"], sample=self.sample,
            ns_exponent=self.ns_exponent, hs=self.hs, negative=self.negative))
        self.corpus_count = other_model.corpus_count
        self.corpus_total_words = other_model.corpus_total_words
        self.init_weights()

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

    #: The ``kind`` of this class's native model files (fastw2v.io.model_file).
    _FILE_KIND = "Word2Vec"

    def _input_arrays(self):
        """The input matrices a native save writes, by array name."""
        return {"vectors": self.wv.vectors}

    @classmethod
    def _input_shapes(cls, params, n):
        """The shapes `_input_arrays` must have for ``n`` words and ``params`` (checked on
        save and load)."""
        return {"vectors": (n, params["vector_size"])}

    def _set_input_arrays(self, arrays):
        """Install the loaded input matrices (the vocabulary is already set)."""
        self.wv.vectors = arrays["vectors"]

    def _file_meta(self):
        """This class's own JSON fields of a native save (none for Word2Vec)."""
        return {}

    def _read_file_meta(self, meta):
        """Take this class's own fields from a loaded file's JSON, before the vocabulary."""

    def save(self, fname, *args, **kwargs):
        """Save the whole model (vectors, output weights, vocabulary, parameters) natively.

        No pickle: arrays go to ``.npy`` side files and everything else to a JSON
        file at ``fname``, replaced atomically (see :mod:`fastw2v.io.model_file`).

        Raises
        ------
        fastw2v.io.errors.FormatError
            If the arrays do not match the vocabulary (a model that could not be
            loaded back); an existing ``fname`` is then left untouched.
        """
        from .io.model_file import save_model
        save_model(self, fname)
        from .similarities._attach import save_index_beside
        save_index_beside(fname, self.wv)  # self.wv.indexer, if any (fastw2v.similarities)

    @classmethod
    def from_gensim(cls, gensim_model):
        """A fastw2v model holding a copy of a gensim ``Word2Vec``: vocabulary, counts,
        vectors, ``syn1neg``/``syn1`` with gensim's Huffman tree, parameters and counters,
        so training continues here where gensim stopped."""
        from .io.gensim_convert import word2vec_from_gensim
        return word2vec_from_gensim(cls, gensim_model)

    def to_gensim(self):
        """A gensim ``Word2Vec`` holding a copy of this model, ready to train on (needs gensim)."""
        from .io.gensim_convert import word2vec_to_gensim
        return word2vec_to_gensim(self)

    @class_only_method
    def load(cls, fname, mmap=None, **kwargs):
        """Load a model written by :meth:`save`; ``mmap='r'`` maps the arrays read-only."""
        from .io.model_file import load_model
        from .similarities._attach import load_index_beside
        model = load_model(cls, fname, mmap=mmap)
        model.wv.indexer = load_index_beside(fname, model.wv, mmap)  # saved with the model, if it was
        return model
