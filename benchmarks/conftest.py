"""Shared inputs for the pytest-benchmark suite (``pytest benchmarks``).

Every fixture is session-scoped and built once, outside the timings, from a fixed
corpus: the first verses of the King James Bible shipped with fastw2v
(:mod:`fastw2v.datasets`), lowercased a-z tokens, up to ``BENCH_TOKENS`` tokens
(default 200,000; environment variable ``FASTW2V_BENCH_TOKENS``). Training and
encoding benchmarks use ``FASTW2V_BENCH_WORKERS`` threads (default 2).
"""
from __future__ import annotations

import pytest

from _suite import BENCH_TOKENS, BENCH_WORKERS, W2V_SETTINGS


@pytest.fixture(scope="session")
def sentences():
    """The fixed corpus as a list of token lists (deterministic, about BENCH_TOKENS tokens)."""
    from fastw2v.datasets import KJV

    out, n = [], 0
    for tokens in KJV():
        out.append(tokens)
        n += len(tokens)
        if n >= BENCH_TOKENS:
            break
    return out


@pytest.fixture(scope="session")
def n_tokens(sentences):
    """Raw corpus tokens (before min_count and subsampling): the unit of every words/s."""
    return sum(len(s) for s in sentences)


@pytest.fixture(scope="session")
def corpus_file(sentences, tmp_path_factory):
    """The same corpus as a plain-text file, one sentence per line."""
    path = tmp_path_factory.mktemp("bench") / "corpus.txt"
    with open(path, "w", encoding="utf-8") as fout:
        for tokens in sentences:
            fout.write(" ".join(tokens) + "\n")
    return str(path)


@pytest.fixture(scope="session")
def vocab_model(corpus_file):
    """A Word2Vec with its vocabulary built from the corpus (CBOW+NS settings; not trained)."""
    from fastw2v import Word2Vec

    model = Word2Vec(workers=BENCH_WORKERS, **W2V_SETTINGS)
    model.build_vocab(corpus_file=corpus_file)
    return model


@pytest.fixture(scope="session")
def key_to_index(vocab_model):
    return dict(vocab_model.wv.key_to_index)
