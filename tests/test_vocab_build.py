"""fastw2v.vocab.build and Vocab: gensim's rules applied to a scan, and the tables in one object."""
import numpy as np
import pytest

from fastw2v import vocab as fvocab


def _build(keys, counts, **kw):
    settings = dict(min_count=2, sample=1e-3, ns_exponent=0.75, hs=True, negative=5)
    settings.update(kw)
    return fvocab.build(keys, np.array(counts), **settings)


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
        return fvocab.RULE_KEEP if word == "rare" else fvocab.RULE_DEFAULT

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
        fvocab.Vocab.from_counts(["a", "b"], [1], sample=0, ns_exponent=0.75, hs=False, negative=1)
