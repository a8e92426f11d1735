"""Corpora shipped inside the package.

``kjv`` is the King James Bible (public domain, 31,102 verses, 790k words), one
verse per line, stored gzip-compressed as package data.
"""
from __future__ import annotations

import gzip
import re
from importlib import resources

_WORD = re.compile(r"[a-z]+")


def kjv_path() -> str:
    """Filesystem path of the gzip-compressed King James Bible text."""
    return str(resources.files("fastw2v") / "data" / "kjv.txt.gz")


class KJV:
    """The King James Bible as a restartable iterable of token lists.

    Verses are lowercased and split into runs of letters a-z, so punctuation and
    verse numbers disappear ("Lord," and "lord" are one token).
    """

    def __iter__(self):
        with gzip.open(kjv_path(), "rt", encoding="utf-8") as fin:
            for line in fin:
                tokens = _WORD.findall(line.lower())
                if tokens:
                    yield tokens
