"""Persistence: the word2vec C formats and fastw2v's native (pickle-free) format."""
from fastw2v.io.errors import FormatError

__all__ = ["FormatError"]
