"""Corpus readers: sentence iterables (pure Python) and the parallel C file reader.

* :mod:`~fastw2v.corpus.readers`: ``LineSentence``, ``PathLineSentences``, ``Text8Corpus``,
  ``BrownCorpus``.
* :mod:`~fastw2v.corpus.limits`: ``MAX_SENTENCE_TOKENS``, the sentence cap of every reader.
* ``_filescan`` (C): the ``corpus_file`` reader (``scan_vocab``, ``scan_encode``,
  ``encode_file``), one file per job: ``_reader.pxi``, ``_counting.pxi``,
  ``_encoding.pxi``, over the token table of ``_token_table.pxd`` / ``token_key.h``.
* ``_token_ids`` (C): provisional ids of iterables' tokens in the same table, and
  ``remap_ids``.
"""
from .limits import MAX_SENTENCE_TOKENS
from .readers import BrownCorpus, LineSentence, PathLineSentences, Text8Corpus

__all__ = ["LineSentence", "PathLineSentences", "Text8Corpus", "BrownCorpus", "MAX_SENTENCE_TOKENS"]
