"""Evaluation of word vectors against human-made test sets, with gensim's results.

This module's one job is evaluation: read analogy questions (``: section``
headers, then ``a b c expected`` lines) and word-pair judgements
(``word1<TAB>word2<TAB>score``), answer or score them from unit-length rows,
and log and return the results in gensim's shapes. It works on plain data (a
key list, unit vectors); :class:`fastw2v.keyedvectors.KeyedVectors`'
``evaluate_word_analogies`` and ``evaluate_word_pairs`` put the pieces together.

Analogies are answered in one batch by :func:`fastw2v.search.analogy_top_k`
instead of one ``most_similar`` call per question, with gensim's answer rule
replicated (see :func:`solve_analogies`).
"""
import itertools
import logging
from dataclasses import dataclass

import numpy as np

from fastw2v.io._files import open_binary, open_text
from fastw2v.search import analogy_top_k

logger = logging.getLogger(__name__)

__all__ = ["vocab_index", "AnalogyQuestions", "read_analogies", "solve_analogies", "score_analogies",
           "section_accuracy", "WordPairs", "read_word_pairs", "correlate_word_pairs"]


def vocab_index(keys, restrict_vocab, case_insensitive):
    """Map of (upper-cased) key -> index over the first `restrict_vocab` keys; the
    first (most frequent) case variant wins, as in gensim."""
    ok_keys = keys[:restrict_vocab]
    if case_insensitive:
        return {k.upper(): i for i, k in reversed(list(enumerate(ok_keys)))}
    return {k: i for i, k in reversed(list(enumerate(ok_keys)))}


# ---------------------------------------------------------------------- analogies

@dataclass
class AnalogyQuestions:
    """An analogy file read against a vocabulary.

    Attributes
    ----------
    sections : list of dict
        ``{'section': name, 'correct': [], 'incorrect': []}`` per section, in file order.
    entries : list of (dict, tuple, int or None)
        Per counted line: its section, its 4-tuple of words, and its row in
        `questions` (None when a word is out of vocabulary and `dummy4unknown`).
    questions : numpy.ndarray
        (n, 4) int64 indices (a, b, c, expected) of the in-vocabulary questions.
    n_quadruplets : int
        Lines with four words.
    oov : int
        Of those, lines with an out-of-vocabulary word.
    """
    sections: list
    entries: list
    questions: np.ndarray
    n_quadruplets: int
    oov: int


def read_analogies(path, ok_vocab, case_insensitive, dummy4unknown):
    """Read an analogy file; words are looked up in `ok_vocab` (see :func:`vocab_index`).

    Returns
    -------
    AnalogyQuestions

    Raises
    ------
    ValueError
        A question before any section header, or no questions at all.
    """
    sections, section = [], None
    entries, questions = [], []
    n_quadruplets = oov = 0
    with open_binary(path, "rb") as fin:
        for line_no, raw in enumerate(fin):
            line = raw.decode("utf8")
            if line.startswith(": "):
                section = {"section": line.lstrip(": ").strip(), "correct": [], "incorrect": []}
                sections.append(section)
                continue
            if section is None:
                raise ValueError(f"Missing section header before line #{line_no} in {path}")
            words = line.split()
            if len(words) != 4:
                logger.info("Skipping invalid line #%i in %s", line_no, path)
                continue
            if case_insensitive:
                words = [w.upper() for w in words]
            quad = tuple(words)
            n_quadruplets += 1
            if any(w not in ok_vocab for w in quad):
                oov += 1
                if dummy4unknown:
                    entries.append((section, quad, None))
                continue
            entries.append((section, quad, len(questions)))
            questions.append([ok_vocab[w] for w in quad])
    if n_quadruplets == 0:
        raise ValueError(f"no analogy questions found in {path}")
    return AnalogyQuestions(sections, entries, np.array(questions, dtype=np.int64).reshape(-1, 4),
                            n_quadruplets, oov)


def solve_analogies(unit, keys, questions, ok_vocab, case_insensitive, multiplicative=False):
    """Boolean array: is each (a, b, c, expected) row of `questions` answered correctly?

    `unit` and `keys` are the searched rows (the first ``restrict_vocab``) and
    their keys. Replicates gensim: the answer is the first of the top 5 keys
    (inputs excluded) whose (upper-cased) form is not an input's; if none is,
    the fifth. ``multiplicative`` scores by 3CosMul instead of 3CosAdd.
    """
    n_q = len(questions)
    correct = np.zeros(n_q, dtype=bool)
    if n_q == 0:
        return correct
    # canon[i]: index of the key that key i is equal to after case folding
    canon = np.array([ok_vocab[k.upper() if case_insensitive else k] for k in keys], dtype=np.int64)
    a, b, c, expected = questions.T
    top, top_scores = analogy_top_k(unit, a, b, c, 5, multiplicative=multiplicative)
    present = np.isfinite(top_scores)
    cand = canon[top]
    ok = present & (cand != a[:, None]) & (cand != b[:, None]) & (cand != c[:, None])
    has_ok = ok.any(axis=1)
    first = cand[np.arange(n_q), ok.argmax(axis=1)]
    correct[:] = has_ok & (first == expected)
    for i in np.nonzero(~has_ok)[0]:  # rare: gensim then keeps its last candidate
        last = cand[i][present[i]]
        correct[i] = len(last) > 0 and last[-1] == expected[i]
    return correct


def score_analogies(read, correct):
    """Sort each question of `read` (AnalogyQuestions) into its section's correct or
    incorrect list by `correct`, log each section's accuracy, and return
    ``(overall accuracy, sections + [total])`` as gensim does."""
    for section, quad, q in read.entries:
        section["correct" if q is not None and correct[q] else "incorrect"].append(quad)
    for s in read.sections:
        section_accuracy(s)
    total = {
        "section": "Total accuracy",
        "correct": list(itertools.chain.from_iterable(s["correct"] for s in read.sections)),
        "incorrect": list(itertools.chain.from_iterable(s["incorrect"] for s in read.sections)),
    }
    logger.info("Quadruplets with out-of-vocabulary words: %.1f%%", 100.0 * read.oov / read.n_quadruplets)
    score = section_accuracy(total)
    return score, read.sections + [total]


def section_accuracy(section):
    """Accuracy of one section (0.0 when it has no questions), logged when it has some."""
    n_correct, n_incorrect = len(section["correct"]), len(section["incorrect"])
    if n_correct + n_incorrect == 0:
        return 0.0
    score = n_correct / (n_correct + n_incorrect)
    logger.info("%s: %.1f%% (%i/%i)", section["section"], 100.0 * score, n_correct,
                n_correct + n_incorrect)
    return score


# ---------------------------------------------------------------------- word pairs

@dataclass
class WordPairs:
    """A word-pair file read against a vocabulary.

    Attributes
    ----------
    gold : list of float
        Human score of each kept pair.
    index_pairs : numpy.ndarray
        (n, 2) int64 row indices of each kept pair ((0, 0) for a dummy).
    dummy : numpy.ndarray
        (n,) bool: the pair has an unknown word and stands in with similarity 0
        (`dummy4unknown`).
    oov : int
        Pairs with an unknown word.
    """
    gold: list
    index_pairs: np.ndarray
    dummy: np.ndarray
    oov: int


def read_word_pairs(path, ok_vocab, delimiter, encoding, case_insensitive, dummy4unknown):
    """Read ``word1<delimiter>word2<delimiter>score`` lines (``#`` starts a comment);
    words are looked up in `ok_vocab` (see :func:`vocab_index`), invalid lines skipped.

    Returns
    -------
    WordPairs
    """
    gold, index_pairs, dummy = [], [], []
    oov = 0
    with open_text(path, encoding=encoding) as fin:
        for line_no, line in enumerate(fin):
            if not line or line.startswith("#"):
                continue
            try:
                fields = line.split(delimiter)
                if case_insensitive:
                    fields = [w.upper() for w in fields]
                a, b, sim = fields
                sim = float(sim)
            except (ValueError, TypeError):
                logger.info("Skipping invalid line #%d in %s", line_no, path)
                continue
            if a not in ok_vocab or b not in ok_vocab:
                oov += 1
                if dummy4unknown:
                    gold.append(sim)
                    index_pairs.append((0, 0))
                    dummy.append(True)
                continue
            gold.append(sim)
            index_pairs.append((ok_vocab[a], ok_vocab[b]))
            dummy.append(False)
    return WordPairs(gold, np.array(index_pairs, dtype=np.int64).reshape(-1, 2),
                     np.array(dummy, dtype=bool), oov)


def correlate_word_pairs(pairs, unit, dummy4unknown, path):
    """Pearson and Spearman correlations of the cosine similarities (rows of `unit`)
    with the human scores of `pairs` (WordPairs, at least one), logged with `path`.

    Returns
    -------
    pearson : scipy result (statistic, pvalue)
    spearman : scipy result (statistic, pvalue)
    oov_ratio : float
        Percentage of pairs with unknown words.
    """
    from scipy import stats

    idx = pairs.index_pairs
    model = np.einsum("ij,ij->i", unit[idx[:, 0]], unit[idx[:, 1]]).astype(np.float64)
    model[pairs.dummy] = 0.0
    spearman = stats.spearmanr(pairs.gold, model)
    pearson = stats.pearsonr(pairs.gold, model)
    if dummy4unknown:
        oov_ratio = float(pairs.oov) / len(pairs.gold) * 100
    else:
        oov_ratio = float(pairs.oov) / (len(pairs.gold) + pairs.oov) * 100
    logger.info("Pearson correlation coefficient against %s: %.4f", path, pearson[0])
    logger.info("Spearman rank-order correlation coefficient against %s: %.4f", path, spearman[0])
    logger.info("Pairs with unknown words ratio: %.1f%%", oov_ratio)
    return pearson, spearman, oov_ratio
