"""Training benchmarks: one epoch per (sg/cbow x ns/hs) on the pre-encoded corpus, kernels only
(``fastw2v.trainer.run_training`` on an IdStream), and one end-to-end
``Word2Vec(corpus_file=...)`` epoch (vocabulary, weights, encoding, training)."""
import numpy as np
import pytest

from _suite import BENCH_WORKERS, W2V_SETTINGS, record_rate

MODES = {
    "sg-ns": dict(sg=1, hs=0, negative=5),
    "sg-hs": dict(sg=1, hs=1, negative=0),
    "cbow-ns": dict(sg=0, hs=0, negative=5),
    "cbow-hs": dict(sg=0, hs=1, negative=0),
}


@pytest.fixture(scope="module")
def stream(corpus_file, key_to_index):
    from fastw2v.encode import encode_file

    s = encode_file(corpus_file, key_to_index, n_threads=BENCH_WORKERS)
    yield s
    s.close()


@pytest.mark.parametrize("mode", list(MODES))
def test_train_epoch_kernels(benchmark, mode, corpus_file, stream, n_tokens):
    """One epoch of the nogil kernels on the encoded corpus; weights reset before each round."""
    from fastw2v import Word2Vec
    from fastw2v.trainer import run_training

    model = Word2Vec(workers=BENCH_WORKERS, **W2V_SETTINGS, **MODES[mode])
    model.build_vocab(corpus_file=corpus_file)

    def setup():
        model.init_weights()

    def run():
        return run_training(model, stream, epochs=1, start_alpha=model.alpha,
                            end_alpha=model.min_alpha, compute_loss=False, report_delay=3600.0)

    result = benchmark.pedantic(run, setup=setup, rounds=3, iterations=1, warmup_rounds=0)
    record_rate(benchmark, stream.raw_words)
    benchmark.extra_info["effective_words"] = result.effective_words
    assert stream.raw_words == n_tokens
    assert result.epochs_done == 1 and result.raw_words == n_tokens
    assert 0 < result.effective_words <= stream.n_words
    assert np.isfinite(model.wv.vectors).all()
    out = model.syn1 if model.hs else model.syn1neg
    assert np.isfinite(out).all() and np.abs(out).sum() > 0  # output layer was trained


@pytest.mark.parametrize("mode", ["sg-ns", "cbow-ns"])
def test_word2vec_corpus_file_epoch(benchmark, mode, corpus_file, n_tokens):
    """End to end: ``Word2Vec(corpus_file=path, epochs=1)`` (vocabulary build included)."""
    from fastw2v import Word2Vec

    def run():
        return Word2Vec(corpus_file=corpus_file, epochs=1, workers=BENCH_WORKERS,
                        **W2V_SETTINGS, **MODES[mode])

    model = benchmark.pedantic(run, rounds=3, iterations=1)
    record_rate(benchmark, n_tokens)
    assert model.corpus_total_words == n_tokens
    assert len(model.wv) > 100
    assert np.isfinite(model.wv.vectors).all()
