"""gensim-shaped alias of :mod:`fastw2v.keyedvectors` (``fastw2v.models.keyedvectors``)."""
from ..keyedvectors import KeyedVectors

__all__ = ["KeyedVectors"]
