"""The parallel corpus_file reader against a pure-Python reference tokenizer."""
import bz2
import collections
import gzip
import os
import re
import tempfile

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from fastw2v.corpus import LineSentence
from fastw2v.corpus import _filescan as fs
from fastw2v.corpus._token_ids import TokenIds
from fastw2v.encode import ScannedCorpus, remap

SEPARATORS = re.compile(rb"[ \t\r\x0b\x0c\x00]+")


def reference_lines(data):
    """Token lists of each line: split on ASCII whitespace and NUL, UTF-8 replace."""
    return [[tok.decode("utf-8", "replace") for tok in SEPARATORS.split(line) if tok]
            for line in data.split(b"\n")]


def reference_counts(data):
    return collections.Counter(tok for line in reference_lines(data) for tok in line)


def reference_encode(data, key_to_index, max_len):
    ids, offsets, raw = [], [0], 0
    for line in reference_lines(data):
        raw += len(line)
        kept = [key_to_index[t] for t in line if t in key_to_index]
        for i in range(0, len(kept), max_len):
            ids.extend(kept[i:i + max_len])
            offsets.append(len(ids))
    return np.array(ids, dtype=np.int32), np.array(offsets, dtype=np.int64), raw


def n_linesentence_sentences(data, max_len):
    return sum(-(-len(line) // max_len) for line in reference_lines(data))


def write(tmp_path, data, name="corpus.txt"):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def check_scan(path, data, n_threads):
    keys, counts, total, n_sent, min_reduce = fs.scan_vocab(path, n_threads=n_threads)
    expected = reference_counts(data)
    assert dict(zip(keys, counts.tolist())) == expected
    assert len(keys) == len(expected)
    assert counts.dtype == np.int64
    assert total == sum(expected.values())
    assert n_sent == n_linesentence_sentences(data, 10000)
    assert min_reduce == 1
    # Keys come in order of first occurrence, whatever the thread count.
    assert keys == list(dict.fromkeys(t for line in reference_lines(data) for t in line))
    for key in keys:
        assert not re.search("[ \t\n\r\x0b\x0c\x00]", key) and key


def check_encode(path, data, n_threads, max_len=10000, drop_every=3):
    keys = list(reference_counts(data))
    key_to_index = {k: i for i, k in enumerate(keys) if i % drop_every != 1}
    ids, offsets, raw = fs.encode_file(path, key_to_index, n_threads=n_threads,
                                       max_sentence_length=max_len)
    exp_ids, exp_offsets, exp_raw = reference_encode(data, key_to_index, max_len)
    assert ids.dtype == np.int32 and offsets.dtype == np.int64
    np.testing.assert_array_equal(ids, exp_ids)
    np.testing.assert_array_equal(offsets, exp_offsets)
    assert raw == exp_raw
    check_scan_encode(path, data, n_threads, key_to_index, max_len)


def check_scan_encode(path, data, n_threads, key_to_index, max_len):
    """The one-read path: scan_encode's provisional ids, remapped, equal encode_file's stream."""
    keys, counts, total, n_sent, ids, lengths = fs.scan_encode(
        path, n_threads=n_threads, max_sentence_length=max_len)
    assert dict(zip(keys, counts.tolist())) == reference_counts(data)
    assert total == sum(len(line) for line in reference_lines(data))
    assert n_sent == n_linesentence_sentences(data, max_len)
    assert ids.dtype == np.int32 and lengths.dtype == np.int64
    assert lengths.tolist() == [len(line) for line in reference_lines(data) if line]
    assert [keys[i] for i in ids.tolist()] == [t for line in reference_lines(data) for t in line]
    stream = remap(ScannedCorpus(keys, counts, ids, lengths, total, n_sent), key_to_index,
                   max_sentence_length=max_len)
    exp_ids, exp_offsets, exp_raw = reference_encode(data, key_to_index, max_len)
    np.testing.assert_array_equal(stream.ids, exp_ids)
    np.testing.assert_array_equal(stream.offsets, exp_offsets)
    assert stream.raw_words == exp_raw


MESSY = (b"the cat\r\nsat\ton the\x00mat\n\n\n  \t \ncaf\xc3\xa9 na\xefve \xff\xfe bad\xe2\x82 "
         b"\xf0\x9f\x98\x80 \xed\xa0\x80x\n\x0b\x0cend of   file")


@pytest.mark.parametrize("n_threads", range(1, 17))
def test_messy_file_every_thread_count(tmp_path, n_threads):
    path = write(tmp_path, MESSY)
    check_scan(path, MESSY, n_threads)
    check_encode(path, MESSY, n_threads, max_len=2)


def test_keys_match_line_sentence(tmp_path):
    path = write(tmp_path, MESSY)
    expected = collections.Counter(t for s in LineSentence(path) for t in s)
    keys, counts, *_ = fs.scan_vocab(path, n_threads=3)
    assert dict(zip(keys, counts.tolist())) == expected


lines = st.lists(
    st.lists(st.sampled_from([b"a", b"bb", b"ccc", b"a\xc3\xa9", b"\xff", b"x\xe2\x82",
                              b"\xf0\x9f\x98\x80", b"long" * 9, b"\xc2\xa0", b"\x1c"]),
             max_size=12),
    max_size=30)
separators = st.sampled_from([b" ", b"  ", b"\t", b"\r", b"\x00", b"\x0b\x0c", b" \r"])


@st.composite
def corpora(draw):
    out = []
    for words in draw(lines):
        line = b""
        for w in words:
            line += w + draw(separators)
        if draw(st.booleans()):
            line = draw(separators) + line
        out.append(line + draw(st.sampled_from([b"\n", b"\r\n", b"\n\n"])))
    data = b"".join(out)
    if draw(st.booleans()):
        data = data.rstrip(b"\n")
    return data or b" "


@settings(max_examples=150, deadline=None)
@given(data=corpora(), n_threads=st.integers(1, 8), max_len=st.integers(1, 5))
def test_random_corpora(tmp_path_factory, data, n_threads, max_len):
    path = write(tmp_path_factory.mktemp("h"), data)
    check_scan(path, data, n_threads)
    check_encode(path, data, n_threads, max_len=max_len)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=20))
def test_utf8_repair_matches_python_decoder(data):
    assert fs._utf8_repair(data) == data.decode("utf-8", "replace").encode("utf-8")


def reference_token_end(data, i):
    """Where a token starting at i ends: the first separator or newline at or after i."""
    j = i
    while j < len(data) and data[j] not in b" \t\r\n\x0b\x0c\x00":
        j += 1
    return j, any(b >= 0x80 for b in data[i:j])


# Words of separators, control bytes (token bytes just below the separators' range, which
# the eight-byte search flags as candidates), ASCII and UTF-8 bytes, at every alignment.
token_bytes = st.binary(max_size=40).map(
    lambda b: bytes(x if x % 5 else (0x00, 0x01, 0x08, 0x0E, 0x1F, 0x20, 0x21, 0x0A,
                                     0x09, 0x0D, 0x7F, 0x80, 0xC3, 0xFF)[x % 14] for x in b))


@settings(max_examples=400, deadline=None)
@given(token_bytes)
def test_token_end_search_matches_a_byte_loop(data):
    assert fs._token_ends(data) == [reference_token_end(data, i) for i in range(len(data) + 1)]


@settings(max_examples=400, deadline=None)
@given(st.binary(min_size=16, max_size=24), st.integers(0, 24))
def test_padded_key_packing_equals_the_plain_one(data, n):
    n = min(n, len(data))
    plain, padded = fs._pack_key_twins(data, n)
    assert padded == plain
    # The bytes after the key do not matter.
    assert fs._pack_key_twins(data[:n] + bytes(len(data) - n), n)[1] == plain


def test_lines_straddling_every_boundary(tmp_path):
    # Lines of every length around the thread boundaries of 1..16 threads.
    data = b"".join(b"w%d " % i * (i % 7) + b"\n" for i in range(300))
    path = write(tmp_path, data)
    base = fs.encode_file(path, {"w%d" % i: i for i in range(0, 300, 2)}, n_threads=1)
    for n in range(1, 17):
        check_scan(path, data, n)
        got = fs.encode_file(path, {"w%d" % i: i for i in range(0, 300, 2)}, n_threads=n)
        for a, b in zip(base, got):
            np.testing.assert_array_equal(a, b)


def test_more_threads_than_lines(tmp_path):
    data = b"a b\nc\n"
    path = write(tmp_path, data)
    for n in (5, 16, 64):
        check_scan(path, data, n)
        check_encode(path, data, n, drop_every=100)


def test_long_sentence_split_in_vocab_tokens(tmp_path):
    data = b" ".join(b"oov a b" for _ in range(5000)) + b"\nb\n"
    path = write(tmp_path, data)
    ids, offsets, raw = fs.encode_file(path, {"a": 0, "b": 1}, n_threads=2,
                                       max_sentence_length=4000)
    assert raw == 15001
    assert np.diff(offsets).tolist() == [4000, 4000, 2000, 1]
    _, _, _, n_sent, _ = fs.scan_vocab(path, n_threads=2, max_sentence_length=4000)
    assert n_sent == 5  # 15000 raw tokens -> 4 LineSentence sentences, plus "b"


def test_sentence_without_vocab_is_dropped(tmp_path):
    path = write(tmp_path, b"x y\na x\n\ny\na a\n")
    ids, offsets, raw = fs.encode_file(path, {"a": 7}, n_threads=2)
    assert ids.tolist() == [7, 7, 7] and offsets.tolist() == [0, 1, 3] and raw == 7


def test_nothing_in_vocab(tmp_path):
    path = write(tmp_path, b"x y\n")
    ids, offsets, raw = fs.encode_file(path, {}, n_threads=3)
    assert ids.shape == (0,) and offsets.tolist() == [0] and raw == 2


def test_one_megabyte_token(tmp_path):
    big = b"q" * (1 << 20) + b"\xff" + b"z" * (9 << 20)  # spans several 4 MiB reads
    data = b"a " + big + b" b\nc\n"
    path = write(tmp_path, data)
    key = big.decode("utf-8", "replace")
    for n in (1, 2, 3):
        keys, counts, total, n_sent, _ = fs.scan_vocab(path, n_threads=n)
        assert dict(zip(keys, counts.tolist())) == {"a": 1, key: 1, "b": 1, "c": 1}
        ids, offsets, raw = fs.encode_file(path, {key: 5, "c": 2}, n_threads=n)
        assert ids.tolist() == [5, 2] and offsets.tolist() == [0, 1, 2] and raw == 4


@pytest.mark.parametrize("shift", [0, 5, 11])
def test_short_ascii_tokens_across_a_4_mib_read(tmp_path, shift):
    # Tokens of 1-17 bytes end at every offset around the first 4 MiB read's end, where
    # the key packer reads the buffer's padding: keys checked byte for byte there (and,
    # under the ASan build, the reads' bounds).
    rng = np.random.default_rng(shift)
    lengths = rng.integers(1, 18, 500_000)
    letters = np.frombuffer(b"ab", np.uint8)[rng.integers(0, 2, int(lengths.sum()))]
    ends = np.cumsum(lengths)
    tokens = [letters[e - n:e].tobytes() for e, n in zip(ends.tolist(), lengths.tolist())]
    data = b"x" * shift + b" ".join(tokens) + b"\n"
    assert len(data) > (4 << 20) + 64
    path = write(tmp_path, data)
    check_scan(path, data, 1)


def gensim_scan(sentences, max_vocab_size):
    """gensim's Word2Vec._scan_vocab loop, with utils.prune_vocab inlined."""
    vocab, min_reduce = collections.defaultdict(int), 1
    for sentence in sentences:
        for word in sentence:
            vocab[word] += 1
        if len(vocab) > max_vocab_size:
            for w in list(vocab):
                if vocab[w] < min_reduce:
                    del vocab[w]
            min_reduce += 1
    return dict(vocab), min_reduce


def test_max_vocab_size_single_thread_matches_gensim(tmp_path):
    rng = np.random.default_rng(0)
    words = (rng.zipf(1.3, size=20000) % 3000).astype(str)
    data = "\n".join(" ".join(words[i:i + 17]) for i in range(0, 20000, 17)).encode()
    path = write(tmp_path, data)
    assert fs.scan_vocab(path, 1, max_vocab_size=10**6)[4] == 1  # nothing pruned
    for cap in (50, 300):
        expected, exp_min_reduce = gensim_scan(LineSentence(path), cap)
        keys, counts, total, _, min_reduce = fs.scan_vocab(path, 1, max_vocab_size=cap)
        assert dict(zip(keys, counts.tolist())) == expected
        assert min_reduce == exp_min_reduce > 1
        assert total == 20000
        # Several threads prune their own tables: counts never exceed the truth.
        truth = reference_counts(data)
        keys, counts, total, _, min_reduce = fs.scan_vocab(path, 4, max_vocab_size=cap)
        assert all(c <= truth[k] for k, c in zip(keys, counts.tolist()))
        assert total == 20000 and min_reduce > 1


def test_gensim_vocab_equal_on_ascii(tmp_path):
    Word2Vec = pytest.importorskip("gensim.models").Word2Vec
    rng = np.random.default_rng(1)
    words = (rng.zipf(1.5, size=5000) % 500).astype(str)
    data = "\n".join(" ".join(words[i:i + 11]) for i in range(0, 5000, 11)).encode()
    path = write(tmp_path, data)
    model = Word2Vec(min_count=1)
    total, n_sent = model.scan_vocab(corpus_file=path)
    keys, counts, our_total, our_n_sent, _ = fs.scan_vocab(path, n_threads=2)
    assert dict(zip(keys, counts.tolist())) == dict(model.raw_vocab)
    assert list(model.raw_vocab) == keys  # same first-occurrence order
    assert (our_total, our_n_sent) == (total, n_sent)


def test_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        fs.scan_vocab(tmp_path / "missing.txt")
    with pytest.raises(FileNotFoundError):
        fs.encode_file(tmp_path / "missing.txt", {})
    empty = write(tmp_path, b"", "empty.txt")
    with pytest.raises(ValueError, match="empty.txt.*is empty"):
        fs.scan_vocab(empty)
    with pytest.raises(ValueError, match="is empty"):
        fs.encode_file(empty, {"a": 0})
    gz = tmp_path / "c.txt"
    with gzip.open(gz, "wb") as f:
        f.write(b"a b c\n")
    with pytest.raises(ValueError, match="c.txt.*gzip"):
        fs.scan_vocab(gz)
    bz = tmp_path / "c.bz"
    bz.write_bytes(bz2.compress(b"a b c\n"))
    with pytest.raises(ValueError, match="c.bz.*bz2"):
        fs.encode_file(bz, {"a": 0})
    with pytest.raises(ValueError, match="n_threads"):
        fs.scan_vocab(write(tmp_path, b"a\n"), n_threads=0)


def test_ids_array_owns_its_memory(tmp_path):
    path = write(tmp_path, b"a b a\n" * 1000)
    ids, offsets, _ = fs.encode_file(path, {"a": 0, "b": 1}, n_threads=2)
    assert ids.flags.c_contiguous and ids.shape == (3000,)
    view = ids[1::3]
    del ids
    assert view.tolist() == [1] * 1000  # base keeps the malloc'd buffer alive


def test_keys_of_every_length_sharing_prefixes(tmp_path):
    # Keys up to 15 bytes live in the hash slot, longer ones in the arena: keys that
    # differ only in length or in their last byte, on both sides of that limit.
    base = "abcdefghijklmnopqrstuvwxyz0123456789"
    tokens = [base[:n] for n in range(1, 37)] + [base[:n - 1] + "!" for n in range(1, 37)]
    tokens += ["\u00e9" * n for n in range(1, 12)]  # 2 bytes per character in UTF-8
    data = "\n".join(" ".join(tokens[i:] + tokens[:i]) for i in range(0, len(tokens), 7))
    data = data.encode("utf-8")
    path = write(tmp_path, data)
    for n_threads in (1, 3):
        check_scan(path, data, n_threads)
        check_encode(path, data, n_threads, max_len=5)


def test_token_ids_keys_differing_in_length_or_nul():
    index = TokenIds()
    out = np.zeros(12, np.int32)
    words = ["", "a", "a\x00", "a\x00\x00", "\x00", "a" * 15, "a" * 16, "a" * 15 + "\x00",
             "", "a\x00", "a" * 16, "b"]
    index.add(words, out, 0)
    assert out.tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 0, 2, 6, 8]
    assert index.words() == list(dict.fromkeys(words))


def test_scan_encode_gives_ids_up_within_the_budget(tmp_path):
    data = b"a b c\nd e\n\nf\n"  # 6 tokens
    path = write(tmp_path, data)
    keys, counts, total, n_sent, ids, lengths = fs.scan_encode(path, n_threads=1, max_id_bytes=4 * 6)
    assert ids.tolist() == [0, 1, 2, 3, 4, 5] and lengths.tolist() == [3, 2, 1]
    keys, counts, total, n_sent, ids, lengths = fs.scan_encode(path, n_threads=1, max_id_bytes=4 * 5)
    assert ids is None and lengths is None  # one id over: the counts stand, the ids are dropped
    assert dict(zip(keys, counts.tolist())) == reference_counts(data) and total == 6 and n_sent == 3
    for budget in (0, 4, 4 * 6):  # with several threads, each has its share
        got = fs.scan_encode(path, n_threads=4, max_id_bytes=budget)
        assert got[4] is None and dict(zip(got[0], got[1].tolist())) == reference_counts(data)


@pytest.mark.parametrize("n_threads", [1, 3])
def test_encode_spills_past_its_budget_to_one_memory_mapped_file(tmp_path, monkeypatch, n_threads):
    # A temporary directory of its own: other processes' files come and go in /tmp.
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    data = b"".join(b"w%d x y w%d\n" % (i % 97, i % 13) for i in range(5000))  # 20,000 tokens
    path = write(tmp_path, data)
    keys = list(reference_counts(data))
    key_to_index = {k: i for i, k in enumerate(keys) if i % 3 != 1}
    exp_ids, exp_offsets, exp_raw = reference_encode(data, key_to_index, 10000)
    before = set(os.listdir(tempfile.gettempdir()))
    ids, offsets, raw = fs.encode_file(path, key_to_index, n_threads=n_threads, max_id_bytes=4096)
    assert isinstance(ids, np.memmap) and not ids.flags.writeable
    np.testing.assert_array_equal(ids, exp_ids)
    np.testing.assert_array_equal(offsets, exp_offsets)
    assert raw == exp_raw
    made = set(os.listdir(tempfile.gettempdir())) - before
    assert made == {os.path.basename(ids.filename)}  # the other workers' files are gone
    os.unlink(ids.filename)
    ids, offsets, raw = fs.encode_file(path, key_to_index, n_threads=n_threads,
                                       max_id_bytes=10**9)  # within the budget: in RAM
    assert not isinstance(ids, np.memmap)
    np.testing.assert_array_equal(ids, exp_ids)
    assert set(os.listdir(tempfile.gettempdir())) == before


def test_every_reader_and_encoder_splits_at_the_one_sentence_cap(tmp_path):
    # MAX_SENTENCE_TOKENS is the only definition: the Python readers, the C reader's
    # scan and encoding, and the iterable encoders all cut a longer line after it.
    from fastw2v.corpus import MAX_SENTENCE_TOKENS
    from fastw2v.encode import encode_file, encode_iterable, remap, scan_iterable
    n = MAX_SENTENCE_TOKENS
    long_line = ["a"] * (n + 1)
    path = write(tmp_path, (" ".join(long_line) + "\n").encode())
    assert [len(s) for s in LineSentence(path)] == [n, 1]
    assert fs.scan_vocab(path, n_threads=1)[3] == 2
    vocab = {"a": 0}
    for stream in (encode_file(path, vocab, n_threads=1), encode_iterable([long_line], vocab),
                   remap(scan_iterable([long_line]), vocab)):
        assert np.diff(stream.offsets).tolist() == [n, 1]
