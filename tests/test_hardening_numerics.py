"""Hardening, numerics: divergence is reported with its epoch, never returned as NaN."""
import numpy as np
import pytest

from fastw2v import Word2Vec
from fastw2v.trainer import TrainingDivergedError

from _hardening_util import fastw2v_threads, small_corpus

VARIANTS = [dict(sg=1, hs=0, negative=5), dict(sg=0, hs=0, negative=5), dict(sg=0, hs=0, negative=5, cbow_mean=0),
            dict(sg=1, hs=1, negative=0), dict(sg=0, hs=1, negative=0), dict(sg=1, hs=1, negative=3)]
IDS = ["sg-ns", "cbow-ns", "cbow-sum-ns", "sg-hs", "cbow-hs", "sg-hs+ns"]


@pytest.mark.parametrize("kw", VARIANTS, ids=IDS)
def test_divergence_reported_with_epoch(kw):
    with pytest.raises(TrainingDivergedError, match=r"epoch \d+"):
        Word2Vec(small_corpus(), min_count=1, alpha=1e4, min_alpha=1e4, vector_size=8, epochs=3,
                 sample=0, workers=2, **kw)
    assert not fastw2v_threads()


@pytest.mark.parametrize("kw", VARIANTS[:2] + VARIANTS[3:4], ids=IDS[:2] + IDS[3:4])
def test_divergence_in_later_train_call(kw):
    model = Word2Vec(small_corpus(), min_count=1, vector_size=8, epochs=1, workers=2, **kw)
    assert np.isfinite(model.wv.vectors).all()
    with pytest.raises(TrainingDivergedError, match="epoch 1"):
        model.train(small_corpus(), total_examples=400, epochs=2, start_alpha=1e4, end_alpha=1e4)
    assert model.partially_trained  # flagged: the matrices are not a finished model
    assert issubclass(TrainingDivergedError, FloatingPointError)
