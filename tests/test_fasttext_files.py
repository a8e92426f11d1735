"""FastTextKeyedVectors and Facebook's .bin files, against the `fasttext` package and gensim.

Tiny models are trained with Facebook's `fasttext` at test time (2,000 IMDB lines or
gensim's Lee corpus, dim 16); vectors must equal fastText's ``get_word_vector`` and
gensim's ``load_facebook_vectors`` to 1e-6, in and out of the vocabulary.
"""
import json
import logging
import lzma
import os
import struct
import subprocess
import sys

import numpy as np
import pytest

from fastw2v import FastTextKeyedVectors
from fastw2v.io import facebook_bin
from fastw2v.io.errors import FormatError, TruncatedFileError
from fastw2v.models.fasttext import load_facebook_vectors, save_facebook_vectors
from _util import fresh_fasttext_vectors
from test_ngrams import ref_hash, ref_ngrams

fasttext = pytest.importorskip("fasttext")

TOL = 1e-6
IMDB = "/work/shared/data/imdb.txt.xz"
OOV = ["xyzzyq", "unbelievabilityness", "filmmaking", "café", "naïveté", "日本語", "東京", "😀",
       "a😀b", "ß", "", "a", "<", "</s>x", "actorz", "MOVIE", "sequels-of-sequels"]


def _corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("ft") / "corpus.txt"
    if os.path.exists(IMDB):
        with lzma.open(IMDB, "rt", encoding="utf-8") as fin, open(path, "w", encoding="utf-8") as fout:
            for _, line in zip(range(2000), fin):
                fout.write(line)
    else:
        from conftest import gensim_datapath
        path.write_bytes(open(gensim_datapath("lee_background.cor"), "rb").read())
    with open(path, "a", encoding="utf-8") as fout:  # words fastText sees with non-ASCII bytes
        fout.write(" ".join(["café naïve 日本語 😀 Ærø"] * 5) + "\n")
    return str(path)


_TRAIN = """
import json, sys, fasttext
kind, corpus, out, kw = json.loads(sys.argv[1])
train = fasttext.train_supervised if kind == "supervised" else fasttext.train_unsupervised
quantize = kw.pop("quantize", False)
model = train(corpus, thread=1, verbose=0, **kw)
if quantize:
    model.quantize(input=corpus, qnorm=True, retrain=False, cutoff=300, dsub=2)
model.save_model(out)
"""


def _train(kind, corpus, out, **kw):
    """Train with fastText in a fresh process and save to `out`: fastText 0.9.3 (PyPI,
    built here) often stops with 'Encountered NaN' on a second training in one process
    (the first one, on fresh zeroed memory, works), at any lr, with one thread."""
    arg = json.dumps([kind, str(corpus), str(out), kw])
    subprocess.run([sys.executable, "-c", _TRAIN, arg], check=True, timeout=120)
    return str(out)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return _corpus(tmp_path_factory)


@pytest.fixture(scope="module")
def trained(corpus, tmp_path_factory):
    """(fastText model, path of its .bin) for a skipgram and a cbow-hs model."""
    out = {}
    for name, kw in {"sg": dict(model="skipgram", minn=3, maxn=5, bucket=50_000),
                     "cbow": dict(model="cbow", loss="hs", minn=2, maxn=4, bucket=20_000)}.items():
        path = _train("unsupervised", corpus, tmp_path_factory.mktemp(name) / f"{name}.bin",
                      dim=16, epoch=2, minCount=3, lr=0.025, **kw)
        out[name] = (fasttext.load_model(path), path)
    return out


@pytest.fixture(scope="module", params=["sg", "cbow"])
def model_path(request, trained):
    return trained[request.param]


def _fasttext_matrix(model, words):
    return np.vstack([model.get_word_vector(w) for w in words])


# ---------------------------------------------------------------- reading


def test_vectors_equal_fasttexts(model_path):
    model, path = model_path
    kv = load_facebook_vectors(path)
    assert kv.index_to_key == model.words
    assert (kv.min_n, kv.max_n, kv.bucket) == (model.f.getArgs().minn, model.f.getArgs().maxn,
                                               model.f.getArgs().bucket)
    np.testing.assert_allclose(kv.vectors, _fasttext_matrix(model, kv.index_to_key), atol=TOL)
    np.testing.assert_allclose(np.vstack([kv[w] for w in OOV]), _fasttext_matrix(model, OOV), atol=TOL)
    np.testing.assert_array_equal(kv.vectors_vocab, model.get_input_matrix()[:len(kv)])
    np.testing.assert_array_equal(kv.vectors_ngrams, model.get_input_matrix()[len(kv):])
    assert kv.expandos["count"].tolist() == model.get_words(include_freq=True)[1].tolist()
    assert kv.facebook.output is None  # only kept on request, as gensim skips it


def test_vectors_equal_gensims(model_path):
    pytest.importorskip("gensim")
    from gensim.models.fasttext import load_facebook_vectors as gensim_load
    _, path = model_path
    kv, gkv = load_facebook_vectors(path), gensim_load(path)
    assert kv.index_to_key == gkv.index_to_key
    np.testing.assert_array_equal(kv.vectors_ngrams, gkv.vectors_ngrams)
    np.testing.assert_array_equal(kv.expandos["count"], gkv.expandos["count"])
    eos = kv.key_to_index["</s>"]
    same = np.arange(len(kv)) != eos
    np.testing.assert_allclose(kv.vectors[same], gkv.vectors[same], atol=TOL)
    for word in OOV:
        np.testing.assert_allclose(kv[word], gkv[word], atol=TOL)
    # The one difference, and fastText is right: gensim averages n-grams into '</s>',
    # which fastText gives none (dictionary.cc initNgrams skips EOS).
    assert not np.allclose(kv["</s>"], gkv["</s>"], atol=1e-3)
    np.testing.assert_array_equal(kv["</s>"], kv.vectors_vocab[eos])


def test_keep_output_and_round_trip(model_path, tmp_path):
    model, path = model_path
    kv = load_facebook_vectors(path, keep_output=True)
    np.testing.assert_array_equal(kv.facebook.output, model.get_output_matrix())
    copy = tmp_path / "copy.bin"
    save_facebook_vectors(kv, copy)
    assert copy.read_bytes() == open(path, "rb").read()  # byte for byte


# ---------------------------------------------------------------- writing


def _fresh_kv(seed=3):
    """Vectors that never came from a .bin: random matrices on a small vocabulary."""
    return fresh_fasttext_vectors(["the", "movie", "film", "films", "filmmaker", "café", "日本",
                                   "😀", "</s>"], seed=seed)


@pytest.mark.parametrize("from_bin", [True, False])
def test_written_file_loads_in_fasttext_and_gensim(trained, tmp_path, from_bin, caplog):
    kv = load_facebook_vectors(trained["sg"][1]) if from_bin else _fresh_kv()
    path = tmp_path / "ours.bin"
    with caplog.at_level(logging.WARNING):
        save_facebook_vectors(kv, path)
    assert from_bin or "'</s>' no n-grams" in caplog.text  # gensim's rule vs fastText's, warned
    theirs = fasttext.load_model(str(path))
    assert theirs.words == kv.index_to_key
    probe = [w for w in kv.index_to_key if w != "</s>" or kv.facebook_eos] + OOV
    np.testing.assert_allclose(_fasttext_matrix(theirs, probe), np.vstack([kv[w] for w in probe]), atol=TOL)
    if not from_bin:
        np.testing.assert_array_equal(theirs.get_output_matrix(), 0)  # a fresh output layer
    pytest.importorskip("gensim")
    from gensim.models.fasttext import load_facebook_vectors as gensim_load
    gkv = gensim_load(str(path))
    np.testing.assert_array_equal(gkv.vectors_ngrams, kv.vectors_ngrams)
    for word in OOV + [w for w in kv.index_to_key[:200] if w != "</s>"]:
        np.testing.assert_allclose(gkv[word], kv[word], atol=TOL)


def test_args_are_checked_and_kept(trained, tmp_path):
    kv = load_facebook_vectors(trained["cbow"][1])
    save_facebook_vectors(kv, tmp_path / "a.bin", args={"epoch": 9})
    again = load_facebook_vectors(tmp_path / "a.bin")
    assert again.facebook.args == {**kv.facebook.args, "epoch": 9}
    assert again.facebook.args["model"] == 1 and again.facebook.args["loss"] == 1  # cbow, hs
    with pytest.raises(ValueError, match="disagrees"):
        save_facebook_vectors(kv, tmp_path / "b.bin", args={"dim": 5})
    assert not (tmp_path / "b.bin").exists()


def test_refused_or_failed_save_keeps_the_old_file(trained, tmp_path, monkeypatch):
    kv = load_facebook_vectors(trained["sg"][1])
    path = tmp_path / "model.bin"
    save_facebook_vectors(kv, path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match="output matrix"):
        save_facebook_vectors(kv, path, output=np.zeros((3, kv.vector_size), np.float32))
    bad = _fresh_kv()
    bad.index_to_key[0] = "nul\0word"
    bad.key_to_index = {k: i for i, k in enumerate(bad.index_to_key)}
    with pytest.raises(ValueError, match="NUL"):
        save_facebook_vectors(bad, path)

    def fail_midway(fout, arr):
        fout.write(b"partial")
        raise OSError("disk full")
    monkeypatch.setattr(facebook_bin, "_write_rows", fail_midway)
    with pytest.raises(OSError, match="disk full"):
        save_facebook_vectors(kv, path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.bin"]  # no temporary file left behind


# ---------------------------------------------------------------- damaged and hostile files


def _patched(src, tmp_path, offset, fmt, value, name="bad.bin"):
    data = bytearray(open(src, "rb").read())
    struct.pack_into(fmt, data, offset, *(value if isinstance(value, tuple) else (value,)))
    path = tmp_path / name
    path.write_bytes(bytes(data))
    return str(path)


_ARGS_END = 8 + 56          # magic, version, args
_DICT_HEADER = _ARGS_END    # size, nwords, nlabels (int32), ntokens, pruneidx_size (int64)


def test_wrong_magic_and_version(trained, tmp_path):
    src = trained["sg"][1]
    with pytest.raises(FormatError, match="magic"):
        load_facebook_vectors(_patched(src, tmp_path, 0, "<i", 12345))
    with pytest.raises(FormatError, match="version 13"):
        load_facebook_vectors(_patched(src, tmp_path, 4, "<i", 13))
    (tmp_path / "text.bin").write_text("the 0.1 0.2\n")
    with pytest.raises(FormatError):
        load_facebook_vectors(tmp_path / "text.bin")
    with pytest.raises(ValueError, match="decompress"):
        load_facebook_vectors(tmp_path / "model.bin.gz")


@pytest.mark.parametrize("cut", [3, 30, _DICT_HEADER + 10, 5_000, -5_000, -1])
def test_truncated_files(trained, tmp_path, cut):
    data = open(trained["sg"][1], "rb").read()
    path = tmp_path / "cut.bin"
    path.write_bytes(data[:cut])
    with pytest.raises(TruncatedFileError):
        load_facebook_vectors(path)
    with pytest.raises(EOFError):  # also gensim's exception type
        load_facebook_vectors(path)


@pytest.mark.parametrize("offset,fmt,value,match", [
    (_DICT_HEADER, "<ii", (2 ** 31 - 1,) * 2, "dictionary of 2147483647 entries"),  # size, nwords
    (_DICT_HEADER + 4, "<i", 2 ** 31 - 1, "invalid dictionary header"),              # nwords alone
    (0 + 8, "<i", 2 ** 30, "input matrix"),                                   # dim
    (8 + 32, "<i", 2 ** 31 - 1, "input matrix"),                              # bucket
    (8 + 32, "<i", -4, "invalid args"),
    (8 + 24, "<i", 7, "unknown model"),
    (8 + 28, "<i", 3, "supervised"),                                          # model = sup
])
def test_lying_headers(trained, tmp_path, offset, fmt, value, match):
    with pytest.raises(FormatError, match=match):
        load_facebook_vectors(_patched(trained["sg"][1], tmp_path, offset, fmt, value))


def _quant_offset(path):
    """Offset of the quant_input flag: everything after it has a known size."""
    kv = load_facebook_vectors(path)
    return os.path.getsize(path) - 2 * (1 + 8 + 8) - 4 * kv.vector_size * (2 * len(kv) + kv.bucket)


def test_quantized_and_pruned_refused(trained, tmp_path):
    src = trained["sg"][1]
    at = _quant_offset(src)
    with pytest.raises(FormatError, match=r"quantized model \(.ftz\)"):
        load_facebook_vectors(_patched(src, tmp_path, at, "<B", 1))
    data = open(src, "rb").read()  # a prune index in an unquantized model: fastText refuses it too
    pruned = tmp_path / "pruned.bin"
    pruned.write_bytes(data[:at] + bytes(24) + data[at:])
    with pytest.raises(FormatError, match="pruned dictionary"):
        load_facebook_vectors(_patched(pruned, tmp_path, _DICT_HEADER + 20, "<q", 3))


def test_real_supervised_and_ftz_files_refused(corpus, tmp_path):
    train = tmp_path / "labels.txt"
    with open(corpus, encoding="utf-8") as fin:
        train.write_text("".join(f"__label__{i % 2} {line}" for i, line in zip(range(400), fin)))
    common = dict(dim=8, epoch=1, minCount=1, bucket=1000)
    _train("supervised", train, tmp_path / "sup.bin", **common)
    with pytest.raises(FormatError, match="supervised"):
        load_facebook_vectors(tmp_path / "sup.bin")
    _train("supervised", train, tmp_path / "sup.ftz", quantize=True, **common)
    with pytest.raises(FormatError, match="quantized"):
        load_facebook_vectors(tmp_path / "sup.ftz")


def test_trailing_bytes_and_bad_flags(trained, tmp_path):
    src = trained["sg"][1]
    path = tmp_path / "long.bin"
    path.write_bytes(open(src, "rb").read() + b"\0\0\0\0")
    with pytest.raises(FormatError, match="4 bytes after the output matrix"):
        load_facebook_vectors(path)
    with pytest.raises(FormatError, match="quant_input is 2"):
        load_facebook_vectors(_patched(src, tmp_path, _quant_offset(src), "<B", 2))


def test_hostile_max_n_is_bounded(tmp_path):
    """One long word and max_n = 2**31 - 1 would make ~5e9 n-grams: refused before
    the table (or the matrix) is allocated."""
    path = tmp_path / "maxn.bin"
    args = dict(facebook_bin.DEFAULT_ARGS, dim=1, bucket=10, minn=1, maxn=2 ** 31 - 1)
    words = [b"w" * 100_000]
    facebook_bin.write_facebook_bin(path, args, words, [1], 1, np.zeros((1, 1), np.float32),
                                    np.zeros((10, 1), np.float32), np.zeros((1, 1), np.float32))
    with pytest.raises(FormatError, match="n-gram table"):
        load_facebook_vectors(path)


def test_invalid_utf8_word_uses_its_bytes(tmp_path):
    path = tmp_path / "bytes.bin"
    rng = np.random.default_rng(1)
    args = dict(facebook_bin.DEFAULT_ARGS, dim=4, bucket=100, minn=1, maxn=3)
    words = [b"ok", b"caf\xe9", b"\xff\xfe"]
    facebook_bin.write_facebook_bin(path, args, words, [3, 2, 1], 6, rng.random((3, 4), np.float32),
                                    rng.random((100, 4), np.float32), np.zeros((3, 4), np.float32))
    kv = load_facebook_vectors(path)
    assert kv.index_to_key == ["ok", "caf\\xe9", "\\xff\\xfe"]  # gensim's decoding
    theirs = fasttext.load_model(str(path))
    matrix = theirs.get_input_matrix()
    for i, word in enumerate(words):  # fastText's rule on the stored bytes
        rows = [i] + [3 + ref_hash(g) % 100 for g in ref_ngrams(word, 1, 3)]
        np.testing.assert_allclose(kv.vectors[i], matrix[rows].mean(axis=0), atol=TOL)
    np.testing.assert_allclose(kv["ok"], theirs.get_word_vector("ok"), atol=TOL)
    save_facebook_vectors(kv, tmp_path / "again.bin")
    assert (tmp_path / "again.bin").read_bytes() == path.read_bytes()


# ---------------------------------------------------------------- FastTextKeyedVectors vs gensim


@pytest.fixture(scope="module")
def pair(trained):
    """The same vectors as gensim's FastTextKeyedVectors and ours (gensim's '</s>' rule)."""
    pytest.importorskip("gensim")
    kv = load_facebook_vectors(trained["sg"][1])
    # Random rows: the tiny trained model's vectors are nearly parallel (cosines ~0.9999),
    # so rankings would be float32 ties rather than a comparison.
    rng = np.random.default_rng(5)
    kv.vectors_vocab = rng.standard_normal(kv.vectors_vocab.shape).astype(np.float32)
    kv.vectors_ngrams = rng.standard_normal(kv.vectors_ngrams.shape).astype(np.float32)
    kv.facebook_eos = False  # gensim's '</s>' rule, so that every vector compares
    kv.recalc_char_ngram_buckets()
    kv.adjust_vectors()
    gkv = kv.to_gensim()
    return FastTextKeyedVectors.from_gensim(gkv), gkv


def test_api_against_gensim(pair):
    kv, gkv = pair
    np.testing.assert_allclose(kv.vectors, gkv.vectors, atol=TOL)
    assert [b.tolist() for b in kv.buckets_word[:50]] == [b.tolist() for b in gkv.buckets_word[:50]]
    for word in ["movie", "xyzzyq"]:
        assert (word in kv) == (word in gkv) and kv.has_index_for(word) == gkv.has_index_for(word)
        np.testing.assert_allclose(kv.get_vector(word, norm=True), gkv.get_vector(word, norm=True), atol=TOL)
        ours, theirs = kv.most_similar(word, topn=5), gkv.most_similar(word, topn=5)
        assert [k for k, _ in ours] == [k for k, _ in theirs]
        np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)
    assert kv.key_to_index == gkv.key_to_index
    np.testing.assert_allclose(kv[["movie", "xyzzyq"]], gkv[["movie", "xyzzyq"]], atol=TOL)
    assert kv.similarity("movie", "moviez") == pytest.approx(gkv.similarity("movie", "moviez"), abs=1e-5)
    np.testing.assert_allclose(kv.get_sentence_vector(["a", "movie", "zzqx"]),
                               gkv.get_sentence_vector(["a", "movie", "zzqx"]), atol=TOL)
    keys = ["movie", "qqqz", "movie"]
    ours, theirs = kv.vectors_for_all(keys), gkv.vectors_for_all(keys)
    assert ours.index_to_key == theirs.index_to_key
    np.testing.assert_allclose(ours.vectors, theirs.vectors, atol=TOL)
    known = kv.vectors_for_all(["qqqz", "film", "movie"], allow_inference=False, copy_vecattrs=True)
    assert known.index_to_key == ["film", "movie"]
    assert known.expandos["count"].tolist() == [kv.get_vecattr(w, "count") for w in ["film", "movie"]]


def test_evaluation_against_gensim(pair):
    from conftest import gensim_datapath
    kv, gkv = pair
    ours = kv.evaluate_word_pairs(gensim_datapath("wordsim353.tsv"))
    theirs = gkv.evaluate_word_pairs(gensim_datapath("wordsim353.tsv"))
    assert ours[0][0] == pytest.approx(theirs[0][0], abs=1e-4) and ours[2] == theirs[2]
    score, _ = kv.evaluate_word_analogies(gensim_datapath("questions-words.txt"), restrict_vocab=3000)
    gscore, _ = gkv.evaluate_word_analogies(gensim_datapath("questions-words.txt"), restrict_vocab=3000)
    assert score == pytest.approx(gscore, abs=1e-6)


def test_no_ngrams_cases(caplog):
    pytest.importorskip("gensim")
    from gensim.models.fasttext import FastTextKeyedVectors as GensimFTKV
    kv = _fresh_kv()
    kv.min_n = 5  # "<ab>" has 4 characters: no n-gram of 5
    gkv = kv.to_gensim()
    with caplog.at_level(logging.WARNING):
        np.testing.assert_array_equal(kv["ab"], gkv["ab"])
    np.testing.assert_array_equal(kv["ab"], np.zeros(12, np.float32))
    assert "could not extract any ngrams" in caplog.text and "ab" in kv
    plain = FastTextKeyedVectors(4, 3, 6, 0)  # bucket 0: no n-grams at all
    plain._set_all(["a"], np.ones((1, 4), np.float32), {})
    plain.vectors_vocab, plain.vectors_ngrams = plain.vectors, np.zeros((0, 4), np.float32)
    plain.recalc_char_ngram_buckets()
    plain.adjust_vectors()
    assert plain.vectors is plain.vectors_vocab
    gplain = GensimFTKV(4, 3, 6, 0)
    assert ("zz" in plain) is ("zz" in gplain) is False and "a" in plain
    with pytest.raises(KeyError, match="without ngrams"):
        plain["zz"]


def test_resize_vectors_matches_gensim():
    pytest.importorskip("gensim")
    from gensim.models.fasttext import FastTextKeyedVectors as GensimFTKV
    kv = _fresh_kv(seed=7)
    gkv = GensimFTKV(12, 2, 5, 3_000)
    gkv.index_to_key = list(kv.index_to_key)
    gkv.key_to_index = dict(kv.key_to_index)
    gkv.resize_vectors(seed=7)
    np.testing.assert_array_equal(kv.vectors_vocab, gkv.vectors_vocab)
    np.testing.assert_array_equal(kv.vectors_ngrams, gkv.vectors_ngrams)
    np.testing.assert_allclose(kv.vectors, gkv.vectors, atol=TOL)
    back = kv.to_gensim()
    np.testing.assert_allclose(back.vectors, kv.vectors, atol=TOL)
    np.testing.assert_allclose(back["nowhere"], kv["nowhere"], atol=TOL)


@pytest.mark.parametrize("mmap", [None, "r"])
def test_native_save_load(trained, tmp_path, mmap):
    kv = load_facebook_vectors(trained["sg"][1], keep_output=True)
    kv.save(tmp_path / "kv")
    back = FastTextKeyedVectors.load(tmp_path / "kv", mmap=mmap)
    assert back.index_to_key == kv.index_to_key and back.facebook_eos
    assert back.facebook.args == kv.facebook.args
    np.testing.assert_array_equal(back.vectors, kv.vectors)
    np.testing.assert_array_equal(back["xyzzyq"], kv["xyzzyq"])
    save_facebook_vectors(back, tmp_path / "back.bin")
    assert (tmp_path / "back.bin").read_bytes() == open(trained["sg"][1], "rb").read()
    from fastw2v import KeyedVectors
    with pytest.raises(FormatError):
        KeyedVectors.load(tmp_path / "kv")


def test_random_damage_gives_format_errors_only(tmp_path):
    """Bytes overwritten anywhere in the header and dictionary of a small .bin: the loader
    either reads a (different) valid model or raises FormatError, nothing else."""
    rng = np.random.default_rng(11)
    args = dict(facebook_bin.DEFAULT_ARGS, dim=3, bucket=7, minn=1, maxn=4)
    words = [b"</s>", b"the", b"caf\xc3\xa9", b"\xe6\x97\xa5", b"x"]
    good = tmp_path / "good.bin"
    facebook_bin.write_facebook_bin(good, args, words, [5, 4, 3, 2, 1], 15, rng.random((5, 3), np.float32),
                                    rng.random((7, 3), np.float32), rng.random((5, 3), np.float32))
    data = good.read_bytes()
    header_end = len(data) - 4 * 3 * (5 + 7 + 5) - 2 * 17
    bad = tmp_path / "bad.bin"
    refused = 0
    for _ in range(200):
        damaged = bytearray(data)
        for pos in rng.integers(0, header_end + 17, rng.integers(1, 4)):
            damaged[pos] = rng.integers(0, 256)
        bad.write_bytes(bytes(damaged[:len(damaged) - rng.integers(0, 2) * rng.integers(1, 40)]))
        try:
            load_facebook_vectors(bad)
        except FormatError:
            refused += 1
    assert refused > 0  # the damage was seen, not read past


def test_load_reads_into_the_final_arrays(trained):
    """Peak memory of a load: the input matrix, the composed vectors, the n-gram table and
    the words, and no second copy of a matrix (no bytes-then-copy)."""
    import tracemalloc
    path = trained["sg"][1]
    tracemalloc.start()
    try:
        kv = load_facebook_vectors(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    arrays = kv.vectors_vocab.base.nbytes + kv.vectors.nbytes + kv.ngram_ids.nbytes
    words = 300 * len(kv)  # the keys, their dict and the dictionary's bytes
    assert peak < arrays + words + (1 << 20), (peak, arrays)
