"""Settings and helpers shared by the benchmark modules (fixtures live in conftest.py)."""
from __future__ import annotations

import os

import numpy as np

#: Raw tokens of the fixed corpus (first KJV verses); environment FASTW2V_BENCH_TOKENS.
BENCH_TOKENS = int(os.environ.get("FASTW2V_BENCH_TOKENS", 200_000))
#: Threads for training, vocabulary and encoding; environment FASTW2V_BENCH_WORKERS.
BENCH_WORKERS = int(os.environ.get("FASTW2V_BENCH_WORKERS", 2))
#: Settings shared by every vocabulary and training benchmark (as in compare.py).
W2V_SETTINGS = dict(vector_size=100, window=5, min_count=5, sample=1e-4, alpha=0.025, seed=1)


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
