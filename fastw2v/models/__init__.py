"""gensim-shaped import paths: ``from fastw2v.models import Word2Vec, KeyedVectors``;
``from fastw2v.models.fasttext import load_facebook_vectors`` as in gensim."""
from ..fasttext_vectors import FastTextKeyedVectors
from ..keyedvectors import KeyedVectors
from ..word2vec import Word2Vec
from . import fasttext  # noqa: F401  (gensim.models.fasttext's place)

__all__ = ["Word2Vec", "KeyedVectors", "FastTextKeyedVectors"]
