"""fastw2v: fast word2vec training with gensim's API."""

__version__ = "0.1.0"
