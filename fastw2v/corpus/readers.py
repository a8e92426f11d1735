"""Restartable sentence iterables over text files, with gensim 4.x's semantics.

Each reader yields sentences as lists of ``str`` tokens and can be iterated
any number of times (once per epoch). Files ending in ``.gz``, ``.bz2``, ``.xz``
(and, with smart_open, ``.zst``) are decompressed transparently, and a path may be a
remote URI (``s3://``, ``gs://``, ``http(s)://``, ``hdfs://``...) streamed through
smart_open, as in gensim (see :mod:`fastw2v.corpus.sources`).

Two documented differences from gensim, shared with the C file reader
(:mod:`fastw2v.corpus._filescan`) so that ``corpus_iterable`` and
``corpus_file`` see the same tokens:

* Bytes are decoded as UTF-8 with ``errors="replace"``: an invalid sequence
  becomes U+FFFD instead of raising ``UnicodeDecodeError``.
* Tokens are split on ASCII whitespace (space, ``\\t``, ``\\n``, ``\\r``,
  ``\\v``, ``\\f``) and NUL only, as word2vec.c does. ``str.split()`` would
  also split on Unicode spaces such as U+00A0, U+2028 or ``\\x1c``-``\\x1f``;
  we keep those inside tokens.
"""
import itertools
import os
import re

from .limits import MAX_SENTENCE_TOKENS
from .sources import is_uri, open_source

__all__ = ["LineSentence", "PathLineSentences", "Text8Corpus", "BrownCorpus"]


# Bytes read per block: large enough that per-block overhead vanishes, small
# enough to keep memory flat.
_BLOCK_SIZE = 1 << 20

# Characters that ``str.split()`` treats as whitespace but we do not (every
# non-ASCII-whitespace character c with c.isspace(); tests check this list),
# plus NUL, which we split on but ``str.split()`` does not. A text without any
# of them splits identically with ``str.split()``, the fast path.
_SPLIT_MISMATCH = re.compile(
    "[\x00\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
_ASCII_WHITESPACE = re.compile("[ \t\n\r\x0b\x0c\x00]+")
_ASCII_WHITESPACE_BYTES = b" \t\n\r\x0b\x0c\x00"


def split_ascii_whitespace(text):
    """Split `text` on ASCII whitespace and NUL, dropping empty tokens.

    Parameters
    ----------
    text : str
        Text to split.

    Returns
    -------
    list of str
        Tokens, as ``text.split()`` would give were Unicode spaces not
        separators and NUL a separator.
    """
    if not _needs_slow_split(text):
        return text.split()
    return [token for token in _ASCII_WHITESPACE.split(text) if token]


def _needs_slow_split(text):
    """Whether ``text.split()`` would split `text` differently from us."""
    if text.isascii():  # O(1) for str; then only five characters matter
        return any(c in text for c in "\x00\x1c\x1d\x1e\x1f")
    return _SPLIT_MISMATCH.search(text) is not None


def _decode(data):
    return data.decode("utf-8", "replace")


def _open_binary(path):
    """Open `path` for reading bytes: local, compressed or remote (see :mod:`.sources`)."""
    return open_source(path)


def _iter_line_blocks(fin):
    """Yield decoded blocks of whole lines (joined by ``\\n``) read from binary `fin`.

    Lines are split on ``b"\\n"`` only, as iterating a binary file does. The
    file is read in large blocks and each block decoded with one call; a line
    longer than a block is gathered piecewise (no quadratic concatenation).
    """
    pending = []  # pieces of the current, unfinished line
    while True:
        block = fin.read(_BLOCK_SIZE)
        if not block:
            break
        cut = block.rfind(b"\n")
        if cut < 0:
            pending.append(block)
            continue
        pending.append(block[:cut])
        yield _decode(b"".join(pending))
        pending = [block[cut + 1:]]
    tail = b"".join(pending)
    if tail:
        yield _decode(tail)


def _split_long(words, max_sentence_length):
    """Yield `words` in slices of at most `max_sentence_length` tokens."""
    if len(words) <= max_sentence_length:
        if words:
            yield words
        return
    for i in range(0, len(words), max_sentence_length):
        yield words[i:i + max_sentence_length]


def _sentences_from_lines(lines, max_sentence_length):
    """Yield sentences from an iterable of decoded lines, one line each."""
    for line in lines:
        yield from _split_long(split_ascii_whitespace(line), max_sentence_length)


def _sentences_from_file(fin, max_sentence_length, limit):
    """Yield the sentences of binary file `fin`, from its first `limit` lines."""
    blocks = _iter_line_blocks(fin)
    if limit is not None:
        lines = itertools.chain.from_iterable(text.split("\n") for text in blocks)
        lines = itertools.islice(lines, limit)
        yield from _sentences_from_lines(lines, max_sentence_length)
        return
    for text in blocks:
        lines = text.split("\n")
        if _needs_slow_split(text):
            yield from _sentences_from_lines(lines, max_sentence_length)
            continue
        # Fast path, the common case: one regex scan per block proves that
        # str.split() splits exactly where we want.
        for line in lines:
            words = line.split()
            if len(words) > max_sentence_length:
                yield from _split_long(words, max_sentence_length)
            elif words:
                yield words


def _to_text(line):
    return _decode(line) if isinstance(line, (bytes, bytearray)) else line


class LineSentence:
    """Iterate over a file with one sentence per line, tokens separated by whitespace.

    Parameters
    ----------
    source : str, os.PathLike or file-like object
        Path or URI of a text file (``s3://bucket/key``, ``https://...``;
        ``.gz``/``.bz2``/``.xz``/``.zst`` decompressed), or an open file object in
        text or binary mode that supports ``seek(0)``; it is rewound at the start of
        every iteration.
    max_sentence_length : int, optional
        A line with more tokens is yielded as several sentences of at most
        this many tokens; nothing is truncated.
    limit : int or None, optional
        Read only the first `limit` lines. Read all if None (the default).

    Notes
    -----
    Empty lines yield no sentence. Bytes are decoded as UTF-8 with
    ``errors="replace"`` and tokens split on ASCII whitespace and NUL only
    (see the module docstring); on ASCII text the output equals gensim's.

    Examples
    --------
    >>> for sentence in LineSentence("corpus.txt"):  # doctest: +SKIP
    ...     print(sentence)
    """

    def __init__(self, source, max_sentence_length=MAX_SENTENCE_TOKENS, limit=None):
        self.source = source
        self.max_sentence_length = max_sentence_length
        self.limit = limit

    def __iter__(self):
        if hasattr(self.source, "seek") and hasattr(self.source, "__iter__"):
            # An open file, like gensim: rewind, then read it line by line
            # (its own line splitting applies, e.g. universal newlines).
            self.source.seek(0)
            lines = map(_to_text, itertools.islice(self.source, self.limit))
            yield from _sentences_from_lines(lines, self.max_sentence_length)
            return
        with _open_binary(self.source) as fin:
            yield from _sentences_from_file(fin, self.max_sentence_length, self.limit)


class PathLineSentences:
    """Like :class:`LineSentence`, over every file of a directory in sorted filename order.

    Parameters
    ----------
    source : str or os.PathLike
        Path to a directory (not recursed into), or to a single file (a local path
        or a URI, as for :class:`LineSentence`).
    max_sentence_length : int, optional
        A line with more tokens is yielded as several sentences of at most
        this many tokens; nothing is truncated.
    limit : int or None, optional
        Read only the first `limit` lines of each file. Read all if None.

    Raises
    ------
    ValueError
        If `source` is neither a file nor a directory.
    """

    def __init__(self, source, max_sentence_length=MAX_SENTENCE_TOKENS, limit=None):
        self.source = os.fspath(source)
        self.max_sentence_length = max_sentence_length
        self.limit = limit
        if is_uri(self.source) or os.path.isfile(self.source):
            self.input_files = [self.source]
        elif os.path.isdir(self.source):
            self.source = os.path.join(self.source, "")
            self.input_files = sorted(self.source + name for name in os.listdir(self.source))
        else:
            raise ValueError("input is neither a file nor a path: %r" % (self.source,))

    def __iter__(self):
        for file_name in self.input_files:
            with _open_binary(file_name) as fin:
                yield from _sentences_from_file(fin, self.max_sentence_length, self.limit)


class Text8Corpus:
    """Iterate over the "text8" corpus: one stream of tokens cut into fixed-size sentences.

    The file has no sentence marks; line breaks are ordinary whitespace. Every
    sentence has exactly `max_sentence_length` tokens except the last.

    Parameters
    ----------
    fname : str, os.PathLike or binary file-like object
        Path or URI of the file (compressed as for :class:`LineSentence`) or an open
        binary file, rewound with ``seek(0)`` at the start of every iteration.
    max_sentence_length : int, optional
        Tokens per sentence.

    Notes
    -----
    gensim cuts its 8 KiB read blocks at the last space, and strips the carried
    remainder, which glues two tokens together when a block boundary follows
    a line break (``"a\\nb"`` + ``"c"`` gives ``"bc"``) and can make the last
    sentence longer than `max_sentence_length`. We cut at any ASCII whitespace
    and never exceed `max_sentence_length`; on space-separated text (text8
    itself) the output is identical.
    """

    def __init__(self, fname, max_sentence_length=MAX_SENTENCE_TOKENS):
        self.fname = fname
        self.max_sentence_length = max_sentence_length

    def _tokens_by_block(self, fin):
        rest = b""
        while True:
            block = fin.read(_BLOCK_SIZE)
            if not block:
                break
            text = rest + block
            # Cut after the last whitespace byte; the tail may be half a token.
            cut = max(text.rfind(c) for c in (b" ", b"\n", b"\t", b"\r", b"\x0b", b"\x0c", b"\x00"))
            if cut < 0:
                rest = text
                continue
            yield split_ascii_whitespace(_decode(text[:cut]))
            rest = text[cut + 1:]
        if rest:
            yield split_ascii_whitespace(_decode(rest))

    def __iter__(self):
        if hasattr(self.fname, "read"):
            self.fname.seek(0)
            fin, owned = self.fname, False
        else:
            fin, owned = _open_binary(self.fname), True
        max_len = self.max_sentence_length
        try:
            sentence = []
            for words in self._tokens_by_block(fin):
                sentence.extend(words)
                if len(sentence) >= max_len:
                    n_full = len(sentence) // max_len * max_len
                    for i in range(0, n_full, max_len):
                        yield sentence[i:i + max_len]
                    sentence = sentence[n_full:]
            if sentence:
                yield sentence
        finally:
            if owned:
                fin.close()


class BrownCorpus:
    """Iterate over the Brown corpus as NLTK ships it: a folder of tagged files.

    Each line of each file in `dirname` (sorted by name, sub-folders skipped) is a
    sentence of ``word/TAG`` tokens. A token becomes ``word.lower() + "/" + TAG[:2]``
    and is kept when those two tag letters are alphabetic (punctuation and
    untagged tokens are dropped); sentences left empty are skipped. The words of
    gensim's ``BrownCorpus``.

    Parameters
    ----------
    dirname : str or os.PathLike
        Folder of corpus files (``.gz``/``.bz2`` decompressed).
    """

    def __init__(self, dirname):
        self.dirname = os.fspath(dirname)

    def __iter__(self):
        for name in sorted(os.listdir(self.dirname)):
            path = os.path.join(self.dirname, name)
            if not os.path.isfile(path):
                continue
            with _open_binary(path) as fin:
                for line in fin:
                    words = [_brown_word(token) for token in split_ascii_whitespace(_decode(line))]
                    words = [w for w in words if w is not None]
                    if words:
                        yield words


def _brown_word(token):
    """``word/TAG`` as ``word/TA`` (lower-cased word, two tag letters), or None."""
    parts = token.split("/")
    if len(parts) != 2:
        return None
    word, tag = parts
    tag = tag[:2]
    return f"{word.lower()}/{tag}" if tag.isalpha() else None
