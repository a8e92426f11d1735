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
