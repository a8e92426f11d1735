"""The threaded C fill of random initial rows against numpy (and gensim) itself."""
import numpy as np
import pytest

from fastw2v._uniform import uniform_rows

SLICE = 1 << 22  # floats per slice in _uniform.pyx: shapes below cross slice edges


def numpy_rows(shape, seed):
    """gensim's prep_vectors, written out: numpy's draws, rounded in float32 in place."""
    v = np.random.default_rng(seed).random(shape, dtype=np.float32)
    v *= 2.0
    v -= 1.0
    v /= shape[1]
    return v


@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (10, 4), (1000, 100), (7, 3),
                                   (SLICE // 100 + 3, 100), (2 * SLICE // 50 + 1, 50)])
@pytest.mark.parametrize("seed", [0, 1, 12345])
@pytest.mark.parametrize("threads", [1, 3])
def test_equals_numpy_bit_for_bit(shape, seed, threads):
    got = uniform_rows(shape, seed, threads=threads)
    assert got.dtype == np.float32 and got.shape == shape and got.flags.c_contiguous
    np.testing.assert_array_equal(got, numpy_rows(shape, seed))


def test_equals_gensim_prep_vectors():
    prep_vectors = pytest.importorskip("gensim.models.keyedvectors").prep_vectors
    np.testing.assert_array_equal(uniform_rows((4099, 30), 5), prep_vectors((4099, 30), seed=5))


def test_empty_and_range():
    assert uniform_rows((0, 100), 1).shape == (0, 100)
    v = uniform_rows((5000, 8), 2)
    assert v.min() >= -1 / 8 and v.max() < 1 / 8
