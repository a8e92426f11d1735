"""word2vec C formats: round trips, interop with gensim, and every bad-file case: damaged
files (truncated, random, fuzzed edits) raise FormatError naming the file, sizes are
checked before allocating."""
import bz2
import gzip

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastw2v.io import FormatError
from fastw2v.io.word2vec_format import read_word2vec_format
from fastw2v.keyedvectors import KeyedVectors


@pytest.fixture(scope="module")
def gensim():
    """gensim, for the interoperability tests; skips them without it."""
    return pytest.importorskip("gensim")


KEYS = ["the", "naïve", "café", "中文", "词向量", "😀", "🚀x", "Ünïcödé", "a", "zebra"]


def make_kv(keys=KEYS, dim=5, seed=0):
    rng = np.random.default_rng(seed)
    kv = KeyedVectors(dim)
    kv.add_vectors(keys, rng.standard_normal((len(keys), dim)).astype(np.float32))
    kv.expandos["count"] = np.arange(len(keys), 0, -1, dtype=np.int64) * 10
    return kv


@pytest.mark.parametrize("binary", [True, False])
@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2"])
def test_round_trip(tmp_path, binary, suffix):
    kv = make_kv()
    path = str(tmp_path / f"v.bin{suffix}")
    kv.save_word2vec_format(path, fvocab=str(tmp_path / "vocab.txt"), binary=binary)
    back = KeyedVectors.load_word2vec_format(path, fvocab=str(tmp_path / "vocab.txt"), binary=binary)
    assert back.index_to_key == KEYS
    if binary:
        np.testing.assert_array_equal(back.vectors, kv.vectors)  # bit-exact
    else:
        np.testing.assert_array_equal(back.vectors, kv.vectors)  # %.9g round-trips float32
    np.testing.assert_array_equal(back.expandos["count"], kv.expandos["count"])
    assert back.vectors.dtype == np.float32


def test_binary_layout_is_word2vec_c(tmp_path):
    kv = make_kv(["ab", "c"], dim=2)
    path = tmp_path / "v.bin"
    kv.save_word2vec_format(str(path), binary=True)
    raw = path.read_bytes()
    expected = (b"2 2\n" + b"ab " + kv["ab"].astype("<f4").tobytes() + b"\n"
                + b"c " + kv["c"].astype("<f4").tobytes() + b"\n")
    assert raw == expected


@pytest.mark.parametrize("binary", [True, False])
def test_gensim_reads_ours_and_we_read_gensims(gensim, tmp_path, binary):
    kv = make_kv()
    ours = str(tmp_path / "ours")
    kv.save_word2vec_format(ours, binary=binary)
    g = gensim.models.KeyedVectors.load_word2vec_format(ours, binary=binary)
    assert g.index_to_key == KEYS
    np.testing.assert_allclose(g.vectors, kv.vectors, rtol=0, atol=0 if binary else 1e-7)
    theirs = str(tmp_path / "theirs")
    g.save_word2vec_format(theirs, binary=binary)
    back = KeyedVectors.load_word2vec_format(theirs, binary=binary)
    assert back.index_to_key == KEYS
    np.testing.assert_allclose(back.vectors, kv.vectors, rtol=0, atol=0 if binary else 1e-7)


def test_gensim_test_data_files(gensim):
    from gensim.test.utils import datapath
    for name, binary in [("euclidean_vectors.bin", True), ("high_precision.kv.bin", True),
                         ("high_precision.kv.txt", False), ("toy-model.vec", False), ("lee_fasttext.vec", False),
                         ("word2vec_pre_kv_c", False), ("poincare_vectors.bin", True)]:
        ours = KeyedVectors.load_word2vec_format(datapath(name), binary=binary)
        theirs = gensim.models.KeyedVectors.load_word2vec_format(datapath(name), binary=binary)
        assert ours.index_to_key == theirs.index_to_key
        np.testing.assert_array_equal(ours.vectors, theirs.vectors)
    ours = KeyedVectors.load_word2vec_format(datapath("test_glove.txt"), no_header=True)
    theirs = gensim.models.KeyedVectors.load_word2vec_format(datapath("test_glove.txt"), no_header=True)
    assert ours.index_to_key == theirs.index_to_key
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)


def test_tolerant_variants(tmp_path):
    v = np.array([[1.5, -2.0], [0.25, 3.0]], np.float32)
    gensim_style = b"2 2\nab " + v[0].tobytes() + b"c " + v[1].tobytes()  # no newlines
    (tmp_path / "g.bin").write_bytes(gensim_style)
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "g.bin"), binary=True)
    assert kv.index_to_key == ["ab", "c"]
    np.testing.assert_array_equal(kv.vectors, v)
    (tmp_path / "c.txt").write_bytes(b"2 2\nab 1.5 -2 \nc 0.25 3 \n")  # word2vec.c trailing spaces
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "c.txt"))
    np.testing.assert_array_equal(kv.vectors, v)
    (tmp_path / "crlf.txt").write_bytes(b"2 2\r\nab 1.5 -2\r\nc 0.25 3")  # CRLF, no final newline
    np.testing.assert_array_equal(KeyedVectors.load_word2vec_format(str(tmp_path / "crlf.txt")).vectors, v)
    (tmp_path / "glove.txt").write_bytes(b"ab 1.5 -2\nc 0.25 3\n")
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "glove.txt"), no_header=True)
    np.testing.assert_array_equal(kv.vectors, v)
    assert list(kv.expandos["count"]) == [2, 1]  # gensim's made-up descending counts


def test_limit_and_datatype(tmp_path):
    kv = make_kv()
    kv.save_word2vec_format(str(tmp_path / "v.bin"), binary=True)
    back = KeyedVectors.load_word2vec_format(str(tmp_path / "v.bin"), binary=True, limit=3,
                                             datatype=np.float64)
    assert back.index_to_key == KEYS[:3] and back.vectors.dtype == np.float64
    kv.save_word2vec_format(str(tmp_path / "v.txt"))
    assert len(KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt"), limit=4)) == 4


def test_total_vec_and_no_header(tmp_path):
    kv = make_kv()
    kv.save_word2vec_format(str(tmp_path / "v.txt"), write_header=False)
    assert KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt"), no_header=True).index_to_key == KEYS
    kv.save_word2vec_format(str(tmp_path / "w.txt"), total_vec=99)
    assert (tmp_path / "w.txt").read_text().startswith("99 5\n")


@pytest.mark.parametrize("bad_key", ["", "two words", "tab\there", "new\nline", "nul\x00"])
@pytest.mark.parametrize("binary", [True, False])
def test_whitespace_keys_refused_at_save(tmp_path, bad_key, binary):
    kv = make_kv(["ok", bad_key], dim=2)
    path = tmp_path / "v"
    with pytest.raises(ValueError, match="whitespace"):
        kv.save_word2vec_format(str(path), binary=binary)
    assert not path.exists()


def test_fvocab_needs_counts(tmp_path):
    kv = make_kv()
    del kv.expandos["count"]
    with pytest.raises(ValueError):
        kv.save_word2vec_format(str(tmp_path / "v"), fvocab=str(tmp_path / "voc"))


def test_duplicate_keys_keep_first(tmp_path):
    (tmp_path / "d.txt").write_bytes(b"3 1\na 1\nb 2\na 3\n")
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "d.txt"))
    assert kv.index_to_key == ["a", "b"] and kv.vectors[:, 0].tolist() == [1, 2]


BAD_TEXT = {
    "empty": b"",
    "header only word": b"hello\n",
    "negative count": b"-1 2\n",
    "zero dim": b"1 0\na\n",
    "negative dim": b"1 -3\na 1\n",
    "count larger than rows": b"3 2\na 1 2\nb 3 4\n",
    "row too short": b"2 2\na 1 2\nb 3\n",
    "row too long": b"2 2\na 1 2\nb 3 4 5\n",
    "not a number": b"1 2\na 1 x\n",
    "more rows than header": b"1 2\na 1 2\nb 3 4\n",
    "huge header": b"999999999999 999999999\na 1 2\n",
    "bad utf8 key": b"1 1\n\xff\xfe 1\n",
    "header garbage": b"\x00\x01\x02 \n",
}


@pytest.mark.parametrize("case", sorted(BAD_TEXT))
def test_bad_text_files(tmp_path, case):
    path = tmp_path / "bad.txt"
    path.write_bytes(BAD_TEXT[case])
    with pytest.raises(FormatError, match="bad.txt"):
        KeyedVectors.load_word2vec_format(str(path))


def _valid_binary(tmp_path):
    kv = make_kv(["ab", "中", "😀"], dim=3)
    path = tmp_path / "ok.bin"
    kv.save_word2vec_format(str(path), binary=True)
    return path.read_bytes()


BAD_BINARY = {
    "empty": b"",
    "count larger than rows": b"2 2\na " + b"\0" * 8,
    "count x dim cannot fit": b"1000000000 1000\na " + b"\0" * 4000,
    "zero dim": b"1 0\na \n",
    "key without vector": b"1 4\nabc",
    "garbage key": b"1 1\n\x01\x02\x03\x04",
    "trailing garbage": b"1 1\na " + b"\0" * 4 + b"\nextra junk",
}


@pytest.mark.parametrize("case", sorted(BAD_BINARY))
def test_bad_binary_files(tmp_path, case):
    path = tmp_path / "bad.bin"
    path.write_bytes(BAD_BINARY[case])
    with pytest.raises(FormatError, match="bad.bin"):
        KeyedVectors.load_word2vec_format(str(path), binary=True)


def test_huge_header_checked_before_allocating(tmp_path, monkeypatch):
    path = tmp_path / "huge.bin"
    path.write_bytes(b"3000000 300\na " + b"\0" * 1200)
    allocations = []
    real_empty = np.empty
    monkeypatch.setattr(np, "empty", lambda shape, *a, **k: allocations.append(shape) or real_empty(shape, *a, **k))
    with pytest.raises(FormatError, match="cannot fit"):
        KeyedVectors.load_word2vec_format(str(path), binary=True)
    assert allocations == []


@pytest.mark.parametrize("opener", [gzip.open, bz2.open])
def test_huge_header_in_compressed_file_is_bounded(tmp_path, opener):
    ext = ".gz" if opener is gzip.open else ".bz2"
    path = tmp_path / f"huge.bin{ext}"
    with opener(path, "wb") as f:
        f.write(b"3000000000 300\na " + b"\0" * 1200)
    with pytest.raises(FormatError, match="truncated"):
        KeyedVectors.load_word2vec_format(str(path), binary=True)


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "bad.bin.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(FormatError):
        KeyedVectors.load_word2vec_format(str(path), binary=True)


def test_every_truncation_point_of_binary(tmp_path):
    raw = _valid_binary(tmp_path)
    path = tmp_path / "t.bin"
    for cut in range(len(raw)):
        path.write_bytes(raw[:cut])
        if cut == len(raw) - 1:  # only the final newline is missing: still complete
            assert len(KeyedVectors.load_word2vec_format(str(path), binary=True)) == 3
            continue
        with pytest.raises(FormatError):
            KeyedVectors.load_word2vec_format(str(path), binary=True)


def test_every_truncation_point_of_text(tmp_path):
    kv = make_kv(["ab", "中", "😀"], dim=3)
    kv.save_word2vec_format(str(tmp_path / "ok.txt"))
    raw = (tmp_path / "ok.txt").read_bytes()
    path = tmp_path / "t.txt"
    for cut in range(len(raw)):
        path.write_bytes(raw[:cut])
        try:
            back = KeyedVectors.load_word2vec_format(str(path))
        except FormatError:
            continue
        # a cut inside the last number can still parse as a shorter number
        assert back.index_to_key == ["ab", "中", "😀"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300), binary=st.booleans(), no_header=st.booleans())
def test_random_bytes_raise_only_format_error(tmp_path, data, binary, no_header):
    path = tmp_path / "rand"
    path.write_bytes(data)
    try:
        read_word2vec_format(str(path), binary=binary, no_header=no_header and not binary)
    except FormatError:
        pass


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200))
def test_random_bytes_after_valid_header(tmp_path, data):
    path = tmp_path / "rand.bin"
    path.write_bytes(b"3 2\n" + data)
    for binary in (True, False):
        try:
            read_word2vec_format(str(path), binary=binary)
        except FormatError:
            pass


def test_bad_fvocab(tmp_path):
    make_kv().save_word2vec_format(str(tmp_path / "v.txt"))
    (tmp_path / "voc").write_bytes(b"the 10\nbroken line here\n")
    with pytest.raises(FormatError, match="voc"):
        KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt"), fvocab=str(tmp_path / "voc"))


def test_unicode_errors_replace(tmp_path):
    (tmp_path / "u.txt").write_bytes(b"1 1\nab\xff 1\n")
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "u.txt"), unicode_errors="replace")
    assert kv.index_to_key == ["ab\ufffd"]


# ---------------------------------------------------------------- fuzzing edits of valid files

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Valid text (m.txt, with its fvocab vocab.txt) and binary (m.bin) files of a small model."""
    d = tmp_path_factory.mktemp("saved")
    kv = make_kv()
    kv.save_word2vec_format(str(d / "m.txt"), fvocab=str(d / "vocab.txt"))
    kv.save_word2vec_format(str(d / "m.bin"), binary=True)
    return d


@FUZZ
@given(data=st.data())
def test_fuzz_fvocab(saved, data):
    raw = (saved / "vocab.txt").read_bytes()
    cut = data.draw(st.integers(0, len(raw)))
    at = data.draw(st.integers(0, cut))
    junk = data.draw(st.binary(max_size=16))
    (saved / "fuzz.vocab").write_bytes(raw[:at] + junk + raw[at + len(junk):cut])
    try:
        KeyedVectors.load_word2vec_format(str(saved / "m.txt"), fvocab=str(saved / "fuzz.vocab"))
    except FormatError:
        pass


@FUZZ
@given(data=st.data())
def test_fuzz_word2vec_format_mutations(saved, data):
    """Byte edits inside valid files (the existing tests cover pure truncation and random files)."""
    binary = data.draw(st.booleans())
    raw = (saved / ("m.bin" if binary else "m.txt")).read_bytes()
    at = data.draw(st.integers(0, len(raw)))
    junk = data.draw(st.binary(min_size=1, max_size=8))
    (saved / "fuzz.w2v").write_bytes(raw[:at] + junk + raw[at + len(junk):])
    no_header = not binary and data.draw(st.booleans())
    try:
        KeyedVectors.load_word2vec_format(str(saved / "fuzz.w2v"), binary=binary, no_header=no_header)
    except FormatError:
        pass


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        KeyedVectors.load_word2vec_format(str(tmp_path / "nope"))


def test_save_word2vec_format_sort_attr_prefix_append(tmp_path):
    kv = KeyedVectors(3)
    kv.add_vectors(["rare", "common", "mid"], np.eye(3, dtype=np.float32))
    kv.expandos["count"] = np.array([1, 9, 5], np.int64)
    path = tmp_path / "v.txt"
    kv.save_word2vec_format(str(path))  # gensim's order: by descending count
    assert [line.split()[0] for line in path.read_text().splitlines()[1:]] == ["common", "mid", "rare"]
    kv.save_word2vec_format(str(path), sort_attr="no-such")  # index order
    assert [line.split()[0] for line in path.read_text().splitlines()[1:]] == ["rare", "common", "mid"]
    kv.save_word2vec_format(str(path), prefix="en_", append=True, write_header=False)
    lines = path.read_text().splitlines()
    assert len(lines) == 7 and lines[4].startswith("en_common ")
    with pytest.raises(ValueError, match="no-such"):
        kv.save_word2vec_format(str(path), fvocab=str(tmp_path / "vocab.txt"), sort_attr="no-such")
