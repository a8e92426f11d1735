"""What a saved ``Word2Vec`` holds: the schema on top of the native format.

:mod:`fastw2v.io.native` stores named arrays and a JSON document atomically; this
module decides which arrays and which JSON fields make a model, and checks them
the same way in both directions: :func:`save_model` refuses (with
:class:`~fastw2v.io.errors.FormatError`, before anything is written) a model that
:func:`load_model` would refuse, so a bad save never replaces a good file.

Layout (``kind = "Word2Vec"``; ``"FastText"`` stores ``vectors_vocab`` and
``vectors_ngrams`` instead of ``vectors``, see ``FastText._input_arrays``)
------------------------------------------------------------------------------
meta
    ``params``: the persisted rows of :mod:`fastw2v.params`; ``state``: the training
    counters in :data:`STATE`; ``index_to_key``: the words, str or int (item ids keep
    their type).
arrays
    ``vectors`` (n x vector_size), ``count``, ``sample_int`` (n each); with
    ``hs=1`` also ``syn1`` (n x vector_size; files of fastw2v 0.1 hold max(n - 1, 1) rows and
    get a zero row on load) and the Huffman tree
    (``codes``, ``points``, ``path_offsets``); with ``negative > 0`` ``syn1neg``
    (n x vector_size). The alias table is rebuilt from the counts on load.
"""
from __future__ import annotations

import numpy as np

from .. import params as _params
from .errors import FormatError
from .native import load_native, save_native

__all__ = ["save_model", "load_model", "STATE", "KIND"]

KIND = "Word2Vec"

#: Training counters saved with the model (gensim's attribute names).
STATE = ("train_count", "total_train_time", "running_training_loss", "min_alpha_yet_reached",
         "corpus_count", "corpus_total_words", "effective_min_count", "partially_trained")


def save_model(model, fname) -> None:
    """Write ``model`` (a ``Word2Vec``) to ``fname`` atomically.

    Raises
    ------
    FormatError
        If the model's arrays do not match its vocabulary (e.g. ``wv.vectors`` was
        replaced by an array of another shape): ``fname`` is left as it was.
    """
    words = [_stored_key(fname, w) for w in model.wv.index_to_key]
    params = _params.persisted(model)
    arrays = {**model._input_arrays(), "count": model.wv.expandos["count"],
              "sample_int": model.wv.expandos["sample_int"]}
    vocab = model._vocab
    if model.hs:
        arrays.update(syn1=model.syn1, codes=vocab.codes, points=vocab.points,
                      path_offsets=vocab.path_offsets)
    if model.negative:
        arrays["syn1neg"] = model.syn1neg
    _check_model(fname, params, words, arrays, type(model))
    meta = {"params": params, "state": {k: getattr(model, k) for k in STATE},
            "index_to_key": words, **model._file_meta()}
    save_native(fname, arrays, meta, kind=model._FILE_KIND)


def load_model(cls, fname, mmap=None):
    """The ``cls`` (``Word2Vec``) saved at ``fname``; ``mmap='r'`` maps the arrays read-only.

    Raises
    ------
    FormatError
        For any damaged, inconsistent or foreign file (never a KeyError or TypeError).
    """
    arrays, meta = load_native(fname, mmap=mmap, expected_kind=cls._FILE_KIND,
                               lined=("syn1", "syn1neg"))  # the output layers, as training made them
    try:
        return _model_from(cls, fname, arrays, meta)
    except FormatError:
        raise
    except (KeyError, TypeError, AttributeError, IndexError, ValueError, OverflowError) as err:
        # Whatever the JSON holds, a damaged file is reported as such, never as a KeyError.
        raise FormatError(fname, f"inconsistent {cls._FILE_KIND} model: {type(err).__name__}: {err}") from None


def _stored_key(fname, key):
    """``key`` as the JSON stores it (str or int: the type comes back on load)."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_)):
        return int(key)
    if isinstance(key, str):
        return key
    raise FormatError(fname, f"key {key!r} is a {type(key).__name__}; the native format stores "
                             "str and int keys (convert the others, e.g. to str, before saving)")


def _check_meta(fname, params, state, words, cls) -> None:
    persisted = [name for name, p in cls._PARAMS.items() if p.persist]
    if not (isinstance(params, dict) and set(params) <= set(persisted)
            and isinstance(state, dict) and set(state) <= set(STATE)
            and all(isinstance(v, (int, float)) for v in state.values())
            and isinstance(words, list) and all(type(w) in (str, int) for w in words)
            and len(set(words)) == len(words)):
        raise FormatError(fname, f"inconsistent {cls._FILE_KIND} model: bad 'params', 'state' or "
                                 "'index_to_key'")


def _check_model(fname, params, words, arrays, cls) -> None:
    """FormatError naming the first array that does not fit ``words`` and ``params``."""
    n, dim = len(words), params["vector_size"]
    expected = {**cls._input_shapes(params, n), "count": (n,), "sample_int": (n,)}
    if params["hs"]:
        expected.update(syn1=(n, dim), path_offsets=(n + 1,))
    if params["negative"]:
        expected["syn1neg"] = (n, dim)
    for name, shape in expected.items():
        array = arrays.get(name)
        if array is None:
            raise FormatError(fname, f"the model has no {name!r} array")
        if tuple(np.shape(array)) != shape:
            raise FormatError(fname, f"{name} has shape {tuple(np.shape(array))}, but the vocabulary "
                                     f"of {n} words and vector_size {dim} need {shape}")
    if params["hs"]:
        offsets = np.asarray(arrays["path_offsets"])
        if len(arrays["codes"]) != len(arrays["points"]) or int(offsets[-1]) != len(arrays["codes"]):
            raise FormatError(fname, "the Huffman arrays (codes, points, path_offsets) disagree")


def _upgraded(arrays, n):
    """Arrays of an older layout in today's: syn1 had one row per inner node (n - 1)."""
    syn1 = arrays.get("syn1")
    if syn1 is not None and syn1.ndim == 2 and len(syn1) == max(n - 1, 1) and len(syn1) != n:
        arrays = dict(arrays, syn1=np.concatenate([syn1, np.zeros((1, syn1.shape[1]), syn1.dtype)]))
    return arrays


def _model_from(cls, fname, arrays, meta):
    from ..vocab import Vocab

    params, state, words = meta.get("params"), meta.get("state"), meta.get("index_to_key")
    _check_meta(fname, params, state, words, cls)
    arrays = _upgraded(arrays, len(words))
    model = cls(**params)
    model._read_file_meta(meta)
    for k, v in state.items():
        setattr(model, k, v)
    _check_model(fname, _params.persisted(model), words, arrays, cls)
    vocab = Vocab(list(words), np.asarray(arrays["count"], np.int64),
                  np.asarray(arrays["sample_int"], np.uint32))
    if model.hs:
        vocab.codes = np.asarray(arrays["codes"], np.uint8)
        vocab.points = np.asarray(arrays["points"], np.int32)
        vocab.path_offsets = np.asarray(arrays["path_offsets"], np.int64)
        model.syn1 = arrays["syn1"]
    if model.negative:
        from ..vocab import alias_table
        vocab.alias = alias_table(vocab.counts, model.ns_exponent)
        model.syn1neg = arrays["syn1neg"]
    model._set_vocab(vocab)
    model._set_input_arrays(arrays)
    return model
