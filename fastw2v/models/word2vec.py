"""gensim-shaped alias of :mod:`fastw2v.word2vec` (``fastw2v.models.word2vec``).

The names gensim code imports from ``gensim.models.word2vec`` resolve here too.
"""
from ..corpus import BrownCorpus, LineSentence, PathLineSentences, Text8Corpus
from ..keyedvectors import KeyedVectors
from ..word2vec import MAX_WORDS_IN_BATCH, Word2Vec

__all__ = ["Word2Vec", "KeyedVectors", "LineSentence", "PathLineSentences", "Text8Corpus",
           "BrownCorpus", "MAX_WORDS_IN_BATCH"]
