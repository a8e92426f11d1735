"""gensim-shaped alias of :mod:`fastw2v.callbacks` (``fastw2v.models.callbacks``)."""
from ..callbacks import CallbackAny2Vec

__all__ = ["CallbackAny2Vec"]
