"""FastText n-grams and buckets (fastw2v._ngrams, C in kernels/fw_ngrams.h) against gensim
and against a small Python transcription of Facebook's dictionary.cc rules."""
import numpy as np
import pytest

from fastw2v import _ngrams, _parallel

WORDS = ["hello", "a", "", "<", ">", "</s>", "café", "naïve", "Ærøskøbing", "日本語", "東京都庁",
         "😀", "a😀b", "x🇫🇷y", "ß" * 9, "hyper-long-word-with-dashes", "über", "ёлка",
         "\u00ff",
         "mañana", "   ", "tab\tin"]
RAW = [b"\x80abc", b"ab\x80", b"\xff\xfe", b"\xc3", b"caf\xe9", b"\xe2\x82"]  # invalid UTF-8
SETTINGS = [(3, 6), (1, 1), (0, 2), (1, 3), (2, 10), (5, 5), (4, 3)]
BUCKETS = [1, 7, 2_000_000, 2 ** 31 - 1]


def ref_hash(data):
    """fastText's hash: FNV-1a over sign-extended bytes."""
    h = 2166136261
    for c in data:
        h ^= (c - 256 if c >= 128 else c) & 0xFFFFFFFF
        h = (h * 16777619) & 0xFFFFFFFF
    return h


def ref_ngrams(word, min_n, max_n):
    """fastText's computeSubwords over b'<' + word + b'>'."""
    w = b"<" + (word.encode("utf-8") if isinstance(word, str) else word) + b">"
    out = []
    for i in range(len(w)):
        if (w[i] & 0xC0) == 0x80:
            continue
        j, n = i, 1
        while j < len(w) and n <= max_n:
            j += 1
            while j < len(w) and (w[j] & 0xC0) == 0x80:
                j += 1
            if n >= min_n and not (n == 1 and (i == 0 or j == len(w))):
                out.append(w[i:j])
            n += 1
    return out


def test_hash_known_values_and_signed_bytes():
    assert _ngrams.ft_hash(b"") == 2166136261
    assert _ngrams.ft_hash(b"a") == 0xE40C292C  # plain FNV-1a for ASCII
    # bytes >= 0x80 are sign-extended: not the textbook FNV-1a value
    textbook = (2166136261 ^ 0xE9) * 16777619 & 0xFFFFFFFF
    assert _ngrams.ft_hash(b"\xe9") == ref_hash(b"\xe9") != textbook
    for word in WORDS + RAW:
        data = word.encode("utf-8") if isinstance(word, str) else word
        assert _ngrams.ft_hash(word) == ref_hash(data)


@pytest.mark.parametrize("min_n,max_n", SETTINGS)
def test_ngrams_and_buckets_match_reference(min_n, max_n):
    for word in WORDS + RAW:
        grams = ref_ngrams(word, min_n, max_n)
        assert _ngrams.ngrams(word, min_n, max_n) == grams, word
        for bucket in BUCKETS:
            expect = [ref_hash(g) % bucket for g in grams]
            assert _ngrams.word_buckets(word, min_n, max_n, bucket).tolist() == expect, (word, bucket)


@pytest.mark.parametrize("min_n,max_n", SETTINGS)
def test_matches_gensim(min_n, max_n):
    pytest.importorskip("gensim")
    from gensim.models.fasttext import ft_ngram_hashes
    from gensim.models.fasttext_inner import compute_ngrams_bytes, ft_hash_bytes
    for word in WORDS:
        assert _ngrams.ngrams(word, min_n, max_n) == compute_ngrams_bytes(word, min_n, max_n), word
        assert _ngrams.ft_hash(word) == ft_hash_bytes(word.encode("utf-8"))
        for bucket in BUCKETS:
            assert _ngrams.word_buckets(word, min_n, max_n, bucket).tolist() == \
                ft_ngram_hashes(word, min_n, max_n, bucket), (word, bucket)


def test_vocab_buckets_is_the_per_word_table():
    words = WORDS + RAW
    offsets, ids = _ngrams.vocab_buckets(words, 3, 6, 2_000_000)
    assert offsets.dtype == np.int64 and ids.dtype == np.int32 and offsets.shape == (len(words) + 1,)
    assert offsets[0] == 0 and offsets[-1] == len(ids) and np.all(np.diff(offsets) >= 0)
    for i, word in enumerate(words):
        np.testing.assert_array_equal(ids[offsets[i]:offsets[i + 1]],
                                      _ngrams.word_buckets(word, 3, 6, 2_000_000))
    empty_offsets, empty_ids = _ngrams.vocab_buckets([], 3, 6, 10)
    assert empty_offsets.tolist() == [0] and len(empty_ids) == 0


def test_eos_bucket_zero_and_limits():
    assert len(_ngrams.word_buckets("</s>", 3, 6, 100)) > 0  # gensim's rule
    assert len(_ngrams.word_buckets("</s>", 3, 6, 100, facebook_eos=True)) == 0  # fastText's
    offsets, _ = _ngrams.vocab_buckets(["a", "</s>", "b"], 1, 3, 100, facebook_eos=True)
    assert offsets[2] == offsets[1]
    assert len(_ngrams.word_buckets("hello", 3, 6, 0)) == 0
    assert _ngrams.vocab_buckets(["hello", "x"], 3, 6, 0)[0].tolist() == [0, 0, 0]
    with pytest.raises(ValueError, match="more than the 10 allowed"):
        _ngrams.vocab_buckets(["a" * 100], 1, 2 ** 31 - 1, 10, max_ids=10)
    with pytest.raises(ValueError):
        _ngrams.word_buckets("a", -1, 3, 10)
    with pytest.raises(ValueError):
        _ngrams.word_buckets("a", 1, 3, 2 ** 31)
    with pytest.raises(TypeError):
        _ngrams.vocab_buckets(["a", 3], 1, 3, 10)


def test_compose_against_numpy():
    rng = np.random.default_rng(0)
    words = ["alpha", "beta", "</s>", "日本"]
    vocab = rng.standard_normal((4, 8)).astype(np.float32)
    grams = rng.standard_normal((50, 8)).astype(np.float32)
    offsets, ids = _ngrams.vocab_buckets(words, 2, 4, 50, facebook_eos=True)
    out = _ngrams.compose_vectors(vocab, grams, offsets, ids)
    for i in range(4):
        rows = np.vstack([vocab[i:i + 1], grams[ids[offsets[i]:offsets[i + 1]]]])
        np.testing.assert_allclose(out[i], rows.mean(axis=0), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(out[2], vocab[2])  # no n-grams: the word's own row
    oov = _ngrams.word_buckets("gamma", 2, 4, 50)
    np.testing.assert_allclose(_ngrams.compose_vector(grams, oov), grams[oov].mean(axis=0), atol=1e-6)
    np.testing.assert_array_equal(_ngrams.compose_vector(grams, []), np.zeros(8, np.float32))
    with pytest.raises(ValueError, match="bucket ids"):
        _ngrams.compose_vectors(vocab, grams[:5], offsets, ids)
    with pytest.raises(ValueError, match="offsets"):
        _ngrams.compose_vectors(vocab, grams, offsets[:-1], ids)



@pytest.mark.parametrize("word_rows", [True, False])
def test_compose_threads_equal_one_thread(monkeypatch, word_rows):
    """Split over threads, each word's vector is the one-thread sum, bit for bit."""
    rng = np.random.default_rng(1)
    words = [f"w{i}x{'y' * (i % 7)}" for i in range(997)]
    grams = rng.standard_normal((300, 5)).astype(np.float32)
    offsets, ids = _ngrams.vocab_buckets(words, 1, 4, 300)
    vocab = rng.standard_normal((len(words), 5)).astype(np.float32) if word_rows else None
    one = _ngrams.compose_vectors(vocab, grams, offsets, ids)
    monkeypatch.setattr(_ngrams, "COMPOSE_IDS_PER_THREAD", 10)
    monkeypatch.setattr(_parallel, "usable_cores", lambda: 5)
    assert len(_ngrams._spans(len(words), len(ids))) == 5
    np.testing.assert_array_equal(_ngrams.compose_vectors(vocab, grams, offsets, ids), one)
    out = np.empty_like(one)
    assert _ngrams.compose_vectors(vocab, grams, offsets, ids, out=out) is out
    np.testing.assert_array_equal(out, one)


def test_core_count_without_sched_getaffinity(monkeypatch):
    """Where os has no sched_getaffinity (macOS, Windows) the CPU count is used, and a
    count os cannot tell means one thread."""
    monkeypatch.delattr(_parallel.os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(_parallel.os, "cpu_count", lambda: 3)
    assert _parallel.usable_cores() == 3
    monkeypatch.setattr(_parallel.os, "cpu_count", lambda: None)
    assert _parallel.usable_cores() == 1
    assert _ngrams._spans(10, 10 ** 9) == [(0, 10)]


def test_threads_are_joined_when_a_start_fails(monkeypatch):
    """A thread that cannot start leaves none of the started ones running."""
    import threading
    done, started = [], []
    real_start = threading.Thread.start

    def start(self):
        if len(started) == 2:
            raise RuntimeError("can't start new thread")
        started.append(self)
        real_start(self)

    monkeypatch.setattr(threading.Thread, "start", start)
    with pytest.raises(RuntimeError, match="start new thread"):
        _parallel.run_threads(lambda lo, hi: done.append(lo), [(0, 1), (1, 2), (2, 3)])
    assert sorted(done) == [0, 1] and not any(t.is_alive() for t in started)


# ---------------------------------------------------------------- floret


def ref_floret(word, min_n, max_n, bucket, hash_count, seed=2166136261):
    """floret's rows of `word`, from mmh3 (the real MurmurHash3 package): the wrapped word
    first, then its n-grams, each taking the first `hash_count` 32-bit words of its hash."""
    import struct
    mmh3 = pytest.importorskip("mmh3")
    data = word.encode("utf-8") if isinstance(word, str) else word
    rows = []
    for entry in [b"<" + data + b">"] + ref_ngrams(word, min_n, max_n):
        words = struct.unpack("<4I", mmh3.hash_bytes(entry, seed, True))
        rows += [h % bucket for h in words[:hash_count]]
    return rows


def test_murmur3_matches_mmh3():
    """Every tail length (0..15 bytes past 16-byte blocks), multi-byte and invalid UTF-8."""
    mmh3 = pytest.importorskip("mmh3")
    rng = np.random.default_rng(0)
    samples = [bytes(rng.integers(0, 256, n, dtype=np.uint8)) for n in range(0, 50)]
    for data in samples + [w.encode("utf-8") for w in WORDS] + RAW:
        for seed in (2166136261, 0, 7):
            h = mmh3.hash128(data, seed=seed, x64arch=True, signed=False)
            assert _ngrams.murmur3_128(data, seed) == tuple((h >> (32 * k)) & 0xFFFFFFFF
                                                            for k in range(4)), (data, seed)
    # a known value (seed 2166136261), also spaCy's floret hash of "<the>"
    assert _ngrams.murmur3_128("<the>") == (2595341338, 2331835178, 1044867836, 779827009)


@pytest.mark.parametrize("min_n,max_n", [(3, 6), (1, 3), (4, 3), (2, 2)])
@pytest.mark.parametrize("hash_count", [1, 2, 4])
def test_floret_rows_match_reference(min_n, max_n, hash_count):
    words = WORDS + RAW
    for bucket in (1, 7, 50_000):
        for word in words:
            got = _ngrams.word_buckets(word, min_n, max_n, bucket, mode="floret", hash_count=hash_count)
            assert got.tolist() == ref_floret(word, min_n, max_n, bucket, hash_count), word
        offsets, ids = _ngrams.vocab_buckets(words, min_n, max_n, bucket, mode="floret",
                                             hash_count=hash_count)
        for i, word in enumerate(words):
            assert ids[offsets[i]:offsets[i + 1]].tolist() == \
                ref_floret(word, min_n, max_n, bucket, hash_count), word


def test_floret_rows_match_the_floret_package(tmp_path):
    """The rows floret itself gives words in and out of its vocabulary (its ids count
    from the end of its unused word rows), UTF-8 words included."""
    floret = pytest.importorskip("floret")
    corpus = tmp_path / "c.txt"
    corpus.write_text("the café sat on the naïve mat 日本語 ok\n" * 30, encoding="utf-8")
    model = floret.train_unsupervised(str(corpus), model="skipgram", mode="floret", hashCount=3,
                                      bucket=997, minn=2, maxn=5, dim=4, minCount=1, epoch=1,
                                      thread=1, verbose=0)
    nwords = len(model.words)
    for word in model.words + ["zebra", "a", "ß" * 4, "😀", "unseen-word"]:
        _, expect = model.get_subwords(word)
        got = _ngrams.word_buckets(word, 2, 5, 997, facebook_eos=True, mode="floret", hash_count=3)
        assert got.tolist() == (np.asarray(expect, np.int64) - nwords).tolist(), word


def test_floret_checks_and_no_word_rows_compose():
    with pytest.raises(ValueError, match="hash_count"):
        _ngrams.word_buckets("a", 3, 6, 10, mode="floret", hash_count=5)
    with pytest.raises(ValueError, match="mode"):
        _ngrams.vocab_buckets(["a"], 3, 6, 10, mode="bloom")
    with pytest.raises(ValueError, match="bucket > 0"):
        _ngrams.word_buckets("a", 3, 6, 0, mode="floret")
    assert len(_ngrams.word_buckets("</s>", 3, 6, 10, facebook_eos=True, mode="floret")) == 0
    # max_n < min_n: the word's own hashes only
    assert len(_ngrams.word_buckets("hello", 4, 3, 10, mode="floret", hash_count=2)) == 2
    rng = np.random.default_rng(2)
    grams = rng.standard_normal((40, 5)).astype(np.float32)
    offsets, ids = _ngrams.vocab_buckets(["one", "two", "</s>"], 2, 3, 40, facebook_eos=True,
                                         mode="floret", hash_count=2)
    out = _ngrams.compose_vectors(None, grams, offsets, ids)
    assert out.shape == (3, 5)
    for i in range(2):
        np.testing.assert_allclose(out[i], grams[ids[offsets[i]:offsets[i + 1]]].mean(axis=0),
                                   rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(out[2], np.zeros(5, np.float32))  # no rows at all
    again = np.full((3, 5), np.nan, np.float32)
    assert _ngrams.compose_vectors(None, grams, offsets, ids, out=again) is again
    np.testing.assert_array_equal(again, out)


def test_compose_into_out():
    """Recomposing into the vectors' own array (training does it every epoch) gives the
    same values; an array that cannot take them is refused, not written."""
    rng = np.random.default_rng(1)
    vocab = rng.standard_normal((3, 4)).astype(np.float32)
    grams = rng.standard_normal((20, 4)).astype(np.float32)
    offsets, ids = _ngrams.vocab_buckets(["one", "two", "three"], 2, 3, 20)
    out = np.full((3, 4), np.nan, np.float32)
    assert _ngrams.compose_vectors(vocab, grams, offsets, ids, out=out) is out
    np.testing.assert_array_equal(out, _ngrams.compose_vectors(vocab, grams, offsets, ids))
    for bad in (np.zeros((3, 4), np.float64), np.zeros((2, 4), np.float32),
                np.zeros((4, 3), np.float32).T, vocab, grams[:3]):
        with pytest.raises(ValueError, match="out must be"):
            _ngrams.compose_vectors(vocab, grams, offsets, ids, out=bad)


def test_training_recomposes_in_place_but_not_over_a_read_only_array():
    from fastw2v import FastText
    sentences = [["night", "day", "sun", "moon", "light"] * 3] * 20
    model = FastText(sentences, vector_size=8, min_count=1, bucket=100, epochs=1, workers=1)
    before = model.wv.vectors
    model.train(sentences, total_examples=len(sentences), epochs=1)
    assert model.wv.vectors is before  # written over: no second array at the epoch's end
    np.testing.assert_allclose(model.wv.vectors, _ngrams.compose_vectors(
        model.wv.vectors_vocab, model.wv.vectors_ngrams, model.wv.ngram_offsets,
        model.wv.ngram_ids), rtol=1e-6)
    frozen = model.wv.vectors.copy()
    frozen.flags.writeable = False  # as a read-only memory map would be
    model.wv.vectors = frozen
    model.wv.adjust_vectors()
    assert model.wv.vectors is not frozen
    np.testing.assert_array_equal(model.wv.vectors, frozen)
