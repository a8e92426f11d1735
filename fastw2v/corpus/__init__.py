"""Corpus readers: sentence iterables (pure Python) and the parallel C file scanner.

The C scanner lives in :mod:`fastw2v.corpus._filescan` (``scan_vocab``,
``encode_file``) and is imported from there.
"""
from .readers import LineSentence, PathLineSentences, Text8Corpus

__all__ = ["LineSentence", "PathLineSentences", "Text8Corpus"]
