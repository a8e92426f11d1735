"""Word vectors with gensim 4.x's ``KeyedVectors`` API: lookups, per-key
attributes, similarity queries; evaluation and persistence through their modules.

This module's one job is what is asked of the vectors, with gensim's API:
similarity queries, evaluation, files. The keys, rows, per-key attributes and
norms they rest on are :class:`fastw2v.vector_store.VectorStore`, which this
class extends; the work behind the queries lives beside it: top-k selection and
the fused similarity kernel in :mod:`fastw2v.search`, analogy and word-pair
evaluation in :mod:`fastw2v.evaluation`, the file formats in :mod:`fastw2v.io`.

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
"""
import logging
from numbers import Integral

import numpy as np

from fastw2v import evaluation
from fastw2v.compat import class_only_method
from fastw2v.io.keyedvectors_file import load_keyedvectors, save_keyedvectors
from fastw2v.io.word2vec_format import read_word2vec_format, write_word2vec_format
from fastw2v.search import batch_top_k, top_indices

logger = logging.getLogger(__name__)

__all__ = ["KeyedVectors", "EmptyQueryError"]
from fastw2v.vector_store import (_EXTENDED_KEY_TYPES, _KEY_TYPES, EmptyQueryError,  # noqa: F401
                                  VectorStore, _ensure_list, _safe, _unitvec)


def _cosine(v1, v2):
    """Cosine of two vectors, computed in float64 and rounded to float32 (the vectors'
    precision): a vector's cosine with itself is then exactly 1."""
    v1, v2 = np.asarray(v1, dtype=np.float64), np.asarray(v2, dtype=np.float64)
    return float(np.float32(np.dot(_unitvec(v1), _unitvec(v2))))


class KeyedVectors(VectorStore):
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
    indexer : object or None
        An approximate index (:mod:`fastw2v.similarities`) saved and loaded with
        these vectors; queries use it only when passed as ``indexer=``.
    vectors_lockf : numpy.ndarray, optional
        gensim's lock factors when training: one for every row, or one per row
        (0 keeps a row fixed).
    """

    indexer = None  # class default: set per instance by the user or by `load`

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
            ``most_similar(vector, num_neighbors)`` interface (e.g.
            :class:`fastw2v.similarities.HnswIndexer`, gensim's ``AnnoyIndexer``).
            As in gensim, its results are returned as they are (input keys
            included; clipping and `restrict_vocab` do not apply). Batches use
            its ``most_similar_batch`` when it has one.
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
            if indexer is not None and isinstance(topn, int):
                return self._most_similar_batch_indexed(positive, topn, indexer)
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

    def _most_similar_batch_indexed(self, queries, topn, indexer):
        """Each row of `queries` a separate query, answered by `indexer`."""
        if queries.shape[0] == 0:
            raise EmptyQueryError("cannot compute similarity with no input")
        if queries.shape[1] != self.vector_size:
            raise ValueError(f"query vectors have size {queries.shape[1]}, not {self.vector_size}")
        if hasattr(indexer, "most_similar_batch"):
            return indexer.most_similar_batch(queries, topn)
        return [indexer.most_similar(_unitvec(q), topn) for q in queries]

    def similar_by_key(self, key, topn=10, restrict_vocab=None, indexer=None):
        """Top-`topn` keys most similar to `key` (see `most_similar`, also for `indexer`)."""
        return self.most_similar(positive=[key], topn=topn, restrict_vocab=restrict_vocab,
                                 indexer=indexer)

    def similar_by_word(self, word, topn=10, restrict_vocab=None, indexer=None):
        """Alias of `similar_by_key`."""
        return self.similar_by_key(word, topn, restrict_vocab, indexer=indexer)

    def similar_by_vector(self, vector, topn=10, restrict_vocab=None, indexer=None):
        """Top-`topn` keys most similar to a 1-D `vector` (see `most_similar`, also for `indexer`)."""
        return self.most_similar(positive=[vector], topn=topn, restrict_vocab=restrict_vocab,
                                 indexer=indexer)

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
        """Cosine similarity between two keys.

        Computed in float64 and rounded to the vectors' float32 precision, so a key's
        similarity to itself is exactly 1 (and its ``distance`` exactly 0).
        """
        return _cosine(self[w1], self[w2])

    def wmdistance(self, document1, document2, norm=True):
        """Word Mover's Distance between two token lists (needs POT: ``fastw2v[wmd]``).

        See :func:`fastw2v.wmd.wmdistance`.
        """
        from fastw2v.wmd import wmdistance
        return wmdistance(self, document1, document2, norm=norm)

    def similarity_unseen_docs(self, *args, **kwargs):
        """Not defined for word vectors (gensim raises the same)."""
        raise NotImplementedError("Call similarity_unseen_docs on a Doc2Vec model instead.")

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
        return _cosine(mean1, mean2)

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

        Parameters
        ----------
        similarity_function : {'most_similar', 'most_similar_cosmul', '3cosmul'}
            gensim 4.4 accepts the first two and answers both with 3CosAdd (its code
            leaves 3CosMul as a TODO); so does fastw2v, so results match gensim's.
            ``'3cosmul'`` (fastw2v only) ranks by 3CosMul (Levy and Goldberg 2014,
            as :meth:`most_similar_cosmul`).

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
        if similarity_function not in ("most_similar", "most_similar_cosmul", "3cosmul"):
            raise ValueError("similarity_function must be 'most_similar' or 'most_similar_cosmul' "
                             "(both 3CosAdd, as in gensim 4.4) or '3cosmul', got "
                             f"{similarity_function!r}")
        ok_vocab = evaluation.vocab_index(self.index_to_key, restrict_vocab, case_insensitive)
        parsed = evaluation.read_analogies(analogies, ok_vocab, case_insensitive, dummy4unknown)
        n_vocab = min(int(restrict_vocab), len(self.vectors))
        correct = evaluation.solve_analogies(
            self._unit_vectors()[:n_vocab], self.index_to_key[:n_vocab], parsed.questions, ok_vocab,
            case_insensitive, multiplicative=similarity_function == "3cosmul")
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
                             write_header=True, prefix="", append=False, sort_attr="count"):
        """Store the vectors in word2vec.c's text or binary format (see
        :mod:`fastw2v.io.word2vec_format`).

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
        prefix : str
            Written before every key.
        append : bool
            Add to the end of `fname` instead of replacing it.
        sort_attr : str
            Rows go out by descending value of this per-key attribute (ties in index
            order), as gensim writes them; in index order when the attribute is absent.

        Raises
        ------
        ValueError
            A key is empty or contains whitespace, or `fvocab` without counts.
        """
        order = None
        if sort_attr in self.expandos:
            values = np.asarray(self.expandos[sort_attr])
            if np.any(values[1:] > values[:-1]):  # a trained model is already in this order
                order = np.argsort(-values.astype(np.float64), kind="stable")
        elif fvocab is not None:
            raise ValueError(f"cannot write fvocab ordered by {sort_attr!r}: these vectors have "
                             "no such attribute")
        write_word2vec_format(fname, self.index_to_key, self.vectors,
                              counts=self.expandos.get("count"), fvocab=fvocab, binary=binary,
                              total_vec=total_vec, write_header=write_header, prefix=prefix,
                              append=append, order=order)

    def intersect_word2vec_format(self, fname, lockf=0.0, binary=False, encoding="utf8",
                                  unicode_errors="strict"):
        """Take the vectors of a word2vec-format file for the keys both have.

        No key is added; keys found in the file get its vector and the lock factor
        `lockf` in ``vectors_lockf`` (0.0, the default, keeps them fixed in further
        training; 1.0 trains them as usual).

        Raises
        ------
        ValueError
            The file's vectors have another size.
        """
        other = KeyedVectors.load_word2vec_format(fname, binary=binary, encoding=encoding,
                                                  unicode_errors=unicode_errors)
        if other.vector_size != self.vector_size:
            raise ValueError(f"incompatible vector size {other.vector_size} in file {fname} "
                             f"(these vectors have {self.vector_size})")
        lockf_rows = self.lock_factors().copy()  # one factor per row from now on
        shared = [k for k in other.index_to_key if k in self.key_to_index]
        rows = np.array([self.key_to_index[k] for k in shared], dtype=np.int64)
        if len(rows):
            self.vectors[rows] = other.vectors[[other.key_to_index[k] for k in shared]]
            lockf_rows[rows] = lockf
            self.vectors_changed()
        self.vectors_lockf = lockf_rows
        logger.info("merged %d vectors into %s matrix from %s", len(rows), self.vectors.shape, fname)

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

    def save(self, fname):
        """Save in fastw2v's native format (JSON + ``.npy``, no pickle, atomic); see
        :mod:`fastw2v.io.keyedvectors_file`.

        Keys must be str or int. ``self.indexer``, when set, is saved beside
        (``fname + ".index"``, see :mod:`fastw2v.similarities`) and `load`
        brings it back.

        Raises
        ------
        ValueError
            A key is neither str nor int.
        fastw2v.io.FormatError
            `vectors` or a per-key attribute does not match the keys (the file
            would not load): nothing is written.
        """
        save_keyedvectors(fname, self.index_to_key, self.vectors, self.expandos, self.vector_size)
        from fastw2v.similarities._attach import save_index_beside
        save_index_beside(fname, self)  # self.indexer, if any, to fname + ".index"

    @class_only_method
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
        from fastw2v.similarities._attach import load_index_beside
        kv.indexer = load_index_beside(fname, kv, mmap)  # saved with the vectors, if it was
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
        kv._copy_keys_from_gensim(gkv)
        return kv

    def _copy_keys_from_gensim(self, gkv):
        """Take copies of a gensim KeyedVectors' keys, vectors and per-key attributes."""
        # gensim's per-key Huffman paths ('code', 'point') are arrays of arrays: they
        # belong to the model's tree (Word2Vec.from_gensim keeps them), not to vectors.
        self._set_all(list(gkv.index_to_key), np.array(gkv.vectors),
                      {attr: np.array(v) for attr, v in gkv.expandos.items()
                       if np.asarray(v).dtype != object})

    def _copy_keys_to_gensim(self, gkv):
        """Give a gensim KeyedVectors copies of these keys and per-key attributes."""
        gkv.index_to_key = list(self.index_to_key)
        gkv.key_to_index = dict(self.key_to_index)
        gkv.expandos = {attr: np.array(v) for attr, v in self.expandos.items()}
        gkv.next_index = len(gkv.index_to_key)

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
        self._copy_keys_to_gensim(gkv)
        gkv.vectors = np.array(self.vectors)
        return gkv
