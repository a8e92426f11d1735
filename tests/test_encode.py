"""The id stream: in RAM, grown in place, or spilled to a memory-mapped file."""
import os

import numpy as np

from fastw2v.encode import encode_iterable


def reference(corpus, vocab, max_len):
    ids, lengths = [], []
    for sentence in corpus:
        kept = [vocab[w] for w in sentence if w in vocab]
        for i in range(0, len(kept), max_len):
            ids += kept[i:i + max_len]
            lengths.append(len(kept[i:i + max_len]))
    return np.array(ids, np.int32), np.concatenate(([0], np.cumsum(lengths)))


def corpus_and_vocab(seed=0):
    rng = np.random.default_rng(seed)
    corpus = [[f"w{int(z)}" for z in rng.zipf(1.3, int(rng.integers(0, 300)))] for _ in range(3000)]
    vocab = {f"w{i}": i - 1 for i in range(1, 200)}
    return corpus, vocab


def test_in_ram_stream_matches_reference():
    corpus, vocab = corpus_and_vocab()
    stream = encode_iterable(corpus, vocab, max_sentence_length=50)
    ids, offsets = reference(corpus, vocab, 50)
    assert not isinstance(stream.ids, np.memmap)
    np.testing.assert_array_equal(stream.ids, ids)
    np.testing.assert_array_equal(stream.offsets, offsets)
    assert stream.raw_words == sum(map(len, corpus)) and stream.corpus_count == len(corpus)


def test_spilled_stream_is_memory_mapped_equal_and_removed_on_close(monkeypatch):
    import fastw2v.encode as enc
    monkeypatch.setattr(enc, "_BLOCK_TOKENS", 5000)  # several blocks, spill mid-way
    corpus, vocab = corpus_and_vocab(1)
    stream = encode_iterable(corpus, vocab, memory_budget=40_000)
    ids, offsets = reference(corpus, vocab, 10000)
    assert isinstance(stream.ids, np.memmap)
    np.testing.assert_array_equal(stream.ids, ids)
    np.testing.assert_array_equal(stream.offsets, offsets)
    path = stream._spill_path
    assert os.path.exists(path)
    stream.close()
    assert not os.path.exists(path)
