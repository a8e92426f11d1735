"""The fused top-k search kernel against numpy, in every build this machine runs."""
import numpy as np
import pytest

from fastw2v import kernels
from fastw2v.keyedvectors import KeyedVectors

VARIANTS = kernels.similarity_variants()


def reference(q, u, k, lo, hi):
    scores = q @ u[lo:hi].T
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return order + lo, np.take_along_axis(scores, order, axis=1)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("m,n,dim,k,lo,hi", [
    (1, 5, 3, 1, 0, 5),          # fewer rows than a panel, one query
    (13, 300, 17, 10, 0, 300),   # a partial query tile, a partial row block
    (25, 600, 100, 600, 0, 600),  # k = every row
    (12, 1000, 300, 7, 123, 777),  # a row range
    (40, 257, 16, 3, 0, 257),    # one row past a whole block
])
def test_top_k_dot_matches_numpy(variant, m, n, dim, k, lo, hi):
    kernel = kernels.load_similarity(variant)
    rng = np.random.default_rng(m * n + dim)
    q = rng.standard_normal((m, dim)).astype(np.float32)
    u = rng.standard_normal((n, dim)).astype(np.float32)
    idx, val = kernel.top_k_dot(q, u, k, lo, hi)
    ref_idx, ref_val = reference(q, u, k, lo, hi)
    np.testing.assert_allclose(val, ref_val, rtol=1e-5, atol=1e-5)
    assert (idx == ref_idx).mean() > 0.99  # only near-ties may swap
    np.testing.assert_allclose(np.sum(q[:, None, :] * u[idx], axis=2), val, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("variant", VARIANTS)
def test_top_k_dot_checks_its_arguments(variant):
    kernel = kernels.load_similarity(variant)
    q = np.ones((2, 4), np.float32)
    u = np.ones((10, 4), np.float32)
    with pytest.raises(ValueError):
        kernel.top_k_dot(q, u, 11)
    with pytest.raises(ValueError):
        kernel.top_k_dot(q, u, 0)
    with pytest.raises(ValueError):
        kernel.top_k_dot(q, u, 2, 5, 5)
    with pytest.raises(ValueError):
        kernel.top_k_dot(q, np.ones((10, 5), np.float32), 2)
    with pytest.raises(ValueError):
        kernel.top_k_dot(q.astype(np.float64), u, 2)


@pytest.mark.parametrize("variant", VARIANTS)
def test_top_k_dot_never_keeps_nan(variant):
    kernel = kernels.load_similarity(variant)
    u = np.eye(40, 8, dtype=np.float32)
    u[3] = np.nan
    q = np.ones((3, 8), np.float32)
    idx, val = kernel.top_k_dot(q, u, 5)
    assert 3 not in idx and np.all(np.isfinite(val))


@pytest.mark.parametrize("variant", ["blas"] + VARIANTS)
def test_batch_most_similar_same_in_every_build(variant, monkeypatch):
    monkeypatch.setenv("FASTW2V_SIMILARITY", variant)
    rng = np.random.default_rng(5)
    kv = KeyedVectors(24)
    kv.add_vectors([f"w{i}" for i in range(2000)], rng.standard_normal((2000, 24)).astype(np.float32))
    queries = rng.standard_normal((30, 24)).astype(np.float32)
    batch = kv.most_similar(queries, topn=10, batch=True, restrict_vocab=1500)
    for q, got in zip(queries, batch):
        single = kv.most_similar(positive=[q], topn=10, restrict_vocab=1500)
        assert [w for w, _ in got] == [w for w, _ in single]
        np.testing.assert_allclose([s for _, s in got], [s for _, s in single], atol=1e-5)
