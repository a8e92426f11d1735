"""FastText word vectors with gensim 4.x's ``FastTextKeyedVectors`` API.

A FastText model keeps two input matrices: ``vectors_vocab`` (one row per vocabulary
word) and ``vectors_ngrams`` (one row per hash bucket of character n-grams). A word's
vector is the average of its own row and the rows of its n-grams' buckets
(``vectors``, recomputed by :meth:`FastTextKeyedVectors.adjust_vectors`); a word outside
the vocabulary gets the average of its n-gram rows, so ``wv[word]`` works for any string.

In floret mode (``mode="floret"``, explosion's fastText fork, which spaCy reads) there
are no word rows: ``vectors_vocab`` is None, and every word, in the vocabulary or not, is
the mean of ``hash_count`` rows per entry of the one bucket table, its whole ``<word>``
being one more entry besides its n-grams. A much smaller table then serves a large
vocabulary.

The n-grams and their buckets are Facebook fastText's, byte for byte
(:mod:`fastw2v._ngrams`, C in ``fastw2v/kernels/fw_ngrams.h``). Each vocabulary word's
bucket ids are computed once, as CSR arrays (``ngram_offsets``, ``ngram_ids``): word
``i``'s buckets are ``ngram_ids[ngram_offsets[i]:ngram_offsets[i + 1]]``.

Differences from gensim, deliberate:

* ``facebook_eos``: vectors loaded from a Facebook ``.bin`` give ``"</s>"`` (fastText's
  end-of-line token) no n-grams, as fastText does; gensim averages n-grams into it, so
  its ``"</s>"`` vector differs from fastText's. Vectors built otherwise keep gensim's rule.
* ``buckets_word`` is a read-only list of int32 views of the CSR table (gensim keeps a
  list of uint32 arrays).
* ``save``/``load`` use the native format (no pickle; see
  :mod:`fastw2v.io.fasttext_vectors_file`).
"""
import logging

import numpy as np

from fastw2v.keyedvectors import KeyedVectors
from fastw2v.vector_store import _KEY_TYPES, _unitvec, prep_vectors

logger = logging.getLogger(__name__)

__all__ = ["FastTextKeyedVectors"]


def _ng():
    """The compiled n-gram module, imported on first use (as ``vocab`` imports ``_alias``):
    ``import fastw2v`` in an unbuilt checkout then reports the kernels' build message."""
    from fastw2v import _ngrams
    return _ngrams


class FastTextKeyedVectors(KeyedVectors):
    """Word vectors plus character n-gram vectors, with gensim 4.x's API.

    Parameters
    ----------
    vector_size : int
        Dimensionality of all vectors.
    min_n, max_n : int
        Shortest and longest character n-gram.
    bucket : int
        Number of n-gram hash buckets (rows of `vectors_ngrams`); 0 disables n-grams.
    count : int, optional
        Rows to preallocate.
    dtype : numpy dtype, optional
        float32 by default (the n-gram code works in float32).
    mode : {"fasttext", "floret"}
        How words and n-grams map to rows (see the module's text); keyword-only.
    hash_count : int
        floret: rows per entry, 1..4.
    hash_seed : int
        floret: the MurmurHash3 seed (floret's, 2166136261, unless a file says otherwise).

    Attributes
    ----------
    vectors_vocab : numpy.ndarray or None
        (len(index_to_key), vector_size): each word's own row; None in floret mode.
    vectors_ngrams : numpy.ndarray or None
        (bucket, vector_size): one row per bucket; None until initialised, as in gensim.
    vectors : numpy.ndarray
        Each word's composite vector (see `adjust_vectors`).
    ngram_offsets, ngram_ids : numpy.ndarray
        The CSR table of each word's bucket ids (int64 offsets, int32 ids).
    facebook_eos : bool
        Give ``"</s>"`` no n-grams (fastText's rule; set by the ``.bin`` loader).
    facebook : fastw2v.io.facebook_bin.FacebookExtras or None
        What a Facebook ``.bin`` holds besides the vectors (args, token count, the
        output matrix when kept), so that writing a ``.bin`` back round-trips.
    key_bytes : dict of str -> bytes
        The raw bytes of keys that were not valid UTF-8 in a ``.bin`` (their key is the
        ``backslashreplace`` decoding, as in gensim); their n-grams come from these bytes.
    """

    def __init__(self, vector_size, min_n, max_n, bucket, count=0, dtype=np.float32, *,
                 mode="fasttext", hash_count=1, hash_seed=None):
        super().__init__(vector_size=vector_size, count=count, dtype=dtype)
        hash_seed = _ng().FLORET_SEED if hash_seed is None else int(hash_seed)
        _ng()._check_params(min_n, max_n, bucket, mode, hash_count, hash_seed)
        self.min_n = int(min_n)
        self.max_n = int(max_n)
        self.bucket = int(bucket)
        self.mode = mode
        self.hash_count = int(hash_count)
        self.hash_seed = hash_seed
        self.vectors_vocab = None if self.floret else np.zeros((count, vector_size), dtype=dtype)
        self.vectors_ngrams = None
        self.ngram_offsets = np.zeros(count + 1, dtype=np.int64)
        self.ngram_ids = np.zeros(0, dtype=np.int32)
        self.facebook_eos = False
        self.facebook = None
        self.key_bytes = {}
        self.compatible_hash = True  # gensim's flag: hashes are Facebook's

    def __str__(self):
        floret = f", floret hash_count={self.hash_count}" if self.floret else ""
        return (f"{self.__class__.__name__}<vector_size={self.vector_size}, {len(self)} keys, "
                f"min_n={self.min_n}, max_n={self.max_n}, bucket={self.bucket}{floret}>")

    __repr__ = __str__

    # ------------------------------------------------------------------ n-gram tables

    @property
    def floret(self):
        """Whether words have no rows of their own (floret mode)."""
        return self.mode == "floret"

    def _hashing(self):
        """The n-gram functions' keywords for this mode."""
        return {"facebook_eos": self.facebook_eos, "mode": self.mode,
                "hash_count": self.hash_count, "hash_seed": self.hash_seed}

    def _key_bytes(self, key):
        raw = self.key_bytes.get(key) if isinstance(key, str) else None
        return raw if raw is not None else str(key).encode("utf-8")

    def recalc_char_ngram_buckets(self):
        """Compute every vocabulary word's n-gram bucket ids (`ngram_offsets`, `ngram_ids`)."""
        self.ngram_offsets, self.ngram_ids = _ng().vocab_buckets(
            [self._key_bytes(k) for k in self.index_to_key], self.min_n, self.max_n, self.bucket,
            **self._hashing())

    @property
    def buckets_word(self):
        """Each vocabulary word's bucket ids (gensim's attribute): int32 views of `ngram_ids`."""
        offsets, ids = self.ngram_offsets, self.ngram_ids
        return [ids[offsets[i]:offsets[i + 1]] for i in range(len(offsets) - 1)]

    def adjust_vectors(self):
        """Recompute `vectors`: each word's own row (none in floret mode) plus its n-gram
        rows, averaged.

        With ``bucket == 0`` the words' own rows are the vectors (the same array, as
        in gensim). Otherwise they are written over the current `vectors` when that is a
        writeable array of their own of the right shape (training recomposes them after
        every epoch: a new array beside the old would add its size to the peak memory),
        else into a new array.
        """
        if self.bucket == 0:
            self.vectors = self.vectors_vocab
            return
        self.vectors = _ng().compose_vectors(self.vectors_vocab, self.vectors_ngrams,
                                               self.ngram_offsets, self.ngram_ids,
                                               out=self._own_vectors())

    def _own_vectors(self):
        """The current `vectors` if the composed vectors may be written over them."""
        v = getattr(self, "vectors", None)
        if (isinstance(v, np.ndarray) and type(v) is np.ndarray and v.base is None
                and v.dtype == np.float32 and v.flags.c_contiguous and v.flags.writeable
                and v.shape == (len(self.index_to_key), self.vector_size)
                and (self.floret or self.vectors_vocab is not None)):
            return v
        return None

    def init_post_load(self, fb_vectors):
        """Split fastText's input matrix (word rows, then bucket rows) and compose `vectors`.

        The keys must already be set. The two matrices are views of `fb_vectors` (in floret
        mode the word rows are unused, as in floret, and only the bucket rows are kept).

        Parameters
        ----------
        fb_vectors : numpy.ndarray
            (len(self) + bucket, vector_size).

        Raises
        ------
        ValueError
            `fb_vectors` has another shape.
        """
        n = len(self)
        expected = (n + self.bucket, self.vector_size)
        if fb_vectors.shape != expected:
            raise ValueError(f"fastText input matrix has shape {fb_vectors.shape}, expected {expected}")
        self.vectors_vocab = None if self.floret else fb_vectors[:n]
        self.vectors_ngrams = fb_vectors[n:]
        self.recalc_char_ngram_buckets()
        self.adjust_vectors()

    def resize_vectors(self, seed=0):
        """Make `vectors_vocab` as long as ``index_to_key`` and `vectors_ngrams` `bucket` rows
        long, new rows random (gensim's scheme and seeds), then recompute the n-gram table
        and `vectors`. floret mode has no word rows to resize."""
        if not self.floret:
            self.vectors_vocab = prep_vectors((len(self.index_to_key), self.vector_size),
                                              prior_vectors=self.vectors_vocab, seed=seed)
        self.vectors_ngrams = prep_vectors((self.bucket, self.vector_size),
                                           prior_vectors=self.vectors_ngrams, seed=seed + 1)
        self.allocate_vecattrs()
        self.recalc_char_ngram_buckets()
        self.adjust_vectors()

    # ------------------------------------------------------------------ lookups

    def __contains__(self, word):
        """True for any string when n-grams are on (it always has a vector), as in gensim;
        use ``word in kv.key_to_index`` to ask whether it is in the vocabulary."""
        if self.bucket == 0 or not isinstance(word, str):
            return self.has_index_for(word)
        return True

    def __getitem__(self, key_or_keys):
        """Vector of a word (1-D) or of a list of words (2-D); out-of-vocabulary words included."""
        if isinstance(key_or_keys, _KEY_TYPES):
            return self.get_vector(key_or_keys)
        keys = list(key_or_keys)
        if all(k in self.key_to_index for k in keys):
            return super().__getitem__(keys)
        if not keys:
            return np.zeros((0, self.vector_size), dtype=self.vectors.dtype)
        return np.vstack([self.get_vector(k) for k in keys])

    def get_vector(self, word, norm=False):
        """Vector of `word`, in the vocabulary or not; unit length if `norm`.

        An out-of-vocabulary word's vector is the average of its n-gram rows (in floret
        mode, of all its rows, as for a vocabulary word). When it has
        no n-gram (shorter than ``min_n`` with its ``<`` ``>``), it is the zero vector and a
        warning is logged, as in gensim and fastText.

        Parameters
        ----------
        word : str
            Ints are row indices, as for ``KeyedVectors``.
        norm : bool

        Returns
        -------
        numpy.ndarray

        Raises
        ------
        KeyError
            `word` is not in the vocabulary and ``bucket == 0`` (gensim's message).
        """
        if word in self.key_to_index or not isinstance(word, str):
            return super().get_vector(word, norm=norm)
        if self.bucket == 0:
            raise KeyError("cannot calculate vector for OOV word without ngrams")
        ids = _ng().word_buckets(word, self.min_n, self.max_n, self.bucket, **self._hashing())
        if len(ids) == 0:
            logger.warning("could not extract any ngrams from %r, returning origin vector", word)
            return np.zeros(self.vector_size, dtype=np.float32)
        vec = _ng().compose_vector(self.vectors_ngrams, ids)
        return _unitvec(vec).astype(np.float32, copy=False) if norm else vec

    def get_sentence_vector(self, sentence):
        """Mean of the unit vectors of `sentence`'s words (gensim's ``get_sentence_vector``)."""
        return self.get_mean_vector(sentence)

    def vectors_for_all(self, keys, allow_inference=True, copy_vecattrs=False):
        """A plain :class:`~fastw2v.keyedvectors.KeyedVectors` with the vectors of `keys`.

        Parameters
        ----------
        keys : iterable of str
            Deduplicated, in first-seen order.
        allow_inference : bool
            Include out-of-vocabulary words with their n-gram vectors (gensim's default);
            otherwise leave them out.
        copy_vecattrs : bool
            Copy the per-key attributes of the vocabulary words (others get zeros).
        """
        wanted = [k for k in dict.fromkeys(keys)
                  if (k in self if allow_inference else k in self.key_to_index)]
        out = KeyedVectors(self.vector_size, dtype=self.vectors.dtype)
        out.add_vectors(wanted, self[wanted] if wanted else
                        np.zeros((0, self.vector_size), self.vectors.dtype))
        out.expandos = {"count": np.arange(len(wanted), 0, -1, dtype=np.int64)}
        if copy_vecattrs:
            rows = np.array([self.key_to_index.get(k, -1) for k in wanted], dtype=np.int64)
            for attr, values in self.expandos.items():
                values = np.asarray(values)
                copied = np.zeros(len(wanted), dtype=values.dtype)
                copied[rows >= 0] = values[rows[rows >= 0]]
                out.expandos[attr] = copied
        return out

    # ------------------------------------------------------------------ files and gensim

    def save(self, fname):
        """Save in fastw2v's native format (JSON + ``.npy``, no pickle, atomic): both input
        matrices, the n-gram settings and the per-key attributes; `vectors` and the n-gram
        table are recomputed on load. See :mod:`fastw2v.io.fasttext_vectors_file`.

        Raises
        ------
        ValueError
            A key is not a str.
        fastw2v.io.FormatError
            The arrays do not fit together: nothing is written.
        """
        from fastw2v.io.fasttext_vectors_file import save_fasttext_vectors
        save_fasttext_vectors(fname, self)

    def save_floret_vectors(self, path):
        """Write these floret-mode vectors as a ``.floret`` file, the format spaCy reads
        (``spacy init vectors LANG FILE OUT --mode floret``). See
        :func:`fastw2v.io.floret_file.save_floret_vectors`.

        Raises
        ------
        ValueError
            Not in floret mode.
        """
        from fastw2v.io.floret_file import save_floret_vectors
        save_floret_vectors(self, path)

    @classmethod
    def load(cls, fname, mmap=None):
        """Load what `save` wrote; ``mmap='r'`` memory-maps the input matrices.

        Raises
        ------
        fastw2v.io.FormatError
            Not a valid saved FastTextKeyedVectors.
        """
        from fastw2v.io.fasttext_vectors_file import load_fasttext_vectors
        return load_fasttext_vectors(fname, cls, mmap=mmap)

    @classmethod
    def from_gensim(cls, obj):
        """Copy a gensim ``FastTextKeyedVectors`` (or a model with ``.wv``)."""
        gkv = getattr(obj, "wv", obj)
        kv = cls(gkv.vector_size, gkv.min_n, gkv.max_n, gkv.bucket, dtype=gkv.vectors.dtype)
        kv._copy_keys_from_gensim(gkv)
        kv.vectors_vocab = np.array(gkv.vectors_vocab, dtype=np.float32)
        kv.vectors_ngrams = (np.zeros((0, gkv.vector_size), np.float32) if gkv.vectors_ngrams is None
                             else np.array(gkv.vectors_ngrams, dtype=np.float32))
        kv.recalc_char_ngram_buckets()
        kv.adjust_vectors()
        return kv

    def to_gensim(self):
        """A gensim ``FastTextKeyedVectors`` with copies of these keys, matrices and attributes.

        Raises
        ------
        ImportError
            gensim is not installed.
        ValueError
            floret mode: gensim has no floret hashing, its vectors would differ.
        """
        if self.floret:
            raise ValueError("gensim has no floret mode: these vectors cannot be converted; "
                             "save them with save_floret_vectors (spaCy) or natively")
        try:
            from gensim.models.fasttext import FastTextKeyedVectors as GensimFTKV
        except ImportError as err:
            raise ImportError("to_gensim() needs gensim: pip install gensim") from err
        gkv = GensimFTKV(self.vector_size, self.min_n, self.max_n, self.bucket, dtype=self.vectors.dtype)
        self._copy_keys_to_gensim(gkv)
        gkv.vectors_vocab = np.array(self.vectors_vocab)
        gkv.vectors_ngrams = None if self.vectors_ngrams is None else np.array(self.vectors_ngrams)
        gkv.recalc_char_ngram_buckets()
        gkv.adjust_vectors()
        return gkv
