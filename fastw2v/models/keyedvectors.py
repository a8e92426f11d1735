"""gensim-shaped alias of :mod:`fastw2v.keyedvectors` (``fastw2v.models.keyedvectors``).

Also the module-level names gensim code imports from ``gensim.models.keyedvectors``:
``REAL`` (the vectors' dtype) and ``pseudorandom_weak_vector``.
"""
import numpy as np

from ..keyedvectors import KeyedVectors

__all__ = ["KeyedVectors", "REAL", "pseudorandom_weak_vector"]

#: The dtype of word vectors (gensim's name).
REAL = np.float32


def pseudorandom_weak_vector(size, seed_string=None, hashfxn=hash):
    """A small random vector, uniform in [-1/size, 1/size), as gensim initialises one.

    Parameters
    ----------
    size : int
        Dimensions.
    seed_string : str, optional
        Seed the generator with ``hashfxn(seed_string)`` (so the same string gives
        the same vector within a process); a fresh random vector without it.
    hashfxn : callable
    """
    seed = None if seed_string is None else hashfxn(seed_string) & 0xFFFFFFFF
    rng = np.random.default_rng(seed)
    return ((rng.random(size) * 2 - 1) / size).astype(REAL)
