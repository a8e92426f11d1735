"""``FastText``: gensim 4.x's FastText model on fastw2v's layers.

A FastText model is a :class:`~fastw2v.word2vec.Word2Vec` whose input row for a word is
the mean of the word's own row (``wv.vectors_vocab``) and the rows of its character
n-grams' hash buckets (``wv.vectors_ngrams``). Everything but the input side is
Word2Vec's: vocabulary, encoding, trainer threads, callbacks, loss, ``corpus_file`` and
iterables, continued training. The kernels receive the bucket matrix and each word's
bucket ids (CSR arrays built once per vocabulary by :mod:`fastw2v._ngrams`) and take
their subword windows (``ft_sg_window`` / ``ft_cbow_window``).

Differences from gensim, deliberate:

* As Facebook's fastText and gensim's ``adjust_vectors``, a skip-gram input row is the
  mean over the word row and its ``n`` bucket rows, ``(row + sum buckets) / (1 + n)``;
  gensim's skip-gram kernel divides that sum by ``n`` instead.
* ``wv.vectors`` (the composed word vectors) is recomputed after every epoch, so
  callbacks see current vectors; gensim recomputes it after ``train()``.
* Skip-gram shares one window's negatives across its context words (HogBatch), as
  fastw2v's Word2Vec does.

Beyond gensim: ``mode="floret"`` trains explosion's floret vectors (the format spaCy
reads): no word rows, a word and each of its n-grams take ``hash_count`` rows of one
``bucket``-row table, so 50,000-200,000 buckets can serve any vocabulary. The kernels
are the same, without word rows.
"""
from __future__ import annotations

import logging

import numpy as np

from . import params as _params
from .fasttext_vectors import FastTextKeyedVectors
from .trainer import kernel_factors
from .vector_store import per_row_factors
from .word2vec import (MAX_WORDS_IN_BATCH, Word2Vec, grown_lock_factors,
                       refuse_update_without_vocab)

logger = logging.getLogger("fastw2v")

__all__ = ["FastText"]


def _kernel_lockf(wv, matrix):
    """The kernels' lock factors of ``wv.<matrix>`` from ``wv.<matrix>_lockf`` (gensim's)."""
    name = matrix + "_lockf"
    return kernel_factors(per_row_factors(getattr(wv, name, None), len(getattr(wv, matrix)),
                                          "wv." + name))


class FastText(Word2Vec):
    """Train FastText embeddings: word2vec whose input rows include character n-grams.

    gensim 4.x's ``FastText`` constructor, defaults and attributes. Every parameter not
    listed here is :class:`~fastw2v.word2vec.Word2Vec`'s, with the same meaning.

    Parameters
    ----------
    sentences, corpus_file
        The corpus, as for ``Word2Vec``; given one, the model builds its vocabulary and
        trains right away.
    min_n, max_n : int
        Shortest and longest character n-gram (of the word wrapped in ``<`` ``>``).
        With ``max_n < min_n`` there are no n-grams and ``bucket`` becomes 0 (gensim);
        in floret mode the words themselves are still hashed, and ``bucket`` stays.
    bucket : int
        Hash buckets for the n-grams: rows of ``wv.vectors_ngrams``. 0 trains plain
        word2vec vectors (``wv[word]`` then needs the word in the vocabulary); floret
        mode needs at least 1 (its buckets hold the words too).
    word_ngrams : int
        1 only: gensim raises ``NotImplementedError`` for word n-grams, and so does this.
    compute_loss, comment, memory_budget, progress
        fastw2v's additions, as in ``Word2Vec``.
    mode : {"fasttext", "floret"}
        ``"floret"``: words have no rows of their own; the whole ``<word>`` is hashed like
        its n-grams, into the same ``bucket`` rows (floret's MurmurHash3), so the input
        side is ``bucket x vector_size`` whatever the vocabulary. ``wv.vectors_vocab`` is
        then None. Keyword-only (not gensim's).
    hash_count : int
        floret: rows per word and per n-gram, 1..4 (floret's ``-hashCount``; 2 is what
        spaCy's floret vectors use). Keyword-only.

    Attributes
    ----------
    wv : FastTextKeyedVectors
        ``vectors_vocab`` and ``vectors_ngrams`` are the trained input matrices (floret:
        ``vectors_ngrams`` alone, ``vectors_vocab`` is None); ``vectors`` are the composed
        word vectors, recomputed after each epoch.
    syn1neg, syn1 : numpy.ndarray
        The output layer (negative sampling / hierarchical softmax), as in ``Word2Vec``.

    Raises
    ------
    NotImplementedError
        ``word_ngrams`` is not 1.
    ValueError
        A parameter is out of range (naming it), ``mode="floret"`` with ``bucket=0``, or
        ``hash_count`` other than 1 without it.
    """

    _PARAMS = _params.FASTTEXT_BY_NAME
    _FILE_KIND = "FastText"

    def __init__(self, sentences=None, corpus_file=None, sg=0, hs=0, vector_size=100, alpha=0.025,
                 window=5, min_count=5, max_vocab_size=None, word_ngrams=1, sample=1e-3, seed=1,
                 workers=3, min_alpha=0.0001, negative=5, ns_exponent=0.75, cbow_mean=1,
                 hashfxn=hash, epochs=5, null_word=0, min_n=3, max_n=6, sorted_vocab=1,
                 bucket=2000000, trim_rule=None, batch_words=MAX_WORDS_IN_BATCH, callbacks=(),
                 max_final_vocab=None, shrink_windows=True, memory_budget=None, *,
                 compute_loss=False, comment=None, progress=None, mode="fasttext", hash_count=1):
        if word_ngrams != 1:
            raise NotImplementedError("FastText does not support word_ngrams != 1 (nor does gensim's)")
        if max_n < min_n and mode != "floret":
            bucket = 0  # no n-gram length is possible: no bucket rows (as gensim)
        if mode == "floret" and bucket == 0:
            raise ValueError("mode='floret' needs bucket > 0: its bucket rows are the words' rows too")
        if mode != "floret" and hash_count != 1:
            raise ValueError(f"hash_count={hash_count} is floret's: set mode='floret' (fastText "
                             "mode hashes each n-gram to one row)")
        # Word2Vec's constructor checks every row of this class's table, FastText's included.
        self.min_n, self.max_n, self.bucket, self.word_ngrams = min_n, max_n, bucket, word_ngrams
        self.mode, self.hash_count = mode, hash_count
        super().__init__(
            sentences=sentences, corpus_file=corpus_file, trim_rule=trim_rule,
            vector_size=vector_size, alpha=alpha, window=window, min_count=min_count,
            max_vocab_size=max_vocab_size, sample=sample, seed=seed, workers=workers,
            min_alpha=min_alpha, sg=sg, hs=hs, negative=negative, ns_exponent=ns_exponent,
            cbow_mean=cbow_mean, hashfxn=hashfxn, epochs=epochs, null_word=null_word,
            sorted_vocab=sorted_vocab, batch_words=batch_words, compute_loss=compute_loss,
            callbacks=callbacks, comment=comment, max_final_vocab=max_final_vocab,
            shrink_windows=shrink_windows, memory_budget=memory_budget, progress=progress)

    @property
    def floret(self):
        """Whether this model trains floret vectors (no word rows)."""
        return self.mode == "floret"

    def _new_vectors(self):
        wv = FastTextKeyedVectors(self.vector_size, self.min_n, self.max_n, self.bucket,
                                  mode=self.mode, hash_count=self.hash_count)
        # gensim's lock factors: one value for every row until a user sets more.
        wv.vectors_vocab_lockf = np.ones(1, dtype=np.float32)
        wv.vectors_ngrams_lockf = np.ones(1, dtype=np.float32)
        return wv

    # ------------------------------------------------------------ vocabulary and weights

    def _prepare_inputs(self, update, n):
        """The word and bucket matrices (new rows uniform in [-1/dim, 1/dim), word rows from
        ``seed`` and bucket rows from ``seed + 1``, gensim's ``resize_vectors``), the n-gram
        table, the composed vectors and the lock factors; the prior rows kept on ``update``."""
        wv = self.wv
        refuse_update_without_vocab(update, wv.vectors_ngrams if self.floret else wv.vectors_vocab)
        if not update:
            wv.vectors_vocab = None if self.floret else np.zeros((0, self.vector_size), np.float32)
            wv.vectors_ngrams = None
        wv.resize_vectors(seed=self.seed)
        wv.vectors_vocab_lockf = grown_lock_factors(wv.vectors_vocab_lockf if update else None, n)
        if not update:
            wv.vectors_ngrams_lockf = np.ones(1, dtype=np.float32)

    def estimate_memory(self, vocab_size=None, report=None):
        """Estimated bytes for ``vocab_size`` words: Word2Vec's, plus the bucket matrix and
        the n-gram table (about 15 bucket ids of 4 bytes per word)."""
        vocab_size = vocab_size or len(self.wv.index_to_key)
        report = super().estimate_memory(vocab_size=vocab_size, report=report)
        report["vectors_vocab"] = 0 if self.floret else report["vectors"]
        report["vectors_ngrams"] = self.bucket * self.vector_size * np.dtype(np.float32).itemsize
        per_word = 15 if not self.floret else self.hash_count * 16  # floret: the word's own too
        report["buckets_word"] = vocab_size * per_word * 4
        report["total"] = sum(v for k, v in report.items() if k != "total")
        return report

    # ------------------------------------------------------------ training

    def _kernel_inputs(self):
        """The word rows and, with buckets, the n-gram tables: the kernels' subword path."""
        wv = self.wv
        if self.floret:  # no word rows: the kernels take the bucket rows alone
            word_lockf = getattr(wv, "vectors_vocab_lockf", None)
            if word_lockf is not None and not np.all(np.asarray(word_lockf) == 1.0):
                raise ValueError("floret mode has no word rows: wv.vectors_vocab_lockf cannot "
                                 "freeze words; set wv.vectors_ngrams_lockf (per bucket row)")
            return {"syn0": None, "lockf": None,
                    "subwords": (wv.vectors_ngrams, wv.ngram_offsets, wv.ngram_ids),
                    "ngram_lockf": _kernel_lockf(wv, "vectors_ngrams")}
        inputs = {"syn0": wv.vectors_vocab,
                  "lockf": _kernel_lockf(wv, "vectors_vocab")}
        if self.bucket and wv.vectors_ngrams is not None and len(wv.vectors_ngrams):
            inputs["subwords"] = (wv.vectors_ngrams, wv.ngram_offsets, wv.ngram_ids)
            inputs["ngram_lockf"] = _kernel_lockf(wv, "vectors_ngrams")
        return inputs

    def _input_matrices(self):
        """The composed ``wv.vectors`` (after `_inputs_trained`): each is a word row plus
        its bucket rows, and training writes no bucket row that is not some word's, so a
        non-finite trained row shows there, without scanning the whole bucket matrix."""
        return [("wv.vectors (word and n-gram rows)", self.wv.vectors)]

    def _inputs_trained(self):
        """After an epoch: compose ``wv.vectors`` from the trained rows (gensim's
        ``adjust_vectors``; setting it also drops the norms cache)."""
        self.wv.adjust_vectors()

    # ------------------------------------------------------------ persistence

    def _input_arrays(self):
        if self.floret:
            return {"vectors_ngrams": self._ngram_rows()}
        return {"vectors_vocab": self.wv.vectors_vocab, "vectors_ngrams": self._ngram_rows()}

    def _ngram_rows(self):
        ngrams = self.wv.vectors_ngrams
        return ngrams if ngrams is not None else np.zeros((0, self.vector_size), np.float32)

    @classmethod
    def _input_shapes(cls, params, n):
        dim = params["vector_size"]
        if params.get("mode", "fasttext") == "floret":
            return {"vectors_ngrams": (params["bucket"], dim)}
        return {"vectors_vocab": (n, dim), "vectors_ngrams": (params["bucket"], dim)}

    def _set_input_arrays(self, arrays):
        """Take the word and bucket matrices (of the vocabulary just set): the n-gram
        table for these words, then the composed vectors."""
        self.wv.vectors_vocab = arrays.get("vectors_vocab")  # none in floret mode
        self.wv.vectors_ngrams = arrays["vectors_ngrams"]
        self.wv.recalc_char_ngram_buckets()
        self.wv.adjust_vectors()

    def _file_meta(self):
        # A model from a fastText .bin gives "</s>" no n-grams (fastText's rule): kept.
        return {"fasttext": {"facebook_eos": bool(self.wv.facebook_eos)}}

    def _read_file_meta(self, meta):
        own = meta.get("fasttext", {})
        if not (isinstance(own, dict) and isinstance(own.get("facebook_eos", False), bool)):
            raise ValueError("bad 'fasttext' field")  # load_model reports it as a FormatError
        self.wv.facebook_eos = own.get("facebook_eos", False)

    def save(self, fname, *args, **kwargs):
        """Save the whole model natively (JSON + ``.npy``, no pickle, atomic): word and
        bucket matrices, output weights, vocabulary and parameters; ``wv.vectors`` and the
        n-gram table are recomputed on load. See :meth:`Word2Vec.save`."""
        super().save(fname, *args, **kwargs)

    def to_gensim(self):
        """A gensim ``FastText`` holding a copy of this model (vocabulary, counts, word and
        bucket matrices, output layers, parameters), ready to train on (needs gensim).
        ValueError in floret mode: gensim has none."""
        if self.floret:
            raise ValueError("gensim has no floret mode: this model cannot be converted")
        from .io.gensim_convert import fasttext_to_gensim
        return fasttext_to_gensim(self)

    @classmethod
    def from_gensim(cls, gensim_model):
        """A fastw2v ``FastText`` holding a copy of a gensim ``FastText``, so training
        continues here where gensim stopped."""
        from .io.gensim_convert import fasttext_from_gensim
        return fasttext_from_gensim(cls, gensim_model)
