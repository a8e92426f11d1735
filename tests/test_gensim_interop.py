"""Moving between gensim and fastw2v, and the gensim API that gensim's own tests exercise.

Each behaviour is compared with the real gensim where gensim has it (same vectors, same
inputs), and otherwise with a numpy reference.
"""
import subprocess
import sys

import numpy as np
import pytest
from _child import CHILD_CWD, child_env

from fastw2v import KeyedVectors, Word2Vec
from fastw2v.errors import EmptyCorpusError
from fastw2v.io.errors import FormatError, KeyDecodeError, TruncatedFileError, WrongModelKindError

gensim = pytest.importorskip("gensim")
from gensim.test.utils import common_texts  # noqa: E402

CORPUS = [list(s) for s in common_texts] * 40


@pytest.mark.parametrize("kw", [dict(hs=0, negative=5), dict(hs=1, negative=0),
                                dict(hs=1, negative=3, sg=1)], ids=["ns", "hs", "hs+ns"])
def test_from_gensim_and_back_keep_the_whole_model(kw, tmp_path):
    g = gensim.models.Word2Vec(CORPUS, min_count=1, vector_size=16, workers=1, seed=2, **kw)
    model = Word2Vec.from_gensim(g)
    assert model.wv.index_to_key == g.wv.index_to_key
    np.testing.assert_array_equal(model.wv.vectors, g.wv.vectors)
    if model.hs:  # gensim's own tree is kept, so syn1's rows still mean the same nodes
        np.testing.assert_array_equal(model.syn1, g.syn1)
        for word in ("human", "system"):
            np.testing.assert_array_equal(model.wv.get_vecattr(word, "code"),
                                          g.wv.get_vecattr(word, "code"))
            np.testing.assert_array_equal(model.wv.get_vecattr(word, "point"),
                                          g.wv.get_vecattr(word, "point"))
    if model.negative:
        np.testing.assert_array_equal(model.syn1neg, g.syn1neg)
    assert (model.corpus_count, model.epochs, model.window) == (g.corpus_count, g.epochs, g.window)
    model.train(CORPUS, total_examples=len(CORPUS), epochs=1)  # training continues here
    assert np.isfinite(model.wv.vectors).all() and not np.array_equal(model.wv.vectors, g.wv.vectors)
    back = model.to_gensim()
    np.testing.assert_array_equal(back.wv.vectors, model.wv.vectors)
    back.train(CORPUS, total_examples=len(CORPUS), epochs=1)  # ... and in gensim again
    assert np.isfinite(back.wv.vectors).all()
    model.save(str(tmp_path / "m.w2v"))
    assert Word2Vec.load(str(tmp_path / "m.w2v")).wv.index_to_key == g.wv.index_to_key


def test_convert_command_reads_a_gensim_pickle_and_load_explains_it(tmp_path):
    g = gensim.models.Word2Vec(CORPUS, min_count=1, vector_size=8, workers=1)
    g.save(str(tmp_path / "g.model"))
    g.wv.save(str(tmp_path / "g.kv"))
    with pytest.raises(FormatError, match="fastw2v convert"):
        Word2Vec.load(str(tmp_path / "g.model"))
    for src, dst, cls in [("g.model", "m.w2v", Word2Vec), ("g.kv", "v.kv", KeyedVectors)]:
        proc = subprocess.run([sys.executable, "-m", "fastw2v", "convert", str(tmp_path / src),
                               str(tmp_path / dst)], capture_output=True, text=True, timeout=120,
                              cwd=CHILD_CWD, env=child_env())
        assert proc.returncode == 0, proc.stderr
        loaded = cls.load(str(tmp_path / dst))
        np.testing.assert_array_equal(getattr(loaded, "wv", loaded).vectors, g.wv.vectors)


def test_score_is_the_hierarchical_softmax_log_probability():
    model = Word2Vec(CORPUS, vector_size=8, min_count=1, hs=1, negative=0, sg=1, window=2,
                     epochs=3, workers=1)
    sentence = ["human", "interface", "computer"]
    got = model.score([sentence, ["unknown-word"]], total_sentences=2)
    v = model._vocab
    want = 0.0
    for i, word in enumerate(sentence):
        w = model.wv.key_to_index[word]
        nodes = model.syn1[v.point_of(w)].astype(np.float64)
        sign = 1 - 2.0 * v.code_of(w)
        for j in range(max(0, i - 2), min(len(sentence), i + 3)):
            if j != i:
                f = nodes @ model.wv[sentence[j]].astype(np.float64) * sign
                want += np.sum(-np.log1p(np.exp(-f)))
    assert got.shape == (2,) and got[1] == 0.0
    assert got[0] == pytest.approx(want, rel=1e-5)
    with pytest.raises(RuntimeError, match="hierarchical softmax"):
        Word2Vec(CORPUS, min_count=1, hs=0, negative=5).score([sentence])


def test_locked_rows_do_not_train(tmp_path):
    for sg in (0, 1):
        model = Word2Vec(vector_size=8, min_count=1, sg=sg, hs=1, negative=5, epochs=3)
        model.build_vocab(CORPUS)
        model.wv.vectors_lockf = np.ones(len(model.wv), dtype=np.float32)
        model.wv.vectors_lockf[0] = 0.0
        before = model.wv.vectors.copy()
        model.train(CORPUS, total_examples=len(CORPUS), epochs=model.epochs)
        np.testing.assert_array_equal(model.wv.vectors[0], before[0])
        assert not np.array_equal(model.wv.vectors[1], before[1])
        model.wv.vectors_lockf = np.ones(3, np.float32)  # neither one value nor one per row
        with pytest.raises(ValueError, match="vectors_lockf"):
            model.train(CORPUS, total_examples=len(CORPUS), epochs=1)


def test_intersect_word2vec_format_takes_shared_rows_and_locks_them(tmp_path):
    model = Word2Vec(CORPUS, vector_size=8, min_count=1, epochs=1)
    other = KeyedVectors(8)
    other.add_vectors(["human", "not-in-model"], np.full((2, 8), 7.0, np.float32))
    other.save_word2vec_format(str(tmp_path / "o.txt"))
    model.wv.intersect_word2vec_format(str(tmp_path / "o.txt"), lockf=0.0)
    np.testing.assert_array_equal(model.wv["human"], np.full(8, 7.0, np.float32))
    assert "not-in-model" not in model.wv
    assert model.wv.vectors_lockf[model.wv.key_to_index["human"]] == 0.0
    model.train(CORPUS, total_examples=len(CORPUS), epochs=1)
    np.testing.assert_array_equal(model.wv["human"], np.full(8, 7.0, np.float32))
    with pytest.raises(ValueError, match="incompatible vector size"):
        Word2Vec(CORPUS, vector_size=4, min_count=1, epochs=1).wv.intersect_word2vec_format(
            str(tmp_path / "o.txt"))


def test_vectors_for_all_and_resize_vectors_like_gensim():
    model = Word2Vec(CORPUS, vector_size=8, min_count=1, epochs=1)
    g = model.wv.to_gensim()
    keys = ["human", "nope", "system", "human"]
    ours, theirs = model.wv.vectors_for_all(keys), g.vectors_for_all(keys)
    assert ours.index_to_key == theirs.index_to_key == ["human", "system"]
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)
    assert ours.get_vecattr("human", "count") == theirs.get_vecattr("human", "count")
    copied = model.wv.vectors_for_all(keys, copy_vecattrs=True)
    assert copied.get_vecattr("system", "count") == model.wv.get_vecattr("system", "count")
    kv = model.wv.vectors_for_all(["human"])
    kv.index_to_key.append("new")
    kv.key_to_index["new"] = 1
    kv.resize_vectors(seed=3)
    assert kv.vectors.shape == (2, 8) and len(kv.expandos["count"]) == 2
    np.testing.assert_array_equal(kv.vectors[0], model.wv["human"])


def test_wmdistance_matches_gensim():
    pytest.importorskip("ot")
    model = Word2Vec(CORPUS, vector_size=8, min_count=1, epochs=5, workers=1)
    g = model.wv.to_gensim()
    a, b = ["human", "interface", "computer", "oov"], ["graph", "trees", "minors", "survey"]
    assert model.wv.wmdistance(a, b) == pytest.approx(g.wmdistance(a, b), rel=1e-5)
    assert model.wv.wmdistance(a, b, norm=False) == pytest.approx(g.wmdistance(a, b, norm=False),
                                                                  rel=1e-5)
    assert model.wv.wmdistance(a, a) == 0.0
    assert model.wv.wmdistance(["oov"], b) == float("inf")
    with pytest.raises(NotImplementedError, match="Doc2Vec"):
        model.wv.similarity_unseen_docs(a, b)


def test_exceptions_catch_both_ways(tmp_path):
    model = Word2Vec(CORPUS, vector_size=8, min_count=1, epochs=1)
    with pytest.raises(AttributeError):  # gensim: load is called on the class
        model.load(str(tmp_path / "x"))
    with pytest.raises(AttributeError):
        model.wv.load(str(tmp_path / "x"))
    model.wv.save(str(tmp_path / "v.kv"))
    with pytest.raises(WrongModelKindError) as err:  # FormatError and AttributeError
        Word2Vec.load(str(tmp_path / "v.kv"))
    assert isinstance(err.value, FormatError) and isinstance(err.value, AttributeError)
    model.wv.save_word2vec_format(str(tmp_path / "v.bin"), binary=True)
    data = (tmp_path / "v.bin").read_bytes()
    (tmp_path / "short.bin").write_bytes(data[:len(data) // 2])
    with pytest.raises(EOFError) as err:
        KeyedVectors.load_word2vec_format(str(tmp_path / "short.bin"), binary=True)
    assert isinstance(err.value, TruncatedFileError) and isinstance(err.value, FormatError)
    (tmp_path / "vocab.txt").write_bytes(b"\xe3\x81 5\n")
    model.wv.save_word2vec_format(str(tmp_path / "v.txt"))
    with pytest.raises(UnicodeDecodeError) as err:
        KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt"), fvocab=str(tmp_path / "vocab.txt"))
    assert isinstance(err.value, KeyDecodeError) and "vocab.txt" in str(err.value)
    for corpus in ([], [["a"]]):
        with pytest.raises(EmptyCorpusError) as err:
            Word2Vec(corpus, min_count=5)
        assert isinstance(err.value, ValueError) and isinstance(err.value, RuntimeError)


def test_reset_from_takes_the_other_vocabulary():
    model = Word2Vec(CORPUS, vector_size=8, min_count=1, epochs=1)
    other = Word2Vec([["x", "y", "z"]] * 10, vector_size=8, min_count=1, epochs=1)
    model.reset_from(other)
    assert model.wv.key_to_index == other.wv.key_to_index
    assert model.wv.vectors.shape == (3, 8) and model.corpus_count == other.corpus_count
    model.train([["x", "y", "z"]] * 10, total_examples=10, epochs=1)
