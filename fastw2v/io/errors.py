"""Exceptions raised by the readers and writers of :mod:`fastw2v.io`."""


class FormatError(ValueError):
    """A file is not a valid file of the format it was read as.

    The message names the file and says what is wrong (and where, when a row
    or line number is known). Subclasses ``ValueError`` so that callers that
    catch gensim's ``ValueError`` keep working.
    """

    def __init__(self, fname, problem):
        self.fname = str(fname)
        self.problem = problem
        super().__init__(f"{self.fname}: {problem}")


class WrongModelKindError(FormatError, AttributeError):
    """A native file holds another kind of object than the class asked to load it.

    ``Word2Vec.load`` of a saved ``KeyedVectors``, say. A ``FormatError`` like every
    refused file, and an ``AttributeError`` as gensim raises there.
    """


class TruncatedFileError(FormatError, EOFError):
    """A file ends before the records its header declares: also an ``EOFError``, as in gensim."""


class KeyDecodeError(FormatError, UnicodeDecodeError):
    """A key does not decode under ``unicode_errors='strict'``: also the ``UnicodeDecodeError``
    that gensim raises there, with the decoder's position and reason."""

    def __init__(self, fname, problem, err: UnicodeDecodeError):
        UnicodeDecodeError.__init__(self, err.encoding, err.object, err.start, err.end, err.reason)
        self.fname = str(fname)
        self.problem = problem

    def __str__(self):
        return f"{self.fname}: {self.problem}"
