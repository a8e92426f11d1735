"""fastw2v: fast word2vec training with gensim 4.x's API.

Change ``gensim`` to ``fastw2v`` in your imports::

    from fastw2v import Word2Vec, LineSentence
    model = Word2Vec(LineSentence("corpus.txt"), vector_size=100, window=5, min_count=5, workers=4)
    model.wv.most_similar("king")

Layers, in the order data flows: :mod:`fastw2v.corpus` (readers) ->
:mod:`fastw2v.vocab` -> :mod:`fastw2v.encode` -> :mod:`fastw2v.kernels` ->
:mod:`fastw2v.trainer` -> :mod:`fastw2v.word2vec` -> :mod:`fastw2v.keyedvectors`
-> :mod:`fastw2v.io`.
"""

from .callbacks import CallbackAny2Vec
from .corpus import LineSentence, PathLineSentences, Text8Corpus
from .keyedvectors import KeyedVectors
from .word2vec import Word2Vec

__version__ = "0.1.0"

__all__ = ["Word2Vec", "KeyedVectors", "LineSentence", "PathLineSentences", "Text8Corpus",
           "CallbackAny2Vec", "__version__"]
