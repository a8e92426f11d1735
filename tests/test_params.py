"""Parameters: every hyper-parameter out of range is refused with a ValueError naming it,
through the public ``Word2Vec`` constructor, ``train()`` and the command line; a refused
``train()`` call leaves the model as it was.

(tests/test_word2vec.py::test_bad_parameters_raise_valueerror_naming_them holds the
first, simpler cases; the table here adds the rest.)
"""
import subprocess
import sys

import numpy as np
import pytest

from fastw2v import Word2Vec

from _util import child_env, small_corpus

NAN, INF = float("nan"), float("inf")

BAD = [
    ("ns_exponent", NAN), ("ns_exponent", INF), ("ns_exponent", -INF), ("ns_exponent", "x"),
    ("alpha", INF), ("min_alpha", NAN), ("sample", INF),
    ("window", 10**9), ("window", -1), ("negative", 10**9), ("workers", -2), ("workers", 1.5),
    ("vector_size", 10**0.5), ("epochs", 2.5), ("min_count", 1.5),
    ("hs", 2), ("hs", -1), ("cbow_mean", 2), ("null_word", 2), ("sorted_vocab", -1), ("sg", True),
    ("batch_words", -10), ("max_final_vocab", 0), ("max_final_vocab", -1), ("max_vocab_size", 2.5),
    ("memory_budget", -1), ("memory_budget", 1.5),
]


@pytest.mark.parametrize("name, value", BAD, ids=[f"{n}={v!r}" for n, v in BAD])
def test_constructor_parameter_out_of_range(name, value):
    with pytest.raises(ValueError, match=name):
        Word2Vec(**{name: value})


@pytest.fixture()
def built():
    model = Word2Vec(vector_size=8, min_count=1, workers=2, epochs=2)
    model.build_vocab(small_corpus())
    return model


def _state(model):
    return (model.alpha, model.min_alpha, model.epochs, model.wv.vectors.copy(), model.train_count)


def _same(a, b):
    return a[:3] == b[:3] and np.array_equal(a[3], b[3]) and a[4] == b[4]


@pytest.mark.parametrize("kw, name", [
    (dict(epochs=0), "epochs"), (dict(epochs=-1), "epochs"), (dict(epochs=1.5), "epochs"),
    (dict(epochs=1, start_alpha=-0.1), "alpha"), (dict(epochs=1, end_alpha=-1.0), "alpha"),
    (dict(epochs=1, start_alpha=NAN), "alpha"), (dict(epochs=1, start_alpha=INF), "alpha"),
], ids=["epochs=0", "epochs=-1", "epochs=1.5", "start_alpha<0", "end_alpha<0", "start_alpha=nan",
        "start_alpha=inf"])
def test_train_parameter_out_of_range_leaves_model_unchanged(built, kw, name):
    before = _state(built)
    with pytest.raises(ValueError, match=name):
        built.train(small_corpus(), total_examples=400, **kw)
    assert _same(before, _state(built))
    # and the model still trains normally afterwards
    built.train(small_corpus(), total_examples=400, epochs=1)
    assert built.train_count == 1 and np.isfinite(built.wv.vectors).all()


# ---------------------------------------------------------------- the command line

CLI_BAD = [
    (["--size", "0"], "vector_size"), (["-size", "0"], "vector_size"), (["--window", "-1"], "window"),
    (["--negative", "-2"], "negative"), (["--alpha", "nan"], "alpha"), (["--min-count", "-1"], "min_count"),
    (["--threads", "0"], "workers"), (["--sample", "-1"], "sample"), (["--epochs", "0"], "epochs"),
]


@pytest.mark.parametrize("flags, name", CLI_BAD, ids=[" ".join(f) for f, _ in CLI_BAD])
def test_cli_parameter_out_of_range(tmp_path, flags, name):
    """The CLI passes its flags to the same checks: one error line naming the parameter."""
    corpus, out = tmp_path / "c.txt", tmp_path / "v.bin"
    corpus.write_text("a b c d\nb c d a\n")
    result = subprocess.run([sys.executable, "-m", "fastw2v", "train", str(corpus), "-o", str(out),
                             "--min-count", "1", "--quiet", *flags], capture_output=True, text=True,
                            env=child_env(), cwd=tmp_path, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("fastw2v: error:") and name in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert not out.exists()
