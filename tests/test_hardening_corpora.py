"""Hardening, corpora: odd, huge and broken corpora train or fail clearly, never crash."""
import json

import numpy as np
import pytest

from fastw2v import LineSentence, Word2Vec

from _hardening_util import run_child, small_corpus

KW = dict(vector_size=8, min_count=1, workers=2, epochs=1)


def test_empty_corpus_file_of_blank_lines(tmp_path):
    path = tmp_path / "blank.txt"
    path.write_bytes(b"\n\r\n  \t\n\x00\n")
    with pytest.raises(ValueError, match="empty"):
        Word2Vec(corpus_file=str(path), **KW)
    with pytest.raises(ValueError, match="empty"):
        Word2Vec(LineSentence(str(path)), **KW)


def test_nothing_reaches_min_count_corpus_file(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a b c\nd e f\n")
    with pytest.raises(ValueError, match="min_count"):
        Word2Vec(corpus_file=str(path), vector_size=8, min_count=2)


def test_one_shot_iterator_refused_but_fine_for_build_vocab():
    with pytest.raises(TypeError, match="one-shot"):
        Word2Vec(iter(small_corpus()), **KW)
    model = Word2Vec(**KW)
    model.build_vocab(iter(small_corpus()))  # one pass: allowed
    with pytest.raises(TypeError, match="one-shot"):
        model.train(iter(small_corpus()), total_examples=400, epochs=2)
    assert len(model.wv) == 24


@pytest.mark.parametrize("bad", [[["a", 1]], [["a", None]], [["a", b"b"]], [["a", ["b"]]]],
                         ids=["int", "None", "bytes", "list"])
def test_non_string_tokens_raise_typeerror(bad):
    with pytest.raises(TypeError):
        Word2Vec(bad, **KW)
    model = Word2Vec(**dict(KW, sample=0))
    model.build_vocab([["a", "b"]])
    if isinstance(bad[0][1], list):  # unhashable
        with pytest.raises(TypeError):
            model.train(bad, total_examples=1, epochs=1)
    else:  # at train time, like gensim, a token not in the vocabulary is skipped
        assert model.train(bad, total_examples=1, epochs=1) == (1, 2)


def test_empty_sentences_are_skipped():
    corpus = [[], ["a", "b", "c"], [], [], ["b", "c"], []]
    model = Word2Vec(**dict(KW, sample=0))
    model.build_vocab(corpus)
    assert model.corpus_count == 6 and model.corpus_total_words == 5
    effective, raw = model.train(corpus, total_examples=6, epochs=3)
    assert (effective, raw) == (15, 15)
    assert np.isfinite(model.wv.vectors).all()


def test_one_megabyte_token_iterable_and_corpus_file(tmp_path):
    big = "x" * (1 << 20)
    corpus = [["a", big, "b"], ["a", "b", big]]
    m1 = Word2Vec(corpus, **dict(KW, sample=0))
    assert big in m1.wv
    path = tmp_path / "big.txt"
    path.write_text("\n".join(" ".join(s) for s in corpus) + "\n")
    m2 = Word2Vec(corpus_file=str(path), **dict(KW, sample=0))
    assert big in m2.wv and sorted(m2.wv.index_to_key, key=len) == sorted(m1.wv.index_to_key, key=len)
    effective, raw = m2.train(corpus_file=str(path), total_words=6, epochs=2)
    assert (effective, raw) == (12, 12)


_LONG_LINE = """
    import json, resource, sys, os
    from fastw2v import Word2Vec
    n, mode, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    vocab = [f"w{i}" for i in range(500)]
    if mode == "file":
        with open(path, "w") as f:
            for start in range(0, n, 100_000):
                f.write(" ".join(vocab[(i * 7919) % 500] for i in range(start, min(n, start + 100_000))))
                f.write(" ")
            f.write("\\n")
        corpus = dict(corpus_file=path)
    else:
        corpus = dict(corpus_iterable=[[vocab[(i * 7919) % 500] for i in range(n)]])
    model = Word2Vec(vector_size=8, min_count=1, sample=0, workers=2, window=2, negative=1)
    model.build_vocab(**corpus)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    eff, raw = model.train(total_examples=1, epochs=1, **corpus)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(dict(eff=eff, raw=raw, total=model.corpus_total_words, count=model.corpus_count,
                          grow_mb=(after - before) / 1024, finite=bool((abs(model.wv.vectors) < 1e3).all()))))
"""


@pytest.mark.timeout(240)
@pytest.mark.parametrize("mode", ["file", "iterable"])
def test_single_line_of_millions_of_tokens(tmp_path, mode):
    n = 2_500_000
    out = json.loads(run_child(_LONG_LINE.replace("sys.argv[1]", repr(str(n))).replace(
        "sys.argv[2]", repr(mode)).replace("sys.argv[3]", repr(str(tmp_path / "long.txt"))), timeout=220))
    # LineSentence (and so gensim's corpus_file) counts the 10,000-token pieces as sentences
    assert out["total"] == n and out["count"] == (1 if mode == "iterable" else n // 10_000)
    assert out["raw"] == n and out["eff"] == n  # trained fully: split, not truncated
    assert out["finite"]
    # int32 ids of 2.5M tokens are 10 MB; allow generous slack, but not a per-token Python object
    assert out["grow_mb"] < 150, out


def _messy_bytes():
    return (b"caf\xc3\xa9 bad\xff\xfe byte\r\n"
            b"nul\x00inside word\r\n"
            b"\xe2\x82 truncated\r\n"
            b"caf\xc3\xa9 plain line\n"
            b"last\rline without newline\x00")


@pytest.mark.parametrize("how", ["corpus_file", "LineSentence"])
def test_invalid_utf8_nul_crlf(tmp_path, how):
    path = tmp_path / "messy.txt"
    path.write_bytes(_messy_bytes())
    if how == "corpus_file":
        model = Word2Vec(corpus_file=str(path), **KW)
    else:
        model = Word2Vec(LineSentence(str(path)), **KW)
    keys = model.wv.index_to_key
    assert not [k for k in keys if "\r" in k or "\0" in k]
    assert "bad\ufffd\ufffd" in keys and "\ufffd" in keys and "café" in keys
    assert {"nul", "inside", "last", "line"} <= set(keys)
    assert np.isfinite(model.wv.vectors).all()


@pytest.mark.parametrize("how", ["corpus_file", "iterable"])
def test_more_threads_than_lines_trains_each_line_once(tmp_path, how):
    lines = [["a", "b", "c", "d"], ["b", "c"], ["d", "a", "b"]]
    path = tmp_path / "three.txt"
    path.write_text("\n".join(" ".join(s) for s in lines) + "\n")
    corpus = dict(corpus_file=str(path)) if how == "corpus_file" else dict(corpus_iterable=lines)
    model = Word2Vec(vector_size=8, min_count=1, sample=0, workers=8)
    model.build_vocab(**corpus)
    effective, raw = model.train(total_examples=3, epochs=5, **corpus)
    assert (effective, raw) == (9 * 5, 9 * 5)


@pytest.mark.parametrize("kw", [dict(hs=1, negative=0), dict(hs=0, negative=5), dict(hs=1, negative=2)],
                         ids=["hs", "ns", "hs+ns"])
def test_counts_above_2_to_the_31(kw):
    from fastw2v import vocab as _vocab
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
        table = _vocab.alias_table(counts, model.ns_exponent)
        prob, alias = table[:, 0], table[:, 1]
        p = prob.astype(np.float64) / 2**32
        implied = p / len(counts)
        np.add.at(implied, alias, (1 - p) / len(counts))
        target = counts.astype(np.float64) ** 0.75
        np.testing.assert_allclose(implied, target / target.sum(), atol=1e-7)
    if model.hs:
        lengths = np.diff(model._path_offsets)
        assert lengths.min() >= 1 and lengths.max() < len(counts)
        assert lengths[model.wv.key_to_index["a0"]] == 1  # the dominant word sits next to the root
    effective, raw = model.train(small_corpus(), total_examples=400, epochs=2)
    assert raw == 8000 and 0 < effective <= raw
    assert np.isfinite(model.wv.vectors).all()
