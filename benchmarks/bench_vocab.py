"""Vocabulary build benchmarks: ``Word2Vec.build_vocab`` on a corpus file and on an iterable."""
from _suite import BENCH_WORKERS, W2V_SETTINGS, record_rate


def _check(model, n_tokens, n_sentences, expected_keys=None):
    assert model.corpus_total_words == n_tokens
    assert model.corpus_count == n_sentences
    counts = [model.wv.get_vecattr(k, "count") for k in model.wv.index_to_key]
    assert min(counts) >= W2V_SETTINGS["min_count"]
    assert counts == sorted(counts, reverse=True)
    if expected_keys is not None:
        assert set(model.wv.index_to_key) == set(expected_keys)


def test_build_vocab_corpus_file(benchmark, corpus_file, sentences, n_tokens, key_to_index):
    from fastw2v import Word2Vec

    def run():
        model = Word2Vec(workers=BENCH_WORKERS, **W2V_SETTINGS)
        model.build_vocab(corpus_file=corpus_file)
        return model

    model = benchmark.pedantic(run, rounds=3, iterations=1)
    record_rate(benchmark, n_tokens)
    _check(model, n_tokens, len(sentences), key_to_index)


def test_build_vocab_iterable(benchmark, sentences, n_tokens, key_to_index):
    from fastw2v import Word2Vec

    def run():
        model = Word2Vec(workers=BENCH_WORKERS, **W2V_SETTINGS)
        model.build_vocab(corpus_iterable=sentences)
        return model

    model = benchmark.pedantic(run, rounds=3, iterations=1)
    record_rate(benchmark, n_tokens)
    _check(model, n_tokens, len(sentences), key_to_index)
