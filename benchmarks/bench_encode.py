"""Corpus encoding benchmarks: text to an int32 IdStream, from a file (``encode_file``, C
reader threads) and from an iterable of token lists (``encode_iterable``)."""
import numpy as np
import pytest

from _suite import BENCH_WORKERS, record_rate


@pytest.fixture(scope="module")
def in_vocab_tokens(sentences, key_to_index):
    return sum(1 for s in sentences for w in s if w in key_to_index)


def _check(stream, n_tokens, n_sentences, in_vocab_tokens, key_to_index):
    assert stream.raw_words == n_tokens
    assert stream.corpus_count == n_sentences
    assert stream.n_words == in_vocab_tokens == len(stream.ids)
    assert stream.ids.dtype == np.int32
    assert 0 <= stream.ids.min() and stream.ids.max() < len(key_to_index)


def test_encode_file(benchmark, corpus_file, sentences, n_tokens, key_to_index, in_vocab_tokens):
    from fastw2v.encode import encode_file

    stream = benchmark.pedantic(encode_file, args=(corpus_file, key_to_index),
                                kwargs=dict(n_threads=BENCH_WORKERS), rounds=3, iterations=1)
    record_rate(benchmark, n_tokens)
    _check(stream, n_tokens, len(sentences), in_vocab_tokens, key_to_index)


def test_encode_iterable(benchmark, corpus_file, sentences, n_tokens, key_to_index,
                         in_vocab_tokens):
    from fastw2v.encode import encode_file, encode_iterable

    stream = benchmark.pedantic(encode_iterable, args=(sentences, key_to_index),
                                rounds=3, iterations=1)
    record_rate(benchmark, n_tokens)
    _check(stream, n_tokens, len(sentences), in_vocab_tokens, key_to_index)
    reference = encode_file(corpus_file, key_to_index, n_threads=1)
    assert np.array_equal(np.asarray(stream.ids), np.asarray(reference.ids))
