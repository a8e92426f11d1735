"""Every kernel variant against a plain numpy reference on tiny inputs.

``window_update`` runs the kernel's own ``sg_window`` / ``cbow_window`` with the
random draws replaced by known ones; the reference below is the textbook
HogBatch update written with numpy, one block per output set.
"""
import dataclasses
import types

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

from fastw2v import kernels
from fastw2v.kernels import TrainParams
from fastw2v.kernels._train import sigmoid_table

# Every installed build the CPU can run (baseline, AVX2, AVX-512) is checked against numpy.
KERNELS = [pytest.param(kernels.load(name), id=name) for name in kernels.available_variants()]

TABLE = sigmoid_table().astype(np.float64)
MAX_EXP = 6


def ref_sigmoid(f):
    f = np.asarray(f, dtype=np.float64)
    idx = ((f + MAX_EXP) * (len(TABLE) / (2.0 * MAX_EXP))).astype(np.int64)
    out = TABLE[np.clip(idx, 0, len(TABLE) - 1)]
    out = np.where(f >= MAX_EXP, 1.0, out)
    return np.where(f <= -MAX_EXP, 0.0, out)


def ref_block(x, out_matrix, rows, labels, alpha, skip_saturated=False):
    """Scores, errors and both gradients of one block; updates out_matrix in place.

    ``skip_saturated`` (hierarchical softmax, as word2vec.c): no gradient where
    |score| >= MAX_EXP; negative sampling clips the sigmoid instead."""
    o = out_matrix[rows].astype(np.float64)
    f = (x.astype(np.float32) @ out_matrix[rows].T).astype(np.float64)
    g = (labels[None, :] - ref_sigmoid(f)) * alpha
    if skip_saturated:
        g = np.where(np.abs(f) < MAX_EXP, g, 0.0)
    grad_x = g @ o
    np.add.at(out_matrix, rows, (g.T @ x).astype(np.float32))
    z = np.where(labels[None, :] > 0.5, f, -f)
    loss = np.log1p(np.exp(-z)).sum()
    return grad_x, loss


def ref_window(syn0, syn1, syn1neg, centre, context, negatives, codes, points, alpha, sg, cbow_mean,
               lockf=None):
    context = np.asarray(context)
    if sg:
        x = syn0[context].astype(np.float64)
    else:
        h = syn0[context].astype(np.float64).sum(axis=0)
        if cbow_mean:
            h /= len(context)
        x = h[None, :]
    grad = np.zeros_like(x)
    loss = 0.0
    if syn1 is not None:
        g, l = ref_block(x, syn1, np.asarray(points), 1.0 - np.asarray(codes, np.float64), alpha,
                         skip_saturated=True)
        grad += g
        loss += l
    if syn1neg is not None:
        negs = [n for n in negatives if n != centre]
        rows = np.array([centre] + negs)
        labels = np.array([1.0] + [0.0] * len(negs))
        g, l = ref_block(x, syn1neg, rows, labels, alpha)
        grad += g
        loss += l
    if not sg:
        grad = np.repeat(grad, len(context), axis=0)
    if lockf is not None:  # gensim's vectors_lockf: a factor per input row's update
        grad = grad * lockf[context][:, None]
    np.add.at(syn0, context, grad.astype(np.float32))
    return loss


def make_case(seed, n_words=12, dim=7, n_ctx=4, n_neg=3, path_len=3, scale=0.5):
    rng = np.random.default_rng(seed)
    syn0 = rng.uniform(-scale, scale, (n_words, dim)).astype(np.float32)
    syn1 = rng.uniform(-scale, scale, (n_words - 1, dim)).astype(np.float32)
    syn1neg = rng.uniform(-scale, scale, (n_words, dim)).astype(np.float32)
    centre = int(rng.integers(n_words))
    context = rng.integers(0, n_words, n_ctx)
    negatives = rng.integers(0, n_words, n_neg)
    codes = rng.integers(0, 2, path_len).astype(np.uint8)
    points = rng.choice(n_words - 1, path_len, replace=False)
    return syn0, syn1, syn1neg, centre, context, negatives, codes, points


VARIANTS = [
    pytest.param(dict(sg=1, hs=False, ns=True), id="sg-ns"),
    pytest.param(dict(sg=1, hs=True, ns=False), id="sg-hs"),
    pytest.param(dict(sg=1, hs=True, ns=True), id="sg-hs+ns"),
    pytest.param(dict(sg=0, hs=False, ns=True, cbow_mean=1), id="cbow-mean-ns"),
    pytest.param(dict(sg=0, hs=False, ns=True, cbow_mean=0), id="cbow-sum-ns"),
    pytest.param(dict(sg=0, hs=True, ns=False, cbow_mean=1), id="cbow-mean-hs"),
    pytest.param(dict(sg=0, hs=True, ns=True, cbow_mean=0), id="cbow-sum-hs+ns"),
]


def scores_clear_of_table_edges(case, variant):
    """No score lies closer to a sigmoid-table bin edge than float32 rounding can move it.

    The kernel and numpy sum a dot product in different orders; a score within that
    rounding of an edge may fall in the neighbouring bin on one side only, and then the
    two sides differ by a whole bin's step (an ill-posed comparison, not a kernel error).
    """
    syn0, syn1, syn1neg, centre, context, negatives, codes, points = case
    x = syn0[np.asarray(context)].astype(np.float64)
    if not variant["sg"]:
        x = x.sum(axis=0, keepdims=True) / (len(context) if variant.get("cbow_mean", 1) else 1)
    outputs = []
    if variant["hs"]:
        outputs.append(syn1[np.asarray(points)])
    if variant["ns"]:
        outputs.append(syn1neg[[centre] + [n for n in negatives if n != centre]])
    width = 2.0 * MAX_EXP / len(TABLE)
    for o in outputs:
        o = o.astype(np.float64)
        f = x @ o.T
        bound = 8 * x.shape[1] * np.finfo(np.float32).eps * (np.abs(x) @ np.abs(o).T) + 1e-7
        edge = np.abs((f + MAX_EXP) / width - np.round((f + MAX_EXP) / width)) * width
        if np.any((np.abs(f) < MAX_EXP) & (edge < bound)):
            return False
    return True


def run_both(kernel, case, variant, alpha=0.05, lockf=None):
    syn0, syn1, syn1neg, centre, context, negatives, codes, points = case
    sg, cbow_mean = variant["sg"], variant.get("cbow_mean", 1)
    mats_k = [syn0.copy(), syn1.copy() if variant["hs"] else None,
              syn1neg.copy() if variant["ns"] else None]
    mats_r = [syn0.copy(), syn1.copy() if variant["hs"] else None,
              syn1neg.copy() if variant["ns"] else None]
    loss_k = kernel.window_update(*mats_k, centre, context, negatives, codes, points, alpha,
                                  sg=sg, cbow_mean=cbow_mean, compute_loss=1, lockf=lockf)
    loss_r = ref_window(*mats_r, centre, context, negatives, codes, points, alpha, sg, cbow_mean,
                        lockf=lockf)
    return mats_k, mats_r, loss_k, loss_r


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_window_matches_numpy_reference(kernel, variant):
    for seed in range(20):
        mats_k, mats_r, loss_k, loss_r = run_both(kernel, make_case(seed), variant)
        for k, r in zip(mats_k, mats_r):
            if k is not None:
                np.testing.assert_allclose(k, r, rtol=1e-5, atol=1e-6)
        assert loss_k == pytest.approx(loss_r, rel=1e-5)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_window_with_lockf_matches_numpy_reference(kernel, variant):
    for seed in range(10):
        case = make_case(seed)
        rng = np.random.default_rng(seed)
        lockf = rng.choice([0.0, 0.5, 1.0], size=len(case[0])).astype(np.float32)
        mats_k, mats_r, _, _ = run_both(kernel, case, variant, lockf=lockf)
        for k, r in zip(mats_k, mats_r):
            if k is not None:
                np.testing.assert_allclose(k, r, rtol=1e-5, atol=1e-6)
        frozen = lockf == 0
        np.testing.assert_array_equal(mats_k[0][frozen], case[0][frozen])


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("variant", VARIANTS)
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31), n_ctx=st.integers(1, 10), n_neg=st.integers(1, 8),
       path_len=st.integers(1, 11), dim=st.integers(1, 40), scale=st.sampled_from([0.01, 0.5, 5.0]))
def test_window_property(kernel, variant, seed, n_ctx, n_neg, path_len, dim, scale):
    case = make_case(seed, n_words=12, dim=dim, n_ctx=n_ctx, n_neg=n_neg, path_len=path_len, scale=scale)
    assume(scores_clear_of_table_edges(case, variant))
    mats_k, mats_r, _, _ = run_both(kernel, case, variant)
    for k, r in zip(mats_k, mats_r):
        if k is not None:
            np.testing.assert_allclose(k, r, rtol=1e-4, atol=1e-5 * max(scale, 1))


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("variant", [v for v in VARIANTS if v.values[0]["hs"]])
@pytest.mark.parametrize("dim", [100, 33, 32, 17, 16, 15, 13, 8, 3, 1])
def test_huffman_paths_longer_than_one_sweep_match_numpy_reference(kernel, variant, dim):
    # The HS update sweeps six nodes at a time (eight in the AVX-512 build): paths of
    # 6-17 nodes end in every block size of either; the dims cover the vector widths'
    # multiples, one above and one below (the AVX-512 build's masked last step).
    for path_len in range(6, 18):
        case = make_case(path_len, n_words=20, dim=dim, n_ctx=1 + path_len % 5, path_len=path_len)
        mats_k, mats_r, loss_k, loss_r = run_both(kernel, case, variant)
        for k, r in zip(mats_k, mats_r):
            if k is not None:
                np.testing.assert_allclose(k, r, rtol=1e-5, atol=1e-6)
        assert loss_k == pytest.approx(loss_r, rel=1e-5)


@pytest.mark.parametrize("kernel", KERNELS)
def test_batched_sg_equals_per_pair_update_with_one_context_word(kernel):
    """HogBatch shares negatives across the window; with one context word it is word2vec's pair update."""
    syn0, syn1, syn1neg, centre, _, negatives, codes, points = make_case(3)
    context = np.array([5])
    k0, k1 = syn0.copy(), syn1neg.copy()
    kernel.window_update(k0, None, k1, centre, context, negatives, codes, points, 0.025, sg=1)
    # word2vec.c's sequential per-pair update: one output at a time, input error applied last.
    r0, r1 = syn0.copy(), syn1neg.copy()
    neu1e = np.zeros(syn0.shape[1])
    for target, label in [(centre, 1.0)] + [(n, 0.0) for n in negatives if n != centre]:
        f = float(r0[5].astype(np.float64) @ r1[target])
        g = (label - ref_sigmoid(f)) * 0.025
        neu1e += g * r1[target]
        r1[target] += (g * r0[5]).astype(np.float32)
    r0[5] += neu1e.astype(np.float32)
    # Batched reads each output row before any write: identical when no negative repeats
    # (the case's draws are distinct; asserted, so a changed case cannot skip the check).
    assert len(set(negatives.tolist())) == len(negatives)
    np.testing.assert_allclose(k0, r0, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(k1, r1, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kernel", KERNELS)
def test_saturated_scores_give_clipped_gradients(kernel):
    syn0 = np.full((3, 4), 10.0, np.float32)
    syn1neg = np.full((3, 4), 10.0, np.float32)
    before = syn1neg.copy()
    # Positive pair saturated at sigmoid=1: no change; negative saturated at 1: full push.
    kernel.window_update(syn0, None, syn1neg, 0, [1], [2], [], [], 0.1, sg=1)
    assert np.array_equal(syn1neg[0], before[0])
    np.testing.assert_allclose(syn1neg[2], before[2] - 0.1 * 10.0)
    assert np.isfinite(syn0).all()


def ref_gradients(scores, labels, alpha, skip_saturated):
    """What block_scores makes of the kernel's own float32 scores: the table lookup of
    ref_sigmoid, the error times alpha, no gradient beyond +-MAX_EXP for HS."""
    f = scores.astype(np.float64)
    g = (labels[None, :].astype(np.float64) - ref_sigmoid(f)) * np.float32(alpha)
    if skip_saturated:
        g = np.where(np.abs(f) < MAX_EXP, g, 0.0)
    return g


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("dim", [1, 3, 4, 7, 8, 9, 15, 16, 17, 31, 33, 100])
def test_block_scores_of_every_block_shape_match_numpy(kernel, dim):
    """Every (inputs, outputs) block shape the kernels meet: pairs of inputs and an odd
    last one, output blocks of 4 and 8 and their remainders, dims around the 8- and
    16-float steps and their masked tails."""
    rng = np.random.default_rng(dim)
    for n_in in range(1, 12):
        for n_out in (1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 17, 20):
            x = rng.uniform(-1, 1, (n_in, dim)).astype(np.float32)
            o = rng.uniform(-1, 1, (n_out, dim)).astype(np.float32)
            labels = rng.integers(0, 2, n_out).astype(np.float32)
            skip = bool(rng.integers(2))
            scores, grads, _ = kernel.block_gradients(x, o, labels, 0.05, skip)
            exact = x.astype(np.float64) @ o.T.astype(np.float64)
            bound = 4 * dim * np.finfo(np.float32).eps * (np.abs(x) @ np.abs(o).T) + 1e-7
            assert np.all(np.abs(scores - exact) <= bound), (n_in, n_out)
            np.testing.assert_allclose(grads, ref_gradients(scores, labels, 0.05, skip),
                                       rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("skip", [False, True], ids=["ns", "hs"])
def test_block_gradients_of_saturated_and_nan_scores(kernel, skip):
    """Scores beyond +-MAX_EXP clip (NS) or get no gradient (HS); a NaN score (a diverged
    model) reads no table entry and gives the sigmoid 0 (NS) or no gradient (HS)."""
    x = np.array([[1.0], [np.nan]], np.float32)
    o = np.array([[7.0], [-7.0], [0.5], [6.0], [-6.0]], np.float32)
    labels = np.array([1, 0, 1, 0, 1], np.float32)
    scores, grads, _ = kernel.block_gradients(x, o, labels, 0.1, skip)
    expect = ref_gradients(scores[:1], labels, 0.1, skip)[0]
    np.testing.assert_allclose(grads[0], expect, rtol=1e-6)
    assert np.isnan(scores[1]).all()
    np.testing.assert_array_equal(grads[1], 0.0 if skip else labels * np.float32(0.1))


@pytest.mark.parametrize("kernel", KERNELS)
def test_block_gradients_with_the_loss_equal_those_without(kernel):
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (5, 33)).astype(np.float32)
    o = rng.uniform(-1, 1, (6, 33)).astype(np.float32)
    labels = np.array([1, 0, 0, 0, 0, 0], np.float32)
    _, plain, no_loss = kernel.block_gradients(x, o, labels, 0.025)
    scores, with_loss, loss = kernel.block_gradients(x, o, labels, 0.025, compute_loss=1)
    np.testing.assert_array_equal(plain, with_loss)
    assert no_loss == 0.0
    z = np.where(labels[None, :] > 0.5, scores, -scores).astype(np.float64)
    assert loss == pytest.approx(np.log1p(np.exp(-z)).sum(), rel=1e-9)


EDGE_SCORES = [np.nextafter(np.float32(MAX_EXP), np.float32(0)),   # the largest below 6
                np.nextafter(np.float32(-MAX_EXP), np.float32(0)),  # the smallest above -6
                np.float32(0.0)]


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("score", EDGE_SCORES, ids=["below-max", "above-min", "zero"])
@pytest.mark.parametrize("hs", [False, True], ids=["ns", "hs"])
def test_scores_at_the_table_edges_read_inside_the_table(kernel, score, hs):
    """A score one float inside +-MAX_EXP takes the table's end entry, like the reference.

    In float arithmetic the largest float below 6 plus 6 rounds to 12, one entry past
    the table: the kernel read whatever lay beyond it (a 1e26 gradient, seen in gensim's
    CBOW-HS test at alpha 0.1 about once in twenty runs)."""
    syn0 = np.array([[1.0], [0.0], [0.0]], np.float32)  # one dimension: the score is the row
    out = np.array([[score], [0.0], [0.0]], np.float32)
    ref0, ref_out = syn0.copy(), out.copy()
    if hs:  # word 1's path: node 0, code 0
        kernel.window_update(syn0, out, None, 1, [0], [], [0], [0], 0.1, sg=1)
        ref_window(ref0, ref_out, None, 1, [0], [], [0], [0], 0.1, sg=1, cbow_mean=1)
    else:   # word 0 predicted from itself, negative word 2 (score 0)
        kernel.window_update(syn0, None, out, 0, [0], [2], [], [], 0.1, sg=1)
        ref_window(ref0, None, ref_out, 0, [0], [2], [], [], 0.1, sg=1, cbow_mean=1)
    np.testing.assert_allclose(syn0, ref0, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, ref_out, rtol=1e-5, atol=1e-6)
    assert np.abs(syn0).max() < 2 and np.abs(out).max() < 7


@pytest.mark.parametrize("kernel", KERNELS)
def test_saturated_huffman_nodes_get_no_update(kernel):
    """word2vec.c and gensim skip a hierarchical-softmax node whose score is beyond
    +-MAX_EXP, whichever way it saturated; a node inside the range is updated."""
    syn0 = np.full((3, 4), 2.0, np.float32)
    syn1 = np.array([[2.0] * 4, [0.1] * 4], np.float32)  # scores 16 (saturated), 0.8
    s0, s1 = syn0.copy(), syn1.copy()
    kernel.window_update(syn0, syn1, None, 0, [1], [], [1, 0], [0, 1], 0.1, sg=1)
    assert np.array_equal(syn1[0], s1[0])  # code 1, sigmoid 1: wrong way, still skipped
    assert not np.array_equal(syn1[1], s1[1])
    ref0, ref1 = s0.copy(), s1.copy()
    ref_window(ref0, ref1, None, 0, [1], [], [1, 0], [0, 1], 0.1, sg=1, cbow_mean=1)
    np.testing.assert_allclose(syn0, ref0, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(syn1, ref1, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kernel", KERNELS)
def test_bad_indices_are_refused_before_the_kernel(kernel):
    syn0, syn1, syn1neg, centre, context, negatives, codes, points = make_case(0)
    with pytest.raises(ValueError):
        kernel.window_update(syn0, None, syn1neg, centre, [99], negatives, codes, points, 0.1)
    with pytest.raises(ValueError):
        kernel.window_update(syn0, None, syn1neg, centre, context, [-1], codes, points, 0.1)
    with pytest.raises(ValueError):
        kernel.window_update(syn0, syn1, None, centre, context, negatives, codes, [100, 0, 1], 0.1)
    with pytest.raises(ValueError):
        kernel.window_update(syn0.astype(np.float64), None, syn1neg, centre, context, negatives, codes, points, 0.1)


def test_dispatch_picks_a_runnable_build_and_honours_the_override(monkeypatch):
    assert kernels.kernel_name in kernels.available_variants()
    assert "generic" in kernels.available_variants()
    assert kernels.load("generic").TrainJob is not None
    with pytest.raises(ValueError, match="FASTW2V_KERNEL"):
        kernels.load("sse9")


def test_missing_builds_raise_an_import_error_that_says_how_to_build():
    # What an unbuilt source checkout sees (it was an IndexError).
    missing = {"avx2": ("_train_nonexistent_avx2", ()), "generic": ("_train_nonexistent", ())}
    with pytest.raises(ImportError, match="compiled kernels are missing.*pip install"):
        kernels._best(missing)
    assert kernels._best(kernels._VARIANTS) == kernels.available_variants()[0]


def test_train_params_and_the_kernel_settings_struct_agree():
    # TrainJob copies the dataclass into the struct by field name: a field on one side
    # only would be dropped or missing.
    names = tuple(f.name for f in dataclasses.fields(TrainParams))
    for name in kernels.available_variants():
        assert kernels.load(name).settings_fields() == names


def _hs_params(stream, hot_nodes, sync_words):
    return TrainParams(sg=1, hs=1, negative=0, cbow_mean=1, window=3, shrink_windows=1,
                       compute_loss=0, start_alpha=0.05, end_alpha=0.05,
                       schedule_total=stream.n_words, hot_nodes=hot_nodes, sync_words=sync_words)


def _hs_job(kernel, model, stream, hot_nodes, sync_words, n_threads=2, params=None):
    params = params or _hs_params(stream, hot_nodes, sync_words)
    return kernel.TrainJob(params, model._vocab,
                           model.wv.vectors, model.syn1, None, stream.ids, stream.offsets,
                           stream.chunk_starts(1000), n_threads, 7)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("sync_words", [1, 50, 10 ** 9])
def test_private_hot_nodes_reach_the_shared_tree(kernel, sync_words):
    # One of two threads trains everything (same draws as without hot nodes); its
    # private copies of the top inner nodes are merged at every sync and at the end,
    # so the shared matrices end as they would have without them (exactly without a
    # sync; a sync rounds base + (copy - base), differences training then amplifies).
    from fastw2v import Word2Vec
    from fastw2v.encode import encode_iterable
    rng = np.random.default_rng(0)
    sentences = [[f"w{int(w)}" for w in rng.zipf(1.5, size=30) % 60] for _ in range(20)]
    results = []
    for hot in (0, 16):
        model = Word2Vec(vector_size=8, hs=1, negative=0, min_count=1, sample=0, seed=3, workers=2)
        model.build_vocab(sentences)
        stream = encode_iterable(sentences, model.wv.key_to_index)
        job = _hs_job(kernel, model, stream, hot, sync_words)
        job.begin_epoch()
        job.run_thread(0)
        results.append((model.wv.vectors.copy(), model.syn1.copy()))
    (v0, s0), (v1, s1) = results
    assert not np.array_equal(s0, np.zeros_like(s0))
    if sync_words > 10 ** 6:
        np.testing.assert_array_equal(v1, v0)
        np.testing.assert_array_equal(s1, s0)
    np.testing.assert_allclose(v1, v0, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(s1, s0, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kernel", KERNELS)
def test_hot_node_settings_are_checked(kernel):
    from fastw2v import Word2Vec
    from fastw2v.encode import encode_iterable
    sentences = [["a", "b", "c", "a"]] * 5
    model = Word2Vec(vector_size=4, hs=1, negative=0, min_count=1)
    model.build_vocab(sentences)
    stream = encode_iterable(sentences, model.wv.key_to_index)
    with pytest.raises(ValueError, match="hot_nodes"):
        _hs_job(kernel, model, stream, -1, 10)
    with pytest.raises(ValueError, match="sync_words"):
        _hs_job(kernel, model, stream, 4, 0)


def _small_model(**kw):
    from fastw2v import Word2Vec
    from fastw2v.encode import encode_iterable
    sentences = [["a", "b", "c", "a", "d"]] * 5
    model = Word2Vec(vector_size=4, min_count=1, **kw)
    model.build_vocab(sentences)
    return model, encode_iterable(sentences, model.wv.key_to_index)


@pytest.mark.parametrize("kernel", KERNELS)
def test_train_job_reads_its_settings_from_train_params(kernel):
    model, stream = _small_model(hs=1, negative=0)
    params = _hs_params(stream, 16, 500)
    job = _hs_job(kernel, model, stream, 16, 500, params=params)
    settings = job.settings
    assert set(settings) == set(dataclasses.asdict(params))
    for name, value in dataclasses.asdict(params).items():
        assert settings[name] == pytest.approx(value, rel=1e-7), name
    with pytest.raises(TypeError, match="TrainParams"):
        kernel.TrainJob(dataclasses.asdict(params), model._vocab,
                        model.wv.vectors, model.syn1, None, stream.ids, stream.offsets,
                        stream.chunk_starts(1000), 1, 7)


@pytest.mark.parametrize("kernel", KERNELS)
def test_train_job_refuses_what_the_kernels_would_index_out_of_bounds(kernel):
    model, stream = _small_model(hs=0, negative=3)
    params = TrainParams(sg=1, hs=0, negative=3, cbow_mean=1, window=2, shrink_windows=1,
                         compute_loss=0, start_alpha=0.05, end_alpha=0.05, schedule_total=10)
    tables = dataclasses.asdict(model._vocab)

    def job(alias, p=params):
        vocab = types.SimpleNamespace(**dict(tables, alias=alias))
        return kernel.TrainJob(p, vocab, model.wv.vectors, None, model.syn1neg, stream.ids,
                               stream.offsets, stream.chunk_starts(1000), 1, 7)

    job(tables["alias"]).run_thread(0)  # the packed table as the vocabulary built it
    bad = tables["alias"].copy()
    bad[0, 1] = len(bad)
    with pytest.raises(ValueError, match="alias table out of range"):
        job(bad)
    with pytest.raises(ValueError, match="shape"):
        job(tables["alias"][:-1])
    with pytest.raises(ValueError, match="vocab.alias"):
        job(None)
    for wrong in (dict(hs=0, negative=0), dict(negative=-1), dict(window=0)):
        with pytest.raises(ValueError):
            job(tables["alias"], dataclasses.replace(params, **wrong))


@pytest.mark.parametrize("kernel", KERNELS)
def test_negative_sampler_draws_count_to_the_three_quarters(kernel):
    """The kernel's own sampler (batched draws, packed alias table) against the distribution."""
    from scipy.stats import chisquare

    from fastw2v import vocab
    counts = np.array([300, 100, 50, 20, 5, 1, 1, 7000], dtype=np.int64)
    table = vocab.alias_table(counts, 0.75)
    draws = kernel.negative_draws(table, 5, 20000, seed=3)  # 78 batches of 256 windows
    assert draws.shape == (20000, 5) and draws.min() >= 0 and draws.max() < len(counts)
    expected = counts ** 0.75 / (counts ** 0.75).sum() * draws.size
    observed = np.bincount(draws.ravel(), minlength=len(counts))
    assert chisquare(observed, expected).pvalue > 1e-4
    np.testing.assert_array_equal(draws, kernel.negative_draws(table, 5, 20000, seed=3))
    assert not np.array_equal(draws, kernel.negative_draws(table, 5, 20000, seed=4))
    bad = table.copy()
    bad[0, 1] = len(counts)
    for wrong in (bad, table[:, :1], table[:, 0]):
        with pytest.raises(ValueError):
            kernel.negative_draws(wrong, 5, 10)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("dim", [100, 33, 32, 17, 16, 15, 13, 3, 1])
def test_sg_ns_one_sweep_update_with_repeated_rows(kernel, dim):
    """SG-NS updates inputs and outputs in one sweep, merging repeated rows first: a context
    word twice in the window and a word drawn twice as a negative get both updates."""
    rng = np.random.default_rng(dim)
    syn0 = rng.uniform(-0.5, 0.5, (12, dim)).astype(np.float32)
    syn1neg = rng.uniform(-0.5, 0.5, (12, dim)).astype(np.float32)
    for context, negatives in [([3, 5, 3, 7, 5, 3], [1, 2, 1, 9, 2]), ([4, 4], [6, 6, 6, 6, 6]),
                               ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [11, 0, 3, 5, 7])]:
        mats_k = [syn0.copy(), None, syn1neg.copy()]
        mats_r = [syn0.copy(), None, syn1neg.copy()]
        kernel.window_update(*mats_k, 8, context, negatives, [0], [0], 0.1, sg=1)
        ref_window(*mats_r, 8, np.array(context), np.array(negatives), [0], [0], 0.1, 1, 1)
        np.testing.assert_allclose(mats_k[0], mats_r[0], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(mats_k[2], mats_r[2], rtol=1e-5, atol=1e-6)


def walker_reference(scaled):
    """Walker's pairing in plain Python (the loop fastw2v.vocab ran before it moved to C)."""
    n = len(scaled)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    alias, prob, scaled = list(range(n)), [1.0] * n, list(scaled)
    while small and large:
        s, g = small.pop(), large[-1]
        prob[s], alias[s] = scaled[s], g
        scaled[g] = scaled[g] + scaled[s] - 1.0
        if scaled[g] < 1.0:
            large.pop()
            small.append(g)
    return np.array(prob), np.array(alias, dtype=np.int32)


@pytest.mark.parametrize("seed", range(4))
def test_walker_alias_matches_reference(seed):
    from fastw2v._alias import walker_alias
    rng = np.random.default_rng(seed)
    weights = rng.zipf(1.3, int(rng.integers(1, 3000))).astype(np.float64) ** 0.75
    scaled = weights * (len(weights) / weights.sum())
    prob, alias = walker_alias(scaled)
    ref_prob, ref_alias = walker_reference(scaled)
    # Built without -fassociative-math: the same sums as Python, so the same pairs.
    np.testing.assert_array_equal(prob, ref_prob)
    np.testing.assert_array_equal(alias, ref_alias)
    # The table draws each slot with probability weight / sum (what it is for).
    implied = prob / len(prob)
    np.add.at(implied, alias, (1 - prob) / len(prob))
    np.testing.assert_allclose(implied, weights / weights.sum(), rtol=1e-9, atol=1e-12)


def test_alias_table_is_packed_as_the_sampler_reads_it():
    from fastw2v import vocab
    from fastw2v._alias import walker_alias
    counts = np.array([40, 7, 7, 1, 0, 900], dtype=np.int64)
    table = vocab.alias_table(counts, 0.75)
    assert table.dtype == np.uint32 and table.shape == (6, 2) and table.flags.c_contiguous
    weights = counts ** 0.75
    prob, alias = walker_alias(weights * (len(counts) / weights.sum()))
    np.testing.assert_array_equal(table[:, 1], alias)
    np.testing.assert_array_equal(table[:, 0], np.minimum(np.round(prob * 2.0**32), 2.0**32 - 1))
    assert vocab.alias_table(np.zeros(0, np.int64), 0.75).shape == (0, 2)
