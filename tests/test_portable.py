"""The portable kernels: the paths test_kernels.py's small cases do not reach, and aarch64.

The fused skip-gram update broadcasts the grads of up to FW_FUSED_MAX_IN (32) distinct
context rows once per block and broadcasts in the loop beyond that; dims that are not a
multiple of the vector width finish in scalar tails. Both builds are checked against the
numpy reference of test_kernels.py. The aarch64 check cross-compiles the kernel C and
needs no ARM machine (it skips without the cross compiler).
"""
import os
import shutil
import subprocess

import numpy as np
import pytest

from test_kernels import KERNELS, ref_window, scores_clear_of_table_edges

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SG_NS = dict(sg=1, hs=False, ns=True)


def wide_case(seed, n_ctx, dim, n_neg=5, scale=0.1):
    """A skip-gram window with n_ctx distinct context rows (no merging shrinks it)."""
    rng = np.random.default_rng(seed)
    n_words = n_ctx + n_neg + 2
    syn0 = rng.uniform(-scale, scale, (n_words, dim)).astype(np.float32)
    syn1neg = rng.uniform(-scale, scale, (n_words, dim)).astype(np.float32)
    rows = rng.permutation(n_words)
    centre, context, negatives = int(rows[0]), rows[1:1 + n_ctx], rows[1 + n_ctx:1 + n_ctx + n_neg]
    empty = np.zeros(0, np.int64)
    return syn0, None, syn1neg, centre, context, negatives, empty.astype(np.uint8), empty


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("n_ctx", [31, 32, 33, 64])
@pytest.mark.parametrize("dim", [3, 4, 7, 100, 101])
def test_fused_sg_ns_with_many_context_rows_matches_numpy(kernel, n_ctx, dim):
    # With hundreds of scores per window some land near a sigmoid-table edge (see
    # scores_clear_of_table_edges): try seeds until three clear cases are checked.
    checked = 0
    for seed in range(40):
        if checked == 3:
            break
        case = wide_case(seed, n_ctx, dim)
        if not scores_clear_of_table_edges(case, SG_NS):
            continue
        syn0, _, syn1neg, centre, context, negatives, codes, points = case
        k0, k1 = syn0.copy(), syn1neg.copy()
        r0, r1 = syn0.copy(), syn1neg.copy()
        kernel.window_update(k0, None, k1, centre, context, negatives, codes, points, 0.05, sg=1)
        ref_window(r0, None, r1, centre, context, negatives, codes, points, 0.05, 1, 1)
        np.testing.assert_allclose(k0, r0, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(k1, r1, rtol=1e-5, atol=1e-6)
        checked += 1
    assert checked == 3


@pytest.mark.skipif(shutil.which("aarch64-linux-gnu-gcc") is None,
                    reason="no aarch64 cross compiler (Debian: gcc-aarch64-linux-gnu libc6-dev-arm64-cross)")
def test_aarch64_hot_loops_compile_to_neon_fmla():
    script = os.path.join(ROOT, "benchmarks", "check_aarch64.sh")
    if not os.path.exists(script):
        pytest.skip("benchmarks/ is not in this tree (installed package)")
    proc = subprocess.run(["bash", script], capture_output=True, text=True)
    if proc.returncode == 2:  # the toolchain is incomplete (the script says what is missing)
        pytest.skip(proc.stderr.strip())
    assert proc.returncode == 0, proc.stdout + proc.stderr
