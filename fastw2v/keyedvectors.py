"""Word vectors with gensim 4.x's ``KeyedVectors`` API: lookups, per-key
attributes, similarity queries; evaluation and persistence through their modules.

This module's one job is the class and its gensim-shaped API. The work behind
it lives beside it: top-k selection and the fused similarity kernel in
:mod:`fastw2v.search`, analogy and word-pair evaluation in
:mod:`fastw2v.evaluation`, the file formats in :mod:`fastw2v.io`. The file is
longer than our ~700-line aim because that API is wide (some 50 public methods
and aliases, each with its numpydoc docstring: more than a third of the lines);
the method bodies are short.

Queries run on a cache of unit-length rows (``vectors / norms``) built lazily
on first use: one BLAS matrix-vector product plus a top-k selection per
query, and matrix-matrix products for batches (2-D query arrays, analogy
evaluation). The cache costs one extra copy of ``vectors``.

Contract with the trainer: it may assign ``index_to_key``, ``key_to_index``,
``vectors`` and ``expandos[...]`` directly. Assigning ``vectors`` drops the
cached norms and unit rows; after writing into ``vectors`` in place (as
training does) it calls `KeyedVectors.vectors_changed`. Norms are also
recomputed when their length differs from ``len(vectors)``.

Differences from gensim, all deliberate:

* rows of zero norm get similarity 0 (gensim gives NaN);
* ``most_similar(positive=<2-D array>, batch=True)``, an extension, answers
  each row as its own query (without ``batch`` the rows are averaged, as in
  gensim);
* ``save``/``load`` use the pickle-free native format of
  :mod:`fastw2v.io.native`;
* ``save_word2vec_format`` writes rows in index order (gensim re-sorts by
  ``count``; a trained model's index order is already by descending count).
"""
import logging
import warnings
from numbers import Integral

import numpy as np

from fastw2v import evaluation
from fastw2v.io.keyedvectors_file import load_keyedvectors, save_keyedvectors
from fastw2v.io.word2vec_format import read_word2vec_format, write_word2vec_format
from fastw2v.search import BLOCK_CELLS, batch_top_k, top_indices

logger = logging.getLogger(__name__)

__all__ = ["KeyedVectors", "EmptyQueryError"]

_KEY_TYPES = (str, int, np.integer)
_EXTENDED_KEY_TYPES = (str, int, np.integer, np.ndarray)


class EmptyQueryError(ValueError, ZeroDivisionError):
    """A query has no input. Also a ZeroDivisionError, which gensim raises in places."""


def _ensure_list(value):
    """Wrap a single key or 1-D vector in a list (gensim's semantics)."""
    if value is None:
        return []
    if isinstance(value, _KEY_TYPES) or (isinstance(value, np.ndarray) and value.ndim == 1):
        return [value]
    if isinstance(value, np.ndarray) and value.ndim == 2:
        return list(value)
    return list(value)


def _unitvec(vec):
    """`vec` scaled to unit L2 length; a zero vector is returned unchanged."""
    norm = np.linalg.norm(vec)
    return vec / norm if norm > 0 else vec


def _safe(norms):
    """Norms with zeros replaced by 1, so zero rows give similarity 0, never NaN."""
    return np.where(norms > 0, norms, 1).astype(norms.dtype, copy=False)


class KeyedVectors:
    """Mapping between keys (words) and vectors, with gensim 4.x's API.

    Parameters
    ----------
    vector_size : int
        Dimensionality of the vectors.
    count : int, optional
        Number of slots to preallocate (filled by `add_vector`).
    dtype : numpy dtype, optional
        Vector dtype (float32 by default).

    Attributes
    ----------
    vector_size : int
    index_to_key : list
        Key of each row of `vectors`.
    key_to_index : dict
        Row of each key.
    vectors : numpy.ndarray
        (len(index_to_key), vector_size) array; assigning it drops `norms`.
    expandos : dict of str -> numpy.ndarray
        Per-key attributes (e.g. ``count`` int64, ``sample_int`` uint32), one
        value per key.
    norms : numpy.ndarray or None
        Cached L2 norms of `vectors`; None when they must be recomputed.
    """

    def __init__(self, vector_size, count=0, dtype=np.float32):
        self.vector_size = int(vector_size)
        self.index_to_key = [None] * count
        self.next_index = 0
        self.key_to_index = {}
        self.vectors = np.zeros((count, self.vector_size), dtype=dtype)  # sets the caches to None
        self.expandos = {}

    def __str__(self):
        return f"{self.__class__.__name__}<vector_size={self.vector_size}, {len(self)} keys>"

    __repr__ = __str__

    @property
    def vectors(self):
        """The (len(index_to_key), vector_size) array of vectors.

        Assigning a new array drops what was cached from the old one (`norms`,
        the unit-length rows); they are recomputed on the next query. The array
        is kept as given: a memory-mapped or read-only array stays one.

        Writes *into* the array (``kv.vectors[i] = v``, ``kv.vectors *= 2``,
        training) cannot be seen here, as in gensim: call `vectors_changed`
        after them, or the next query may use stale norms.
        """
        return self._vectors

    @vectors.setter
    def vectors(self, value):
        self._vectors = value
        self.vectors_changed()

    def vectors_changed(self):
        """Drop the caches derived from `vectors` (`norms`, the unit-length rows).

        Call it after writing into `vectors` in place; assigning `vectors`
        calls it itself. (fastw2v extension; in gensim, set ``norms = None``.)
        """
        self.norms = None
        self._unit = None
        self._unit_norms = None

    # ------------------------------------------------------------------ lookups

    def __len__(self):
        return len(self.index_to_key)

    def __contains__(self, key):
        return self.has_index_for(key)

    def __getitem__(self, key_or_keys):
        """Vector of a key (1-D) or of a list of keys (2-D)."""
        if isinstance(key_or_keys, _KEY_TYPES):
            return self.get_vector(key_or_keys)
        return self.vectors[[self.get_index(k) for k in key_or_keys]]

    def __setitem__(self, keys, weights):
        """Add or replace vectors (`add_vectors` with ``replace=True``)."""
        if not isinstance(keys, list):
            keys = [keys]
            weights = np.asarray(weights).reshape(1, -1)
        self.add_vectors(keys, weights, replace=True)

    def get_index(self, key, default=None):
        """Row index of `key`; an int within range is its own index.

        Raises
        ------
        KeyError
            Unknown key and no `default`.
        """
        val = self.key_to_index.get(key, -1)
        if val >= 0:
            return val
        if isinstance(key, (int, np.integer)) and 0 <= key < len(self.index_to_key):
            return int(key)
        if default is not None:
            return default
        raise KeyError(f"Key '{key}' not present")

    def has_index_for(self, key):
        """Whether `key` has a row."""
        return self.get_index(key, -1) >= 0

    def get_vector(self, key, norm=False):
        """Vector of `key` (read-only view); unit length if `norm`.

        Raises
        ------
        KeyError
            Unknown key.
        """
        index = self.get_index(key)
        if norm:
            self.fill_norms()
            result = self.vectors[index] / _safe(self.norms[index:index + 1])[0]
        else:
            result = self.vectors[index]
        result.setflags(write=False)
        return result

    def word_vec(self, *args, **kwargs):
        """Alias of `get_vector` (deprecated in gensim)."""
        return self.get_vector(*args, **kwargs)

    # ------------------------------------------------------------------ per-key attributes

    def allocate_vecattrs(self, attrs=None, types=None):
        """Ensure arrays for the given attributes exist, sized to ``len(index_to_key)``.

        With no arguments, resize all existing attribute arrays.
        """
        if attrs is None:
            attrs = list(self.expandos)
            types = [self.expandos[a].dtype for a in attrs]
        target = len(self.index_to_key)
        for attr, t in zip(attrs, types):
            if t is int:
                t = np.int64
            if t is str:
                t = object
            if attr not in self.expandos:
                self.expandos[attr] = np.zeros(target, dtype=t)
                continue
            prev = self.expandos[attr]
            if not np.issubdtype(t, prev.dtype):
                raise TypeError(f"Can't allocate type {t} for attribute {attr}, "
                                f"conflicts with its existing type {prev.dtype}")
            if len(prev) != target:
                grown = np.zeros(target, dtype=prev.dtype)
                keep = min(len(prev), target)
                grown[:keep] = prev[:keep]
                self.expandos[attr] = grown

    def set_vecattr(self, key, attr, val):
        """Set attribute `attr` of `key` to `val` (creating the attribute array if needed)."""
        self.allocate_vecattrs(attrs=[attr], types=[type(val)])
        self.expandos[attr][self.get_index(key)] = val

    def get_vecattr(self, key, attr):
        """Value of attribute `attr` of `key`."""
        return self.expandos[attr][self.get_index(key)]

    # ------------------------------------------------------------------ adding vectors

    def add_vector(self, key, vector):
        """Add one vector, into a preallocated slot when one is free.

        Returns
        -------
        int
            Index of the new vector.
        """
        target = self.next_index
        if target >= len(self) or self.index_to_key[target] is not None:
            target = len(self)
            warnings.warn(
                "Adding single vectors to a KeyedVectors which grows by one each time can be costly. "
                "Consider adding in batches or preallocating to the required size.", UserWarning)
            self.add_vectors([key], [vector])
            self.next_index = target + 1
        else:
            self.index_to_key[target] = key
            self.key_to_index[key] = target
            self.vectors[target] = vector
            self.next_index += 1
            self.vectors_changed()  # an in-place write: the property cannot see it
        return target

    def add_vectors(self, keys, weights, extras=None, replace=False):
        """Append keys and vectors; existing keys keep their vector unless `replace`.

        Parameters
        ----------
        keys : key or list of keys
        weights : numpy.ndarray or list of 1-D arrays
        extras : dict of str -> numpy.ndarray, optional
            Per-key attribute values, aligned with `keys`.
        replace : bool
            Overwrite the vectors (and extras) of keys already present.
        """
        if isinstance(keys, _KEY_TYPES):
            keys = [keys]
            weights = np.asarray(weights).reshape(1, -1)
        weights = np.asarray(weights)
        if weights.ndim != 2 or weights.shape != (len(keys), self.vector_size):
            raise ValueError(f"weights of shape {weights.shape} do not match "
                             f"{len(keys)} keys of size {self.vector_size}")
        extras = {k: np.asarray(v) for k, v in (extras or {}).items()}
        self.allocate_vecattrs(list(extras), [v.dtype for v in extras.values()])
        new_rows, old_rows, old_index = [], [], []
        for i, key in enumerate(keys):
            idx = self.key_to_index.get(key)
            if idx is None:
                self.key_to_index[key] = len(self.index_to_key)
                self.index_to_key.append(key)
                new_rows.append(i)
            else:
                old_rows.append(i)
                old_index.append(idx)
        self.vectors = np.vstack((self.vectors, weights[new_rows].astype(self.vectors.dtype)))
        self.allocate_vecattrs()
        n_new = len(new_rows)
        for attr, values in extras.items():
            if n_new:
                self.expandos[attr][-n_new:] = values[new_rows]
        if replace and old_rows:  # writes into the array assigned above: caches already dropped
            self.vectors[old_index] = weights[old_rows]
            for attr, values in extras.items():
                self.expandos[attr][old_index] = values[old_rows]

    def sort_by_descending_frequency(self):
        """Reorder keys so the most frequent (``count``) come first (stable)."""
        if not len(self):
            return
        counts = np.asarray(self.expandos["count"], dtype=np.int64)
        order = np.lexsort((np.arange(len(counts)), -counts))
        self.index_to_key = [self.index_to_key[i] for i in order]
        self.allocate_vecattrs()
        for attr in self.expandos:
            self.expandos[attr] = self.expandos[attr][order]
        if len(self.vectors):
            self.vectors = self.vectors[order]
        self.key_to_index = {key: i for i, key in enumerate(self.index_to_key)}

    # ------------------------------------------------------------------ norms

    def fill_norms(self, force=False):
        """Compute the L2 norms of all vectors if missing, stale or `force`."""
        if force or self.norms is None or len(self.norms) != len(self.vectors):
            norms = np.empty(len(self.vectors), dtype=self.vectors.dtype)
            step = max(1, BLOCK_CELLS // max(1, self.vector_size))
            for start in range(0, len(self.vectors), step):  # bounded temporaries
                norms[start:start + step] = np.linalg.norm(self.vectors[start:start + step], axis=1)
            self.norms = norms

    def _unit_vectors(self):
        """Cached unit-length rows; rebuilt whenever `norms` was reset or recomputed."""
        self.fill_norms()
        if self._unit is None or self._unit_norms is not self.norms or len(self._unit) != len(self.vectors):
            self._unit = self.vectors / _safe(self.norms)[:, None]
            self._unit_norms = self.norms
        return self._unit

    def get_normed_vectors(self):
        """All vectors scaled to unit length, shape ``(len(self), vector_size)``.

        Zero vectors stay zero.
        """
        return self._unit_vectors().copy()

    def unit_normalize_all(self):
        """Scale all vectors to unit length in place (training cannot sensibly continue)."""
        self.fill_norms()
        self.vectors /= _safe(self.norms)[:, None]  # through the setter: drops the caches
        self.norms = np.ones(len(self.vectors), dtype=self.vectors.dtype)

    def init_sims(self, replace=False):
        """Deprecated in gensim: `fill_norms`, and `unit_normalize_all` if `replace`."""
        self.fill_norms()
        if replace:
            self.unit_normalize_all()

    # ------------------------------------------------------------------ similarity queries

    def get_mean_vector(self, keys, weights=None, pre_normalize=True, post_normalize=False,
                        ignore_missing=True):
        """Weighted mean of the vectors of `keys` (keys or raw 1-D arrays).

        Raises
        ------
        ValueError
            No keys, or `keys` and `weights` differ in length.
        KeyError
            A key is missing and not `ignore_missing`.
        """
        if len(keys) == 0:
            raise EmptyQueryError("cannot compute mean with no input")
        if weights is None:
            weights = np.ones(len(keys), dtype=self.vectors.dtype)
        weights = np.asarray(weights, dtype=self.vectors.dtype)
        if len(keys) != weights.shape[0]:
            raise ValueError("keys and weights array must have same number of elements")
        mean = np.zeros(self.vector_size, self.vectors.dtype)
        total_weight = 0
        for idx, key in enumerate(keys):
            if isinstance(key, np.ndarray):
                mean += weights[idx] * key
                total_weight += abs(weights[idx])
            elif key in self:
                mean += weights[idx] * self.get_vector(key, norm=pre_normalize)
                total_weight += abs(weights[idx])
            elif not ignore_missing:
                raise KeyError(f"Key '{key}' not present in vocabulary")
        if total_weight > 0:
            mean = mean / total_weight
        if post_normalize:
            mean = _unitvec(mean).astype(self.vectors.dtype)
        return mean

    def _clip(self, clip_start, clip_end, restrict_vocab):
        if restrict_vocab:
            return 0, min(int(restrict_vocab), len(self.vectors))
        return clip_start, min(clip_end or len(self.vectors), len(self.vectors))

    def most_similar(self, positive=None, negative=None, topn=10, clip_start=0, clip_end=None,
                     restrict_vocab=None, indexer=None, *, batch=False):
        """Top-`topn` keys by cosine similarity to the weighted mean of the inputs.

        Parameters
        ----------
        positive, negative : key, 1-D vector, (key or vector, weight) tuples, or lists of them
            Inputs contributing with weight +1 / -1 (or the tuple's weight).
            A 2-D array counts as a list of vectors and is averaged, as in gensim
            (unless `batch`).
        topn : int or None
            Number of results; None returns the similarity array of all keys
            in the clip range, as gensim does.
        clip_start, clip_end : int
            Search only rows ``clip_start:clip_end``.
        restrict_vocab : int, optional
            Search only the first `restrict_vocab` rows (overrides clipping).
        indexer : object, optional
            An approximate-nearest-neighbour indexer with gensim's
            ``most_similar(vector, topn)`` interface.
        batch : bool
            fastw2v extension: with `positive` a 2-D array (n_queries x dim) and no
            `negative`, each row is a separate query; all are scored by one
            matrix-matrix product (in blocks of bounded memory) and a list of
            result lists is returned (a 2-D array when `topn` is None).

        Returns
        -------
        list of (key, float), or numpy.ndarray when `topn` is None.
            Input keys are excluded from the results.

        Raises
        ------
        KeyError
            An input key is unknown.
        ValueError
            No input.
        """
        if isinstance(topn, Integral) and topn < 1:
            return []
        if batch:
            positive = np.asarray(positive, dtype=np.float32)
            if positive.ndim != 2 or _ensure_list(negative):
                raise ValueError("batch=True takes a 2-D array of query vectors and no negative")
            return self._most_similar_batch(positive, topn, clip_start, clip_end, restrict_vocab)
        positive = _ensure_list(positive)
        negative = _ensure_list(negative)
        start, end = self._clip(clip_start, clip_end, restrict_vocab)

        keys = []
        weight = np.concatenate((np.ones(len(positive)), -1.0 * np.ones(len(negative))))
        for idx, item in enumerate(positive + negative):
            if isinstance(item, _EXTENDED_KEY_TYPES):
                keys.append(item)
            else:
                keys.append(item[0])
                weight[idx] = item[1]
        if not keys:
            raise EmptyQueryError("cannot compute similarity with no input")
        mean = self.get_mean_vector(keys, weight, pre_normalize=True, post_normalize=True,
                                    ignore_missing=False)
        all_keys = {self.get_index(key) for key in keys
                    if isinstance(key, _KEY_TYPES) and self.has_index_for(key)}
        if indexer is not None and isinstance(topn, int):
            return indexer.most_similar(mean, topn)

        dists = self._unit_vectors()[start:end] @ mean
        if not topn:
            return dists
        best = top_indices(dists, topn + len(all_keys))
        result = [(self.index_to_key[i + start], float(dists[i]))
                  for i in best.tolist() if i + start not in all_keys]
        return result[:topn]

    def _most_similar_batch(self, queries, topn, clip_start, clip_end, restrict_vocab):
        """Each row of `queries` a separate query: blocked matrix-matrix products."""
        if queries.shape[0] == 0:
            raise EmptyQueryError("cannot compute similarity with no input")
        if queries.shape[1] != self.vector_size:
            raise ValueError(f"query vectors have size {queries.shape[1]}, not {self.vector_size}")
        start, end = self._clip(clip_start, clip_end, restrict_vocab)
        unit = self._unit_vectors()[start:end]
        q = np.asarray(queries, dtype=self.vectors.dtype)
        q = q / _safe(np.linalg.norm(q, axis=1))[:, None]
        if not topn:
            return q @ unit.T
        results = []
        keys = self.index_to_key
        for best, top_scores in batch_top_k(q, unit, min(int(topn), len(unit))):
            for row_idx, row_scores in zip(best.tolist(), top_scores.tolist()):
                # index -1: fewer than topn comparable (non-NaN) rows
                results.append([(keys[i + start], s) for i, s in zip(row_idx, row_scores) if i >= 0])
        return results

    def similar_by_key(self, key, topn=10, restrict_vocab=None):
        """Top-`topn` keys most similar to `key` (see `most_similar`)."""
        return self.most_similar(positive=[key], topn=topn, restrict_vocab=restrict_vocab)

    def similar_by_word(self, word, topn=10, restrict_vocab=None):
        """Alias of `similar_by_key`."""
        return self.similar_by_key(word, topn, restrict_vocab)

    def similar_by_vector(self, vector, topn=10, restrict_vocab=None):
        """Top-`topn` keys most similar to a 1-D `vector` (see `most_similar`)."""
        return self.most_similar(positive=[vector], topn=topn, restrict_vocab=restrict_vocab)

    def most_similar_cosmul(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """Top-`topn` keys by 3CosMul (Levy & Goldberg 2014), similarities shifted to [0, 1].

        Unlike gensim (which ignores it), `restrict_vocab` limits the search.

        Returns
        -------
        list of (key, float), or numpy.ndarray of all scores when `topn` is None.
        """
        if isinstance(topn, Integral) and topn < 1:
            return []
        positive = _ensure_list(positive)
        negative = _ensure_list(negative)
        if not positive:
            raise EmptyQueryError("cannot compute similarity with no input")
        all_words = {self.get_index(w) for w in positive + negative
                     if not isinstance(w, np.ndarray) and w in self.key_to_index}
        pos = [self.get_vector(w, norm=True) if isinstance(w, _KEY_TYPES) else w for w in positive]
        neg = [self.get_vector(w, norm=True) if isinstance(w, _KEY_TYPES) else w for w in negative]
        end = min(int(restrict_vocab), len(self.vectors)) if restrict_vocab else len(self.vectors)
        unit = self._unit_vectors()[:end]
        pos_dists = (1 + unit @ np.array(pos, dtype=unit.dtype).T) / 2
        dists = np.prod(pos_dists, axis=1)
        if neg:
            neg_dists = (1 + unit @ np.array(neg, dtype=unit.dtype).T) / 2
            dists = dists / (np.prod(neg_dists, axis=1) + 0.000001)
        else:
            dists = dists / (1 + 0.000001)
        if not topn:
            return dists
        best = top_indices(dists, topn + len(all_words))
        result = [(self.index_to_key[i], float(dists[i])) for i in best.tolist() if i not in all_words]
        return result[:topn]

    def most_similar_to_given(self, key1, keys_list):
        """The key of `keys_list` most similar to `key1`."""
        return keys_list[int(np.argmax([self.similarity(key1, key) for key in keys_list]))]

    @staticmethod
    def cosine_similarities(vector_1, vectors_all):
        """Cosine similarity of `vector_1` (dim,) to each row of `vectors_all` (n, dim).

        Zero vectors give similarity 0 rather than NaN.
        """
        norm = np.linalg.norm(vector_1)
        all_norms = np.linalg.norm(vectors_all, axis=1)
        dots = np.dot(vectors_all, vector_1)
        return dots / (_safe(np.atleast_1d(norm))[0] * _safe(all_norms))

    def distances(self, word_or_vector, other_words=()):
        """Cosine distances from a key or vector to `other_words` (all keys when empty).

        Raises
        ------
        KeyError
            A key is unknown.
        """
        if isinstance(word_or_vector, _KEY_TYPES):
            query = self.get_vector(word_or_vector, norm=True)
        else:
            query = _unitvec(np.asarray(word_or_vector))
        if not other_words:
            sims = self._unit_vectors() @ query.astype(self.vectors.dtype, copy=False)
        else:
            idx = [self.get_index(w) for w in other_words]
            sims = self._unit_vectors()[idx] @ query.astype(self.vectors.dtype, copy=False)
        return 1 - sims

    def distance(self, w1, w2):
        """Cosine distance (1 - similarity) between two keys."""
        return 1 - self.similarity(w1, w2)

    def similarity(self, w1, w2):
        """Cosine similarity between two keys."""
        return float(np.dot(_unitvec(self[w1]), _unitvec(self[w2])))

    def n_similarity(self, ws1, ws2):
        """Cosine similarity between the means of two lists of keys.

        Raises
        ------
        EmptyQueryError
            A list is empty (a ValueError and, as in gensim, a ZeroDivisionError).
        """
        if not (len(ws1) and len(ws2)):
            raise EmptyQueryError("At least one of the passed list is empty.")
        mean1 = self.get_mean_vector(ws1, pre_normalize=False)
        mean2 = self.get_mean_vector(ws2, pre_normalize=False)
        return float(np.dot(_unitvec(mean1), _unitvec(mean2)))

    def closer_than(self, key1, key2):
        """All keys closer to `key1` than `key2` is."""
        all_distances = self.distances(key1)
        e1, e2 = self.get_index(key1), self.get_index(key2)
        closer = np.where(all_distances < all_distances[e2])[0]
        return [self.index_to_key[i] for i in closer.tolist() if i != e1]

    def words_closer_than(self, word1, word2):
        """Alias of `closer_than`."""
        return self.closer_than(word1, word2)

    def rank(self, key1, key2):
        """Rank of `key2` among all keys by distance from `key1` (1 = closest)."""
        return len(self.closer_than(key1, key2)) + 1

    def rank_by_centrality(self, words, use_norm=True):
        """(similarity to the normalised centroid, key) pairs, most central first.

        Raises
        ------
        ValueError
            None of `words` is known.
        """
        used = [w for w in words if w in self]
        if len(used) != len(words):
            logger.warning("vectors for words %s are not present in the model, ignoring these words",
                           set(words) - set(used))
        if not used:
            raise EmptyQueryError("cannot select a word from an empty list")
        vectors = np.vstack([self.get_vector(w, norm=use_norm) for w in used]).astype(np.float32)
        mean = self.get_mean_vector(vectors, post_normalize=True)
        dists = vectors @ mean
        return sorted(zip(dists.tolist(), used), reverse=True)

    def doesnt_match(self, words):
        """The key of `words` furthest from their mean."""
        return self.rank_by_centrality(words)[-1][1]

    def relative_cosine_similarity(self, wa, wb, topn=10):
        """Similarity of `wa`, `wb` relative to the sum of `wa`'s top-`topn` similarities."""
        sims = self.similar_by_word(wa, topn)
        if not sims:
            raise ValueError("Cannot calculate relative cosine similarity without any similar words.")
        return self.similarity(wa, wb) / sum(s for _, s in sims)

    # ------------------------------------------------------------------ evaluation

    def evaluate_word_analogies(self, analogies, restrict_vocab=300000, case_insensitive=True,
                                dummy4unknown=False, similarity_function="most_similar"):
        """Accuracy on an analogy file (``: section`` headers, then ``a b c expected`` lines).

        Same results as gensim's (3CosAdd over the first `restrict_vocab` keys,
        inputs excluded), but batched: one matrix product of the distinct
        question words against the vocabulary, then each question's scores as a
        sum of three of its rows and a row-wise top 5 (see :func:`fastw2v.search.analogy_top_k`).

        Returns
        -------
        score : float
            Overall accuracy.
        sections : list of dict
            ``{'section': name, 'correct': [4-tuples], 'incorrect': [4-tuples]}``
            per section, then ``'Total accuracy'``.

        Raises
        ------
        ValueError
            A question before any section header, or no questions at all.
        """
        if similarity_function != "most_similar":
            raise ValueError("only similarity_function='most_similar' is supported")
        ok_vocab = evaluation.vocab_index(self.index_to_key, restrict_vocab, case_insensitive)
        parsed = evaluation.read_analogies(analogies, ok_vocab, case_insensitive, dummy4unknown)
        n_vocab = min(int(restrict_vocab), len(self.vectors))
        correct = evaluation.solve_analogies(self._unit_vectors()[:n_vocab], self.index_to_key[:n_vocab],
                                             parsed.questions, ok_vocab, case_insensitive)
        return evaluation.score_analogies(parsed, correct)

    @staticmethod
    def _log_evaluate_word_analogies(section):
        """Accuracy of one section (0.0 when it has no questions); gensim's name."""
        return evaluation.section_accuracy(section)

    def evaluate_word_pairs(self, pairs, delimiter="\t", encoding="utf8", restrict_vocab=300000,
                            case_insensitive=True, dummy4unknown=False):
        """Correlation of the model's similarities with human judgements.

        `pairs` lines are ``word1<delimiter>word2<delimiter>score``; ``#`` starts a comment.

        Returns
        -------
        pearson : scipy result (statistic, pvalue)
        spearman : scipy result (statistic, pvalue)
        oov_ratio : float
            Percentage of pairs with unknown words.

        Raises
        ------
        ValueError
            No usable pair.
        """
        ok_vocab = evaluation.vocab_index(self.index_to_key, restrict_vocab, case_insensitive)
        parsed = evaluation.read_word_pairs(pairs, ok_vocab, delimiter, encoding, case_insensitive,
                                            dummy4unknown)
        if not parsed.gold:
            raise ValueError(f"No valid similarity judgements found in {pairs}: either invalid "
                             f"format or all are out-of-vocabulary in {self}")
        return evaluation.correlate_word_pairs(parsed, self._unit_vectors(), dummy4unknown, pairs)

    # ------------------------------------------------------------------ word2vec C formats

    def save_word2vec_format(self, fname, fvocab=None, binary=False, total_vec=None,
                             write_header=True):
        """Store the vectors in word2vec.c's text or binary format (see
        :mod:`fastw2v.io.word2vec_format`), rows in index order.

        Parameters
        ----------
        fname : str
            Output path (``.gz``/``.bz2`` compress).
        fvocab : str, optional
            Also write word2vec.c's vocabulary file ("word count" lines) from
            ``expandos['count']``.
        binary : bool
            Binary rather than text.
        total_vec : int, optional
            Count to write in the header.
        write_header : bool
            False omits the header (GloVe text).

        Raises
        ------
        ValueError
            A key is empty or contains whitespace, or `fvocab` without counts.
        """
        write_word2vec_format(fname, self.index_to_key, self.vectors,
                              counts=self.expandos.get("count"), fvocab=fvocab, binary=binary,
                              total_vec=total_vec, write_header=write_header)

    @classmethod
    def load_word2vec_format(cls, fname, fvocab=None, binary=False, encoding="utf8",
                             unicode_errors="strict", limit=None, datatype=np.float32,
                             no_header=False):
        """Load vectors in word2vec.c's text or binary format, or GloVe text (`no_header`).

        Binary files with or without a newline after each vector, text with or
        without trailing spaces, and ``.gz``/``.bz2`` files are read.
        ``expandos['count']`` comes from `fvocab` or, as in gensim, is made up
        (descending).

        Raises
        ------
        fastw2v.io.FormatError
            The file is not valid (the message names the file and the row).
        """
        keys, vectors, counts = read_word2vec_format(
            fname, fvocab=fvocab, binary=binary, encoding=encoding, unicode_errors=unicode_errors,
            limit=limit, datatype=datatype, no_header=no_header)
        kv = cls(vectors.shape[1], dtype=datatype)
        kv._set_all(keys, vectors, {"count": counts})
        return kv

    def _set_all(self, keys, vectors, expandos):
        """Replace keys, vectors (kept as given, e.g. memory-mapped) and per-key attributes."""
        self.index_to_key = list(keys)
        self.key_to_index = {k: i for i, k in enumerate(self.index_to_key)}
        self.vectors = vectors
        self.vector_size = vectors.shape[1]
        self.expandos = dict(expandos)
        self.next_index = len(self.index_to_key)

    # ------------------------------------------------------------------ native format

    def save(self, fname):
        """Save in fastw2v's native format (JSON + ``.npy``, no pickle, atomic); see
        :mod:`fastw2v.io.keyedvectors_file`.

        Keys must be str or int.

        Raises
        ------
        ValueError
            A key is neither str nor int.
        fastw2v.io.FormatError
            `vectors` or a per-key attribute does not match the keys (the file
            would not load): nothing is written.
        """
        save_keyedvectors(fname, self.index_to_key, self.vectors, self.expandos, self.vector_size)

    @classmethod
    def load(cls, fname, mmap=None):
        """Load what `save` wrote; ``mmap='r'`` memory-maps the arrays.

        Raises
        ------
        fastw2v.io.FormatError
            Not a valid saved KeyedVectors.
        """
        keys, vectors, expandos = load_keyedvectors(fname, mmap=mmap)
        kv = cls(vectors.shape[1], dtype=vectors.dtype)
        kv._set_all(keys, vectors, expandos)
        return kv

    # ------------------------------------------------------------------ pictures

    def plot(self, words=None, top=300, method="pca", path=None, skip=0, title=None):
        """Draw a 2-D projection of word vectors with labelled points (PNG via matplotlib Agg).

        Parameters
        ----------
        words : list of str, optional
            Keys to draw; default the `top` most frequent after skipping `skip`.
        top : int
            How many keys to draw when `words` is not given.
        method : {'pca', 'tsne'}
            PCA by numpy SVD, or t-SNE from scikit-learn.
        path : str, optional
            Write the figure as PNG there.
        skip : int
            Leave out the `skip` most frequent keys (function words) when `words` is None.
        title : str, optional

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        ImportError
            matplotlib (or scikit-learn for t-SNE) is missing: ``pip install fastw2v[plot]``.
        KeyError
            A word is not in the vocabulary.
        """
        from fastw2v.plot import plot_words

        if words is None:
            words = self.index_to_key[skip:skip + top]
        words = list(words)
        vectors = np.stack([self.get_vector(w) for w in words]) if words else np.zeros((0, 0))
        return plot_words(words, vectors, method=method, path=path, title=title)

    # ------------------------------------------------------------------ gensim interop

    @classmethod
    def from_gensim(cls, obj):
        """Copy a gensim ``KeyedVectors`` (or a model with ``.wv``) into a fastw2v one."""
        gkv = getattr(obj, "wv", obj)
        kv = cls(gkv.vector_size, dtype=gkv.vectors.dtype)
        kv._set_all(list(gkv.index_to_key), np.array(gkv.vectors),
                    {attr: np.array(v) for attr, v in gkv.expandos.items()})
        return kv

    def to_gensim(self):
        """A gensim ``KeyedVectors`` with copies of these keys, vectors and attributes.

        Raises
        ------
        ImportError
            gensim is not installed.
        """
        try:
            from gensim.models import KeyedVectors as GensimKeyedVectors
        except ImportError as err:
            raise ImportError("to_gensim() needs gensim: pip install gensim") from err
        gkv = GensimKeyedVectors(self.vector_size, count=0, dtype=self.vectors.dtype)
        gkv.index_to_key = list(self.index_to_key)
        gkv.key_to_index = dict(self.key_to_index)
        gkv.vectors = np.array(self.vectors)
        gkv.expandos = {attr: np.array(v) for attr, v in self.expandos.items()}
        gkv.next_index = len(gkv.index_to_key)
        return gkv
