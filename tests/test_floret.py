"""floret mode (``FastText(mode="floret")``): training, files, and the real floret package.

floret (explosion's fastText fork, whose ``.floret`` vectors spaCy reads) keeps no word
rows: a word is the mean of ``hash_count`` MurmurHash3 rows per entry (the whole
``<word>`` and each n-gram) of one bucket table. The hashes are checked in
test_ngrams.py; here: models trained here against floret's own ``get_word_vector`` through
its ``.bin`` both ways and its ``.floret`` text, spaCy's ``init vectors --mode floret`` on
our ``.floret``, the model's API, damage, and the CLI.
"""
import json
import subprocess
import sys

import numpy as np
import pytest

from fastw2v import FastText, FastTextKeyedVectors
from fastw2v.io.errors import FormatError, TruncatedFileError
from fastw2v.models.fasttext import (load_facebook_model, load_facebook_vectors, load_floret_vectors,
                                     save_facebook_model)
from _child import CHILD_CWD, child_env
from test_fasttext_model import MISSPELT, SMALL, lee

OOV = ["zebra", "governmnet", "café", "日本語", "😀", "a", "", "sequels-of-sequels"]

_TRAIN = """
import json, sys, floret
corpus, out, kw = json.loads(sys.argv[1])
model = floret.train_unsupervised(corpus, thread=1, verbose=0, mode="floret", **kw)
model.save_model(out + ".bin")
model.save_floret_vectors(out + ".floret")
"""


@pytest.fixture(scope="module")
def floret_files(tmp_path_factory):
    """A skip-gram model trained by the floret package (in a fresh process, as fastText's
    test does: a second training in one process can stop on NaN), as .bin and .floret."""
    pytest.importorskip("floret")
    from conftest import gensim_datapath
    base = tmp_path_factory.mktemp("floret")
    corpus = base / "corpus.txt"
    corpus.write_bytes(open(gensim_datapath("lee_background.cor"), "rb").read()
                       + " ".join(["café naïve 日本語 😀 Ærø"] * 5).encode("utf-8") + b"\n")
    kw = dict(model="skipgram", hashCount=2, bucket=5000, minn=3, maxn=5, dim=16, epoch=2,
              minCount=3, lr=0.025)
    subprocess.run([sys.executable, "-c", _TRAIN, json.dumps([str(corpus), str(base / "m"), kw])],
                   check=True, timeout=120, cwd=CHILD_CWD)
    return str(base / "m.bin"), str(base / "m.floret")


def _floret_vector(model, word):
    """What spaCy computes from the .floret file: the mean of the word's hashed rows (floret's
    own get_word_vector adds a word row for its first vocabulary word only)."""
    _, ids = model.get_subwords(word)
    if len(ids) == 0:
        return np.zeros(model.get_dimension(), np.float32)
    return model.get_input_matrix()[np.asarray(ids, np.int64)].mean(axis=0)


def test_floret_bin_loads_with_floret_vectors(floret_files):
    """Equal to floret's get_word_vector but for its first word (floret alone gives it a
    word row) and "</s>" (floret alone gives it no hashed rows): every word here is the
    mean of its hashed rows, as spaCy computes it."""
    import floret
    from fastw2v import _ngrams
    path, _ = floret_files
    model = floret.load_model(path)
    kv = load_facebook_vectors(path)
    assert kv.floret and kv.hash_count == 2 and kv.vectors_vocab is None
    assert kv.index_to_key == model.words and kv.vectors_ngrams.shape == (5000, 16)
    words = [w for w in model.words[1:] if w != "</s>"]
    for word in words + OOV:
        np.testing.assert_allclose(kv[word], model.get_word_vector(word), rtol=0, atol=1e-6,
                                   err_msg=word)
    first = model.words[0]  # "the": Lee's lines are long
    np.testing.assert_allclose(kv[first], _floret_vector(model, first), rtol=0, atol=1e-6)
    rows = _ngrams.word_buckets("</s>", 3, 5, 5000, mode="floret", hash_count=2)
    np.testing.assert_allclose(kv["</s>"], kv.vectors_ngrams[rows].mean(axis=0), rtol=0, atol=1e-6)


def test_floret_text_loads_as_spacy_reads_it(floret_files):
    import floret
    path, text = floret_files
    model = floret.load_model(path)
    kv = load_floret_vectors(text)
    assert kv.floret and len(kv) == 0 and kv.vectors_ngrams.shape == (5000, 16)
    # floret writes 5 significant digits. "</s>" is left out: floret gives it no rows,
    # spaCy (which knows no end-of-line token) hashes it like any string, as this does.
    for word in [w for w in model.words[:50] if w != "</s>"] + OOV:
        np.testing.assert_allclose(kv[word], _floret_vector(model, word), rtol=1e-4, atol=1e-5)
    some = kv.vectors_for_all(["night", "governmnet"])
    assert some.index_to_key == ["night", "governmnet"]


def test_our_floret_model_loads_in_floret_with_equal_vectors(tmp_path):
    floret = pytest.importorskip("floret")
    model = FastText(lee()[:200], vector_size=16, min_count=2, epochs=2, bucket=3000, sg=1,
                     mode="floret", hash_count=3, workers=2)
    path = str(tmp_path / "ours.bin")
    save_facebook_model(model, path)
    theirs = floret.load_model(path)
    assert theirs.words == model.wv.index_to_key
    for word in model.wv.index_to_key + OOV:  # the first word included (its row is written so)
        np.testing.assert_allclose(theirs.get_word_vector(word), model.wv[word], rtol=0, atol=1e-6,
                                   err_msg=word)
    back = load_facebook_model(path)
    assert (back.mode, back.hash_count, back.sg) == ("floret", 3, 1)
    np.testing.assert_array_equal(back.wv.vectors_ngrams, model.wv.vectors_ngrams)
    np.testing.assert_allclose(back.wv.vectors, model.wv.vectors, rtol=0, atol=1e-7)
    back.train(lee()[:50], total_examples=50, epochs=1)  # continues: a floret model again
    assert back.wv.vectors_vocab is None and np.isfinite(back.wv.vectors).all()


@pytest.mark.parametrize("sg", [0, 1])
def test_floret_bin_model_trains_on_end_of_line_tokens(tmp_path, sg):
    """"</s>" gets its hashed rows after a floret .bin round trip (a word without any row
    made CBOW's hidden layer 0/0 before)."""
    sentences = [["</s>", "night", "falls"], ["</s>", "</s>", "day"]] * 30
    model = FastText(sentences, vector_size=8, min_count=1, epochs=2, bucket=300, sg=sg,
                     mode="floret", hash_count=2)
    save_facebook_model(model, tmp_path / "m.bin")
    back = load_facebook_model(tmp_path / "m.bin")
    np.testing.assert_allclose(back.wv["</s>"], model.wv["</s>"], rtol=0, atol=1e-7)
    back.train([["</s>", "night"], ["</s>", "</s>", "day"]] * 50, total_examples=100, epochs=2)
    assert np.isfinite(back.wv.vectors).all() and np.abs(back.wv["</s>"]).max() > 0


def test_damaged_floret_bin_gets_floret_complaints(tmp_path):
    """A floret .bin damaged past its args is reported as a floret file (not as a fastText
    file with a nonsense dictionary header)."""
    from fastw2v.io import facebook_bin
    model = FastText(lee()[:50], vector_size=8, min_count=2, epochs=1, bucket=300,
                     mode="floret", hash_count=2)
    path = tmp_path / "m.bin"
    save_facebook_model(model, path)
    data = path.read_bytes()
    offset = 8 + 4 * [name for name, _ in facebook_bin.FLORET_ARG_FIELDS].index("hash_count")
    bad = tmp_path / "bad.bin"
    bad.write_bytes(data[:offset] + (5).to_bytes(4, "little") + data[offset + 4:])
    with pytest.raises(FormatError, match="invalid floret args"):
        load_facebook_vectors(bad)
    bad.write_bytes(data[:-100])
    with pytest.raises(TruncatedFileError):
        load_facebook_vectors(bad)


def test_floret_text_round_trip_is_exact(tmp_path):
    model = FastText(lee()[:100], vector_size=8, min_count=2, epochs=1, bucket=500,
                     mode="floret", hash_count=2)
    path = tmp_path / "v.floret"
    model.wv.save_floret_vectors(path)
    header = path.read_text().splitlines()[0]
    assert header == "500 8 3 6 2 2166136261 < >"
    kv = load_floret_vectors(path)
    np.testing.assert_array_equal(kv.vectors_ngrams, model.wv.vectors_ngrams)  # %.9g: exact
    for word in model.wv.index_to_key[:20] + OOV:
        np.testing.assert_array_equal(kv[word], model.wv[word])
    with pytest.raises(ValueError, match="only floret-mode"):
        FastText(lee()[:20], vector_size=8, min_count=1, epochs=1, bucket=50).wv.save_floret_vectors(
            tmp_path / "x.floret")
    assert not (tmp_path / "x.floret").exists()


def test_spacy_reads_our_floret_file_with_equal_vectors(tmp_path):
    """spaCy's own command (`spacy init vectors --mode floret`) on a .floret written here:
    its vectors for words in and out of the vocabulary equal ours."""
    spacy = pytest.importorskip("spacy")
    model = FastText(lee()[:300], vector_size=16, min_count=2, epochs=1, bucket=3000,
                     mode="floret", hash_count=2)
    path = tmp_path / "v.floret"
    model.wv.save_floret_vectors(path)
    subprocess.run([sys.executable, "-m", "spacy", "init", "vectors", "en", str(path),
                    str(tmp_path / "nlp"), "--mode", "floret"], check=True, timeout=300,
                   capture_output=True, cwd=CHILD_CWD)
    nlp = spacy.load(tmp_path / "nlp")
    words = model.wv.index_to_key[:50] + [w for w in OOV if w]  # spaCy gives "" zeros
    theirs = np.asarray(nlp.vocab.vectors.get_batch(words))
    np.testing.assert_allclose(theirs, np.stack([model.wv[w] for w in words]), rtol=0, atol=2e-6)


@pytest.mark.parametrize("damage,error,match", [
    (lambda t: t.replace("500 8 3", "500 8 3 9", 1), FormatError, "header has 9 fields"),
    (lambda t: "\n".join(t.splitlines()[:300]) + "\n", TruncatedFileError, "ends after"),
    (lambda t: t.replace("\n7 ", "\n8 ", 1), FormatError, "row 7 has index 8"),
    (lambda t: t.replace("\n3 ", "\n3 nan ", 1), FormatError, "row 3: 10 fields"),
    (lambda t: t.replace("500 8", "90000000 8", 1), TruncatedFileError, "more than a"),
    (lambda t: t.replace("< >", "[ ]", 1), FormatError, "word boundaries"),
    (lambda t: t + "500 1 2 3 4 5 6 7 8\n", FormatError, "more than the 500 rows"),
    (lambda t: t.replace(" 2 2166136261", " 5 2166136261", 1), FormatError, "hash_count=5"),
    (lambda t: t.replace("500 8 3 6", "500 8 3 99999999999999999999", 1), FormatError, "maxn="),
])
def test_damaged_floret_text_is_refused(tmp_path, damage, error, match):
    model = FastText(lee()[:50], vector_size=8, min_count=2, epochs=1, bucket=500,
                     mode="floret", hash_count=2)
    good = tmp_path / "v.floret"
    model.wv.save_floret_vectors(good)
    bad = tmp_path / "bad.floret"
    bad.write_text(damage(good.read_text()))
    with pytest.raises(error, match=match):
        load_floret_vectors(bad)
    inf = tmp_path / "inf.floret"
    lines = good.read_text().splitlines()
    lines[5] = " ".join(lines[5].split()[:-1] + ["inf"])
    inf.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match="not finite"):
        load_floret_vectors(inf)


@pytest.mark.parametrize("sg,hs", [(1, 0), (1, 1), (0, 0), (0, 1)])
def test_floret_lee_neighbours_and_misspellings(sg, hs):
    """A 20,000-row table for words and n-grams (fastText mode's Lee test: 50,000 buckets
    plus 4,844 word rows). Measured over seeds 1, 2, 3, 7 with 2 threads: 3 of 6
    misspellings found in the top 20 for SG-NS, 4 for CBOW-NS, 6 for both HS."""
    model = FastText(lee(), sg=sg, hs=hs, negative=0 if hs else 5, mode="floret", hash_count=2,
                     **dict(SMALL, bucket=20000))
    wv = model.wv
    assert wv.vectors_vocab is None and wv.vectors_ngrams.shape == (20000, 50)
    assert any("night" in w for w, _ in wv.most_similar("night", topn=5))
    found = sum(good in [w for w, _ in wv.most_similar(bad, topn=20)] for bad, good in MISSPELT.items())
    assert found >= 2, found
    i = wv.key_to_index["night"]
    ids = wv.ngram_ids[wv.ngram_offsets[i]:wv.ngram_offsets[i + 1]]
    assert len(ids) == 2 * (1 + 14)  # "<night>" and its 14 n-grams of 3..6 characters, 2 rows each
    np.testing.assert_allclose(wv["night"], wv.vectors_ngrams[ids].mean(axis=0), rtol=1e-5, atol=1e-6)


def test_floret_model_api(tmp_path):
    model = FastText(lee()[:300], vector_size=16, min_count=2, epochs=2, bucket=2000,
                     mode="floret", hash_count=2, seed=3)
    assert model.estimate_memory()["vectors_vocab"] == 0
    assert "floret hash_count=2" in str(model.wv)
    model.save(str(tmp_path / "m"))
    back = FastText.load(str(tmp_path / "m"))
    assert (back.mode, back.hash_count) == ("floret", 2) and back.wv.vectors_vocab is None
    np.testing.assert_array_equal(back.wv.vectors, model.wv.vectors)
    model.wv.save(str(tmp_path / "kv"))
    kv = FastTextKeyedVectors.load(str(tmp_path / "kv"))
    assert kv.floret and kv.vectors_vocab is None
    np.testing.assert_array_equal(kv["notaword"], model.wv["notaword"])
    # a new word (vocabulary update) gets its own hashed rows, shared table unchanged in size
    model.build_vocab([["brandnewword"] * 3], update=True)
    model.train([["brandnewword"] * 3], total_examples=1, epochs=1)
    assert model.wv.vectors_ngrams.shape == (2000, 16) and "brandnewword" in model.wv.key_to_index
    model.wv.vectors_vocab_lockf = np.zeros(len(model.wv), np.float32)  # gensim's freeze
    with pytest.raises(ValueError, match="vectors_ngrams_lockf"):
        model.train([["night"]], total_examples=1, epochs=1)
    model.wv.vectors_vocab_lockf = np.ones(1, np.float32)
    with pytest.raises(ValueError, match="floret"):
        model.to_gensim()
    with pytest.raises(ValueError, match="floret"):
        model.wv.to_gensim()


def test_floret_parameters_checked():
    with pytest.raises(ValueError, match="mode must be one of"):
        FastText(mode="bloom")
    with pytest.raises(ValueError, match="hash_count"):
        FastText(mode="floret", hash_count=5)
    with pytest.raises(ValueError, match="bucket > 0"):
        FastText(mode="floret", bucket=0)
    with pytest.raises(ValueError, match="set mode='floret'"):
        FastText(hash_count=2)
    # no n-gram length possible: floret still hashes the words themselves
    model = FastText([["a", "b"]] * 5, min_count=1, min_n=4, max_n=3, bucket=100, mode="floret",
                     vector_size=4, epochs=1)
    assert model.bucket == 100 and len(model.wv.ngram_ids) == 2 * 1


def test_cli_writes_floret_files(tmp_path):
    from conftest import gensim_datapath
    out = tmp_path / "v.floret"
    cmd = [sys.executable, "-m", "fastw2v", "train", gensim_datapath("lee_background.cor"),
           "--fasttext", "-mode", "floret", "-hashCount", "2", "-bucket", "3000", "-dim", "8",
           "-epoch", "1", "-o", str(out), "--quiet"]
    # Children import the fastw2v under test, never an uncompiled source tree (_child).
    child = dict(capture_output=True, text=True, cwd=CHILD_CWD, env=child_env())
    subprocess.run(cmd, check=True, timeout=120, **child)
    assert load_floret_vectors(out).hash_count == 2
    wrong = subprocess.run(cmd[:5] + ["-o", str(tmp_path / "w.floret"), "--quiet"], timeout=60,
                           **child)
    assert wrong.returncode == 2 and "--mode floret" in wrong.stderr
    query = subprocess.run([sys.executable, "-m", "fastw2v", "similar", str(out), "night"],
                           timeout=60, **child)
    assert query.returncode != 0 and "no vocabulary" in query.stderr
