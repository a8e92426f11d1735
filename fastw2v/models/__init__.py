"""gensim-shaped import paths: ``from fastw2v.models import Word2Vec, KeyedVectors``."""
from ..keyedvectors import KeyedVectors
from ..word2vec import Word2Vec

__all__ = ["Word2Vec", "KeyedVectors"]
