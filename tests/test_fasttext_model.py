"""FastText training: kernel twins against numpy, the model's API against gensim's,
training quality on the Lee corpus, continued training and files.

The kernel part runs the kernels' own ``ft_sg_window`` / ``ft_cbow_window`` (through
``window_update`` with n-gram tables) against the plain numpy reference below, for
every build and every variant (sg/cbow x ns/hs).
"""
import inspect
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from fastw2v import kernels
from fastw2v.kernels._train import sigmoid_table

KERNELS = [pytest.param(kernels.load(name), id=name) for name in kernels.available_variants()]
TABLE = sigmoid_table().astype(np.float64)
MAX_EXP = 6


# ---------------------------------------------------------------- numpy reference

def ref_sigmoid(f):
    idx = ((f + MAX_EXP) * (len(TABLE) / (2.0 * MAX_EXP))).astype(np.int64)
    out = TABLE[np.clip(idx, 0, len(TABLE) - 1)]
    return np.where(f >= MAX_EXP, 1.0, np.where(f <= -MAX_EXP, 0.0, out))


def ref_block(x, out_matrix, rows, labels, alpha, skip_saturated):
    """One output block: the inputs' gradient; updates ``out_matrix`` in place."""
    o = out_matrix[rows].astype(np.float64)
    f = x @ o.T
    g = (labels[None, :] - ref_sigmoid(f)) * alpha
    if skip_saturated:
        g = np.where(np.abs(f) < MAX_EXP, g, 0.0)
    grad_x = g @ o
    np.add.at(out_matrix, rows, (g.T @ x).astype(np.float32))
    return grad_x


def ref_ft_window(syn0, ngrams, offsets, ids, syn1, syn1neg, centre, context, negatives, codes,
                  points, alpha, sg, cbow_mean):
    """The textbook FastText window: a word's input is the mean of its word row and its
    bucket rows (SG), or CBOW's hidden layer is the mean (sum) of all rows of all context
    words; every row gets the input gradient in full (divided by the row count for the
    CBOW sum), as gensim's fasttext_inner.pyx does."""
    buckets = [ids[offsets[w]:offsets[w + 1]] for w in context]
    sums = [syn0[w].astype(np.float64) + ngrams[b].astype(np.float64).sum(axis=0)
            for w, b in zip(context, buckets)]
    counts = [1 + len(b) for b in buckets]
    if sg:
        x = np.stack([s / c for s, c in zip(sums, counts)])
    else:
        h = np.sum(sums, axis=0)
        x = (h / sum(counts) if cbow_mean else h)[None, :]
    grad = np.zeros_like(x)
    if syn1 is not None:
        grad += ref_block(x, syn1, np.asarray(points), 1.0 - np.asarray(codes, np.float64), alpha,
                          True)
    if syn1neg is not None:
        negs = [n for n in negatives if n != centre]
        rows = np.array([centre] + negs)
        grad += ref_block(x, syn1neg, rows, np.array([1.0] + [0.0] * len(negs)), alpha, False)
    if not sg:
        grad = np.repeat(grad * (1.0 if cbow_mean else 1.0 / sum(counts)), len(context), axis=0)
    for r, (w, b) in enumerate(zip(context, buckets)):
        syn0[w] += grad[r].astype(np.float32)
        np.add.at(ngrams, b, grad[r].astype(np.float32))
    return x


def make_ft_case(seed, n_words=10, n_buckets=13, dim=6, n_ctx=4, n_neg=3, path_len=3):
    rng = np.random.default_rng(seed)
    lens = rng.integers(0, 5, n_words)           # some words without any bucket
    offsets = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    ids = rng.integers(0, n_buckets, offsets[-1]).astype(np.int32)
    return dict(
        syn0=rng.uniform(-0.5, 0.5, (n_words, dim)).astype(np.float32),
        ngrams=rng.uniform(-0.5, 0.5, (n_buckets, dim)).astype(np.float32),
        offsets=offsets, ids=ids,
        syn1=rng.uniform(-0.5, 0.5, (n_words - 1, dim)).astype(np.float32),
        syn1neg=rng.uniform(-0.5, 0.5, (n_words, dim)).astype(np.float32),
        centre=int(rng.integers(n_words)), context=rng.integers(0, n_words, n_ctx),
        negatives=rng.integers(0, n_words, n_neg),
        codes=rng.integers(0, 2, path_len).astype(np.uint8),
        points=rng.choice(n_words - 1, path_len, replace=False))


def near_table_edge(x, outputs):
    """Whether a score sits within float32 rounding of a sigmoid-table bin edge (kernel and
    numpy then may pick neighbouring bins: an ill-posed comparison, not an error)."""
    width = 2.0 * MAX_EXP / len(TABLE)
    for o in outputs:
        f = x @ o.astype(np.float64).T
        pos = (f + MAX_EXP) / width
        if np.any((np.abs(f) < MAX_EXP + 1e-3) & (np.abs(pos - np.round(pos)) * width < 1e-5)):
            return True
    return False


FT_VARIANTS = [
    pytest.param(dict(sg=1, hs=0, ns=1), id="sg-ns"),
    pytest.param(dict(sg=1, hs=1, ns=0), id="sg-hs"),
    pytest.param(dict(sg=1, hs=1, ns=1), id="sg-hs+ns"),
    pytest.param(dict(sg=0, hs=0, ns=1, cbow_mean=1), id="cbow-mean-ns"),
    pytest.param(dict(sg=0, hs=0, ns=1, cbow_mean=0), id="cbow-sum-ns"),
    pytest.param(dict(sg=0, hs=1, ns=0, cbow_mean=1), id="cbow-mean-hs"),
    pytest.param(dict(sg=0, hs=1, ns=1, cbow_mean=0), id="cbow-sum-hs+ns"),
]


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("variant", FT_VARIANTS)
def test_ft_window_matches_numpy_reference(kernel, variant):
    sg, cbow_mean = variant["sg"], variant.get("cbow_mean", 1)
    checked = 0
    for seed in range(30):
        c = make_ft_case(seed)
        mk = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in c.items()}
        mr = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in c.items()}
        syn1 = (lambda m: m["syn1"] if variant["hs"] else None)
        syn1neg = (lambda m: m["syn1neg"] if variant["ns"] else None)
        x = ref_ft_window(mr["syn0"], mr["ngrams"], c["offsets"], c["ids"], syn1(mr), syn1neg(mr),
                          c["centre"], list(c["context"]), list(c["negatives"]), c["codes"],
                          c["points"], 0.05, sg, cbow_mean)
        outputs = ([c["syn1"][c["points"]]] if variant["hs"] else []) + \
                  ([c["syn1neg"][[c["centre"], *c["negatives"]]]] if variant["ns"] else [])
        if near_table_edge(x, outputs):
            continue
        kernel.window_update(mk["syn0"], syn1(mk), syn1neg(mk), c["centre"], c["context"],
                             c["negatives"], c["codes"], c["points"], 0.05, sg=sg,
                             cbow_mean=cbow_mean, syn0_ngrams=mk["ngrams"],
                             ngram_offsets=c["offsets"], ngram_ids=c["ids"])
        for name in ("syn0", "ngrams", "syn1", "syn1neg"):
            np.testing.assert_allclose(mk[name], mr[name], rtol=1e-4, atol=2e-6,
                                       err_msg=f"{name}, seed {seed}")
        assert not np.array_equal(mk["ngrams"], c["ngrams"])  # the buckets were trained
        checked += 1
    assert checked >= 20


@pytest.mark.parametrize("kernel", KERNELS)
def test_ft_window_ngram_lock_factors(kernel):
    """A bucket row with lock factor 0 stays fixed; the others move as without factors."""
    c = make_ft_case(3)
    lockf = np.ones(len(c["ngrams"]), np.float32)
    frozen = int(c["ids"][c["offsets"][c["context"][0]]]) if \
        c["offsets"][c["context"][0] + 1] > c["offsets"][c["context"][0]] else int(c["ids"][0])
    lockf[frozen] = 0.0
    ngrams = c["ngrams"].copy()
    kernel.window_update(c["syn0"].copy(), None, c["syn1neg"].copy(), c["centre"], c["context"],
                         c["negatives"], c["codes"], c["points"], 0.05, sg=1, syn0_ngrams=ngrams,
                         ngram_offsets=c["offsets"], ngram_ids=c["ids"], ngram_lockf=lockf)
    np.testing.assert_array_equal(ngrams[frozen], c["ngrams"][frozen])


@pytest.mark.parametrize("kernel", KERNELS)
def test_ft_window_refuses_out_of_range_tables(kernel):
    c = make_ft_case(1)
    bad = c["ids"].copy()
    bad[0] = len(c["ngrams"])
    with pytest.raises(ValueError, match="outside"):
        kernel.window_update(c["syn0"], None, c["syn1neg"], c["centre"], c["context"],
                             c["negatives"], c["codes"], c["points"], 0.05, syn0_ngrams=c["ngrams"],
                             ngram_offsets=c["offsets"], ngram_ids=bad)
    with pytest.raises(ValueError, match="ngram_offsets"):
        kernel.window_update(c["syn0"], None, c["syn1neg"], c["centre"], c["context"],
                             c["negatives"], c["codes"], c["points"], 0.05, syn0_ngrams=c["ngrams"],
                             ngram_offsets=c["offsets"][::-1].copy(), ngram_ids=c["ids"])
