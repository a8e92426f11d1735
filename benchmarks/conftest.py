"""Shared inputs for the pytest-benchmark suite (``pytest benchmarks``).

Every fixture is session-scoped and built once, outside the timings, from a fixed
corpus: the first verses of the King James Bible shipped with fastw2v
(:mod:`fastw2v.datasets`), lowercased a-z tokens, up to ``BENCH_TOKENS`` tokens
(default 200,000; environment variable ``FASTW2V_BENCH_TOKENS``). Training and
encoding benchmarks use ``FASTW2V_BENCH_WORKERS`` threads (default 2).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

BENCH_TOKENS = int(os.environ.get("FASTW2V_BENCH_TOKENS", 200_000))
BENCH_WORKERS = int(os.environ.get("FASTW2V_BENCH_WORKERS", 2))
#: Settings shared by every vocabulary and training benchmark (as in compare.py).
W2V_SETTINGS = dict(vector_size=100, window=5, min_count=5, sample=1e-4, alpha=0.025, seed=1)


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


def record_rate(benchmark, n_tokens, label="raw_words_per_sec"):
    """Store raw corpus tokens per second (fastest round) in ``benchmark.extra_info``.

    The rate counts raw corpus tokens (before min_count and subsampling), the way
    word2vec.c and fastText report words/s. Nothing is recorded when benchmarking is
    disabled (``--benchmark-disable``: no statistics).
    """
    benchmark.extra_info["raw_words"] = int(n_tokens)
    stats = getattr(benchmark, "stats", None)
    if stats is not None and getattr(stats, "stats", None) is not None:
        best = stats.stats.min
        if best > 0:
            benchmark.extra_info[label] = float(n_tokens / best)


def random_keyed_vectors(n, dim, seed=0, keys=None):
    """A fastw2v KeyedVectors of ``n`` random float32 vectors (keys ``w0``... unless given)."""
    from fastw2v.keyedvectors import KeyedVectors

    rng = np.random.default_rng(seed)
    kv = KeyedVectors(dim)
    kv.add_vectors(keys if keys is not None else [f"w{i}" for i in range(n)],
                   rng.standard_normal((n, dim)).astype(np.float32))
    return kv
