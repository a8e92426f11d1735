"""Word2Vec: gensim 4.x's API and behaviour, on small corpora."""
import inspect
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest
from _child import CHILD_CWD, child_env

from fastw2v import CallbackAny2Vec, LineSentence, Word2Vec
from fastw2v import vocab as fvocab
from fastw2v.kernels import TrainParams
from fastw2v.kernels._train import TrainJob

@pytest.fixture(scope="module")
def gensim_models():
    """gensim's models module: the tests comparing with gensim take it, and skip without it."""
    return pytest.importorskip("gensim.models")


def topic_corpus(n_sentences=600, seed=0, length=12):
    """Two topics whose words co-occur only within their topic, plus shared filler."""
    rng = np.random.default_rng(seed)
    topics = [[f"a{i}" for i in range(10)], [f"b{i}" for i in range(10)]]
    filler = ["the", "of", "and"]
    corpus = []
    for s in range(n_sentences):
        words = topics[s % 2]
        sent = [words[i] if rng.random() < 0.8 else filler[i % 3]
                for i in rng.integers(0, 10, length)]
        corpus.append(sent)
    return corpus


CORPUS = topic_corpus()


def separation(model):
    a = model.wv.vectors[[model.wv.key_to_index[f"a{i}"] for i in range(10)]]
    b = model.wv.vectors[[model.wv.key_to_index[f"b{i}"] for i in range(10)]]
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    within = (np.mean(a @ a.T) + np.mean(b @ b.T)) / 2
    across = np.mean(a @ b.T)
    return within - across


# ---------------------------------------------------------------- API surface

def test_constructor_signature_matches_gensim(gensim_models):
    ours = inspect.signature(Word2Vec.__init__).parameters
    theirs = inspect.signature(gensim_models.Word2Vec.__init__).parameters
    for name, param in theirs.items():
        assert name in ours, name
        if name != "hashfxn":
            assert ours[name].default == param.default, name
    assert list(ours)[:len(theirs)] == list(theirs)


@pytest.mark.parametrize("method", ["build_vocab", "train", "build_vocab_from_freq",
                                    "predict_output_word", "estimate_memory"])
def test_method_parameters_match_gensim(method, gensim_models):
    ours = inspect.signature(getattr(Word2Vec, method)).parameters
    theirs = inspect.signature(getattr(gensim_models.Word2Vec, method)).parameters
    for name, param in theirs.items():
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            continue
        assert name in ours, (method, name)
        assert ours[name].default == param.default, (method, name)


def test_gensim_shaped_imports():
    import fastw2v.models
    import fastw2v.models.callbacks
    import fastw2v.models.keyedvectors
    import fastw2v.models.word2vec
    assert fastw2v.models.Word2Vec is Word2Vec
    assert fastw2v.models.word2vec.Word2Vec is Word2Vec
    assert fastw2v.models.word2vec.LineSentence is LineSentence
    assert fastw2v.models.keyedvectors.KeyedVectors is fastw2v.KeyedVectors
    assert fastw2v.models.callbacks.CallbackAny2Vec is CallbackAny2Vec


# ---------------------------------------------------------------- vocabulary

def test_vocab_counts_equal_counter_and_sorted():
    model = Word2Vec(min_count=1)
    model.build_vocab(CORPUS)
    counts = Counter(w for s in CORPUS for w in s)
    assert set(model.wv.index_to_key) == set(counts)
    got = [model.wv.get_vecattr(w, "count") for w in model.wv.index_to_key]
    assert got == [counts[w] for w in model.wv.index_to_key]
    assert got == sorted(got, reverse=True)
    assert model.corpus_count == len(CORPUS)
    assert model.corpus_total_words == sum(counts.values())


@pytest.mark.parametrize("kw", [
    dict(min_count=5), dict(min_count=1, max_final_vocab=7), dict(min_count=1, max_vocab_size=15),
    dict(min_count=2, sample=1e-2), dict(min_count=1, sample=0), dict(min_count=1, sample=30),
])
def test_vocab_matches_gensim(kw, gensim_models):
    rng = np.random.default_rng(1)
    corpus = [[f"w{int(z)}" for z in rng.zipf(1.5, 20)] for _ in range(300)]
    ours = Word2Vec(**kw)
    ours.build_vocab(corpus)
    theirs = gensim_models.Word2Vec(**kw)
    theirs.build_vocab(corpus)
    assert set(ours.wv.index_to_key) == set(theirs.wv.index_to_key)
    for w in theirs.wv.index_to_key:
        assert ours.wv.get_vecattr(w, "count") == theirs.wv.get_vecattr(w, "count")
        assert abs(int(ours.wv.get_vecattr(w, "sample_int")) - int(theirs.wv.get_vecattr(w, "sample_int"))) <= 2
    assert ours.effective_min_count == theirs.effective_min_count


def test_trim_rule_matches_gensim(gensim_models):
    def rule(word, count, min_count):
        if word.startswith("a"):
            return fvocab.RULE_DISCARD
        if word == "the":
            return fvocab.RULE_KEEP
        return fvocab.RULE_DEFAULT
    ours = Word2Vec(min_count=50)
    ours.build_vocab(CORPUS, trim_rule=rule)
    theirs = gensim_models.Word2Vec(min_count=50)
    theirs.build_vocab(CORPUS, trim_rule=rule)
    assert set(ours.wv.index_to_key) == set(theirs.wv.index_to_key)


def test_initial_vectors_match_gensim(gensim_models):
    ours = Word2Vec(min_count=1, seed=7)
    ours.build_vocab_from_freq({"x": 5, "y": 3, "z": 1})
    theirs = gensim_models.Word2Vec(min_count=1, seed=7)
    theirs.build_vocab_from_freq({"x": 5, "y": 3, "z": 1})
    assert ours.wv.index_to_key == theirs.wv.index_to_key
    np.testing.assert_array_equal(ours.wv.vectors, theirs.wv.vectors)


def test_huffman_tree_is_optimal_like_gensims(gensim_models):
    rng = np.random.default_rng(0)
    counts = np.sort(rng.integers(1, 1000, 300))[::-1]
    codes, points, offsets = fvocab.huffman_tree(counts)
    lengths = np.diff(offsets)
    theirs = gensim_models.Word2Vec(min_count=1, hs=1, negative=0)
    theirs.build_vocab_from_freq({f"w{i}": int(c) for i, c in enumerate(counts)})
    glen = np.array([len(theirs.wv.get_vecattr(f"w{i}", "code")) for i in range(len(counts))])
    # Any Huffman tree minimises the weighted path length; ties may differ in shape.
    assert int((lengths * counts).sum()) == int((glen * counts).sum())
    assert points.min() >= 0 and points.max() < len(counts) - 1
    # Prefix-free: no code is a prefix of another.
    strings = sorted("".join(map(str, codes[offsets[i]:offsets[i + 1]])) for i in range(len(counts)))
    assert all(not b.startswith(a) for a, b in zip(strings, strings[1:]))


def test_alias_table_reproduces_distribution():
    counts = np.array([1000, 300, 300, 20, 7, 1, 1])
    table = fvocab.alias_table(counts, 0.75)
    prob, alias = table[:, 0], table[:, 1]
    n = len(counts)
    p = prob.astype(np.float64) / 2**32
    implied = p / n
    np.add.at(implied, alias, (1 - p) / n)
    target = counts ** 0.75 / (counts ** 0.75).sum()
    np.testing.assert_allclose(implied, target, atol=1e-8)


def test_64bit_counts():
    big = 3 * 2**31
    model = Word2Vec(min_count=1, sample=1e-3)
    model.build_vocab_from_freq({"huge": big, "small": 5})
    assert model.wv.get_vecattr("huge", "count") == big
    assert model.corpus_total_words == big + 5
    assert model.wv.expandos["count"].dtype == np.int64
    assert 0 < int(model.wv.get_vecattr("huge", "sample_int")) < 2**32 - 1


# ---------------------------------------------------------------- training

@pytest.mark.parametrize("kw", [
    pytest.param(dict(sg=1, hs=0, negative=5), id="sg-ns"),
    pytest.param(dict(sg=0, hs=0, negative=5), id="cbow-ns"),
    pytest.param(dict(sg=0, hs=0, negative=5, cbow_mean=0), id="cbow-sum-ns"),
    pytest.param(dict(sg=1, hs=1, negative=0), id="sg-hs"),
    pytest.param(dict(sg=0, hs=1, negative=0), id="cbow-hs"),
    pytest.param(dict(sg=1, hs=1, negative=3), id="sg-hs+ns"),
])
def test_training_learns_topics_like_gensim(kw, gensim_models):
    ours = Word2Vec(CORPUS, vector_size=20, min_count=1, epochs=10, workers=2, seed=3, **kw)
    theirs = gensim_models.Word2Vec(CORPUS, vector_size=20, min_count=1, epochs=10, workers=2,
                                    seed=3, **kw)
    assert np.isfinite(ours.wv.vectors).all()
    assert separation(ours) > 0.3
    assert separation(ours) > separation(theirs) - 0.15


def test_workers_1_bit_identical_across_processes():
    script = (
        "import numpy as np, sys\n"
        "sys.path[:0] = [p for p in sys.argv[1:] if p]\n"
        "from fastw2v import Word2Vec\n"
        "c = [[f'w{(i * 7 + j * 3) % 23}' for j in range(9)] for i in range(200)]\n"
        "m = Word2Vec(c, vector_size=8, min_count=1, workers=1, seed=5, epochs=2, sg=1, hs=1)\n"
        "print(m.wv.vectors.tobytes().hex()[:4000], m.syn1neg.sum(), m.syn1.sum())\n"
    )
    outs = []
    for hashseed in ("1", "2"):
        env = child_env(PYTHONHASHSEED=hashseed)
        outs.append(subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                                   text=True, check=True, cwd=CHILD_CWD).stdout)
    assert outs[0] == outs[1]


def test_seed_changes_vectors_and_workers_1_repeats_in_process():
    a = Word2Vec(CORPUS, vector_size=8, min_count=1, workers=1, seed=1, epochs=1)
    b = Word2Vec(CORPUS, vector_size=8, min_count=1, workers=1, seed=1, epochs=1)
    c = Word2Vec(CORPUS, vector_size=8, min_count=1, workers=1, seed=2, epochs=1)
    assert np.array_equal(a.wv.vectors, b.wv.vectors)
    assert not np.array_equal(a.wv.vectors, c.wv.vectors)


def test_word_counts_returned_and_long_sentences_split_not_truncated():
    sentence = [f"t{i % 50}" for i in range(25_000)]
    model = Word2Vec(min_count=1, sample=0, vector_size=8, workers=2)
    model.build_vocab([sentence, ["t1", "t2"]])
    effective, raw = model.train([sentence, ["t1", "t2"]], total_examples=2, epochs=3)
    assert raw == 3 * 25_002
    assert effective == 3 * 25_002  # sample=0: every token trained, none cut at 10,000


def test_subsampling_drops_frequent_words():
    model = Word2Vec(min_count=1, sample=1e-3, vector_size=8, workers=1)
    corpus = [["the"] * 50 + [f"r{i}" for i in range(10)] for _ in range(100)]
    model.build_vocab(corpus)
    effective, raw = model.train(corpus, total_examples=100, epochs=1)
    assert raw == 6000
    # word2vec's keep probability (sqrt(c/t) + 1) t/c with t = sample * 6000 = 6
    expected = 5000 * (np.sqrt(5000 / 6) + 1) * 6 / 5000 + 1000 * (np.sqrt(100 / 6) + 1) * 6 / 100
    assert abs(effective - expected) < 80


def test_learning_rate_decays_to_min_alpha():
    model = Word2Vec(min_count=1, vector_size=8, workers=2)
    model.build_vocab(CORPUS)
    stream_ids = np.array([model.wv.key_to_index[w] for s in CORPUS for w in s], np.int32)
    offsets = np.arange(0, len(stream_ids) + 1, 12, dtype=np.int64)
    params = TrainParams(sg=1, hs=0, negative=5, cbow_mean=1, window=5, shrink_windows=1,
                         compute_loss=0, start_alpha=0.5, end_alpha=0.01,
                         schedule_total=2 * len(stream_ids))
    job = TrainJob(params, model._vocab, model.wv.vectors, None,
                   model.syn1neg, stream_ids, offsets, np.array([0, 100, len(offsets) - 1]), 2, 1)
    assert job.alpha == pytest.approx(0.5)
    job.begin_epoch()
    job.run_thread(0)
    assert job.words_done == len(stream_ids)
    assert job.alpha == pytest.approx(0.5 - 0.49 * 0.5, rel=1e-4)
    job.begin_epoch()
    job.run_thread(1)
    assert job.alpha == pytest.approx(0.01)


def test_continued_training_and_vocab_update():
    model = Word2Vec(CORPUS, vector_size=10, min_count=1, epochs=2, workers=2)
    before = model.wv["a1"].copy()
    new = [["zebra", "a1", "a2"], ["zebra", "a3"]] * 10
    model.build_vocab(new, update=True)
    assert "zebra" in model.wv
    assert model.wv.get_vecattr("a1", "count") == Counter(w for s in CORPUS for w in s)["a1"] + 10
    np.testing.assert_array_equal(model.wv["a1"], before)  # untouched until trained
    assert model.wv.vectors.shape[0] == model.syn1neg.shape[0] == len(model.wv)
    model.train(new, total_examples=len(new), epochs=2)
    assert not np.array_equal(model.wv["a1"], before)
    assert model.train_count == 2


def test_callbacks_order():
    events = []

    class Recorder(CallbackAny2Vec):
        def on_train_begin(self, model):
            events.append("train_begin")

        def on_epoch_begin(self, model):
            events.append("epoch_begin")

        def on_epoch_end(self, model):
            events.append("epoch_end")

        def on_train_end(self, model):
            events.append("train_end")

    Word2Vec(CORPUS, min_count=1, vector_size=8, epochs=3, callbacks=[Recorder()])
    assert events == ["train_begin"] + ["epoch_begin", "epoch_end"] * 3 + ["train_end"]


def test_loss_is_float64_per_train_call_and_decreases():
    model = Word2Vec(CORPUS, min_count=1, vector_size=16, epochs=1, compute_loss=True, seed=2)
    first = model.get_latest_training_loss()
    assert isinstance(first, float) and first > 0
    # One epoch more moves the loss by less than its sampling noise (+-5% here: it rose
    # in 10 of 20 seeds before): train ten first, then measure one epoch again.
    model.train(CORPUS, total_examples=len(CORPUS), epochs=10)
    model.train(CORPUS, total_examples=len(CORPUS), epochs=1, compute_loss=True)
    second = model.get_latest_training_loss()
    assert 0 < second < 0.8 * first  # the latest call only (0.52-0.62 over 20 seeds)
    model.train(CORPUS, total_examples=len(CORPUS), epochs=1)
    assert model.get_latest_training_loss() == 0.0


def test_gensim_loss_magnitude_comparable(gensim_models):
    kw = dict(sentences=CORPUS, min_count=1, vector_size=16, epochs=1, compute_loss=True, seed=2,
              sg=1, workers=1)
    ours = Word2Vec(**kw).get_latest_training_loss()
    theirs = gensim_models.Word2Vec(**kw).get_latest_training_loss()
    assert 0.5 < ours / theirs < 2.0


def test_predict_output_word():
    # 20 epochs: at 5 the model was undertrained, and "at least 3 of 5 from the topic"
    # held for only 19-22 of 30 seeds (any kernel build); at 20, all 5 for all 30.
    model = Word2Vec(CORPUS, min_count=1, vector_size=16, epochs=20, seed=1)
    out = model.predict_output_word(["a1", "a2", "a3"], topn=5)
    assert len(out) == 5
    assert sum(w.startswith("a") for w, _ in out) >= 3
    probs = [p for _, p in out]
    assert probs == sorted(probs, reverse=True) and all(0 < p < 1 for p in probs)
    assert model.predict_output_word(["unknown"]) is None


def test_estimate_memory_matches_gensim(gensim_models):
    ours = Word2Vec(min_count=1, hs=1)
    ours.build_vocab(CORPUS)
    theirs = gensim_models.Word2Vec(min_count=1, hs=1)
    theirs.build_vocab(CORPUS)
    assert ours.estimate_memory() == theirs.estimate_memory()


def test_null_word():
    model = Word2Vec(CORPUS, min_count=1, null_word=1, vector_size=8, epochs=1)
    assert "\0" in model.wv


def test_corpus_file_equals_iterable_with_one_worker(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("\n".join(" ".join(s) for s in CORPUS) + "\n")
    kw = dict(vector_size=12, min_count=2, workers=1, seed=4, epochs=2, sample=1e-2)
    a = Word2Vec(corpus_file=str(path), **kw)
    b = Word2Vec(LineSentence(str(path)), **kw)
    assert a.wv.index_to_key == b.wv.index_to_key
    assert a.corpus_count == b.corpus_count == len(CORPUS)
    np.testing.assert_array_equal(a.wv.vectors, b.wv.vectors)


def test_corpus_file_multithreaded_trains_every_word(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("\n".join(" ".join(s) for s in CORPUS))
    model = Word2Vec(min_count=1, sample=0, workers=4, vector_size=8)
    model.build_vocab(corpus_file=str(path))
    effective, raw = model.train(corpus_file=str(path), total_words=model.corpus_total_words, epochs=2)
    assert raw == effective == 2 * sum(len(s) for s in CORPUS)
    assert separation(Word2Vec(corpus_file=str(path), min_count=1, workers=2, epochs=10,
                               vector_size=20, seed=3)) > 0.3


def test_save_load_roundtrip(tmp_path):
    model = Word2Vec(CORPUS, min_count=1, vector_size=8, epochs=1, hs=1, negative=3)
    path = str(tmp_path / "m.model")
    model.save(path)
    loaded = Word2Vec.load(path)
    np.testing.assert_array_equal(loaded.wv.vectors, model.wv.vectors)
    np.testing.assert_array_equal(loaded.syn1neg, model.syn1neg)
    np.testing.assert_array_equal(loaded.syn1, model.syn1)
    assert loaded.wv.index_to_key == model.wv.index_to_key
    assert loaded.window == model.window and loaded.sg == model.sg
    loaded.train(CORPUS, total_examples=len(CORPUS), epochs=1)  # continued training works
    mapped = Word2Vec.load(path, mmap="r")
    np.testing.assert_array_equal(mapped.wv.vectors, model.wv.vectors)


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("kw, name", [
    (dict(vector_size=0), "vector_size"), (dict(vector_size=-3), "vector_size"),
    (dict(window=0), "window"), (dict(workers=0), "workers"), (dict(alpha=-0.1), "alpha"),
    (dict(sample=-1e-3), "sample"), (dict(min_count=-1), "min_count"),
    (dict(negative=-5), "negative"), (dict(min_alpha=-1.0), "min_alpha"),
    (dict(epochs=-1), "epochs"), (dict(alpha=float("nan")), "alpha"),
    (dict(vector_size=2.5), "vector_size"), (dict(sg=2), "sg"),
    (dict(max_vocab_size=0), "max_vocab_size"), (dict(batch_words=0), "batch_words"),
])
def test_bad_parameters_raise_valueerror_naming_them(kw, name):
    with pytest.raises(ValueError, match=name):
        Word2Vec(**kw)


def test_hs0_negative0_is_refused():
    with pytest.raises(ValueError, match="hs=0 and negative=0"):
        Word2Vec(hs=0, negative=0)


def test_empty_corpus():
    with pytest.raises(ValueError, match="empty"):
        Word2Vec([])
    with pytest.raises(ValueError, match="empty"):
        Word2Vec([[], []])


def test_nothing_reaches_min_count():
    with pytest.raises(ValueError, match="min_count"):
        Word2Vec([["a", "b"], ["c"]], min_count=5)


def test_string_instead_of_token_list():
    with pytest.raises(TypeError, match="list of tokens"):
        Word2Vec(["this is a sentence", "another one"], min_count=1)
    with pytest.raises(TypeError, match="string"):
        Word2Vec("just a string")


def _walks(n=300, length=20, nodes=50, seed=0):
    rng = np.random.default_rng(seed)
    return [[int(x) for x in rng.integers(0, nodes, length)] for _ in range(n)]


def test_int_tokens_train_and_keep_their_type(tmp_path):
    # item2vec / DeepWalk: integer ids, no string conversion anywhere
    walks = _walks()
    model = Word2Vec(walks, vector_size=8, min_count=1, workers=1, seed=1, epochs=2)
    assert all(type(k) is int for k in model.wv.index_to_key)
    assert 7 in model.wv and model.wv[7].shape == (8,)
    assert all(type(k) is int for k, _ in model.wv.most_similar(7, topn=3))
    # numpy integer arrays take the vectorised path and give the same model
    arrays = Word2Vec([np.array(w, np.int32) for w in walks], vector_size=8, min_count=1,
                      workers=1, seed=1, epochs=2)
    assert arrays.wv.index_to_key == model.wv.index_to_key
    np.testing.assert_array_equal(arrays.wv.vectors, model.wv.vectors)
    # the native format keeps the type; the word2vec formats write decimal strings
    model.save(str(tmp_path / "m.w2v"))
    assert Word2Vec.load(str(tmp_path / "m.w2v")).wv.index_to_key == model.wv.index_to_key
    model.wv.save_word2vec_format(str(tmp_path / "v.txt"))
    first = (tmp_path / "v.txt").read_text().splitlines()[1].split()[0]
    assert first == str(model.wv.index_to_key[0])


def test_other_hashable_tokens_train_but_the_native_format_says_what_it_stores(tmp_path):
    from fastw2v.io.errors import FormatError
    model = Word2Vec([[("a", 1), ("b", 2), b"raw"]] * 20, vector_size=4, min_count=1, epochs=1)
    assert ("a", 1) in model.wv and b"raw" in model.wv
    with pytest.raises(FormatError, match="stores str and int keys"):
        model.save(str(tmp_path / "t.w2v"))
    assert not (tmp_path / "t.w2v").exists()


def test_unhashable_tokens_and_string_corpora_are_refused():
    with pytest.raises(TypeError, match="unhashable token"):
        Word2Vec([["a", ["b"]]], min_count=1)
    with pytest.raises(TypeError, match="list of tokens"):  # gensim trains on characters
        Word2Vec(["a b c", "d e"], min_count=1)


def test_one_shot_generator_refused_with_reason():
    gen = (s for s in CORPUS)
    with pytest.raises(TypeError, match="one-shot"):
        Word2Vec(gen, min_count=1)


def test_missing_and_empty_corpus_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Word2Vec(corpus_file=str(tmp_path / "nope.txt"))
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty"):
        Word2Vec(corpus_file=str(empty))


def test_train_requires_epochs_and_totals():
    model = Word2Vec(min_count=1)
    model.build_vocab(CORPUS)
    with pytest.raises(ValueError, match="epochs"):
        model.train(CORPUS, total_examples=len(CORPUS))
    with pytest.raises(ValueError, match="total_examples"):
        model.train(CORPUS, epochs=1)
    with pytest.raises(RuntimeError, match="vocabulary"):
        Word2Vec().train(CORPUS, total_examples=1, epochs=1)


def test_exception_in_iterable_is_reraised():
    class Flaky:
        def __init__(self):
            self.passes = 0

        def __iter__(self):
            self.passes += 1
            for i, s in enumerate(CORPUS):
                if self.passes == 2 and i == 300:
                    raise RuntimeError("disk on fire")
                yield s

    with pytest.raises(RuntimeError, match="disk on fire"):
        Word2Vec(Flaky(), min_count=1, workers=3)
    import threading
    assert not [t for t in threading.enumerate() if t.name.startswith("fastw2v-")]


def test_exception_in_callback_joins_threads():
    class Boom(CallbackAny2Vec):
        def on_epoch_end(self, model):
            raise KeyError("callback failed")

    with pytest.raises(KeyError, match="callback failed"):
        Word2Vec(CORPUS, min_count=1, workers=3, callbacks=[Boom()])
    import threading
    assert not [t for t in threading.enumerate() if t.name.startswith("fastw2v-")]


def test_divergence_is_reported_not_returned_as_nan():
    from fastw2v.trainer import TrainingDivergedError
    with pytest.raises(TrainingDivergedError, match="epoch 1"):
        Word2Vec(CORPUS, min_count=1, alpha=1e4, min_alpha=1e4, vector_size=8, epochs=3, sample=0)


def test_shrink_windows_false_uses_the_full_window():
    """shrink_windows=False trains every pair of the full window (a different, still sane model)."""
    kw = dict(vector_size=16, min_count=1, workers=1, seed=3, sg=1, sample=0)
    # With a learning rate too small to learn, the summed loss counts the pairs: window 5
    # gives up to 10 context words per centre word, against 2 * 3 on average when shrunk.
    tiny = dict(kw, epochs=1, alpha=1e-5, min_alpha=1e-5, compute_loss=True)
    full = Word2Vec(CORPUS, shrink_windows=False, **tiny).get_latest_training_loss()
    shrunk = Word2Vec(CORPUS, shrink_windows=True, **tiny).get_latest_training_loss()
    assert 1.4 < full / shrunk < 2.0
    model = Word2Vec(CORPUS, shrink_windows=False, epochs=5, **kw)
    assert model.shrink_windows is False
    assert separation(model) > 0.3


def test_raw_vocab_after_a_c_scan_is_a_dict_and_edits_count(tmp_path):
    # A C scan keeps its counts as arrays; raw_vocab is built on first access, and what
    # the user does to it is what prepare_vocab sees (gensim's scan/edit/prepare flow).
    from fastw2v import Word2Vec
    path = tmp_path / "c.txt"
    path.write_text("a b c a b a\nd a b\n")
    for source in (dict(corpus_file=str(path)), dict(corpus_iterable=LineSentence(str(path)))):
        model = Word2Vec(vector_size=4, min_count=2, workers=1)
        model.scan_vocab(**source)
        assert type(model.raw_vocab) is dict
        assert model.raw_vocab == {"a": 4, "b": 3, "c": 1, "d": 1}
        model.raw_vocab["zz"] = 9
        model.prepare_vocab(keep_raw_vocab=True)
        assert model.wv.index_to_key == ["zz", "a", "b"]
        assert model.raw_vocab["zz"] == 9
        untouched = Word2Vec(vector_size=4, min_count=2, workers=1)
        report = untouched.build_vocab(**source)
        assert untouched.wv.index_to_key == ["a", "b"] and untouched.raw_vocab == {}
        assert report["drop_unique"] == 2 and report["retain_total"] == 7


# ------------------------------------------------------------------ parameter table


def test_signature_defaults_are_the_parameter_table():
    import inspect

    from fastw2v import params

    signature = inspect.signature(Word2Vec.__init__).parameters
    for row in params.PARAMS:
        assert row.name in signature, row.name
        assert signature[row.name].default == row.default, row.name
    model = Word2Vec()
    assert params.persisted(model).keys() == set(params.PERSISTED)


def test_save_refuses_what_load_would_refuse_and_keeps_the_old_file(tmp_path):
    from fastw2v.io.errors import FormatError

    model = Word2Vec([["a", "b", "c"]] * 20, vector_size=8, min_count=1, epochs=1, workers=1)
    path = str(tmp_path / "m.w2v")
    model.save(path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    good = model.wv.vectors.copy()
    model.wv.vectors = np.zeros((2, 8), np.float32)
    with pytest.raises(FormatError, match=r"vectors has shape \(2, 8\)"):
        model.save(path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    np.testing.assert_array_equal(Word2Vec.load(path).wv.vectors, good)
