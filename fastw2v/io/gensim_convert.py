"""Whole models between gensim and fastw2v, so training continues where the other stopped.

gensim is needed only here, and only when these functions run. What moves: the
vocabulary (words in order, counts), the input vectors, the output weights
(``syn1neg``, and ``syn1`` with the Huffman tree that indexes it: codes and
points are taken as they are, never rebuilt, since ``syn1``'s rows belong to that
tree), the hyper-parameters both libraries know, and the training counters.

:func:`convert_pickle` is the one place where fastw2v reads a pickle: a gensim
model file, through gensim's own loader, under the explicit ``fastw2v convert``
command. Every other load path refuses pickles.
"""
from __future__ import annotations

import numpy as np

from .. import params as _params
from ..vector_store import lined_copy

__all__ = ["word2vec_from_gensim", "word2vec_to_gensim", "fasttext_from_gensim",
           "fasttext_to_gensim", "convert_pickle"]

#: Training counters both libraries keep under the same names.
_STATE = ("corpus_count", "corpus_total_words", "train_count", "min_alpha_yet_reached",
          "running_training_loss", "total_train_time", "effective_min_count")


def _gensim():
    try:
        import gensim
    except ImportError as err:
        raise ImportError("converting to or from gensim needs gensim: pip install gensim") from err
    return gensim


def _huffman_from_gensim(gwv):
    """gensim's per-word code/point arrays as fastw2v's concatenated arrays and offsets."""
    codes, points = gwv.expandos["code"], gwv.expandos["point"]
    lengths = np.fromiter((len(c) for c in codes), np.int64, count=len(codes))
    offsets = np.zeros(len(codes) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat_codes = np.concatenate([np.asarray(c, np.uint8) for c in codes]) if len(codes) else \
        np.zeros(0, np.uint8)
    flat_points = np.concatenate([np.asarray(p, np.int64) for p in points]) if len(points) else \
        np.zeros(0, np.int64)
    return flat_codes, flat_points.astype(np.int32), offsets


def word2vec_from_gensim(cls, gmodel, vectors=True):
    """A ``cls`` (fastw2v ``Word2Vec``) holding a copy of gensim ``Word2Vec`` ``gmodel``.

    ``cls`` is called with the parameters both libraries know; with ``vectors`` False
    the input vectors are left to the caller (FastText copies its own matrices).

    Raises
    ------
    ValueError
        If ``gmodel`` has no vocabulary, or a gensim Huffman path is empty.
    """
    from ..vocab import Vocab

    gwv = gmodel.wv
    if not len(gwv.index_to_key):
        raise ValueError("the gensim model has no vocabulary to convert")
    values = {p.name: getattr(gmodel, p.name) for p in _params.PARAMS
              if p.persist and hasattr(gmodel, p.name)}
    model = cls(**values)
    for name in _STATE:
        if hasattr(gmodel, name):
            setattr(model, name, getattr(gmodel, name))
    # Thresholds and alias table from the counts, as any fastw2v vocabulary; the Huffman
    # tree is gensim's own, since syn1's rows belong to it.
    vocab = Vocab.from_counts(list(gwv.index_to_key), gwv.expandos["count"], sample=model.sample,
                              ns_exponent=model.ns_exponent, hs=False, negative=model.negative)
    if model.hs:
        vocab.codes, vocab.points, vocab.path_offsets = _huffman_from_gensim(gwv)
        if np.any(np.diff(vocab.path_offsets) < 1):
            raise ValueError("a word of the gensim model has an empty Huffman path")
        model.syn1 = lined_copy(gmodel.syn1)
    if model.negative:
        model.syn1neg = lined_copy(gmodel.syn1neg)
    model._set_vocab(vocab)
    if vectors:
        model.wv.vectors = np.array(gwv.vectors, dtype=np.float32, order="C")
    return model


def word2vec_to_gensim(model):
    """A gensim ``Word2Vec`` holding a copy of fastw2v ``model``, ready to train on."""
    gmodel = _model_to_gensim(model, _gensim().models.Word2Vec)
    # gensim's kernels read a lock factor per row (or one for all); 1 trains every row.
    lockf = getattr(model.wv, "vectors_lockf", None)
    gmodel.wv.vectors_lockf = np.array(lockf if lockf is not None else [1.0], dtype=np.float32)
    return gmodel


def fasttext_from_gensim(cls, gmodel):
    """A ``cls`` (fastw2v ``FastText``) holding a copy of gensim ``FastText`` ``gmodel``:
    Word2Vec's part as :func:`word2vec_from_gensim` moves it, plus the n-gram settings and
    the word and bucket matrices.

    Raises
    ------
    ValueError
        As :func:`word2vec_from_gensim`.
    """
    gwv = gmodel.wv
    ngram_params = {"min_n": gwv.min_n, "max_n": gwv.max_n, "bucket": gwv.bucket,
                    "word_ngrams": getattr(gmodel, "word_ngrams", 1)}

    def make(**values):
        return cls(**values, **ngram_params)

    model = word2vec_from_gensim(make, gmodel, vectors=False)
    ngrams = gwv.vectors_ngrams if gwv.vectors_ngrams is not None else np.zeros((0, gwv.vector_size))
    model._set_input_arrays({"vectors_vocab": np.array(gwv.vectors_vocab, dtype=np.float32, order="C"),
                             "vectors_ngrams": np.array(ngrams, dtype=np.float32, order="C")})
    return model


def fasttext_to_gensim(model):
    """A gensim ``FastText`` holding a copy of fastw2v ``FastText`` ``model``, ready to train on."""
    gmodel = _model_to_gensim(model, _gensim().models.FastText)
    gmodel.wv.vectors_vocab_lockf = np.ones(1, dtype=np.float32)
    gmodel.wv.vectors_ngrams_lockf = np.ones(1, dtype=np.float32)
    return gmodel


def _model_to_gensim(model, gensim_cls):
    """A ``gensim_cls`` holding a copy of ``model``: the persisted parameters its constructor
    takes, the training state, the vectors (``model.wv.to_gensim()``: keys and matrices) and
    the output layers; lock factors are the caller's."""
    import inspect
    accepted = inspect.signature(gensim_cls.__init__).parameters
    gmodel = gensim_cls(**{name: getattr(model, name) for name, p in model._PARAMS.items()
                           if p.persist and name in accepted})
    for name in _STATE:
        setattr(gmodel, name, getattr(model, name))
    gwv = model.wv.to_gensim()
    _output_to_gensim(model, gmodel, gwv)
    gmodel.wv = gwv
    gmodel.layer1_size = model.layer1_size
    if model.negative:
        gmodel.make_cum_table()
    return gmodel


def _output_to_gensim(model, gmodel, gwv):
    """The counts, thresholds, Huffman paths and output layers, in gensim's layout."""
    gwv.expandos = {"count": np.array(model.wv.expandos["count"], np.int64),
                    "sample_int": np.array(model.wv.expandos["sample_int"], np.uint32)}
    vocab = model._vocab
    if model.hs:
        bounds = vocab.path_offsets
        gwv.expandos["code"] = _object_rows(vocab.codes, bounds, np.uint8)
        gwv.expandos["point"] = _object_rows(vocab.points, bounds, np.uint32)
        gmodel.syn1 = np.array(model.syn1)
    if model.negative:
        gmodel.syn1neg = np.array(model.syn1neg)


def _object_rows(flat, offsets, dtype):
    rows = np.empty(len(offsets) - 1, dtype=object)
    for i in range(len(rows)):
        rows[i] = np.array(flat[offsets[i]:offsets[i + 1]], dtype=dtype)
    return rows


def convert_pickle(src: str, dst: str):
    """Load gensim's pickled model or KeyedVectors at ``src`` and save it natively at ``dst``.

    Returns the fastw2v object written. Only run this on files you trust: a pickle
    can run code when it is loaded.
    """
    gensim = _gensim()
    from ..keyedvectors import KeyedVectors
    from ..word2vec import Word2Vec

    obj = gensim.utils.SaveLoad.load(src)
    if isinstance(obj, gensim.models.FastText):  # a Word2Vec subclass: asked first
        from ..fasttext import FastText
        converted = FastText.from_gensim(obj)
    elif isinstance(obj, gensim.models.Word2Vec):
        converted = Word2Vec.from_gensim(obj)
    elif isinstance(obj, gensim.models.KeyedVectors):
        converted = KeyedVectors.from_gensim(obj)
    else:
        raise ValueError(f"{src} holds a gensim {type(obj).__name__}; fastw2v converts Word2Vec "
                         "models and KeyedVectors")
    converted.save(dst)
    return converted
