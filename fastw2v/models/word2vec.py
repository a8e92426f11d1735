"""gensim-shaped alias of :mod:`fastw2v.word2vec` (``fastw2v.models.word2vec``)."""
from ..corpus import LineSentence, PathLineSentences, Text8Corpus
from ..word2vec import Word2Vec

__all__ = ["Word2Vec", "LineSentence", "PathLineSentences", "Text8Corpus"]
