"""Word Mover's Distance between two documents (Kusner et al. 2015), through POT.

The distance is the least total cost of moving one document's normalised bag of
words onto the other's, a word's cost being the Euclidean distance between the
two words' vectors (unit vectors with ``norm=True``). The transport problem is
solved exactly by POT's ``emd2``, an optional dependency (``pip install
"fastw2v[wmd]"``), as in gensim.
"""
import logging
from collections import Counter

import numpy as np

logger = logging.getLogger("fastw2v.keyedvectors")

__all__ = ["wmdistance"]


def _emd2():
    try:
        from ot import emd2
    except ImportError as err:
        raise ImportError('wmdistance needs POT (Python Optimal Transport): '
                          'pip install "fastw2v[wmd]"') from err
    return emd2


def wmdistance(kv, document1, document2, norm=True):
    """Word Mover's Distance between two token lists, with the vectors of ``kv``.

    Parameters
    ----------
    kv : fastw2v.KeyedVectors
    document1, document2 : list of str
        Tokens; those without a vector are left out (and logged).
    norm : bool
        Use unit-length vectors (cosine geometry), as gensim does by default.

    Returns
    -------
    float
        0.0 when the known words of both documents are the same single word (or
        vectors); ``inf`` when either document has no known word.

    Raises
    ------
    ImportError
        POT is not installed.
    """
    emd2 = _emd2()
    docs = []
    for doc in (document1, document2):
        known = [w for w in doc if w in kv]
        if len(known) < len(doc):
            logger.info("removed %d out-of-vocabulary words from a document", len(doc) - len(known))
        docs.append(known)
    if not docs[0] or not docs[1]:
        logger.warning("at least one of the documents had no words that were in the vocabulary")
        return float("inf")
    words = sorted(set(docs[0]) | set(docs[1]), key=kv.get_index)
    vectors = np.array([kv.get_vector(w, norm=norm) for w in words], dtype=np.float64)
    sq = (vectors ** 2).sum(axis=1)
    distances = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * vectors @ vectors.T, 0.0))
    np.fill_diagonal(distances, 0.0)
    if abs(distances.sum()) < 1e-8:  # every word is the same point: nothing to move
        return 0.0
    position = {w: i for i, w in enumerate(words)}
    weights = []
    for doc in docs:
        bow = np.zeros(len(words))
        for word, count in Counter(doc).items():
            bow[position[word]] = count
        weights.append(bow / bow.sum())
    return float(emd2(weights[0], weights[1], distances))
