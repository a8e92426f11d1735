"""fastw2v: fast word2vec training with gensim 4.x's API.

Change ``gensim`` to ``fastw2v`` in your imports::

    from fastw2v import Word2Vec, LineSentence
    model = Word2Vec(LineSentence("corpus.txt"), vector_size=100, window=5, min_count=5, workers=4)
    model.wv.most_similar("king")

Layers, in the order data flows (``docs/architecture.md`` describes each):
:mod:`fastw2v.params` (the hyper-parameters) -> :mod:`fastw2v.corpus` (readers) ->
:mod:`fastw2v.vocab` -> :mod:`fastw2v.encode` (with :mod:`fastw2v.read_once`) ->
:mod:`fastw2v.kernels` -> :mod:`fastw2v.trainer` -> :mod:`fastw2v.word2vec` ->
:mod:`fastw2v.keyedvectors` (on :mod:`fastw2v.vector_store`; :mod:`fastw2v.search`,
:mod:`fastw2v.evaluation`, :mod:`fastw2v.similarities`) -> :mod:`fastw2v.io`.
"""

from .callbacks import CallbackAny2Vec
from .corpus import BrownCorpus, LineSentence, PathLineSentences, Text8Corpus
from .fasttext import FastText
from .fasttext_vectors import FastTextKeyedVectors
from .keyedvectors import KeyedVectors
from .word2vec import Word2Vec

__version__ = "0.1.0"

__all__ = ["Word2Vec", "FastText", "KeyedVectors", "FastTextKeyedVectors", "LineSentence", "PathLineSentences",
           "Text8Corpus", "BrownCorpus", "CallbackAny2Vec", "__version__"]
