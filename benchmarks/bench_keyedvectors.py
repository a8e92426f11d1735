"""KeyedVectors query benchmarks on random vectors: most_similar (one query, and a batch with
``batch=True``) on 50,000 x 100, and evaluate_word_analogies on gensim's questions-words.txt."""
import numpy as np
import pytest

from _suite import random_keyed_vectors

N, DIM, BATCH, TOPN = 50_000, 100, 1000, 10
RESTRICT = 30_000


@pytest.fixture(scope="module")
def kv():
    kv = random_keyed_vectors(N, DIM, seed=0)
    kv.most_similar("w0", topn=TOPN)  # unit-vector cache built outside the timings
    return kv


def test_most_similar_single(benchmark, kv):
    result = benchmark(kv.most_similar, "w123", topn=TOPN)
    assert len(result) == TOPN
    assert all(key != "w123" and -1.0 <= sim <= 1.0 + 1e-5 for key, sim in result)
    sims = [sim for _, sim in result]
    assert sims == sorted(sims, reverse=True)


def test_most_similar_batch(benchmark, kv):
    queries = np.random.default_rng(1).standard_normal((BATCH, DIM)).astype(np.float32)
    benchmark.extra_info["queries"] = BATCH
    result = benchmark.pedantic(kv.most_similar, args=(queries,),
                                kwargs=dict(topn=TOPN, batch=True), rounds=5, iterations=1)
    assert len(result) == BATCH and all(len(r) == TOPN for r in result)
    # The batch agrees with the single query on the first row.
    single = kv.most_similar(positive=[queries[0]], topn=TOPN)
    assert [k for k, _ in result[0]] == [k for k, _ in single]


@pytest.fixture(scope="module")
def analogy_setup():
    pytest.importorskip("gensim")
    from gensim.test.utils import datapath

    path = datapath("questions-words.txt")
    with open(path, encoding="utf-8") as fin:
        lines = [line.split() for line in fin if line.strip() and not line.startswith(":")]
    words = sorted({w.lower() for line in lines for w in line})
    rng = np.random.default_rng(0)
    keys = [f"w{i}" for i in range(N)]
    for slot, word in zip(rng.choice(RESTRICT, size=len(words), replace=False), words):
        keys[slot] = word
    kv = random_keyed_vectors(N, DIM, seed=2, keys=keys)
    return kv, path, len(lines)


def test_evaluate_word_analogies(benchmark, analogy_setup):
    kv, path, n_questions = analogy_setup
    benchmark.extra_info["questions"] = n_questions
    score, sections = benchmark.pedantic(kv.evaluate_word_analogies, args=(path,),
                                         kwargs=dict(restrict_vocab=RESTRICT),
                                         rounds=3, iterations=1)
    total = sections[-1]
    assert total["section"] == "Total accuracy"
    answered = len(total["correct"]) + len(total["incorrect"])
    assert answered == n_questions  # every question word is in the first RESTRICT rows
    assert 0.0 <= score <= 0.05  # random vectors: near zero
