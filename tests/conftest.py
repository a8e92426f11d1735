"""Shared fixtures: the same random vectors in a fastw2v and a gensim KeyedVectors.

gensim is optional for the test run: the fixtures that read its test data or build
its objects skip the tests that use them when it is missing, so ``pytest`` without
gensim still runs every test that does not compare against it.
"""
import numpy as np
import pytest

from fastw2v.keyedvectors import KeyedVectors

DIM = 24


def gensim_datapath(name):
    """Path of a file of gensim's test data; skips the calling test without gensim."""
    pytest.importorskip("gensim")
    from gensim.test.utils import datapath
    return datapath(name)


def _words(path, sep=None):
    words = []
    with open(path, encoding="utf8") as fin:
        for line in fin:
            if line.startswith((":", "#")):
                continue
            words.extend(w for w in line.split(sep)[:4 if sep is None else 2] if w.strip())
    return words


def _planted_vectors(vocab, rng):
    """Random vectors with analogy structure planted for some questions-words pairs,
    so that evaluation finds both correct and incorrect answers."""
    index = {w: i for i, w in enumerate(vocab)}
    vectors = rng.standard_normal((len(vocab), DIM)).astype(np.float32)
    offset = None
    with open(gensim_datapath("questions-words.txt"), encoding="utf8") as fin:
        for line in fin:
            if line.startswith(":"):
                offset = rng.standard_normal(DIM).astype(np.float32) * 2
                continue
            a, b = line.split()[:2]
            if a in index and b in index and rng.random() < 0.5:
                vectors[index[b]] = vectors[index[a]] + offset
    return vectors


@pytest.fixture(scope="session")
def vocab_and_vectors():
    """Words of gensim's evaluation files (part of them left out) plus fillers, and their vectors."""
    rng = np.random.default_rng(42)
    words = set(_words(gensim_datapath("questions-words.txt")))
    words |= set(_words(gensim_datapath("wordsim353.tsv"), "\t"))
    words |= set(_words(gensim_datapath("simlex999.txt"), "\t"))
    words = sorted(words)
    covered = [w for w in words if rng.random() < 0.7]  # part of the test sets is OOV
    # case variants: lower-cased duplicates of some capitalised words
    variants = [w.lower() for w in covered if w[:1].isupper() and rng.random() < 0.3]
    vocab = list(dict.fromkeys(covered + variants + [f"filler{i}" for i in range(1500)]))
    rng.shuffle(vocab)
    return vocab, _planted_vectors(vocab, rng)


@pytest.fixture(scope="session")
def gensim_kv(vocab_and_vectors):
    gensim = pytest.importorskip("gensim")
    vocab, vectors = vocab_and_vectors
    g = gensim.models.KeyedVectors(DIM)
    g.add_vectors(vocab, vectors)
    return g


@pytest.fixture()
def kv(vocab_and_vectors):
    vocab, vectors = vocab_and_vectors
    k = KeyedVectors(DIM)
    k.add_vectors(vocab, vectors.copy())
    return k
