"""Vocabulary: counting, pruning, sorting and the tables the kernels read.

Layer 2 of the design. Everything here runs once per ``build_vocab`` and works
on whole arrays, in Python and numpy, with two small C loops (the alias pairing in
``fastw2v._alias``, the Huffman merges and paths in ``fastw2v._huffman``):

* :func:`count_words` counts tokens of a restartable iterable (``collections.Counter``
  does the per-token work in C), with gensim's ``max_vocab_size`` pruning during the scan.
* :func:`keep_vocab_item`, :func:`prune_vocab` and :func:`effective_min_count` are
  gensim's ``min_count`` / ``trim_rule`` / ``max_final_vocab`` rules.
* :func:`sample_thresholds` precomputes word2vec's subsampling keep-probability per
  word as a 32-bit integer threshold, so the kernel compares integers.
* :func:`alias_table` builds Walker's alias sampler for negative sampling over
  ``count ** ns_exponent``: one draw is one random number and one table lookup.
* :func:`huffman_tree` builds the binary tree of hierarchical softmax.
* :func:`build` applies those rules to a scan's counts and returns a :class:`Vocab`:
  the words, their counts and every table the objective reads, in one object.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Callable
from dataclasses import dataclass, field

import numpy as np

logger = logging.getLogger("fastw2v")

#: trim_rule return values, identical to gensim.utils.
RULE_DEFAULT = 0
RULE_DISCARD = 1
RULE_KEEP = 2


def keep_vocab_item(word: str, count: int, min_count: int, trim_rule: Callable | None = None) -> bool:
    """Return whether ``word`` stays in the vocabulary (gensim's rule).

    Parameters
    ----------
    word : str
        The word.
    count : int
        Its corpus frequency.
    min_count : int
        Frequency threshold used when ``trim_rule`` returns ``RULE_DEFAULT`` or is None.
    trim_rule : callable, optional
        ``trim_rule(word, count, min_count)`` returning ``RULE_DISCARD``, ``RULE_KEEP``
        or ``RULE_DEFAULT``.

    Returns
    -------
    bool
    """
    default = count >= min_count
    if trim_rule is None:
        return default
    rule = trim_rule(word, count, min_count)
    if rule == RULE_KEEP:
        return True
    if rule == RULE_DISCARD:
        return False
    return default


def prune_vocab(vocab: dict, min_reduce: int, trim_rule: Callable | None = None) -> int:
    """Remove, in place, every entry of ``vocab`` whose count is below ``min_reduce``.

    Returns the sum of the pruned counts.
    """
    pruned = 0
    for word in list(vocab):
        count = vocab[word]
        if not keep_vocab_item(word, count, min_reduce, trim_rule):
            pruned += count
            del vocab[word]
    return pruned


def _check_sentence(sentence, sentence_no: int) -> None:
    if isinstance(sentence, (str, bytes)):
        raise TypeError(
            f"sentence #{sentence_no} is a {type(sentence).__name__} ({sentence[:40]!r}...), "
            "but each item of the corpus must be a list of tokens (e.g. line.split())"
        )


def count_words(corpus_iterable: Iterable, max_vocab_size: int | None = None,
                trim_rule: Callable | None = None, progress_per: int = 10000):
    """Count the tokens of an iterable of token lists.

    Tokens may be any hashable, as in gensim: words (str), item or node ids (int, for
    item2vec or DeepWalk walks)... Sentences given as numpy integer arrays are counted
    by numpy in blocks, with no Python object per token.

    Parameters
    ----------
    corpus_iterable : iterable of list
        The corpus: token lists (or 1-D numpy integer arrays).
    max_vocab_size : int, optional
        When more distinct words than this have been seen, drop the rarest during the
        scan (gensim semantics: words with count below ``min_reduce``, which then grows by 1).
    trim_rule : callable, optional
        Applied during that pruning.
    progress_per : int
        Log a progress line every this many sentences.

    Returns
    -------
    raw_vocab : dict of token to int
        numpy integer and string scalars become Python int and str keys.
    total_words : int
        Number of tokens seen (including pruned ones).
    corpus_count : int
        Number of sentences.
    min_reduce : int
        Pruning threshold reached (1 if no pruning happened).

    Raises
    ------
    TypeError
        If a sentence is a string rather than a list of tokens (gensim would train on
        its characters), or a token is unhashable.
    """
    counts: Counter = Counter()
    id_blocks = _IdBlocks(counts)
    total_words = 0
    min_reduce = 1
    sentence_no = -1
    for sentence_no, sentence in enumerate(corpus_iterable):
        _check_sentence(sentence, sentence_no)
        if progress_per and sentence_no % progress_per == 0 and sentence_no:
            logger.info("PROGRESS: at sentence #%i, processed %i words, keeping %i word types",
                        sentence_no, total_words, len(counts))
        if not id_blocks.add(sentence):
            id_blocks.flush()  # keep first-seen order across both kinds of sentence
            try:
                counts.update(sentence)
            except TypeError:
                raise TypeError(f"sentence #{sentence_no} holds an unhashable token "
                                f"({_first_unhashable(sentence)!r}); tokens must be hashable: "
                                "str, int, ...") from None
        total_words += len(sentence)
        if max_vocab_size and len(counts) + id_blocks.pending > max_vocab_size:
            id_blocks.flush()
            if len(counts) > max_vocab_size:
                prune_vocab(counts, min_reduce, trim_rule)
                min_reduce += 1
    id_blocks.flush()
    return plain_keys(counts), total_words, sentence_no + 1, min_reduce


class _IdBlocks:
    """Integer-array sentences counted by numpy, a block at a time, into ``counts``
    (new ids in first-seen order, so ties sort as they do for list sentences)."""

    BLOCK = 1 << 20  # tokens per np.unique call

    def __init__(self, counts: Counter):
        self.counts, self.arrays, self.pending = counts, [], 0

    def add(self, sentence) -> bool:
        if not (isinstance(sentence, np.ndarray) and sentence.ndim == 1
                and np.issubdtype(sentence.dtype, np.integer)):
            return False
        self.arrays.append(sentence)
        self.pending += len(sentence)
        if self.pending >= self.BLOCK:
            self.flush()
        return True

    def flush(self) -> None:
        if not self.arrays:
            return
        ids, first, n = np.unique(np.concatenate(self.arrays), return_index=True,
                                  return_counts=True)
        order = np.argsort(first, kind="stable")  # first-seen order, as Counter keeps it
        self.counts.update(dict(zip(ids[order].tolist(), n[order].tolist())))
        self.arrays, self.pending = [], 0


def _first_unhashable(sentence):
    for token in sentence:
        try:
            hash(token)
        except TypeError:
            return token
    return None


def plain_keys(counts) -> dict:
    """``counts`` as a dict whose numpy scalar keys are Python ints and strs (JSON-able,
    and ``index_to_key`` then holds the types users passed before numpy wrapped them)."""
    if all(type(k) is str for k in counts):  # the common case: nothing to convert
        return dict(counts)
    plain = {}
    for key, count in counts.items():
        if isinstance(key, np.generic):
            key = key.item()
        plain[key] = plain.get(key, 0) + count
    return plain


def effective_min_count(raw_vocab, min_count: int, max_final_vocab: int | None) -> int:
    """``min_count`` raised, if needed, so at most ``max_final_vocab`` words survive (gensim's rule).

    ``raw_vocab`` is a ``{word: count}`` dict or an array of counts.
    """
    if max_final_vocab is None:
        return min_count
    counts = np.fromiter(raw_vocab.values(), np.int64) if isinstance(raw_vocab, dict) \
        else np.asarray(raw_vocab, np.int64)
    calc_min_count = 1
    if max_final_vocab < len(counts):
        calc_min_count = int(np.sort(counts)[::-1][max_final_vocab]) + 1
    return max(calc_min_count, min_count)


def sort_by_descending_count(words: list, counts: np.ndarray):
    """Return ``words`` and ``counts`` reordered by descending count, ties in input order."""
    order = np.argsort(-counts, kind="stable")
    return list(map(words.__getitem__, order.tolist())), counts[order]


def sample_thresholds(counts: np.ndarray, sample: float, retain_total: int | None = None):
    """Per-word subsampling thresholds as uint32 (word2vec's formula, gensim's scaling).

    A word occurrence is kept when ``threshold >= random_uint32``; its keep
    probability is ``(sqrt(c / t) + 1) * t / c`` capped at 1, where ``t = sample * total``
    (or, for ``sample >= 1``, gensim's shorthand ``t = sample * (3 + sqrt 5) / 2``).

    Returns
    -------
    thresholds : numpy.ndarray of uint32
    downsample_total : float
        Expected number of words kept per pass.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if retain_total is None:
        retain_total = float(counts.sum())
    if not sample:
        t = float(retain_total)
    elif sample < 1.0:
        t = sample * retain_total
    else:
        t = float(int(sample * (3 + np.sqrt(5)) / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        prob = (np.sqrt(counts / t) + 1.0) * (t / counts)
    prob = np.where(np.isfinite(prob), np.minimum(prob, 1.0), 1.0)
    thresholds = (prob * (2**32 - 1)).astype(np.uint32)
    return thresholds, float((prob * counts).sum())


def alias_table(counts: np.ndarray, ns_exponent: float) -> np.ndarray:
    """Walker's alias table for drawing words with probability ``count ** ns_exponent``.

    Draw: pick a slot ``i`` uniformly, keep ``i`` if a uniform 32-bit integer is below
    ``table[i, 0]``, else take ``table[i, 1]``. O(1) per draw and 8 bytes per word,
    where word2vec.c's unigram table needs 100M entries and gensim's cumulative table
    a binary search.

    Parameters
    ----------
    counts : array of int
        Word counts, one per vocabulary index.
    ns_exponent : float
        The exponent of the distribution (word2vec: 0.75); all-zero weights give
        the uniform distribution.

    Returns
    -------
    table : numpy.ndarray of uint32, shape (n, 2), C-contiguous
        Packed as the kernels' sampler reads it (both values of a slot in one
        load): column 0 the acceptance threshold scaled to 2**32, column 1 the
        alias (a word index).
    """
    n = len(counts)
    table = np.zeros((n, 2), np.uint32)
    if n == 0:
        return table
    weights = np.power(np.asarray(counts, dtype=np.float64), float(ns_exponent))
    total = weights.sum()
    if not np.isfinite(total) or total <= 0:
        weights = np.ones(n)
        total = float(n)
    scaled = weights * (n / total)
    # Pair each small slot (below 1) with a large one, from stacks of both (Walker);
    # leftovers are 1.0 up to rounding: always accept. The loop runs in C.
    from fastw2v._alias import walker_alias
    prob, alias = walker_alias(scaled)
    table[:, 0] = np.minimum(np.round(prob * 2.0**32), 2.0**32 - 1)
    table[:, 1] = alias
    return table


def huffman_tree(counts: np.ndarray):
    """Huffman codes and inner-node paths for hierarchical softmax (word2vec's tree).

    Parameters
    ----------
    counts : array of int
        Word counts, one per vocabulary index.

    Returns
    -------
    codes : numpy.ndarray of uint8
        All words' codes concatenated (0/1 per node on the path from the root).
    points : numpy.ndarray of int32
        The inner-node indices (rows of ``syn1``) on each path, concatenated.
    offsets : numpy.ndarray of int64
        Word ``i``'s code and points are ``[offsets[i], offsets[i + 1])``.
    """
    n = len(counts)
    offsets = np.zeros(n + 1, dtype=np.int64)
    if n == 0:
        return np.zeros(0, np.uint8), np.zeros(0, np.int32), offsets
    if n == 1:
        # A single word still needs one node to predict (gensim leaves it pathless and
        # silently trains nothing; one node makes HS well defined).
        offsets[1] = 1
        return np.zeros(1, np.uint8), np.zeros(1, np.int32), offsets
    # Leaves are nodes 0..n-1, inner nodes n..2n-2, merged as a heap of (count, node)
    # would merge them (gensim's build); in C (fastw2v._huffman).
    from fastw2v._huffman import huffman_paths

    return huffman_paths(counts)


# ---------------------------------------------------------------- the vocabulary object


@dataclass(eq=False)
class Vocab:
    """A model's vocabulary and the tables its objective reads, in one place.

    Built by :func:`build` (or :meth:`from_counts` for known words and counts); the
    kernels read ``sample_int``, ``alias`` and the Huffman arrays straight from it.
    ``KeyedVectors`` shares ``words`` and ``counts`` (no copies): ``wv.index_to_key``
    is ``words`` and ``wv.expandos["count"]`` is ``counts``.

    Attributes
    ----------
    words : list
        Index to key, most frequent first when sorted.
    counts : numpy.ndarray of int64
        Corpus frequency of each word.
    sample_int : numpy.ndarray of uint32
        Subsampling thresholds (see :func:`sample_thresholds`).
    alias : numpy.ndarray of uint32, shape (n, 2), or None
        Negative-sampling alias table (see :func:`alias_table`); None without
        negative sampling.
    codes, points, path_offsets : numpy.ndarray or None
        Huffman tree (see :func:`huffman_tree`); None without hierarchical softmax.
    downsample_total : float
        Expected words kept by subsampling per pass.
    """

    words: list
    counts: np.ndarray
    sample_int: np.ndarray
    alias: np.ndarray | None = None
    codes: np.ndarray | None = None
    points: np.ndarray | None = None
    path_offsets: np.ndarray | None = None
    downsample_total: float = field(default=0.0)

    def __len__(self) -> int:
        return len(self.words)

    def code_of(self, index: int) -> np.ndarray:
        """Word ``index``'s Huffman code (0/1 per node on its path from the root)."""
        return self.codes[self.path_offsets[index]:self.path_offsets[index + 1]]

    def point_of(self, index: int) -> np.ndarray:
        """The inner nodes (rows of ``syn1``) on word ``index``'s Huffman path."""
        return self.points[self.path_offsets[index]:self.path_offsets[index + 1]]

    @classmethod
    def from_counts(cls, words: list, counts, *, sample: float, ns_exponent: float, hs: bool,
                    negative: int) -> "Vocab":
        """The tables of ``words`` with ``counts``, in that order.

        Parameters
        ----------
        words : list
        counts : array of int
        sample : float
            Subsampling threshold (``Word2Vec.sample``).
        ns_exponent : float
            Exponent of the negative-sampling distribution.
        hs : bool
            Build the Huffman tree.
        negative : int
            Build the alias table when positive.
        """
        counts = np.asarray(counts, dtype=np.int64)
        if len(words) != len(counts):
            raise ValueError(f"{len(words)} words but {len(counts)} counts")
        thresholds, downsample_total = sample_thresholds(counts, sample)
        vocab = cls(list(words), counts, thresholds, downsample_total=downsample_total)
        vocab.rebuild_tables(ns_exponent=ns_exponent, hs=hs, negative=negative)
        return vocab

    def rebuild_tables(self, *, ns_exponent: float, hs: bool, negative: int) -> None:
        """(Re)build the objective's tables from the counts."""
        self.codes = self.points = self.path_offsets = None
        if hs:
            self.codes, self.points, self.path_offsets = huffman_tree(self.counts)
        self.alias = alias_table(self.counts, ns_exponent) if negative else None


def build(keys, counts, *, min_count: int, sample: float, ns_exponent: float, hs: bool,
          negative: int, sorted_vocab: bool = True, null_word: bool = False,
          max_final_vocab: int | None = None, trim_rule: Callable | None = None,
          prior: Vocab | None = None):
    """Apply gensim's vocabulary rules to a scan's counts and build the tables.

    Parameters
    ----------
    keys : sequence
        Every distinct token of the scan.
    counts : array of int
        Their counts, in the same order.
    min_count, max_final_vocab, trim_rule
        gensim's rules: a word stays if :func:`keep_vocab_item` says so at the
        :func:`effective_min_count`.
    sample, ns_exponent, hs, negative
        The objective's settings (see :meth:`Vocab.from_counts`).
    sorted_vocab : bool
        Sort by descending count (ties keep scan order).
    null_word : bool
        Add gensim's null pseudo-word ``"\\0"`` (count 1) if the corpus lacks it.
    prior : Vocab, optional
        Online update: keep ``prior``'s words in their order, add the new counts to
        theirs, append words not seen before (unsorted, as gensim).

    Returns
    -------
    vocab : Vocab or None
        None when no word is kept (the report says why).
    report : dict
        ``drop_unique``, ``retain_total``, ``num_retained_words``, ``effective_min_count``
        and ``downsample_total`` (the last only when a Vocab is built).
    """
    kept, kept_counts, report = select(keys, counts, min_count=min_count,
                                       max_final_vocab=max_final_vocab, trim_rule=trim_rule)
    tables = dict(sample=sample, ns_exponent=ns_exponent, hs=hs, negative=negative)
    if prior is not None:
        words, new_counts, rows = _merge_update(prior, kept, kept_counts)
        if prior.sample_int is None:
            vocab = Vocab.from_counts(words, new_counts, **tables)
        else:
            thresholds, downsample_total = _update_thresholds(prior, rows, kept_counts, sample)
            vocab = Vocab(words, new_counts, thresholds, downsample_total=downsample_total)
            vocab.rebuild_tables(ns_exponent=ns_exponent, hs=hs, negative=negative)
    elif not kept:
        return None, report
    else:
        words, new_counts = kept, kept_counts
        if null_word and "\0" not in keys:
            words = words + ["\0"]
            new_counts = np.append(new_counts, 1)
        if sorted_vocab:
            words, new_counts = sort_by_descending_count(words, new_counts)
        vocab = Vocab.from_counts(words, new_counts, **tables)
    report["downsample_total"] = int(vocab.downsample_total)
    return vocab, report


def select(keys, counts, *, min_count: int, max_final_vocab: int | None = None,
           trim_rule: Callable | None = None):
    """The words of a scan that stay in the vocabulary (gensim's rules), in scan order.

    Returns
    -------
    kept : list
    kept_counts : numpy.ndarray of int64
    report : dict
        ``drop_unique``, ``retain_total``, ``num_retained_words`` and ``effective_min_count``.
    """
    counts = np.asarray(counts, dtype=np.int64)
    min_count = effective_min_count(counts, min_count, max_final_vocab)
    if trim_rule is None:  # the common case: numpy over the counts, no call per word
        kept_at = np.flatnonzero(counts >= min_count)
    else:
        kept_at = np.array([i for i, (w, c) in enumerate(zip(keys, counts.tolist()))
                            if keep_vocab_item(w, c, min_count, trim_rule)], dtype=np.int64)
    kept = [keys[i] for i in kept_at.tolist()]
    kept_counts = counts[kept_at]
    report = {"drop_unique": len(keys) - len(kept), "retain_total": int(kept_counts.sum()),
              "num_retained_words": len(kept), "effective_min_count": int(min_count)}
    return kept, kept_counts, report


def _update_thresholds(prior: Vocab, rows: np.ndarray, kept_counts: np.ndarray, sample: float):
    """Subsampling after an online update follows the update corpus, as in gensim.

    The words of the new corpus (at ``rows`` of the merged vocabulary) get thresholds
    from their counts in it (the share of the new text they make up, which is what the
    next ``train`` call reads); words it lacks keep theirs. Thresholds from the merged
    counts would instead keep a word of the new text at the rate its old total implies.

    Returns the merged vocabulary's thresholds and the expected words kept per pass.
    """
    n = max(len(prior.words), int(rows.max()) + 1 if len(rows) else 0)
    thresholds = np.empty(n, dtype=np.uint32)
    thresholds[:len(prior.words)] = prior.sample_int[:len(prior.words)]
    fresh, downsample_total = sample_thresholds(kept_counts, sample)
    thresholds[rows] = fresh
    return thresholds, downsample_total


def _merge_update(prior: Vocab, kept: list, kept_counts: np.ndarray):
    """``prior``'s words with ``kept``'s counts added, then the new words in scan order.

    Returns the words, their counts, and the row of each ``kept`` word.
    """
    index = {w: i for i, w in enumerate(prior.words)}
    counts = np.array(prior.counts, dtype=np.int64)
    words = list(prior.words)
    new_counts = []
    rows = np.empty(len(kept), dtype=np.int64)
    for j, (w, c) in enumerate(zip(kept, kept_counts.tolist())):
        i = index.get(w)
        if i is None:
            i = len(words)
            words.append(w)
            new_counts.append(c)
        else:
            counts[i] += c
        rows[j] = i
    return words, np.concatenate([counts, np.array(new_counts, dtype=np.int64)]), rows
