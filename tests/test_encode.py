"""The id stream: in RAM, grown in place, or spilled to a memory-mapped file."""
import io
import os

import numpy as np

from fastw2v.encode import encode_iterable


def reference(corpus, vocab, max_len):
    ids, lengths = [], []
    for sentence in corpus:
        kept = [vocab[w] for w in sentence if w in vocab]
        for i in range(0, len(kept), max_len):
            ids += kept[i:i + max_len]
            lengths.append(len(kept[i:i + max_len]))
    return np.array(ids, np.int32), np.concatenate(([0], np.cumsum(lengths)))


def corpus_and_vocab(seed=0):
    rng = np.random.default_rng(seed)
    corpus = [[f"w{int(z)}" for z in rng.zipf(1.3, int(rng.integers(0, 300)))] for _ in range(3000)]
    vocab = {f"w{i}": i - 1 for i in range(1, 200)}
    return corpus, vocab


def test_in_ram_stream_matches_reference():
    corpus, vocab = corpus_and_vocab()
    stream = encode_iterable(corpus, vocab, max_sentence_length=50)
    ids, offsets = reference(corpus, vocab, 50)
    assert not isinstance(stream.ids, np.memmap)
    np.testing.assert_array_equal(stream.ids, ids)
    np.testing.assert_array_equal(stream.offsets, offsets)
    assert stream.raw_words == sum(map(len, corpus)) and stream.corpus_count == len(corpus)


def test_spilled_stream_is_memory_mapped_equal_and_removed_on_close(monkeypatch):
    import fastw2v.encode as enc
    monkeypatch.setattr(enc, "_BLOCK_TOKENS", 5000)  # several blocks, spill mid-way
    corpus, vocab = corpus_and_vocab(1)
    stream = encode_iterable(corpus, vocab, memory_budget=40_000)
    ids, offsets = reference(corpus, vocab, 10000)
    assert isinstance(stream.ids, np.memmap)
    np.testing.assert_array_equal(stream.ids, ids)
    np.testing.assert_array_equal(stream.offsets, offsets)
    path = stream._spill_path
    assert os.path.exists(path)
    stream.close()
    assert not os.path.exists(path)


# ---------------------------------------------------------------- one pass: scan, then remap

import pytest  # noqa: E402

from fastw2v.encode import remap, scan_iterable  # noqa: E402


@pytest.mark.parametrize("block, budget", [(1 << 20, 1 << 31), (5000, 1 << 31), (5000, 40_000)],
                         ids=["one-block", "blocks", "spilled"])
def test_scan_then_remap_equals_encoding_directly(monkeypatch, block, budget):
    import fastw2v.encode as enc
    monkeypatch.setattr(enc, "_BLOCK_TOKENS", block)
    monkeypatch.setattr(enc, "_LOOKUP_BATCH", block)
    corpus, vocab = corpus_and_vocab(2)
    corpus[7] = []  # empty sentences vanish
    scanned = scan_iterable(corpus, memory_budget=budget)
    from collections import Counter
    counts = Counter(w for s in corpus for w in s)
    assert dict(zip(scanned.words, scanned.counts.tolist())) == counts
    assert scanned.raw_words == sum(counts.values()) and scanned.corpus_count == len(corpus)
    spill = scanned._spill_path
    stream = remap(scanned, vocab, max_sentence_length=50)
    ids, offsets = reference(corpus, vocab, 50)
    np.testing.assert_array_equal(stream.ids, ids)
    np.testing.assert_array_equal(stream.offsets, offsets)
    assert stream.raw_words == scanned.raw_words and stream.corpus_count == len(corpus)
    assert isinstance(stream.ids, np.memmap) == (spill is not None)
    stream.close()
    assert spill is None or not os.path.exists(spill)


def test_scan_refuses_non_string_tokens_and_string_sentences():
    with pytest.raises(TypeError, match="tokens must be str"):
        scan_iterable([["a", 1]])
    with pytest.raises(TypeError, match="list of tokens"):
        scan_iterable(["a b c"])


def test_scan_errors_while_a_batch_is_being_looked_up(monkeypatch):
    # Small batches: the lookup thread is busy with earlier ones when the bad item comes;
    # the error reaches the caller, and a later scan works (the thread was joined).
    import threading

    import fastw2v.encode as enc
    monkeypatch.setattr(enc, "_LOOKUP_BATCH", 64)
    good = [["w%d" % (i % 50)] * 10 for i in range(200)]
    for bad, error in ([["a", 1]], TypeError), (["a b c"], TypeError):
        with pytest.raises(error):
            scan_iterable(good + bad + good)
    assert not [t for t in threading.enumerate() if t.name == "fastw2v-lookups"]

    def broken():
        yield from good
        raise RuntimeError("reader failed")
    with pytest.raises(RuntimeError, match="reader failed"):
        scan_iterable(broken())
    assert scan_iterable(good).raw_words == 2000


def test_linesentence_is_read_once_and_trains_as_a_list_does(tmp_path):
    from fastw2v import LineSentence, Word2Vec
    corpus, _ = corpus_and_vocab(3)
    path = tmp_path / "c.txt"
    path.write_text("\n".join(" ".join(s) for s in corpus) + "\n")
    reads = []

    class Counted(LineSentence):
        def __iter__(self):
            reads.append(1)
            return super().__iter__()

    from_file = Word2Vec(Counted(str(path)), vector_size=8, min_count=2, workers=1, seed=4)
    as_list = Word2Vec([s for s in corpus], vector_size=8, min_count=2, workers=1, seed=4)
    assert len(reads) == 1
    np.testing.assert_array_equal(from_file.wv.vectors, as_list.wv.vectors)


def test_a_changed_file_is_read_again(tmp_path):
    from fastw2v import LineSentence, Word2Vec
    path = tmp_path / "c.txt"
    path.write_text("a b c a b\n" * 50)
    corpus = LineSentence(str(path))
    model = Word2Vec(vector_size=8, min_count=1, workers=1)
    model.build_vocab(corpus)
    with open(path, "a") as f:
        f.write("a b c\n" * 10)
    _, raw = model.train(corpus, total_examples=model.corpus_count, epochs=1)
    assert raw == 50 * 5 + 10 * 3


def test_scan_handles_non_ascii_surrogates_tuples_and_huge_sentences(monkeypatch):
    import fastw2v.encode as enc
    monkeypatch.setattr(enc, "_BLOCK_TOKENS", 8)  # a sentence longer than the block
    monkeypatch.setattr(enc, "_LOOKUP_BATCH", 8)
    corpus = [("é", "中文", "😀", "é"), ["\udcff", "a", "\udcff"], ["x"] * 30, [], ["a", "中文"]]
    scanned = scan_iterable(corpus)
    assert scanned.words == ["é", "中文", "😀", "\udcff", "a", "x"]
    assert scanned.counts.tolist() == [2, 2, 1, 2, 2, 30]
    stream = remap(scanned, {w: i for i, w in enumerate(["x", "é", "\udcff", "中文"])})
    assert stream.ids.tolist() == [1, 3, 1, 2, 2] + [0] * 30 + [3]
    assert stream.offsets.tolist() == [0, 3, 5, 35, 36]


def test_remap_ids_checks_its_inputs_before_the_loop():
    from fastw2v.corpus._token_ids import remap_ids
    ids = np.array([0, 1, 2], np.int32)
    old_to_new = np.array([0, -1, 1], np.int64)
    kept = np.zeros(2, np.int64)
    with pytest.raises(ValueError, match="out of range"):
        remap_ids(np.array([0, 3, 1], np.int32), old_to_new, np.array([0, 1, 3]), kept)
    with pytest.raises(ValueError, match="must not decrease"):
        remap_ids(ids.copy(), old_to_new, np.array([0, 2, 1]), kept)
    with pytest.raises(ValueError, match="do not describe"):
        remap_ids(ids.copy(), old_to_new, np.array([0, 1, 4]), kept)
    assert remap_ids(ids, old_to_new, np.array([0, 1, 3]), kept) == 2
    assert ids[:2].tolist() == [0, 1] and kept.tolist() == [1, 1]


def test_corpus_file_is_read_once_and_trains_as_two_reads_do(tmp_path, monkeypatch):
    from fastw2v import Word2Vec
    from fastw2v.corpus import _filescan
    corpus, _ = corpus_and_vocab(3)
    path = tmp_path / "c.txt"
    path.write_text("\n".join(" ".join(s) for s in corpus) + "\n")
    reads = []
    encode_file = _filescan.encode_file
    monkeypatch.setattr(_filescan, "encode_file", lambda *a, **k: reads.append(1) or encode_file(*a, **k))
    one_read = Word2Vec(corpus_file=str(path), vector_size=8, min_count=2, workers=1, seed=4)
    assert reads == []
    # memory_budget=0 leaves no room for the scan's ids: train() reads the file again
    two_reads = Word2Vec(corpus_file=str(path), vector_size=8, min_count=2, workers=1, seed=4,
                         memory_budget=0)
    assert reads == [1]
    np.testing.assert_array_equal(one_read.wv.vectors, two_reads.wv.vectors)
    assert one_read.corpus_total_words == two_reads.corpus_total_words


def test_a_changed_corpus_file_is_read_again(tmp_path):
    from fastw2v import Word2Vec
    path = tmp_path / "c.txt"
    path.write_text("a b c a b\n" * 50)
    model = Word2Vec(vector_size=8, min_count=1, workers=2)
    model.build_vocab(corpus_file=str(path))
    with open(path, "a") as f:
        f.write("a b c\n" * 10)
    _, raw = model.train(corpus_file=str(path), total_words=model.corpus_total_words, epochs=1)
    assert raw == 50 * 5 + 10 * 3
    # the scan stands for one train() call only; another call reads the file
    _, raw = model.train(corpus_file=str(path), total_words=model.corpus_total_words, epochs=1)
    assert raw == 50 * 5 + 10 * 3


def test_corpus_file_past_the_memory_budget_trains_from_a_memory_map(tmp_path, monkeypatch):
    import tempfile

    # A temporary directory of its own: other processes' files come and go in /tmp.
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    from fastw2v import Word2Vec
    corpus, _ = corpus_and_vocab(5)
    path = tmp_path / "c.txt"
    path.write_text("\n".join(" ".join(s) for s in corpus[:60]) + "\n")
    before = set(os.listdir(tempfile.gettempdir()))
    in_ram = Word2Vec(corpus_file=str(path), vector_size=8, min_count=2, workers=1, seed=4)
    spilled = Word2Vec(corpus_file=str(path), vector_size=8, min_count=2, workers=1, seed=4,
                       memory_budget=0)  # no ids kept by the scan, the stream spills at once
    assert spilled.corpus_total_words > 4 * 1024
    np.testing.assert_array_equal(in_ram.wv.vectors, spilled.wv.vectors)
    assert set(os.listdir(tempfile.gettempdir())) == before  # the spill file went with the stream


# ---------------------------------------------------------------- the default memory budget

from fastw2v.memory_budget import (MAX_DEFAULT_BUDGET, MIN_DEFAULT_BUDGET,  # noqa: E402
                                   available_memory, default_memory_budget)

MiB = 1024**2
GiB = 1024**3


def fake_tree(root, proc_cgroup=None, meminfo_kib=None, files=()):
    """A fake / with /proc/self/cgroup, /proc/meminfo and cgroupfs files."""
    (root / "proc" / "self").mkdir(parents=True)
    if proc_cgroup is not None:
        (root / "proc" / "self" / "cgroup").write_text(proc_cgroup)
    if meminfo_kib is not None:
        (root / "proc" / "meminfo").write_text(
            f"MemTotal:       {4 * meminfo_kib} kB\nMemFree:         1000 kB\n"
            f"MemAvailable:   {meminfo_kib} kB\n")
    for rel, text in files:
        path = root / "sys" / "fs" / "cgroup" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return str(root)


def test_cgroup_v2_limit_of_the_own_cgroup_minus_usage(tmp_path):
    # The container: 700 MB limit, 100 MB used, plenty of RAM on the host.
    root = fake_tree(tmp_path, "0::/\n", meminfo_kib=64 * GiB // 1024,
                     files=[("memory.max", "700000000\n"), ("memory.current", "100000000\n")])
    assert available_memory(root) == 600_000_000
    assert default_memory_budget(root) == 150_000_000


def test_cgroup_v2_path_from_proc_self_cgroup_and_the_tightest_ancestor(tmp_path):
    root = fake_tree(tmp_path, "0::/system.slice/job.scope\n", meminfo_kib=64 * GiB // 1024,
                     files=[("system.slice/job.scope/memory.max", "max\n"),
                            ("system.slice/job.scope/memory.current", str(10 * MiB)),
                            ("system.slice/memory.max", str(1 * GiB)),
                            ("system.slice/memory.current", str(200 * MiB)),
                            ("memory.max", str(100 * GiB))])
    assert default_memory_budget(root) == (1 * GiB - 200 * MiB) // 4


def test_cgroup_v2_max_means_the_machine_decides(tmp_path):
    root = fake_tree(tmp_path, "0::/\n", meminfo_kib=3 * GiB // 1024,
                     files=[("memory.max", "max\n"), ("memory.current", "5000\n")])
    assert default_memory_budget(root) == 3 * GiB // 4


def test_cgroup_v1_limit_and_usage(tmp_path):
    cgroup = "12:cpu,cpuacct:/\n4:memory:/docker/abc\n1:name=systemd:/\n"
    root = fake_tree(tmp_path, cgroup, meminfo_kib=64 * GiB // 1024,
                     files=[("memory/docker/abc/memory.limit_in_bytes", str(800 * MiB)),
                            ("memory/docker/abc/memory.usage_in_bytes", str(400 * MiB)),
                            ("memory/memory.limit_in_bytes", "9223372036854771712\n")])
    assert default_memory_budget(root) == 100 * MiB


def test_cgroup_v1_unlimited_and_a_namespaced_path_read_the_mount_point(tmp_path):
    # Inside a cgroup namespace the path is "/": the container's limit is at the mount.
    root = fake_tree(tmp_path, "4:memory:/\n", meminfo_kib=64 * GiB // 1024,
                     files=[("memory/memory.limit_in_bytes", "9223372036854771712\n"),
                            ("memory/memory.usage_in_bytes", str(GiB))])
    assert default_memory_budget(root) == MAX_DEFAULT_BUDGET


def test_no_cgroup_takes_a_quarter_of_available_memory_within_bounds(tmp_path):
    assert default_memory_budget(fake_tree(tmp_path / "a", meminfo_kib=1024 * 1024)) == GiB // 4
    assert default_memory_budget(fake_tree(tmp_path / "b", meminfo_kib=64 * 1024 * 1024)) \
        == MAX_DEFAULT_BUDGET
    assert default_memory_budget(fake_tree(tmp_path / "c", meminfo_kib=1024)) == MIN_DEFAULT_BUDGET
    # the machine is tighter than the cgroup
    root = fake_tree(tmp_path / "d", "0::/\n", meminfo_kib=400 * 1024,
                     files=[("memory.max", str(GiB)), ("memory.current", "0")])
    assert default_memory_budget(root) == 100 * MiB


def test_nothing_readable_falls_back_to_physical_memory_or_the_cap(tmp_path, monkeypatch):
    import fastw2v.memory_budget as mb
    root = fake_tree(tmp_path)  # no /proc/self/cgroup, no /proc/meminfo (not Linux)
    monkeypatch.setattr(mb, "_physical_memory", lambda: 8 * GiB)
    assert default_memory_budget(root) == MAX_DEFAULT_BUDGET
    monkeypatch.setattr(mb, "_physical_memory", lambda: 512 * MiB)
    assert default_memory_budget(root) == 128 * MiB
    monkeypatch.setattr(mb, "_physical_memory", lambda: None)
    assert available_memory(root) is None and default_memory_budget(root) == MAX_DEFAULT_BUDGET


def test_malformed_files_are_ignored(tmp_path):
    root = fake_tree(tmp_path, "garbage\n0::/\n", meminfo_kib=2 * GiB // 1024,
                     files=[("memory.max", "lots\n"), ("memory.current", "")])
    assert default_memory_budget(root) == 2 * GiB // 4


def test_the_model_default_is_the_computed_budget(monkeypatch):
    import fastw2v.word2vec
    from fastw2v import Word2Vec
    from fastw2v.encode import DEFAULT_MEMORY_BUDGET
    assert MIN_DEFAULT_BUDGET <= DEFAULT_MEMORY_BUDGET <= MAX_DEFAULT_BUDGET
    model = Word2Vec()
    assert model.memory_budget is None  # kept unset: a saved model adapts to where it loads
    monkeypatch.setattr(fastw2v.word2vec, "default_memory_budget", lambda: 12345)
    assert model._memory_budget() == 12345
    assert Word2Vec(memory_budget=7)._memory_budget() == 7


# ---------------------------------------------------------------- the read-once cache


def test_word2vec_does_not_import_the_file_scanner():
    import inspect

    import fastw2v.word2vec
    assert "_filescan" not in inspect.getsource(fastw2v.word2vec)


def test_read_once_keeps_a_scan_for_one_encoding_of_the_same_corpus(tmp_path, monkeypatch):
    from fastw2v import PathLineSentences
    from fastw2v.read_once import ReadOnce
    corpus, vocab = corpus_and_vocab(6)
    path = tmp_path / "c.txt"
    path.write_text("\n".join(" ".join(s) for s in corpus) + "\n")
    lines = PathLineSentences(str(path))  # read by Python (a LineSentence is read in C)
    reads = []
    real_iter = PathLineSentences.__iter__
    monkeypatch.setattr(PathLineSentences, "__iter__",
                        lambda self: reads.append(1) or real_iter(self))
    cache = ReadOnce()
    scan = cache.scan(lines, workers=1, memory_budget=1 << 30, progress=False)
    assert scan.total_words == sum(map(len, corpus))
    assert scan.corpus_count == sum(1 for s in corpus if s)  # an empty line is no sentence
    first = cache.encode(lines, None, vocab, workers=1, memory_budget=1 << 30, progress=False)
    assert reads == [1]  # the scan's read served the encoding
    again = cache.encode(lines, None, vocab, workers=1, memory_budget=1 << 30, progress=False)
    assert reads == [1, 1]  # a scan stands for one encoding only
    ids, offsets = reference(corpus, vocab, 10000)
    for stream in (first, again):
        np.testing.assert_array_equal(stream.ids, ids)
        np.testing.assert_array_equal(stream.offsets, offsets)
    # A user iterable is never kept: it is read again, as gensim does.
    cache.scan(corpus, workers=1, memory_budget=1 << 30, progress=False)
    assert cache._kept is None


def test_read_once_removes_a_dropped_scans_spill_file(tmp_path, monkeypatch):
    import tempfile

    from fastw2v.read_once import ReadOnce
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    path = tmp_path / "c.txt"
    path.write_text("a b c a b\n" * 5000)
    cache = ReadOnce()
    cache.scan(corpus_file=str(path), workers=2, memory_budget=1 << 30, progress=False)
    assert cache._kept is not None
    from fastw2v import PathLineSentences
    cache.scan(PathLineSentences(str(path)), workers=1, memory_budget=4096, progress=False)
    spill = cache._kept[2]._spill_path
    assert spill is not None and os.path.exists(spill)
    cache.clear()
    assert not os.path.exists(spill) and not os.listdir(tmp_path / "tmp")


# ------------------------------------------------- LineSentence read by the C reader

MESSY = (b"caf\xc3\xa9 na\xefve \xff\xfe bad\r\n\n\ttabs\x0bvt\x0cff  two  spaces\n"
         b"nul\x00split \xc2\xa0nbsp-kept \xe2\x80\x83em-kept ctl\x01inside\n\n\n"
         + b"w%d " * 3 % (1, 2, 3) + b"\n" + b"long " * 25 + b"\nlast-without-newline")


from fastw2v import LineSentence  # noqa: E402


class PythonRead(LineSentence):
    """A subclass of LineSentence, which _plain_file_of leaves to Python."""


def test_a_linesentence_of_a_plain_file_is_read_as_that_file(tmp_path, monkeypatch):
    from fastw2v.corpus import _filescan
    from fastw2v.read_once import ReadOnce
    path = tmp_path / "messy.txt"
    path.write_bytes(MESSY)
    scans, python_reads = [], []
    scan_encode = _filescan.scan_encode
    monkeypatch.setattr(_filescan, "scan_encode",
                        lambda *a, **k: scans.append(1) or scan_encode(*a, **k))
    real_iter = LineSentence.__iter__
    monkeypatch.setattr(LineSentence, "__iter__",
                        lambda self: python_reads.append(1) or real_iter(self))
    in_c, in_python = ReadOnce(), ReadOnce()
    lines = LineSentence(str(path))
    got = in_c.scan(lines, workers=2, memory_budget=1 << 20, progress=False)
    want = in_python.scan(PythonRead(str(path)), workers=1, memory_budget=1 << 20,
                          progress=False)
    assert scans == [1] and python_reads == [1]  # the subclass only
    assert got.keys == want.keys and got.counts.tolist() == want.counts.tolist()
    assert (got.total_words, got.corpus_count) == (want.total_words, want.corpus_count)
    vocab = {w: i for i, w in enumerate(sorted(want.keys)) if i % 3}
    reference_stream = encode_iterable(list(real_iter(lines)), vocab)
    for reads in ([1], [1, 1]):  # from the kept scan, then read again (by Python)
        stream = in_c.encode(lines, None, vocab, workers=2, memory_budget=1 << 20,
                             progress=False)
        assert python_reads == reads
        np.testing.assert_array_equal(stream.ids, reference_stream.ids)
        np.testing.assert_array_equal(stream.offsets, reference_stream.offsets)


def test_a_linesentence_with_a_line_too_long_trains_from_pythons_reading(tmp_path):
    # LineSentence cuts every 10,000 tokens read, dropped ones included; the C scan's ids
    # would be cut after 10,000 kept ones, so that scan is not kept for train().
    from fastw2v.corpus.limits import MAX_SENTENCE_TOKENS
    from fastw2v.read_once import ReadOnce
    words = ["rare%d" % i if i % 7 == 0 else "w%d" % (i % 5) for i in range(MAX_SENTENCE_TOKENS + 50)]
    path = tmp_path / "long.txt"
    path.write_text("a b c\n" + " ".join(words) + "\nc d\n")
    lines = LineSentence(str(path))
    cache = ReadOnce()
    cache.scan(lines, workers=2, memory_budget=1 << 24, progress=False)
    assert cache._kept is None
    vocab = {w: i for i, w in enumerate(["a", "b", "c", "d"] + ["w%d" % i for i in range(5)])}
    stream = cache.encode(lines, None, vocab, workers=2, memory_budget=1 << 24, progress=False)
    reference_stream = encode_iterable(list(lines), vocab)
    np.testing.assert_array_equal(stream.ids, reference_stream.ids)
    np.testing.assert_array_equal(stream.offsets, reference_stream.offsets)


def test_a_linesentence_with_max_vocab_size_is_counted_by_python(tmp_path, monkeypatch):
    from fastw2v.corpus import _filescan
    from fastw2v.read_once import ReadOnce
    path = tmp_path / "c.txt"
    path.write_text("a b c a b\n" * 20)
    monkeypatch.setattr(_filescan, "scan_vocab", None)  # never called
    monkeypatch.setattr(_filescan, "scan_encode", None)
    found = ReadOnce().scan(LineSentence(str(path)), workers=2, max_vocab_size=10,
                            memory_budget=1 << 20, progress=False)
    assert found.total_words == 100


@pytest.mark.parametrize("case", ["gz", "gzip-named-txt", "empty", "limit", "max-length",
                                  "subclass", "open-file", "fifo", "directory", "missing", "uri"])
def test_other_linesentences_stay_with_python(tmp_path, case):
    import gzip

    from fastw2v.read_once import _plain_file_of
    plain = tmp_path / "c.txt"
    plain.write_bytes(b"a b\n")
    assert _plain_file_of(LineSentence(str(plain))) == str(plain)
    assert _plain_file_of(LineSentence(plain)) == str(plain)  # a PathLike
    packed = gzip.compress(b"a b\n")
    corpus = {
        "gz": lambda: (tmp_path / "c.txt.gz").write_bytes(packed) and LineSentence(
            str(tmp_path / "c.txt.gz")),
        "gzip-named-txt": lambda: (tmp_path / "z.txt").write_bytes(packed) and LineSentence(
            str(tmp_path / "z.txt")),
        "empty": lambda: (tmp_path / "e.txt").write_bytes(b"") or LineSentence(
            str(tmp_path / "e.txt")),
        "limit": lambda: LineSentence(str(plain), limit=1),
        "max-length": lambda: LineSentence(str(plain), max_sentence_length=5),
        "subclass": lambda: PythonRead(str(plain)),
        "open-file": lambda: LineSentence(io.BytesIO(b"a b\n")),
        "fifo": lambda: os.mkfifo(tmp_path / "pipe") or LineSentence(str(tmp_path / "pipe")),
        "directory": lambda: LineSentence(str(tmp_path)),
        "missing": lambda: LineSentence(str(tmp_path / "nope.txt")),
        "uri": lambda: LineSentence("http://127.0.0.1:9/c.txt"),
    }[case]()
    assert _plain_file_of(corpus) is None
