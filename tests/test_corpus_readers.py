"""Corpus layer: LineSentence, PathLineSentences, Text8Corpus give gensim's output on
ASCII text, with the documented differences (UTF-8 replace, ASCII-only whitespace), and
odd, huge or broken corpora train or fail clearly through Word2Vec, never crash.

Tests that compare with gensim take the ``gw2v`` fixture and skip without gensim."""
import bz2
import gzip
import io
import json
import random

import numpy as np
import pytest

from fastw2v import Word2Vec
from fastw2v.corpus import LineSentence, PathLineSentences, Text8Corpus
from fastw2v.corpus import readers

from _util import run_child, small_corpus


@pytest.fixture(scope="module")
def gw2v():
    """gensim's word2vec module, the reference readers; skips the test without gensim."""
    return pytest.importorskip("gensim.models.word2vec")


def random_ascii_text(seed, n_lines=200, max_words=40, vocab=50):
    rng = random.Random(seed)
    words = ["w%d" % i for i in range(vocab)] + ["a", "bb", "xyz"]
    lines = []
    for _ in range(n_lines):
        n = rng.choice([0, 1, 3, max_words, rng.randrange(max_words)])
        seps = [rng.choice([" ", " ", "  ", "\t", "\r", "\x0b", "\x0c"]) for _ in range(n)]
        lines.append("".join(rng.choice(words) + s for s in seps))
    return "\n".join(lines) + rng.choice(["", "\n", "\r\n"])


def write(path, text, opener=open):
    with opener(path, "wb") as f:
        f.write(text.encode("utf-8") if isinstance(text, str) else text)
    return path


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("max_len", [1, 7, 10000])
@pytest.mark.parametrize("limit", [None, 0, 5, 1000])
def test_line_sentence_equals_gensim(gw2v, tmp_path, seed, max_len, limit):
    path = write(tmp_path / "c.txt", random_ascii_text(seed))
    ours = list(LineSentence(str(path), max_sentence_length=max_len, limit=limit))
    theirs = list(gw2v.LineSentence(str(path), max_sentence_length=max_len, limit=limit))
    assert ours == theirs


@pytest.mark.parametrize("suffix,opener", [(".gz", gzip.open), (".bz2", bz2.open)])
def test_line_sentence_compressed(gw2v, tmp_path, suffix, opener):
    text = random_ascii_text(7)
    path = write(tmp_path / ("c.txt" + suffix), text, opener)
    expected = list(gw2v.LineSentence(str(path), max_sentence_length=5))
    assert list(LineSentence(path, max_sentence_length=5)) == expected
    assert list(LineSentence(write(tmp_path / "p.txt", text), max_sentence_length=5)) == expected


def test_line_sentence_is_restartable(tmp_path):
    path = write(tmp_path / "c.txt", random_ascii_text(1))
    corpus = LineSentence(path)
    assert list(corpus) == list(corpus)


@pytest.mark.parametrize("mode", ["binary", "text"])
def test_line_sentence_file_like(gw2v, mode):
    text = random_ascii_text(3).replace("\r", " ")
    def make():
        return io.BytesIO(text.encode()) if mode == "binary" else io.StringIO(text)
    ours, theirs = LineSentence(make(), max_sentence_length=6, limit=50), \
        gw2v.LineSentence(make(), max_sentence_length=6, limit=50)
    expected = list(theirs)
    assert list(ours) == expected
    assert list(ours) == expected  # rewound with seek(0)


def test_long_line_split_not_truncated(tmp_path):
    words = ["t%d" % i for i in range(25003)]
    path = write(tmp_path / "c.txt", " ".join(words) + "\nend\n")
    sentences = list(LineSentence(path))
    assert [len(s) for s in sentences] == [10000, 10000, 5003, 1]
    assert sum(sentences, []) == words + ["end"]


def test_long_line_split_like_gensim(gw2v, tmp_path):
    words = ["t%d" % i for i in range(25003)]
    path = write(tmp_path / "c.txt", " ".join(words) + "\nend\n")
    assert list(LineSentence(path)) == list(gw2v.LineSentence(str(path)))


def test_line_longer_than_read_block(gw2v, tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "_BLOCK_SIZE", 16)
    path = write(tmp_path / "c.txt", random_ascii_text(5))
    assert list(LineSentence(path, 9)) == list(gw2v.LineSentence(str(path), 9))


def test_text8_line_longer_than_read_block(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "_BLOCK_SIZE", 16)
    text = random_ascii_text(5)
    path = write(tmp_path / "c.txt", text)
    assert list(Text8Corpus(path, 9)) == reference_text8(text.encode(), 9)


@pytest.mark.parametrize("limit", [None, 3])
def test_path_line_sentences_equals_gensim(gw2v, tmp_path, limit):
    d = tmp_path / "dir"
    d.mkdir()
    write(d / "b.txt", random_ascii_text(1, n_lines=20))
    write(d / "a.txt.gz", random_ascii_text(2, n_lines=20), gzip.open)
    write(d / "c.bz2", random_ascii_text(3, n_lines=20), bz2.open)
    ours = list(PathLineSentences(str(d), max_sentence_length=8, limit=limit))
    assert ours == list(gw2v.PathLineSentences(str(d), max_sentence_length=8, limit=limit))
    single = d / "b.txt"
    assert list(PathLineSentences(single)) == list(gw2v.PathLineSentences(str(single)))


def test_path_line_sentences_rejects_missing(tmp_path):
    with pytest.raises(ValueError):
        PathLineSentences(tmp_path / "nope")


def reference_text8(data, max_len):
    tokens = data.decode("utf-8", "replace").split()
    return [tokens[i:i + max_len] for i in range(0, len(tokens), max_len)]


def _text8_like(max_len):
    rng = random.Random(max_len)
    # Space-separated like text8 itself, long enough to cross gensim's 8 KiB blocks.
    return " " + " ".join(rng.choice(["the", "of", "anarchism", "x"]) for _ in range(12345))


@pytest.mark.parametrize("max_len", [1, 10, 1000, 10000])
def test_text8_equals_reference(tmp_path, max_len):
    text = _text8_like(max_len)
    ours = list(Text8Corpus(write(tmp_path / "text8", text), max_sentence_length=max_len))
    assert ours == reference_text8(text.encode(), max_len)
    gz = write(tmp_path / "text8.gz", text, gzip.open)
    assert list(Text8Corpus(gz, max_sentence_length=max_len)) == ours


@pytest.mark.parametrize("max_len", [1, 10, 1000, 10000])
def test_text8_equals_gensim(gw2v, tmp_path, max_len):
    path = write(tmp_path / "text8", _text8_like(max_len))
    ours = list(Text8Corpus(path, max_sentence_length=max_len))
    assert ours == list(gw2v.Text8Corpus(str(path), max_sentence_length=max_len))


def test_text8_never_glues_tokens_across_blocks(tmp_path, monkeypatch):
    # gensim strips the carried remainder, so "b\n" + "c" becomes "bc"; we do not.
    monkeypatch.setattr(readers, "_BLOCK_SIZE", 4)
    data = b"a b\ncd e\nf\tg h"
    path = write(tmp_path / "t8", data)
    assert list(Text8Corpus(path, 3)) == reference_text8(data, 3)
    assert list(Text8Corpus(io.BytesIO(data), 2)) == reference_text8(data, 2)


def test_gensim_raises_on_invalid_utf8(gw2v, tmp_path):
    path = write(tmp_path / "c.txt", b"caf\xc3\xa9 bad\xff \xe2\x82 ok\n")
    with pytest.raises(UnicodeDecodeError):  # the difference the next test documents
        list(gw2v.LineSentence(str(path)))


def test_invalid_utf8_is_replaced_not_raised(tmp_path):
    data = b"caf\xc3\xa9 bad\xff \xe2\x82 ok\n"
    path = write(tmp_path / "c.txt", data)
    assert list(LineSentence(path)) == [["caf\u00e9", "bad\ufffd", "\ufffd", "ok"]]
    assert list(Text8Corpus(path)) == [["caf\u00e9", "bad\ufffd", "\ufffd", "ok"]]


def test_split_on_ascii_whitespace_and_nul_only(tmp_path):
    data = "a\u00a0b c\u2028d\x1ce\x00f\x85g\u3000h\x0bi\x0cj\rk\tl".encode()
    path = write(tmp_path / "c.txt", data)
    expected = [["a\u00a0b", "c\u2028d\x1ce", "f\x85g\u3000h", "i", "j", "k", "l"]]
    assert list(LineSentence(path)) == expected
    assert list(PathLineSentences(path)) == expected
    assert list(Text8Corpus(path)) == expected
    assert list(LineSentence(io.StringIO(data.decode()))) == expected


def test_mismatch_set_covers_every_unicode_space():
    # The fast path relies on this list being exactly str.split()'s separators
    # that are not ASCII whitespace (plus NUL).
    unicode_spaces = {chr(c) for c in range(0x110000) if chr(c).isspace()}
    flagged = {chr(c) for c in range(0x3001) if readers._SPLIT_MISMATCH.match(chr(c))}
    assert flagged == (unicode_spaces - set(" \t\n\r\x0b\x0c")) | {"\x00"}


@pytest.mark.parametrize("text", ["", "\n\n", "  \t\n"])
def test_no_sentences(tmp_path, text):
    path = write(tmp_path / "c.txt", text)
    assert list(LineSentence(path)) == []
    assert list(Text8Corpus(path)) == []


# ---------------------------------------------------------------- odd corpora through Word2Vec

KW = dict(vector_size=8, min_count=1, workers=2, epochs=1)


def test_empty_corpus_file_of_blank_lines(tmp_path):
    path = tmp_path / "blank.txt"
    path.write_bytes(b"\n\r\n  \t\n\x00\n")
    with pytest.raises(ValueError, match="empty"):
        Word2Vec(corpus_file=str(path), **KW)
    with pytest.raises(ValueError, match="empty"):
        Word2Vec(LineSentence(str(path)), **KW)


def test_one_shot_iterator_refused_but_fine_for_build_vocab():
    with pytest.raises(TypeError, match="one-shot"):
        Word2Vec(iter(small_corpus()), **KW)
    model = Word2Vec(**KW)
    model.build_vocab(iter(small_corpus()))  # one pass: allowed
    with pytest.raises(TypeError, match="one-shot"):
        model.train(iter(small_corpus()), total_examples=400, epochs=2)
    assert len(model.wv) == 24


@pytest.mark.parametrize("tokens", [[["a", 1]], [["a", None]], [["a", b"b"]], [["a", ["b"]]]],
                         ids=["int", "None", "bytes", "list"])
def test_any_hashable_token_trains_an_unhashable_one_is_refused(tokens):
    unhashable = isinstance(tokens[0][1], list)
    if unhashable:
        with pytest.raises(TypeError, match="unhashable"):
            Word2Vec(tokens, **KW)
    else:  # gensim trains on any hashable token
        assert tokens[0][1] in Word2Vec(tokens * 5, **dict(KW, min_count=1)).wv
    model = Word2Vec(**dict(KW, sample=0))
    model.build_vocab([["a", "b"]])
    if unhashable:
        with pytest.raises(TypeError):
            model.train(tokens, total_examples=1, epochs=1)
    else:  # at train time, like gensim, a token not in the vocabulary is skipped
        assert model.train(tokens, total_examples=1, epochs=1) == (1, 2)


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
