"""Distributed training (fastw2v.distributed): partitioning, vocabulary merge, sync
schedule and checkpoints in-process, and real jobs under ``mpiexec -n 2``
(tests/mpi_job.py) for the guarantees that need several ranks: the vocabulary
equals the one-process one, ranks end with one model, a failing rank stops the
job with a message naming it, mismatched ranks are refused, a killed run resumes.

The MPI tests skip only when mpi4py is not installed (``pip install '.[mpi]'``;
the test extra includes it). Each job has a timeout, so a hang fails the test.
"""
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

import fastw2v
from fastw2v import Word2Vec as PlainWord2Vec
from fastw2v.corpus._filescan import encode_file, scan_vocab
from fastw2v.distributed import LocalComm, SyncSchedule, Word2Vec
from fastw2v.distributed.partition import corpus_paths, rank_pieces
from fastw2v.distributed.vocab import merge_in_order, pack_words, unpack_words

HERE = Path(__file__).parent
REPO = HERE.parent
JOB = HERE / "mpi_job.py"
KJV = REPO / "fastw2v" / "data" / "kjv.txt.gz"
JOB_TIMEOUT = 60  # seconds: each job takes ~1 s; past this, it hung
SHM = Path("/dev/shm")


@pytest.fixture(autouse=True)
def remove_aborted_jobs_segments():
    """An MPI job that aborts (the failure tests' jobs do, on purpose) leaves MPICH's
    shared-memory segment behind (/dev/shm/mpich_shm_*, 2 MB; a scheduler's job cleanup
    removes it on a cluster). Every job here has ended when its test ends, so the segments
    that appeared during the test are this test's, and are removed."""
    before = set(SHM.glob("mpich_shm_*")) if SHM.is_dir() else set()
    yield
    if SHM.is_dir():
        for path in set(SHM.glob("mpich_shm_*")) - before:
            path.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The first 3,000 verses of the King James Bible (79k tokens), as plain text."""
    path = tmp_path_factory.mktemp("corpus") / "kjv3k.txt"
    with gzip.open(KJV, "rt", encoding="utf-8") as fin:
        path.write_text("".join(line for _, line in zip(range(3000), fin)), encoding="utf-8")
    return str(path)


def _lines(path, first, end):
    """Lines of ``path`` starting in bytes [first, end), the reader threads' rule, in Python."""
    data = Path(path).read_bytes()
    starts = [0] + [i + 1 for i in range(len(data)) if data[i:i + 1] == b"\n"]
    return [s for s in starts if first <= s < end and s < len(data)]


# ------------------------------------------------------------------ partition


@pytest.mark.parametrize("size", [1, 2, 3, 7])
def test_rank_pieces_tile_the_files(tmp_path, size):
    files = []
    for k, n in enumerate([5, 0, 17, 3]):
        path = tmp_path / f"f{k}.txt"
        path.write_text("".join(f"w{k} x{i}\n" for i in range(n)))
        files.append(str(path))
    total = sum(os.path.getsize(f) for f in files)
    covered = []
    for rank in range(size):
        for piece in rank_pieces(files, rank, size):
            assert 0 <= piece.first < piece.end <= os.path.getsize(piece.path)
            covered.append((files.index(piece.path), piece.first, piece.end))
    assert sum(end - first for _, first, end in covered) == total
    assert covered == sorted(covered)  # rank order is corpus order


@pytest.mark.parametrize("size", [2, 3, 5])
def test_byte_ranges_read_every_line_once(corpus, size):
    """Ranks' byte ranges, each read by the C reader with 2 threads, count what one read counts."""
    words, counts, total, sentences, _ = scan_vocab(corpus, n_threads=2)
    parts, raw, lines = [], 0, 0
    for rank in range(size):
        (piece,) = rank_pieces([corpus], rank, size)
        w, c, t, s, _ = scan_vocab(corpus, n_threads=2, byte_range=(piece.first, piece.end))
        parts.append((w, c))
        raw += t
        lines += s
        assert s == len(_lines(corpus, piece.first, piece.end))
    merged_words, merged_counts = merge_in_order(parts)
    assert (merged_words, merged_counts.tolist(), raw, lines) == (words, counts.tolist(), total,
                                                                 sentences)


def test_encode_byte_ranges_concatenate_to_the_whole(corpus):
    vocab = {w: i for i, w in enumerate(scan_vocab(corpus, n_threads=1)[0][:500])}
    whole, offsets, raw = encode_file(corpus, vocab, n_threads=2)
    pieces = [rank_pieces([corpus], r, 3)[0] for r in range(3)]
    parts = [encode_file(corpus, vocab, n_threads=2, byte_range=(p.first, p.end)) for p in pieces]
    assert np.array_equal(np.concatenate([p[0] for p in parts]), whole)
    assert sum(p[2] for p in parts) == raw
    assert sum(len(p[1]) - 1 for p in parts) == len(offsets) - 1


def test_byte_range_outside_the_file_is_refused(corpus):
    with pytest.raises(ValueError, match="byte_range"):
        scan_vocab(corpus, byte_range=(0, os.path.getsize(corpus) + 1))


def test_corpus_paths_accept_files_and_refuse_what_cannot_be_split(corpus, tmp_path):
    from fastw2v import LineSentence, PathLineSentences
    assert corpus_paths(corpus_file=corpus) == [corpus]
    assert corpus_paths(LineSentence(corpus)) == [corpus]
    shutil.copy(corpus, tmp_path / "b.txt")
    shutil.copy(corpus, tmp_path / "a.txt")
    assert corpus_paths(PathLineSentences(tmp_path)) == [str(tmp_path / "a.txt"),
                                                          str(tmp_path / "b.txt")]
    with pytest.raises(TypeError, match="splits a corpus by bytes"):
        corpus_paths([["a", "b"]])
    with pytest.raises(TypeError, match="limit"):
        corpus_paths(LineSentence(corpus, limit=10))
    with pytest.raises(TypeError, match="not URIs"):
        corpus_paths(LineSentence("s3://bucket/corpus.txt"))
    (tmp_path / "c.txt.gz").write_bytes(gzip.compress(b"a b\n"))
    with pytest.raises(TypeError, match="uncompressed"):
        corpus_paths(PathLineSentences(tmp_path))


# ------------------------------------------------------------------ vocabulary, schedule


def test_words_travel_as_bytes_and_lengths():
    words = ["a", "", "día", "\udcff", "日本語", "x y"]
    assert unpack_words(*pack_words(words)) == words


def test_merge_keeps_first_occurrence_order_and_sums():
    words, counts = merge_in_order([(["b", "a"], np.array([1, 2])), (["c", "a", "d"],
                                                                      np.array([5, 1, 1]))])
    assert words == ["b", "a", "c", "d"] and counts.tolist() == [1, 3, 5, 1]


def test_schedule_doubles_the_rows_at_rounds_divisible_by_powers_of_two():
    s = SyncSchedule(round_words=1000, hot_rows=10)
    assert [s.rows_after(r, False, 1000) for r in range(1, 9)] == [10, 20, 10, 40, 10, 20, 10, 80]
    assert s.rows_after(3, True, 1000) == 1000  # epoch end: all rows
    assert s.rows_after(64, False, 500) == 500
    with pytest.raises(ValueError):
        SyncSchedule(round_words=10)
    with pytest.raises(ValueError):
        SyncSchedule(max_gain=0.5)


def test_one_rank_trains_exactly_as_the_ordinary_model(corpus):
    """On one rank (LocalComm) the distributed model is the ordinary one, bit for bit."""
    kw = dict(corpus_file=corpus, vector_size=16, min_count=2, sg=1, epochs=2, workers=1, seed=3)
    plain = PlainWord2Vec(**kw)
    dist = Word2Vec(**kw, comm=LocalComm())
    assert dist.wv.index_to_key == plain.wv.index_to_key
    assert np.array_equal(dist.wv.vectors, plain.wv.vectors)
    assert np.array_equal(dist.syn1neg, plain.syn1neg)


def test_checkpoint_on_one_rank_resumes_and_refuses_another_run(corpus, tmp_path):
    kw = dict(corpus_file=corpus, vector_size=16, min_count=2, epochs=2, workers=1,
              comm=LocalComm(), checkpoint=tmp_path / "ck")
    first = Word2Vec(**kw)
    assert json.loads((tmp_path / "ck" / "latest.json").read_text())["epochs_done"] == 2
    again = Word2Vec(**kw)  # all epochs are in the checkpoint: loaded, not trained
    assert np.array_equal(again.wv.vectors, first.wv.vectors)
    with pytest.raises(ValueError, match="other params.vector_size"):
        Word2Vec(**{**kw, "vector_size": 8})


# ------------------------------------------------------------------ real jobs under mpiexec


def _mpiexec():
    """The launcher next to this Python (the mpich wheel installs it there) or on PATH."""
    pytest.importorskip("mpi4py", reason="MPI tests need mpi4py: pip install '.[mpi]'")
    launcher = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or \
        shutil.which("mpiexec")
    if launcher is None:
        pytest.skip("mpi4py is installed but no mpiexec was found (pip install mpich)")
    return launcher


def run_job(*args, ranks=2, timeout=JOB_TIMEOUT, module=None, cwd=None, sync_timeout=30):
    """``mpiexec -n ranks python tests/mpi_job.py ARGS`` (or ``-m module``); the finished process.

    The ranks import the fastw2v this test imported (installed, or a built checkout),
    from a working directory outside the repository.
    """
    package_root = str(Path(fastw2v.__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [package_root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]),
        FASTW2V_SYNC_TIMEOUT=str(sync_timeout), OMP_NUM_THREADS="1")
    target = ["-m", module] if module else [str(JOB)]
    cmd = [_mpiexec(), "-n", str(ranks), sys.executable, *target, *map(str, args)]
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=cwd or tempfile.gettempdir())
    proc.seconds = time.monotonic() - start
    return proc


@pytest.mark.parametrize("ranks,min_count", [(2, 1), (3, 5)])
def test_distributed_vocabulary_equals_one_process(corpus, tmp_path, ranks, min_count):
    proc = run_job("vocab", corpus, tmp_path, min_count, ranks=ranks)
    assert proc.returncode == 0, proc.stderr
    got = json.loads((tmp_path / "vocab.json").read_text())
    one = PlainWord2Vec(vector_size=8, min_count=min_count, workers=2)
    one.build_vocab(corpus_file=corpus)
    assert got["words"] == one.wv.index_to_key
    assert got["counts"] == one.wv.expandos["count"].tolist()
    assert (got["corpus_count"], got["total_words"]) == (one.corpus_count, one.corpus_total_words)


def test_distributed_vocabulary_of_a_directory_equals_one_process(corpus, tmp_path):
    """Files of uneven sizes, cut across file ends, read by the C reader on 3 ranks."""
    from fastw2v import PathLineSentences
    lines = Path(corpus).read_text(encoding="utf-8").splitlines(keepends=True)
    folder = tmp_path / "parts"
    folder.mkdir()
    for k, (lo, hi) in enumerate([(0, 100), (100, 1700), (1700, 1710), (1710, 3000)]):
        (folder / f"part{k}.txt").write_text("".join(lines[lo:hi]), encoding="utf-8")
    proc = run_job("vocab", folder, tmp_path, 1, ranks=3)
    assert proc.returncode == 0, proc.stderr
    got = json.loads((tmp_path / "vocab.json").read_text())
    one = PlainWord2Vec(vector_size=8, min_count=1, workers=2)
    one.build_vocab(PathLineSentences(folder))
    assert got["words"] == one.wv.index_to_key
    assert got["counts"] == one.wv.expandos["count"].tolist()
    assert (got["corpus_count"], got["total_words"]) == (one.corpus_count, one.corpus_total_words)


@pytest.mark.parametrize("objective", [("compute_loss=1",), ("sg=0", "hs=1", "negative=0"),
                                       ("hs=1", "negative=2")], ids=["sg-ns", "cbow-hs", "sg-hs-ns"])
def test_two_ranks_train_one_model(corpus, tmp_path, objective):
    proc = run_job("train", corpus, tmp_path, *objective)
    assert proc.returncode == 0, proc.stderr
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert ranks[0]["checksums"] == ranks[1]["checksums"]  # every rank holds the same model
    assert len(ranks[0]["checksums"]) == 1 + ("negative=0" not in objective) + ("hs=1" in objective)
    assert ranks[0]["loss"] == ranks[1]["loss"]  # compute_loss: all ranks' loss, on each
    assert (ranks[0]["loss"] > 0) == ("compute_loss=1" in objective)
    assert ranks[0]["syncs"] > 2  # rounds within epochs, not only epoch ends
    from fastw2v import KeyedVectors
    wv = KeyedVectors.load_word2vec_format(str(tmp_path / "vectors.bin"), binary=True)
    model = PlainWord2Vec.load(str(tmp_path / "model.w2v"))
    assert np.array_equal(wv.vectors, model.wv.vectors)
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".tmp")]


def _neighbour_overlap(a, b, words, topn=10):
    """Mean share of top-``topn`` neighbours that models ``a`` and ``b`` agree on."""
    return np.mean([len({w for w, _ in a.wv.most_similar(x, topn=topn)}
                        & {w for w, _ in b.wv.most_similar(x, topn=topn)}) / topn for x in words])


def test_two_ranks_learn_as_well_as_one_process(corpus, tmp_path):
    """Two averaged ranks agree with one process about as much as two seeds of one process do."""
    proc = run_job("train", corpus, tmp_path, "vector_size=32", "epochs=5")
    assert proc.returncode == 0, proc.stderr
    dist = PlainWord2Vec.load(str(tmp_path / "model.w2v"))
    kw = dict(corpus_file=corpus, vector_size=32, window=3, min_count=2, sg=1, negative=3,
              workers=2, epochs=5)
    one, other_seed = PlainWord2Vec(**kw, seed=7), PlainWord2Vec(**kw, seed=8)
    words = one.wv.index_to_key[20:120]
    floor = _neighbour_overlap(other_seed, one, words)
    assert _neighbour_overlap(dist, one, words) > 0.8 * floor, floor


@pytest.mark.parametrize("how", ["raise", "exit"])
def test_a_failing_rank_stops_every_rank(corpus, tmp_path, how):
    proc = run_job("fail", corpus, tmp_path, 1, how)
    assert proc.returncode != 0
    assert proc.seconds < 20
    if how == "raise":
        assert "rank 1 of 2 failed during train: RuntimeError: injected failure" in proc.stderr
    assert not (tmp_path / "vectors.bin").exists()


def test_a_hung_rank_makes_the_others_abort_after_the_timeout(corpus, tmp_path):
    proc = run_job("fail", corpus, tmp_path, 1, "hang", sync_timeout=2)
    assert proc.returncode != 0
    assert proc.seconds < 20  # the hung rank sleeps 120 s: the abort ended it
    assert "rank 0 of 2: no answer from the other ranks" in proc.stderr
    assert not (tmp_path / "vectors.bin").exists()


def test_mismatched_ranks_are_refused(corpus, tmp_path):
    proc = run_job("mismatch", corpus, tmp_path)
    assert proc.returncode != 0
    assert "ranks disagree on the parameters of build_vocab" in proc.stderr
    assert "vector_size" in proc.stderr


def test_killed_run_resumes_from_its_last_checkpoint(corpus, tmp_path):
    ckpt = tmp_path / "ckpt"
    killed = run_job("resume", corpus, tmp_path, ckpt, 2)  # rank 1 dies after epoch 2
    assert killed.returncode != 0 and not (tmp_path / "vectors.bin").exists()
    assert json.loads((ckpt / "latest.json").read_text())["epochs_done"] == 2
    resumed = run_job("resume", corpus, tmp_path, ckpt)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((ckpt / "latest.json").read_text())["epochs_done"] == 4
    done = json.loads((tmp_path / "resume.json").read_text())
    assert (done["epochs"], done["alpha"]) == (4, 0.025)
    assert sorted(os.listdir(ckpt))[0].startswith("epoch-0004.w2v")


def test_cli_trains_across_ranks(corpus, tmp_path):
    out = tmp_path / "vec.txt"
    proc = run_job("train", "--distributed", corpus, "-o", out, "--text", "--size", 12,
                   "--epochs", 1, "--threads", 1, "--min-count", 2, "--round-words", 20000,
                   "--hot-rows", 512, module="fastw2v")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("wrote ") == 1  # rank 0 reports, the others stay quiet
    header = out.read_text().split("\n", 1)[0].split()
    assert header[1] == "12" and int(header[0]) > 1000


def test_updates_merge_as_their_overlap_says_on_more_ranks_than_max_gain(tmp_path):
    """Beyond max_gain ranks: equal updates take their mean, independent ones their sum."""
    proc = run_job("overlap", "-", tmp_path, ranks=3)
    assert proc.returncode == 0, proc.stderr
    with open(tmp_path / "overlap.json") as f:
        got = json.load(f)
    rows = np.array(got["rows"])
    np.testing.assert_allclose(rows[0], np.arange(8) / 8, rtol=1e-6)   # 3 equal moves: one move
    np.testing.assert_allclose(rows[1], [1, 1, 1, 0, 0, 0, 0, 0])    # 3 independent: all three
    np.testing.assert_allclose(rows[2], np.full(8, 0.5))               # one rank's move: kept
    assert not rows[3].any()                                           # no move: none


def test_only_the_input_rows_merge_by_overlap():
    """Beyond max_gain ranks the input rows take the overlap rule; the output layers are
    summed (measured: dividing them too lost 4-rank quality), and "average" is a mean."""
    s = SyncSchedule()
    assert s.scales_by_overlap("vectors", 4) and s.scales_by_overlap("vectors", 3)
    assert not s.scales_by_overlap("vectors", 2)
    assert not s.scales_by_overlap("syn1neg", 4) and not s.scales_by_overlap("syn1", 8)
    assert not SyncSchedule(merge="average").scales_by_overlap("vectors", 4)


def test_default_schedule_follows_the_ranks():
    """Up to 2 ranks the measured 2-rank defaults; beyond, rounds half as long and four
    times the hot rows (each copy misses N - 1 ranks' updates per round); a schedule the
    user passes is kept as given."""
    assert SyncSchedule.for_ranks(1) == SyncSchedule.for_ranks(2) == SyncSchedule()
    four = SyncSchedule.for_ranks(4)
    assert (four.round_words, four.hot_rows, four.merge) == (25_000, 4096, "updates")
    assert SyncSchedule.for_ranks(32) == four
    assert Word2Vec(comm=LocalComm()).sync == SyncSchedule()
    mine = SyncSchedule(round_words=10_000)
    assert Word2Vec(comm=LocalComm(), sync=mine).sync is mine


def test_a_job_of_four_ranks_takes_the_four_rank_schedule():
    """Word2Vec reads the job's size for its default schedule (a one-rank communicator
    that reports four ranks: nothing here calls a collective)."""
    class FourRanks(LocalComm):
        size = 4

    assert Word2Vec(comm=FourRanks()).sync == SyncSchedule.for_ranks(4)


def test_cli_sync_flags_make_a_schedule():
    """--round-words / --hot-rows are SyncSchedule's fields (the other at its class
    default, as in Python); without them the job's default applies; they need --distributed."""
    from fastw2v import cli
    parse = cli.build_parser().parse_args
    assert cli.sync_schedule(parse(["train", "c.txt", "--distributed"])) is None
    assert cli.sync_schedule(parse(["train", "c.txt", "--distributed", "--round-words",
                                    "1000000"])) == SyncSchedule(round_words=1_000_000)
    assert cli.sync_schedule(parse(["train", "c.txt", "--distributed", "--hot-rows", "0"])) \
        == SyncSchedule(hot_rows=0)
    with pytest.raises(SystemExit):
        cli.main(["train", "c.txt", "-o", "v.bin", "--round-words", "5000"])
