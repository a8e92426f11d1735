"""The command line (``python -m fastw2v ...`` in a subprocess) and progress reporting."""
import gzip
import io
import itertools
import logging
import subprocess
import sys

import numpy as np
import pytest
from _child import CHILD_CWD, child_env
from _util import fresh_fasttext_vectors

from fastw2v import Word2Vec
from fastw2v.datasets import KJV
from fastw2v.keyedvectors import KeyedVectors
from fastw2v.progress import LogReporter, Reporter, TqdmReporter, make_reporter

FAST = ["--epochs", "1", "--threads", "1", "--size", "20"]


def run(*args, stdin=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "fastw2v", *map(str, args)], input=stdin,
                          capture_output=True, text=True, env=child_env(),
                          cwd=cwd or CHILD_CWD, timeout=120)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """3,000 verses of the King James Bible, one per line."""
    path = tmp_path_factory.mktemp("cli") / "kjv.txt"
    path.write_text("".join(" ".join(s) + "\n" for s in itertools.islice(KJV(), 3000)))
    return path


@pytest.fixture(scope="module")
def vectors(corpus):
    """Binary vectors trained once for the query commands."""
    out = corpus.parent / "vectors.bin"
    result = run("train", corpus, "-o", out, "--sg", *FAST, "--quiet")
    assert result.returncode == 0, result.stderr
    return out


def gensim_kv(path, binary):
    """The vectors as gensim reads them (the interoperability promise); skips without gensim."""
    gensim = pytest.importorskip("gensim")
    return gensim.models.KeyedVectors.load_word2vec_format(str(path), binary=binary)


# ------------------------------------------------------------------ train


def test_train_our_flags_binary_loads_in_gensim(vectors):
    kv = gensim_kv(vectors, binary=True)
    assert kv.vector_size == 20 and "lord" in kv.key_to_index


def test_train_word2vec_c_flags_text(corpus, tmp_path):
    out, vocab = tmp_path / "v.txt", tmp_path / "vocab.txt"
    result = run("-train", corpus, "-output", out, "-size", 16, "-window", 3, "-cbow", 0,
                 "-negative", 3, "-hs", 0, "-sample", "1e-4", "-threads", 1, "-iter", 1,
                 "-min-count", 3, "-binary", 0, "-save-vocab", vocab)
    assert result.returncode == 0, result.stderr
    kv = KeyedVectors.load_word2vec_format(str(out), binary=False)          # -binary 0: text
    assert kv.vector_size == 16
    lines = vocab.read_text().splitlines()
    assert len(lines) == len(kv) and lines[0].split()[0] == kv.index_to_key[0]
    assert int(lines[0].split()[1]) > int(lines[-1].split()[1]) >= 3


def test_train_word2vec_c_defaults_are_text_output(corpus, tmp_path):
    out = tmp_path / "v.txt"
    assert run("train", "-train", corpus, "-output", out, "-iter", 1, "-threads", 1,
               "-size", 8).returncode == 0
    row = out.read_bytes().split(b"\n")[1].split()
    assert len(row) == 9 and float(row[-1]) == float(row[-1])   # text, not binary


def test_train_text_and_native_outputs(corpus, tmp_path):
    assert run("train", corpus, "-o", tmp_path / "v.txt", "--text", *FAST, "--quiet").returncode == 0
    assert KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt")).vector_size == 20
    assert run("train", corpus, "-o", tmp_path / "v.kv", "--cbow", "--hs", "--negative", 0,
               *FAST, "--quiet").returncode == 0
    assert KeyedVectors.load(str(tmp_path / "v.kv")).vector_size == 20


def test_train_stdin_and_gz(corpus, tmp_path):
    text = corpus.read_text()
    result = run("train", "-", "-o", tmp_path / "s.bin", *FAST, "--quiet", stdin=text)
    assert result.returncode == 0, result.stderr
    assert "lord" in KeyedVectors.load_word2vec_format(str(tmp_path / "s.bin"), binary=True).key_to_index
    gz = tmp_path / "c.txt.gz"
    with gzip.open(gz, "wt") as fout:
        fout.write(text)
    assert run("train", gz, "-o", tmp_path / "g.bin", *FAST, "--quiet").returncode == 0


def test_train_read_vocab(corpus, tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("lord 100\ngod 50\nisrael 20\n")
    result = run("train", corpus, "-o", tmp_path / "v.kv", "--read-vocab", vocab, *FAST, "--quiet")
    assert result.returncode == 0, result.stderr
    assert KeyedVectors.load(str(tmp_path / "v.kv")).index_to_key == ["lord", "god", "israel"]


def test_train_logs_without_terminal(corpus, tmp_path):
    result = run("train", corpus, "-o", tmp_path / "v.bin", *FAST)
    assert result.returncode == 0
    assert "INFO" in result.stderr and "wrote" in result.stderr


# ------------------------------------------------------------------ queries


def test_similar_and_analogy(vectors):
    result = run("similar", vectors, "god", "-n", 4)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4 and all(len(line.split("\t")) == 2 for line in lines)
    assert "god" not in [line.split("\t")[0] for line in lines]
    result = run("analogy", vectors, "man", "king", "woman", "-n", 3)
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 3


def _fasttext_vectors():
    return fresh_fasttext_vectors(["the", "movie", "film", "films", "filmmaker", "king", "queen",
                                   "man", "woman"])


@pytest.mark.parametrize("suffix", [".bin", ".kv"])
def test_fasttext_vectors_answer_for_any_word(tmp_path, suffix):
    """A fastText .bin (sniffed by its magic number) or saved FastText vectors: queries
    work for words outside the vocabulary too, from their n-grams."""
    kv = _fasttext_vectors()
    path = tmp_path / f"ft{suffix}"
    if suffix == ".bin":
        from fastw2v.models.fasttext import save_facebook_vectors
        save_facebook_vectors(kv, str(path))
    else:
        kv.save(str(path))
    result = run("similar", path, "filmmakers", "-n", 3)
    assert result.returncode == 0, result.stderr
    expected = [w for w, _ in kv.most_similar("filmmakers", topn=3)]
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == expected
    result = run("analogy", path, "man", "king", "woman", "-n", 2)
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 2


def test_text_vectors_are_sniffed(vectors, tmp_path):
    text = tmp_path / "v.txt"
    KeyedVectors.load_word2vec_format(str(vectors), binary=True).save_word2vec_format(str(text))
    assert run("similar", text, "god", "-n", 2).stdout == run("similar", vectors, "god", "-n", 2).stdout


def test_evaluate_default_files(vectors):
    pytest.importorskip("gensim")  # the default files are gensim's test data
    result = run("evaluate", vectors)
    assert result.returncode == 0, result.stderr
    assert "analogies: accuracy" in result.stdout and "Spearman" in result.stdout


def test_evaluate_given_files(vectors, tmp_path):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("lord\tgod\t9\nking\tqueen\t8\nwater\tsea\t7\nman\twoman\t6\n")
    result = run("evaluate", vectors, "--pairs", pairs)
    assert "Spearman" in result.stdout and "analogies" not in result.stdout


def test_plot_writes_png(vectors, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "p.png"
    result = run("plot", vectors, "--top", 30, "-o", out)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert run("plot", vectors, "--words", "god", "lord", "king", "-o", out).returncode == 0


def test_keyedvectors_plot_returns_figure(vectors):
    pytest.importorskip("matplotlib")
    kv = KeyedVectors.load_word2vec_format(str(vectors), binary=True)
    fig = kv.plot(top=10)
    assert len(fig.axes[0].texts) == 10
    with pytest.raises(ValueError, match="method"):
        kv.plot(top=10, method="umap")


def test_demo_one_epoch_with_plot(tmp_path):
    pytest.importorskip("matplotlib")
    result = run("demo", "--epochs", 1, "--plot", tmp_path / "d.png")
    assert result.returncode == 0, result.stderr
    assert "king - man + woman" in result.stdout and (tmp_path / "d.png").exists()


# ------------------------------------------------------------------ errors and help


@pytest.mark.parametrize("args, code, message", [
    (("similar", "missing.bin", "god"), 1, "fastw2v: error: no such file"),
    (("train", "missing.txt", "-o", "x.bin"), 1, "fastw2v: error: no such corpus file"),
    (("train", "-o", "x.bin"), 2, "needs a CORPUS"),
    (("train", "c.txt", "-o", "x.bin", "--bogus"), 2, "unrecognized arguments"),
    (("train", "c.txt", "-o", "x.bin", "-cbow", "2"), 2, "invalid choice"),
    (("similar",), 2, "required"),
])
def test_errors(tmp_path, args, code, message):
    result = run(*args, cwd=tmp_path)
    assert result.returncode == code
    assert message in result.stderr and "Traceback" not in result.stderr


def test_unknown_word_and_bad_file(vectors, tmp_path):
    result = run("similar", vectors, "qwertyuiop")
    assert result.returncode == 1 and "qwertyuiop" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    bad = tmp_path / "bad.txt"
    bad.write_text("3 4\nfoo 1 2\n")
    result = run("similar", bad, "foo")
    assert result.returncode == 1 and result.stderr.startswith("fastw2v: error:")


@pytest.mark.parametrize("command", ["train", "similar", "analogy", "evaluate", "plot", "demo"])
def test_help_has_example(command):
    result = run(command, "--help")
    assert result.returncode == 0 and "example" in result.stdout


# ------------------------------------------------------------------ progress

SENTENCES = [["w%d" % (i % 50), "w%d" % ((i * 7) % 50), "w%d" % ((i * 3) % 50)] * 4
             for i in range(2000)]


def test_progress_false_is_silent(caplog, capsys):
    with caplog.at_level(logging.DEBUG, logger="fastw2v"):
        Word2Vec(SENTENCES, min_count=1, vector_size=8, workers=1, epochs=2, progress=False)
    assert not [r for r in caplog.records if "PROGRESS" in r.getMessage()]
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("progress, lines", [(None, 3), (False, 0)])
def test_vocabulary_scan_logs_unless_silent(caplog, progress, lines):
    model = Word2Vec(min_count=1, vector_size=8, workers=1, progress=progress)
    with caplog.at_level(logging.INFO, logger="fastw2v"):
        model.build_vocab(SENTENCES, progress_per=500)
    assert len([r for r in caplog.records if "PROGRESS: at sentence" in r.getMessage()]) == lines


def test_log_reporter_emits_lines(caplog):
    with caplog.at_level(logging.INFO, logger="fastw2v"):
        Word2Vec(SENTENCES, min_count=1, vector_size=8, workers=1, epochs=2,
                 progress=LogReporter(report_delay=0.0))
    lines = [r.getMessage() for r in caplog.records if "PROGRESS" in r.getMessage()]
    assert lines and lines[-1].startswith("EPOCH 2/2") and "100.00%" in lines[-1]
    assert "alpha" in lines[-1] and "words/s" in lines[-1]


def test_tqdm_reporter_when_forced():
    pytest.importorskip("tqdm")
    buf = io.StringIO()
    model = Word2Vec(SENTENCES, min_count=1, vector_size=8, workers=1, epochs=2,
                     compute_loss=True, progress=TqdmReporter(file=buf))
    out = buf.getvalue()
    assert "training" in out and "100%" in out and "epoch=2/2" in out and "loss=" in out
    assert np.isfinite(model.wv.vectors).all()


def test_progress_true_draws_bars(capsys):
    pytest.importorskip("tqdm")
    Word2Vec(SENTENCES, min_count=1, vector_size=8, workers=1, epochs=1, progress=True)
    err = capsys.readouterr().err
    assert "vocabulary" in err and "training" in err


def test_make_reporter_choices():
    assert type(make_reporter(False)) is Reporter
    assert isinstance(make_reporter(None), LogReporter)
    with pytest.raises(ValueError, match="progress"):
        make_reporter("yes")


# ------------------------------------------------------------------ flag resolution and extras


def resolve(*argv):
    from fastw2v.cli import _resolve, _w2v_argv, build_parser
    return _resolve(build_parser().parse_args(_w2v_argv(list(argv))))


def test_defaults_follow_the_spelling():
    ours, files = resolve("train", "c.txt", "-o", "v.bin")
    assert (ours["sg"], ours["alpha"], files["binary"], ours["workers"]) == (0, 0.025, True, 3)
    theirs, files = resolve("-train", "c.txt", "-output", "v.bin")
    assert (theirs["sg"], theirs["alpha"], files["binary"], theirs["workers"]) == (0, 0.05, False, 12)
    sg, _ = resolve("-train", "c.txt", "-output", "v.bin", "-cbow", "0", "-hs", "1", "-iter", "3")
    assert (sg["sg"], sg["alpha"], sg["hs"], sg["epochs"]) == (1, 0.025, 1, 3)
    mixed, files = resolve("train", "c.txt", "-output", "v.bin", "--alpha", "0.1", "-size", "7")
    assert (mixed["alpha"], mixed["vector_size"], files["corpus"]) == (0.1, 7, "c.txt")
    gensim_style, _ = resolve("-train", "c.txt", "-output", "v.txt", "-min_count", "1")
    assert gensim_style["min_count"] == 1  # gensim's word2vec_standalone spelling


def test_train_options_come_from_the_parameter_table():
    from fastw2v.cli import TRAIN_OPTIONS
    from fastw2v.params import PARAMS

    assert set(TRAIN_OPTIONS) == {p.name for p in PARAMS if p.flags}
    opts, _ = resolve("train", "c.txt", "-o", "v.bin", "--ns-exponent", "0.5", "--seed", "9")
    assert (opts["ns_exponent"], opts["seed"]) == (0.5, 9)


def test_tsne_plot(vectors):
    pytest.importorskip("matplotlib")
    pytest.importorskip("sklearn")
    kv = KeyedVectors.load_word2vec_format(str(vectors), binary=True)
    assert len(kv.plot(top=20, method="tsne").axes[0].texts) == 20


def test_plot_without_matplotlib_names_the_extra(vectors, monkeypatch):
    kv = KeyedVectors.load_word2vec_format(str(vectors), binary=True)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install fastw2v\[plot\]"):
        kv.plot(top=10)


# ------------------------------------------------------------------ FastText


def test_fasttext_train_with_fasttexts_spellings_writes_a_facebook_bin(corpus, tmp_path):
    out = tmp_path / "ft.bin"
    result = run("train", corpus, "-o", out, "--fasttext", "--sg", "-dim", 16, "-epoch", 1,
                 "-minn", 2, "-maxn", 4, "-bucket", 20000, "-thread", 1, "-neg", 3, "--quiet")
    assert result.returncode == 0, result.stderr
    from fastw2v.models.fasttext import load_facebook_model
    model = load_facebook_model(str(out))
    assert (model.vector_size, model.min_n, model.max_n, model.bucket, model.negative) == \
        (16, 2, 4, 20000, 3)
    assert "lordd" not in model.wv.key_to_index and model.wv["lordd"].shape == (16,)
    assert model.wv["lordd"].any()  # a vector from its n-grams, not an empty one
    result = run("similar", out, "lordd", "-n", 3)  # any word, through its n-grams
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 3


@pytest.mark.parametrize("flag", [["-minn", "2"], ["--bucket", "10"], ["-dim", "8"]])
def test_fasttext_options_without_fasttext_are_refused(corpus, tmp_path, flag):
    result = run("train", corpus, "-o", tmp_path / "v.bin", *flag, "--quiet")
    assert result.returncode == 2 and "need --fasttext" in result.stderr
