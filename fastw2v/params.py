"""The model's hyper-parameters, declared once.

Each :class:`Param` row says a parameter's name, type, default, allowed range and
help text, and (where it has one) its command-line spellings. Three consumers read
the table instead of repeating it:

* ``Word2Vec.__init__`` checks and coerces every value with :func:`check_params`
  (each rule lives in exactly one row, plus :data:`CROSS_RULES` for rules over
  several parameters);
* ``Word2Vec.save`` persists the values of the rows with ``persist=True``, and
  ``load`` accepts exactly those;
* ``fastw2v train`` builds its options from the rows with ``flags`` (our spelling,
  then word2vec.c's), so a new parameter with flags is on the command line at once.

Rows with ``kernel=True`` are also copied, by name, into the kernels'
:class:`~fastw2v.kernels.TrainParams` (see :func:`fastw2v.trainer.train_params`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Param", "PARAMS", "BY_NAME", "FASTTEXT_PARAMS", "FASTTEXT_BY_NAME", "check_params",
           "persisted", "PERSISTED", "FASTTEXT_PERSISTED", "KERNEL", "MAX_WINDOW", "MAX_NEGATIVE"]

#: Bounds that keep per-thread buffers (2 * window context rows, 1 + negative output
#: rows) small; no useful model comes near them.
MAX_WINDOW = 10000
MAX_NEGATIVE = 10000

# Kinds of value a row accepts.
INT, FLOAT, FLAG, BOOL, TEXT, ANY = "int", "float", "flag", "bool", "text", "any"


@dataclass(frozen=True)
class Param:
    """One hyper-parameter.

    Parameters
    ----------
    name : str
        Keyword of ``Word2Vec(...)`` and attribute of the model.
    kind : str
        ``"int"`` (an integer; integral floats are accepted), ``"float"`` (a finite
        number), ``"flag"`` (0 or 1, gensim's int flags), ``"bool"``, ``"text"`` (a str)
        or ``"any"`` (not checked, e.g. ``hashfxn``).
    default : object
        gensim 4.x's default.
    low, high : number, optional
        Inclusive bounds.
    optional : bool
        None is allowed (and means "off" or "choose for me").
    persist : bool
        Saved with the model and accepted by ``load``.
    kernel : bool
        Read by the training kernels (copied into ``TrainParams``).
    flags : tuple of str
        Command-line spellings: ours first, then word2vec.c's (``-name``).
    w2v_default : object
        word2vec.c's default where it differs from ``default`` (used when a command
        line is written in word2vec.c's spelling).
    choices : tuple
        The values a ``"text"`` row accepts (any str when empty).
    metavar, help : str
        For the command line and error messages.
    """

    name: str
    kind: str
    default: object
    low: float | None = None
    high: float | None = None
    optional: bool = False
    persist: bool = True
    kernel: bool = False
    flags: tuple = ()
    w2v_default: object = None
    help: str = ""
    choices: tuple = ()

    def check(self, value):
        """``value`` coerced to this row's type; ValueError naming the parameter if out of range."""
        if value is None and self.optional:
            return None
        value = _coerce(self, value)
        if self.choices and value not in self.choices:
            raise ValueError(f"{self.name} must be one of {', '.join(map(repr, self.choices))}, "
                             f"got {value!r}")
        if self.low is not None and value < self.low:
            raise ValueError(f"{self.name} must be {_range_text(self)}, got {value!r}")
        if self.high is not None and value > self.high:
            raise ValueError(f"{self.name} must be {_range_text(self)}, got {value!r}")
        return value


def _range_text(p: Param) -> str:
    if p.kind == FLAG:
        return "0 or 1"
    if p.low is not None and p.high is not None:
        return f"between {p.low} and {p.high}"
    if p.low == 1:
        return "positive"
    if p.low == 0:
        return "non-negative"
    return f"at least {p.low}"


def _coerce(p: Param, value):
    if p.kind == ANY:
        return value
    if p.kind == BOOL:
        return bool(value)
    if p.kind == TEXT:
        return value if isinstance(value, str) else str(value)
    if p.kind in (INT, FLAG):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer, float)):
            raise ValueError(f"{p.name} must be {'0 or 1' if p.kind == FLAG else 'an integer'}, "
                             f"got {value!r}")
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError(f"{p.name} must be an integer, got {value!r}")
        value = int(value)
        if p.kind == FLAG and value not in (0, 1):
            raise ValueError(f"{p.name} must be 0 or 1, got {value!r}")
        return value
    try:  # FLOAT
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{p.name} must be a number, got {value!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{p.name} must be finite, got {value!r}")
    return value


def _p(name, kind, default, **kw):
    return Param(name, kind, default, **kw)


#: Every hyper-parameter of ``Word2Vec``, in gensim's signature order.
PARAMS = (
    _p("vector_size", INT, 100, low=1, kernel=False, flags=("--size", "-size"),
       help="vector dimensions"),
    _p("alpha", FLOAT, 0.025, low=0, flags=("--alpha", "-alpha"),
       help="initial learning rate (word2vec.c: 0.05 for CBOW)"),
    _p("window", INT, 5, low=1, high=MAX_WINDOW, kernel=True, flags=("--window", "-window"),
       help="max distance between centre and context words"),
    _p("min_count", INT, 5, low=0, flags=("--min-count", "-min-count", "-min_count"),
       help="drop words rarer than this"),
    _p("max_vocab_size", INT, None, low=1, optional=True, flags=("--max-vocab-size",),
       help="prune the rarest words during the scan beyond this many"),
    _p("sample", FLOAT, 1e-3, low=0, flags=("--sample", "-sample"),
       help="down-sampling threshold of frequent words"),
    _p("seed", INT, 1, flags=("--seed",), help="random seed"),
    _p("workers", INT, 3, low=1, flags=("--threads", "-threads"), w2v_default=12,
       help="training threads"),
    _p("min_alpha", FLOAT, 0.0001, low=0, flags=("--min-alpha",),
       help="final learning rate"),
    _p("sg", FLAG, 0, kernel=True, help="1 skip-gram, 0 CBOW"),
    _p("hs", FLAG, 0, kernel=True, help="1 hierarchical softmax"),
    _p("negative", INT, 5, low=0, high=MAX_NEGATIVE, kernel=True,
       flags=("--negative", "-negative"), help="negative samples per word (0: none)"),
    _p("ns_exponent", FLOAT, 0.75, flags=("--ns-exponent",),
       help="exponent of the negative-sampling distribution"),
    _p("cbow_mean", FLAG, 1, kernel=True, flags=("--cbow-mean",),
       help="CBOW hidden layer: 1 mean, 0 sum of the context vectors"),
    _p("hashfxn", ANY, hash, persist=False, help="accepted for gensim compatibility; unused"),
    _p("epochs", INT, 5, low=0, flags=("--epochs", "-iter"), help="passes over the corpus"),
    _p("null_word", FLAG, 0, help="add gensim's null pseudo-word"),
    _p("sorted_vocab", FLAG, 1, help="sort the vocabulary by descending frequency"),
    _p("batch_words", INT, 10000, low=1, flags=("--batch-words",),
       help="words per unit of work that threads take"),
    _p("compute_loss", BOOL, False, help="tally the training loss"),
    _p("comment", TEXT, None, optional=True, help="free text kept with the model"),
    _p("max_final_vocab", INT, None, low=1, optional=True, flags=("--max-final-vocab",),
       help="raise min_count so that at most this many words are kept"),
    _p("shrink_windows", BOOL, True, kernel=True,
       help="draw each window's size uniformly from 1..window"),
    _p("memory_budget", INT, None, low=0, optional=True, flags=("--memory-budget",),
       help="bytes of encoded corpus kept in RAM before spilling to disk "
            "(default: from the memory this process may use)"),
)

BY_NAME = {p.name: p for p in PARAMS}

#: FastText's own hyper-parameters (gensim 4.x's ``FastText`` keywords), on top of
#: :data:`PARAMS`: ``fastw2v.FastText`` checks, saves and reads them like the others.
#: The kernels read none of them (the n-gram table is built once per vocabulary).
FASTTEXT_PARAMS = (
    _p("min_n", INT, 3, low=0, high=2**31 - 1, flags=("--min-n", "-minn"),
       help="shortest character n-gram (FastText)"),
    _p("max_n", INT, 6, low=0, high=2**31 - 1, flags=("--max-n", "-maxn"),
       help="longest character n-gram; below min_n: no n-grams, bucket 0 (FastText)"),
    _p("bucket", INT, 2000000, low=0, high=2**31 - 1, flags=("--bucket", "-bucket"),
       help="n-gram hash buckets, rows of the bucket matrix; 0: no n-grams (FastText)"),
    _p("word_ngrams", INT, 1, low=1, high=1,
       help="word n-grams: 1 only, as in gensim (FastText)"),
    _p("mode", TEXT, "fasttext", choices=("fasttext", "floret"), flags=("--mode", "-mode"),
       help="fasttext: word rows + n-gram buckets; floret: words and n-grams share the "
            "buckets (explosion's floret, for spaCy), a much smaller table (FastText)"),
    _p("hash_count", INT, 1, low=1, high=4, flags=("--hash-count", "-hashCount"),
       help="floret: bucket rows per word and per n-gram (FastText)"),
)

#: Every row of ``FastText``: Word2Vec's, then FastText's own.
FASTTEXT_BY_NAME = {**BY_NAME, **{p.name: p for p in FASTTEXT_PARAMS}}


def _hs_or_negative(values):
    if not values["hs"] and not values["negative"]:
        raise ValueError("hs=0 and negative=0 leave nothing to train: set hs=1 or negative > 0")


#: Rules over several parameters, each a function of the checked values.
CROSS_RULES = (_hs_or_negative,)


def check_params(values: dict, table: dict = BY_NAME) -> dict:
    """Every row's value from ``values`` checked and coerced, then the cross rules.

    Parameters
    ----------
    values : dict
        Parameter name to value; names not in the table raise TypeError, as an
        unknown keyword would.
    table : dict
        Name to :class:`Param`: :data:`BY_NAME` (Word2Vec) or :data:`FASTTEXT_BY_NAME`.

    Returns
    -------
    dict
        The same keys, coerced values.

    Raises
    ------
    ValueError
        Naming the first parameter out of range.
    """
    unknown = set(values) - set(table)
    if unknown:
        raise TypeError(f"unknown parameter(s): {', '.join(sorted(unknown))}")
    checked = {name: table[name].check(value) for name, value in values.items()}
    if all(p.name in checked for p in PARAMS):
        for rule in CROSS_RULES:
            rule(checked)
    return checked


def persisted(model) -> dict:
    """The model's values of the rows saved with it (JSON-serialisable): the rows of its
    class's table (``model._PARAMS``; Word2Vec's when it has none)."""
    table = getattr(model, "_PARAMS", BY_NAME)
    return {p.name: getattr(model, p.name) for p in table.values() if p.persist}


PERSISTED = tuple(p.name for p in PARAMS if p.persist)
FASTTEXT_PERSISTED = tuple(p.name for p in FASTTEXT_BY_NAME.values() if p.persist)
KERNEL = tuple(p.name for p in PARAMS if p.kernel)
