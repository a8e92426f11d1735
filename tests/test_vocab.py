"""Vocabulary layer: counting, gensim's min_count / trim_rule / max_final_vocab rules, the
subsampling thresholds, the negative-sampling and Huffman tables, and 64-bit counts.

The unit tests call the public functions of ``fastw2v.vocab`` on tiny inputs with known
answers; the last tests go through ``Word2Vec``. (tests/test_word2vec.py compares whole
vocabularies with gensim's.)
"""
import heapq

import numpy as np
import pytest

from fastw2v import Word2Vec
from fastw2v import vocab as _vocab
from fastw2v.vocab import (RULE_DEFAULT, RULE_DISCARD, RULE_KEEP, count_words, effective_min_count,
                           huffman_tree, keep_vocab_item, prune_vocab, sample_thresholds)

from _util import small_corpus

# ---------------------------------------------------------------- min_count and trim_rule


def test_keep_vocab_item_default_is_count_at_least_min_count():
    assert keep_vocab_item("w", 5, 5) and keep_vocab_item("w", 6, 5)
    assert not keep_vocab_item("w", 4, 5)


def test_keep_vocab_item_follows_the_trim_rule():
    seen = []

    def rule(word, count, min_count):
        seen.append((word, count, min_count))
        return {"keep": RULE_KEEP, "drop": RULE_DISCARD}.get(word, RULE_DEFAULT)

    assert keep_vocab_item("keep", 1, 5, rule)       # kept below min_count
    assert not keep_vocab_item("drop", 100, 5, rule)  # dropped above it
    assert keep_vocab_item("other", 5, 5, rule) and not keep_vocab_item("other", 4, 5, rule)
    assert seen[0] == ("keep", 1, 5)


def test_prune_vocab_removes_in_place_and_returns_the_pruned_total():
    counts = {"a": 5, "b": 1, "c": 2, "d": 1, "keep": 1}
    pruned = prune_vocab(counts, 2, lambda w, c, m: RULE_KEEP if w == "keep" else RULE_DEFAULT)
    assert counts == {"a": 5, "c": 2, "keep": 1}
    assert pruned == 2


@pytest.mark.parametrize("max_final_vocab, min_count, expected", [
    (None, 3, 3),   # no cap: min_count as given
    (10, 1, 1),     # cap above the vocabulary size: nothing to raise
    (2, 1, 6),      # counts 10, 5, 5, 1: the third count is 5, so min_count 6 keeps one word (ties go)
    (3, 1, 2),      # the fourth count is 1: min_count 2 keeps three
    (3, 4, 4),      # never lowered below the given min_count
])
def test_effective_min_count(max_final_vocab, min_count, expected):
    raw = {"a": 10, "b": 5, "c": 5, "d": 1}
    assert effective_min_count(raw, min_count, max_final_vocab) == expected


# ---------------------------------------------------------------- counting


def test_count_words_counts_tokens_and_sentences():
    raw, total, sentences, min_reduce = count_words([["a", "b", "a"], [], ["c", "a"]])
    assert raw == {"a": 3, "b": 1, "c": 1}
    assert (total, sentences, min_reduce) == (5, 3, 1)


def test_count_words_prunes_past_max_vocab_size_with_a_growing_threshold():
    # After sentence 2 three words exceed the cap: prune below 1 (nothing), threshold 2;
    # after sentence 3 four words: prune below 2 (b, c, d), threshold 3.
    raw, total, sentences, min_reduce = count_words([["a", "a", "b"], ["c"], ["a", "d"]], max_vocab_size=2)
    assert raw == {"a": 3}
    assert (total, sentences, min_reduce) == (6, 3, 3)  # pruned tokens still count in the total


@pytest.mark.parametrize("corpus, message", [
    ([["a"], "a sentence as one string"], "list of tokens"),
    ([["a", ["b"]]], "unhashable token"),
    ([[{"a": 1}]], "unhashable token"),
])
def test_count_words_refuses_bad_sentences_and_tokens(corpus, message):
    with pytest.raises(TypeError, match=message):
        count_words(corpus)


def test_nothing_reaches_min_count_corpus_file(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a b c\nd e f\n")
    with pytest.raises(ValueError, match="min_count"):
        Word2Vec(corpus_file=str(path), vector_size=8, min_count=2)


# ---------------------------------------------------------------- subsampling


def _keep_probability(counts, t):
    counts = np.asarray(counts, np.float64)
    return np.minimum((np.sqrt(counts / t) + 1) * t / counts, 1.0)


def test_sample_thresholds_follow_word2vecs_formula():
    counts = np.array([100_000, 5_000, 300, 20, 1], np.int64)
    thresholds, kept = sample_thresholds(counts, 1e-3)
    t = 1e-3 * counts.sum()
    prob = _keep_probability(counts, t)
    assert thresholds.dtype == np.uint32
    np.testing.assert_array_equal(thresholds, (prob * (2**32 - 1)).astype(np.uint32))
    assert kept == pytest.approx((prob * counts).sum())
    assert (np.diff(thresholds.astype(np.int64)) >= 0).all()  # frequent words are dropped most


def test_sample_zero_keeps_every_word():
    counts = np.array([10**12, 7, 1], np.int64)
    thresholds, kept = sample_thresholds(counts, 0)
    assert (thresholds == 2**32 - 1).all() and kept == pytest.approx(counts.sum())


def test_sample_at_least_one_is_gensims_shorthand():
    counts = np.array([5_000, 50, 1], np.int64)
    thresholds, _ = sample_thresholds(counts, 30)
    t = float(int(30 * (3 + np.sqrt(5)) / 2))  # gensim: sample >= 1 is a count, not a fraction
    expected = (_keep_probability(counts, t) * (2**32 - 1)).astype(np.uint32)
    np.testing.assert_array_equal(thresholds, expected)


def test_sample_thresholds_of_a_zero_count_keep_it():
    thresholds, _ = sample_thresholds(np.array([0, 10], np.int64), 1e-3, retain_total=10)
    assert thresholds[0] == 2**32 - 1


# ---------------------------------------------------------------- negative sampling table


def test_alias_table_of_zero_counts_is_uniform():
    table = _vocab.alias_table(np.zeros(4, np.int64), 0.75)
    assert table.dtype == np.uint32 and table.shape == (4, 2)
    assert (table[:, 0].astype(np.float64) >= 2**32 - 2).all()  # every slot accepts itself


def test_alias_table_of_no_words_is_empty():
    assert _vocab.alias_table(np.zeros(0, np.int64), 0.75).shape == (0, 2)


# ---------------------------------------------------------------- Huffman tree


def _huffman_cost(counts):
    """Minimal weighted path length: the sum of every merge of the two lightest subtrees."""
    heap = [int(c) for c in counts]
    heapq.heapify(heap)
    cost = 0
    while len(heap) > 1:
        merged = heapq.heappop(heap) + heapq.heappop(heap)
        cost += merged
        heapq.heappush(heap, merged)
    return cost


def _paths(codes, points, offsets):
    return [(codes[offsets[i]:offsets[i + 1]].tolist(), points[offsets[i]:offsets[i + 1]].tolist())
            for i in range(len(offsets) - 1)]


@pytest.mark.parametrize("seed", range(3))
def test_huffman_tree_is_optimal_and_prefix_free(seed):
    counts = np.sort(np.random.default_rng(seed).integers(1, 10_000, 97))[::-1]
    codes, points, offsets = huffman_tree(counts)
    assert codes.dtype == np.uint8 and points.dtype == np.int32 and offsets.dtype == np.int64
    lengths = np.diff(offsets)
    assert int((lengths * counts).sum()) == _huffman_cost(counts)
    paths = _paths(codes, points, offsets)
    strings = sorted("".join(map(str, code)) for code, _ in paths)
    assert all(not b.startswith(a) for a, b in zip(strings, strings[1:]))
    root = len(counts) - 2  # inner nodes are rows 0..n-2 of syn1, the root created last
    assert all(point[0] == root for _, point in paths)
    assert points.min() >= 0 and points.max() == root


def _heap_merges(counts):
    """The merges of a heap of (count, node) pairs, as gensim builds its tree."""
    n = len(counts)
    heap = [(int(c), i) for i, c in enumerate(counts)]
    heapq.heapify(heap)
    parent, branch, children = [0] * (2 * n - 1), [0] * (2 * n - 1), []
    for inner in range(n, 2 * n - 1):
        (c1, i1), (c2, i2) = heapq.heappop(heap), heapq.heappop(heap)
        parent[i1] = parent[i2] = inner
        branch[i2] = 1
        children.append([i1, i2])
        heapq.heappush(heap, (c1 + c2, inner))
    return parent, branch, children


@pytest.mark.parametrize("seed", range(20))
def test_huffman_merges_equal_a_heaps(seed):
    from fastw2v._huffman import huffman_merges
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 300))
    # Few distinct counts, so that ties between leaves and inner nodes are common; sorted
    # as a vocabulary is, or in any order.
    counts = rng.integers(0 if seed % 5 == 0 else 1, 6, n) * int(rng.choice([1, 2, 1000]))
    if seed % 2:
        counts = np.sort(counts)[::-1]
    parent, branch, children = huffman_merges(counts)
    want = _heap_merges(counts)
    assert parent.tolist() == want[0] and branch.tolist() == want[1]
    assert children.tolist() == want[2]
    # Every word's path, walked up from its leaf in Python, root first.
    want_paths = []
    for word in range(n):
        code, point, node = [], [], word
        while node != 2 * n - 2:
            code.insert(0, want[1][node])
            point.insert(0, want[0][node] - n)
            node = want[0][node]
        want_paths.append((code, point))
    assert _paths(*huffman_tree(counts)) == want_paths


def test_huffman_merges_refuse_what_is_not_a_tree():
    from fastw2v._huffman import huffman_merges
    with pytest.raises(ValueError, match="at least two"):
        huffman_merges(np.array([3]))
    with pytest.raises(ValueError, match="negative"):
        huffman_merges(np.array([3, -1]))


def test_huffman_tree_of_equal_counts_is_balanced():
    codes, points, offsets = huffman_tree(np.full(8, 3))
    assert (np.diff(offsets) == 3).all()
    assert sorted("".join(map(str, c)) for c, _ in _paths(codes, points, offsets)) == \
        [format(i, "03b") for i in range(8)]


def test_huffman_tree_of_zero_and_one_words():
    codes, points, offsets = huffman_tree(np.zeros(0, np.int64))
    assert len(codes) == len(points) == 0 and offsets.tolist() == [0]
    codes, points, offsets = huffman_tree(np.array([7]))
    assert codes.tolist() == [0] and points.tolist() == [0] and offsets.tolist() == [0, 1]


# ---------------------------------------------------------------- 64-bit counts through Word2Vec

@pytest.mark.parametrize("kw", [dict(hs=1, negative=0), dict(hs=0, negative=5), dict(hs=1, negative=2)],
                         ids=["hs", "ns", "hs+ns"])
def test_counts_above_2_to_the_31(kw):
    big = 3_000_000_000
    freq = {w: 5 for w in sum(small_corpus(2, 12), [])}
    freq.update({"a0": big, "b0": big // 3})
    model = Word2Vec(vector_size=8, min_count=1, sample=1e-3, workers=2, **kw)
    model.build_vocab_from_freq(freq)
    counts = model.wv.expandos["count"]
    assert counts.dtype == np.int64 and counts.max() == big and model.corpus_total_words == sum(freq.values())
    sample_int = model.wv.expandos["sample_int"].astype(np.int64)
    assert (sample_int > 0).all() and (sample_int <= 2**32 - 1).all()
    assert sample_int[model.wv.key_to_index["a0"]] < sample_int[model.wv.key_to_index["b0"]]
    if model.negative:
        table = model._vocab.alias  # the packed table the kernels read
        prob, alias = table[:, 0], table[:, 1].view(np.int32)
        p = prob.astype(np.float64) / 2**32
        implied = p / len(counts)
        np.add.at(implied, alias, (1 - p) / len(counts))
        target = counts.astype(np.float64) ** 0.75
        np.testing.assert_allclose(implied, target / target.sum(), atol=1e-7)
    if model.hs:
        lengths = np.diff(model._vocab.path_offsets)
        assert lengths.min() >= 1 and lengths.max() < len(counts)
        assert lengths[model.wv.key_to_index["a0"]] == 1  # the dominant word sits next to the root
    effective, raw = model.train(small_corpus(), total_examples=400, epochs=2)
    assert raw == 8000 and 0 < effective <= raw
    assert np.isfinite(model.wv.vectors).all()


# ---------------------------------------------------------------- vocab.build and Vocab


def _build(keys, counts, **kw):
    settings = dict(min_count=2, sample=1e-3, ns_exponent=0.75, hs=True, negative=5)
    settings.update(kw)
    return _vocab.build(keys, np.array(counts), **settings)


def test_build_keeps_sorts_and_builds_every_table():
    vocab, report = _build(["x", "y", "z", "w"], [3, 1, 7, 3])
    assert vocab.words == ["z", "x", "w"]                  # by count, ties in scan order
    assert vocab.counts.tolist() == [7, 3, 3]
    assert report["drop_unique"] == 1 and report["retain_total"] == 13
    assert vocab.sample_int.dtype == np.uint32 and len(vocab.sample_int) == 3
    assert vocab.alias.shape == (3, 2) and vocab.alias.dtype == np.uint32
    assert vocab.path_offsets.tolist()[0] == 0 and len(vocab.path_offsets) == 4


def test_build_skips_tables_the_objective_does_not_need():
    vocab, _ = _build(["x", "y"], [3, 4], hs=False, negative=0)
    assert vocab.alias is None and vocab.codes is None and vocab.path_offsets is None
    vocab, _ = _build(["x", "y"], [3, 4], hs=False, negative=3)
    assert vocab.alias is not None and vocab.codes is None


def test_build_with_nothing_kept_returns_none_and_the_report():
    vocab, report = _build(["x"], [1], min_count=5)
    assert vocab is None and report["num_retained_words"] == 0


def test_build_trim_rule_max_final_vocab_and_null_word():
    def rule(word, count, min_count):
        return _vocab.RULE_KEEP if word == "rare" else _vocab.RULE_DEFAULT

    vocab, report = _build(["rare", "a", "b", "c"], [1, 9, 8, 7], trim_rule=rule,
                           max_final_vocab=2, null_word=True)
    assert report["effective_min_count"] == 8
    assert vocab.words == ["a", "b", "rare", "\0"]


def test_online_update_keeps_prior_order_and_sums_counts():
    prior, _ = _build(["a", "b"], [5, 3])
    vocab, _ = _build(["b", "new"], [2, 4], prior=prior)
    assert vocab.words == ["a", "b", "new"]
    assert vocab.counts.tolist() == [5, 5, 4]


def test_from_counts_refuses_mismatched_lengths():
    with pytest.raises(ValueError, match="2 words but 1 counts"):
        _vocab.Vocab.from_counts(["a", "b"], [1], sample=0, ns_exponent=0.75, hs=False, negative=1)


def test_online_update_subsamples_by_the_update_corpus_as_gensim():
    prior, _ = _build(["a", "b", "c"], [900, 50, 5], sample=1e-2)
    vocab, _ = _build(["b", "new"], [40, 10], prior=prior, sample=1e-2)
    expected, _ = sample_thresholds(np.array([40, 10]), 1e-2)  # the new text's own shares
    assert vocab.sample_int[[1, 3]].tolist() == expected.tolist()
    assert vocab.sample_int[[0, 2]].tolist() == prior.sample_int[[0, 2]].tolist()  # untouched
    assert vocab.counts.tolist() == [900, 90, 5, 10]
