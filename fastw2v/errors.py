"""Exceptions of the model layer that callers may want to catch by name.

File problems raise :class:`fastw2v.io.errors.FormatError` (re-exported here);
training that diverges raises :class:`fastw2v.trainer.TrainingDivergedError`.
"""
from .io.errors import FormatError, WrongModelKindError

__all__ = ["EmptyCorpusError", "FormatError", "WrongModelKindError"]


class EmptyCorpusError(ValueError, RuntimeError):
    """Nothing to build a vocabulary from or to train on.

    An empty corpus, or one where no word reaches ``min_count``. Both a
    ``ValueError`` (fastw2v's contract: bad input) and a ``RuntimeError`` (what
    gensim raises there), so ``except`` clauses written for either keep catching.
    """

