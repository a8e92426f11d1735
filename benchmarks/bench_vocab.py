"""Vocabulary build benchmarks: ``Word2Vec.build_vocab`` on a corpus file and on an iterable."""
import pytest
from _suite import BENCH_WORKERS, W2V_SETTINGS, record_rate


def _check(model, n_tokens, n_sentences, expected_keys=None):
    assert model.corpus_total_words == n_tokens
    assert model.corpus_count == n_sentences
    counts = [model.wv.get_vecattr(k, "count") for k in model.wv.index_to_key]
    assert min(counts) >= W2V_SETTINGS["min_count"]
    assert counts == sorted(counts, reverse=True)
    if expected_keys is not None:
        assert set(model.wv.index_to_key) == set(expected_keys)


@pytest.mark.parametrize("source", ["corpus_file", "iterable"])
def test_build_vocab(benchmark, source, corpus_file, sentences, n_tokens, key_to_index):
    from fastw2v import Word2Vec

    corpus = {"corpus_file": corpus_file} if source == "corpus_file" else {"corpus_iterable": sentences}

    def run():
        model = Word2Vec(workers=BENCH_WORKERS, **W2V_SETTINGS)
        model.build_vocab(**corpus)
        return model

    model = benchmark.pedantic(run, rounds=3, iterations=1)
    record_rate(benchmark, n_tokens)
    _check(model, n_tokens, len(sentences), key_to_index)
