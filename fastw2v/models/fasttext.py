"""gensim-shaped ``fastw2v.models.fasttext``: FastText vectors and Facebook's ``.bin`` files.

:class:`FastText` (the model, :mod:`fastw2v.fasttext`), :class:`FastTextKeyedVectors`
(vectors for any word, from character n-grams), :func:`load_facebook_model` and
:func:`load_facebook_vectors` (gensim's names) to read a ``.bin`` written by Facebook's
fastText (or by explosion's floret), :func:`save_facebook_model` and
:func:`save_facebook_vectors` to write one that fastText and gensim load (floret loads
floret-mode ones), and :func:`load_floret_vectors` / ``wv.save_floret_vectors`` for the
``.floret`` text that spaCy reads.
"""
import logging

import numpy as np

from fastw2v.fasttext import FastText
from fastw2v.fasttext_vectors import FastTextKeyedVectors, _ng
from fastw2v.io.errors import FormatError
from fastw2v.io.facebook_bin import (DEFAULT_ARGS, FLORET_MODE_FLORET, FacebookExtras,
                                     read_facebook_bin, write_facebook_bin)
from fastw2v.io.floret_file import load_floret_vectors

logger = logging.getLogger(__name__)

__all__ = ["FastText", "FastTextKeyedVectors", "load_facebook_model", "load_facebook_vectors",
           "save_facebook_model", "save_facebook_vectors", "load_floret_vectors"]

# The n-gram table of a file may take up to this many ids (4 bytes each) or as many as
# the input matrix has floats, whichever is more: a legitimate table is a small
# fraction of the matrix, and a hostile max_n cannot make it larger than the file.
_MIN_ID_BUDGET = 1 << 24


def _decode_words(path, words, encoding):
    """Keys from the dictionary's bytes: undecodable ones as gensim decodes them
    (``backslashreplace``), their raw bytes kept for their n-grams."""
    keys, raw = [], {}
    for word in words:
        try:
            keys.append(word.decode(encoding))
        except UnicodeDecodeError:
            key = word.decode(encoding, errors="backslashreplace")
            logger.warning("%s: word %r is not valid %s; using %r", path, word, encoding, key)
            keys.append(key)
            raw[key] = word
    if len(set(keys)) != len(keys):
        raise FormatError(path, "the dictionary holds the same word twice")
    return keys, raw


def _mode(args):
    """The ``mode`` / ``hash_count`` keywords of a ``.bin``'s args: floret's hashing when
    its ``mode`` field says so, else none (fastText's).

    Vectors read in fastText's mode follow fastText's rule for ``"</s>"`` (no n-grams;
    ``facebook_eos``). floret keeps one word row, its first word's (meant for ``"</s>"``,
    but in effect whichever word is first), and gives ``"</s>"`` no hashed rows; floret-mode
    vectors here have no word rows, so every word, ``"</s>"`` included, is the mean of its
    hashed rows, as spaCy computes it from the ``.floret`` file."""
    if args.get("mode") == FLORET_MODE_FLORET:
        return {"mode": "floret", "hash_count": args["hash_count"]}
    return {}


def load_facebook_vectors(path, encoding="utf-8", *, keep_output=False):
    """Load the word and n-gram vectors of a Facebook fastText ``.bin`` file.

    Vectors of words in the file's vocabulary and of any other string equal those of
    fastText's ``get_word_vector``. The file is read once, into the final arrays; its
    sizes are checked against the file before anything is allocated. A ``.bin`` written
    by explosion's floret loads too: in its floret mode, as floret-mode vectors, equal to
    floret's ``get_word_vector`` for every string but floret's first vocabulary word (which
    floret alone gives a word row) and ``"</s>"`` (which floret alone gives no hashed
    rows): here, as in spaCy, every word is the mean of its hashed rows.

    Parameters
    ----------
    path : str or os.PathLike
        An uncompressed, unquantized ``.bin`` of an unsupervised (skipgram or cbow) model.
    encoding : str
        Of the dictionary's words; invalid bytes are decoded with ``backslashreplace``
        (as gensim does) and their n-grams come from the bytes themselves.
    keep_output : bool
        Also read the output matrix and keep it in ``kv.facebook.output`` (so that
        :func:`save_facebook_vectors` writes the model back as it was). Off by default, as
        in gensim's ``load_facebook_vectors``: it is only needed to continue training.

    Returns
    -------
    FastTextKeyedVectors
        With ``expandos['count']`` (the dictionary's counts), ``facebook_eos`` set, and
        ``facebook`` holding the args and token count.

    Raises
    ------
    fastw2v.io.FormatError
        Not a fastText model, a supervised or quantized (``.ftz``) one, or a damaged
        file (:class:`~fastw2v.io.errors.TruncatedFileError` when it is too short).
    ValueError
        `path` names a compressed file (``.gz``, ``.bz2``...): decompress it first.
    """
    path = str(path)
    table = {}

    def ngram_table(args, words):  # before the input matrix is allocated
        budget = max(_MIN_ID_BUDGET, (len(words) + args["bucket"]) * args["dim"])
        try:
            mode = _mode(args)
            table["csr"] = _ng().vocab_buckets(words, args["minn"], args["maxn"], args["bucket"],
                                                 facebook_eos=not mode, max_ids=budget, **mode)
        except ValueError as err:
            raise FormatError(path, str(err)) from None

    model = read_facebook_bin(path, read_output=keep_output, before_matrix=ngram_table)
    args, nwords = model.args, len(model.words)
    keys, raw = _decode_words(path, model.words, encoding)
    kv = FastTextKeyedVectors(args["dim"], args["minn"], args["maxn"], args["bucket"],
                              **_mode(args))
    kv.facebook_eos = not kv.floret  # see _mode
    kv.key_bytes = raw
    if kv.floret:  # floret's word rows go unused (its first word's aside: see _mode)
        kv._set_all(keys, np.empty((nwords, args["dim"]), np.float32), {"count": model.counts})
    else:
        kv._set_all(keys, model.input[:nwords], {"count": model.counts})
        kv.vectors_vocab = model.input[:nwords]
    kv.vectors_ngrams = model.input[nwords:]
    kv.ngram_offsets, kv.ngram_ids = table["csr"]
    kv.adjust_vectors()
    kv.facebook = FacebookExtras(args=args, ntokens=model.ntokens, version=model.version,
                                 output=model.output)
    return kv


def _args_for(kv, args):
    """fastText args for `kv`: the ones it was loaded with (or fastText's skipgram
    defaults), updated by `args`; dim, bucket, minn and maxn must be the vectors'."""
    merged = dict(DEFAULT_ARGS)
    if kv.facebook is not None:
        merged.update(kv.facebook.args)
    merged.update(args or {})
    own = {"dim": kv.vector_size, "bucket": kv.bucket, "minn": kv.min_n, "maxn": kv.max_n}
    if kv.floret:  # floret's layout: fastText cannot read it, floret can
        if kv.hash_seed != _ng().FLORET_SEED:
            raise ValueError(f"a floret .bin has no seed field: hash_seed {kv.hash_seed} would be "
                             f"read as floret's {_ng().FLORET_SEED}")
        own.update(mode=FLORET_MODE_FLORET, hash_count=kv.hash_count)
    else:
        merged.pop("mode", None)
        merged.pop("hash_count", None)
    for name, value in own.items():
        if name in merged and merged[name] != value and name in (args or {}):
            raise ValueError(f"args[{name!r}] = {merged[name]} disagrees with the vectors' {value}")
    merged.update(own)
    return merged


def save_facebook_vectors(kv, path, *, args=None, output=None, ntokens=None):
    """Write `kv` as a Facebook fastText ``.bin`` that ``fasttext.load_model`` and gensim load
    (floret-mode vectors: floret's ``.bin``, which ``floret.load_model`` loads).

    The input matrix is `kv`'s ``vectors_vocab`` and ``vectors_ngrams``, so fastText gives
    every word, in the vocabulary or not, the vector `kv` gives it. The file is written to
    a temporary file and renamed over `path`: a failed or refused save leaves an existing
    file as it was.

    What fastText also stores comes from `kv` when it was loaded from a ``.bin``
    (``kv.facebook``: args, token count, and the output matrix if it was kept), so such
    vectors round-trip; otherwise from fastText's skipgram defaults and `kv`'s counts.

    Parameters
    ----------
    kv : FastTextKeyedVectors
        Keys must be str.
    path : str or os.PathLike
    args : dict, optional
        fastText args to set (names as in :data:`fastw2v.io.facebook_bin.ARG_FIELDS`);
        ``dim``, ``bucket``, ``minn``, ``maxn`` (and floret's ``mode``, ``hash_count``)
        are always the vectors' own.
    output : numpy.ndarray, optional
        The output matrix (len(kv) x dim). Default: ``kv.facebook.output``, else zeros:
        the word vectors are then complete, and training continued from the file starts
        from a fresh output layer (fastText's own initialisation is zeros too).
    ntokens : int, optional
        Tokens seen in training. Default: ``kv.facebook.ntokens``, else the counts' sum.

    Raises
    ------
    ValueError
        A key is not a str (or contains NUL), or the arrays do not fit together.
    """
    keys = list(kv.index_to_key)
    if not all(isinstance(k, str) for k in keys):
        raise ValueError("only str keys can be written to a fastText .bin")
    if "</s>" in kv.key_to_index and not kv.facebook_eos and kv.bucket:
        logger.warning("fastText and floret give '</s>' no n-grams: their vector for '</s>' will "
                       "differ from these")
    counts = kv.expandos.get("count")
    if counts is None:  # made up in key order, most frequent first, as for word2vec files
        counts = np.arange(len(keys), 0, -1, dtype=np.int64)
    if output is None:
        output = kv.facebook.output if kv.facebook is not None else None
    if output is None:
        output = np.zeros((len(keys), kv.vector_size), dtype=np.float32)
    if ntokens is None:
        ntokens = kv.facebook.ntokens if kv.facebook is not None else int(np.sum(counts))
    ngrams = kv.vectors_ngrams
    if ngrams is None:
        ngrams = np.zeros((0, kv.vector_size), dtype=np.float32)
    # floret reads one word row, the first word's (meant for "</s>"), into that word's
    # mean: its composed vector there keeps the mean what it is here.
    first = kv.vectors[0] if kv.floret and len(keys) else None
    write_facebook_bin(path, _args_for(kv, args), [kv._key_bytes(k) for k in keys], counts,
                       ntokens, kv.vectors_vocab, ngrams, output, first_word_row=first)


#: fastText's ``loss`` field: 1 hierarchical softmax, 2 negative sampling.
_LOSS_HS, _LOSS_NS = 1, 2


def save_facebook_model(model, path, encoding="utf-8", lr_update_rate=100, word_ngrams=1):
    """Write a trained :class:`FastText` as a Facebook fastText ``.bin`` (gensim's name).

    The file holds the model's args, vocabulary with counts, word and bucket rows and its
    output layer (``syn1`` with hierarchical softmax, else ``syn1neg``), so
    ``fasttext.load_model`` and gensim's ``load_facebook_model`` give every word, in the
    vocabulary or not, the vector this model gives it. Written atomically.

    Parameters
    ----------
    model : FastText
    path : str or os.PathLike
    encoding : str
        Of the words in the file: ``"utf-8"`` (fastText's) only.
    lr_update_rate, word_ngrams : int
        Written to the args block (fastText fields gensim does not use).

    Raises
    ------
    ValueError
        Another `encoding`, a key that is not a str, or arrays that do not fit together.
    """
    if encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise ValueError(f"fastText .bin files hold UTF-8 words; encoding={encoding!r} is not supported")
    args = {"ws": model.window, "epoch": model.epochs, "min_count": model.min_count,
            "neg": model.negative, "word_ngrams": word_ngrams,
            "loss": _LOSS_HS if model.hs else _LOSS_NS, "model": 2 if model.sg else 1,
            "lr_update_rate": lr_update_rate, "t": model.sample}
    output = model.syn1 if model.hs else model.syn1neg
    save_facebook_vectors(model.wv, path, args=args, output=output,
                          ntokens=int(model.corpus_total_words) or None)


def load_facebook_model(path, encoding="utf-8"):
    """A :class:`FastText` model from a Facebook fastText ``.bin`` (gensim's name), ready to
    train further: vocabulary and counts, word and bucket rows, output layer and args.

    Vectors equal fastText's ``get_word_vector`` for any word (see
    :func:`load_facebook_vectors`). As in gensim, a hierarchical-softmax model gets
    fastw2v's own Huffman tree over the counts, so its output layer (kept as ``syn1``)
    matches fastText's tree only where the two trees agree.

    Parameters
    ----------
    path : str or os.PathLike
    encoding : str

    Returns
    -------
    FastText

    Raises
    ------
    fastw2v.io.FormatError
        Not a valid unsupervised fastText model, or a loss other than ns/hs.
    """
    from fastw2v.vocab import Vocab

    kv = load_facebook_vectors(path, encoding, keep_output=True)
    args = kv.facebook.args
    if args["loss"] not in (_LOSS_HS, _LOSS_NS):
        raise FormatError(str(path), f"loss {args['loss']} (softmax or one-vs-all) cannot be trained "
                                     "here: only hierarchical softmax (1) and negative sampling (2)")
    hs = int(args["loss"] == _LOSS_HS)
    model = FastText(vector_size=args["dim"], window=args["ws"], epochs=max(args["epoch"], 1),
                     min_count=args["min_count"], negative=0 if hs else args["neg"], hs=hs,
                     sg=int(args["model"] == 2), bucket=args["bucket"], min_n=args["minn"],
                     max_n=args["maxn"], sample=args["t"], **_mode(args))
    kv.vectors_vocab_lockf = np.ones(1, dtype=np.float32)
    kv.vectors_ngrams_lockf = np.ones(1, dtype=np.float32)
    model.wv = kv
    model._set_vocab(Vocab.from_counts(list(kv.index_to_key), kv.expandos["count"],
                                       sample=model.sample, ns_exponent=model.ns_exponent,
                                       hs=bool(hs), negative=model.negative))
    # kv's n-gram table and composed vectors are load_facebook_vectors' (same words, order).
    output = np.asarray(kv.facebook.output, dtype=np.float32)  # read on whole lines
    if hs:
        model.syn1 = output
    else:
        model.syn1neg = output
    model.corpus_total_words = int(kv.facebook.ntokens)
    return model
