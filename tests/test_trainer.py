"""Trainer: threads, epochs, callbacks, errors and Ctrl-C.

An exception in the corpus iterable or a callback is re-raised from ``train()`` with every
worker thread joined; divergence raises ``TrainingDivergedError`` naming the epoch instead
of returning NaNs; Ctrl-C stops the threads promptly and leaves a finite, usable model;
work is split so that every line is trained once per epoch whatever the thread count;
queries and saves from another thread during training do not crash.
"""
import json
import signal
import subprocess
import threading
import time

import numpy as np
import pytest

from fastw2v import CallbackAny2Vec, Word2Vec
from fastw2v.trainer import TrainingDivergedError

from _util import fastw2v_threads, popen_child, small_corpus

# ---------------------------------------------------------------- divergence

VARIANTS = [dict(sg=1, hs=0, negative=5), dict(sg=0, hs=0, negative=5), dict(sg=0, hs=0, negative=5, cbow_mean=0),
            dict(sg=1, hs=1, negative=0), dict(sg=0, hs=1, negative=0), dict(sg=1, hs=1, negative=3)]
IDS = ["sg-ns", "cbow-ns", "cbow-sum-ns", "sg-hs", "cbow-hs", "sg-hs+ns"]


# Hierarchical softmax alone cannot diverge to inf: a node whose score left
# (-MAX_EXP, MAX_EXP) gets no update (word2vec.c, gensim), so rows stop growing.
DIVERGING = [(kw, i) for kw, i in zip(VARIANTS, IDS) if kw["negative"]]
HS_ONLY = [(kw, i) for kw, i in zip(VARIANTS, IDS) if not kw["negative"]]


@pytest.mark.parametrize("kw", [kw for kw, _ in DIVERGING], ids=[i for _, i in DIVERGING])
def test_divergence_reported_with_epoch(kw):
    with pytest.raises(TrainingDivergedError, match=r"epoch \d+"):
        Word2Vec(small_corpus(), min_count=1, alpha=1e4, min_alpha=1e4, vector_size=8, epochs=3,
                 sample=0, workers=2, **kw)
    assert not fastw2v_threads()


@pytest.mark.parametrize("kw", [kw for kw, _ in HS_ONLY], ids=[i for _, i in HS_ONLY])
def test_hierarchical_softmax_at_a_huge_alpha_stays_finite(kw):
    model = Word2Vec(small_corpus(), min_count=1, alpha=1e4, min_alpha=1e4, vector_size=8,
                     epochs=3, sample=0, workers=2, **kw)
    assert np.isfinite(model.wv.vectors).all() and np.isfinite(model.syn1).all()
    assert not fastw2v_threads()


@pytest.mark.parametrize("kw", VARIANTS[:2], ids=IDS[:2])
def test_divergence_in_later_train_call(kw):
    model = Word2Vec(small_corpus(), min_count=1, vector_size=8, epochs=1, workers=2, **kw)
    assert np.isfinite(model.wv.vectors).all()
    with pytest.raises(TrainingDivergedError, match="epoch 1"):
        model.train(small_corpus(), total_examples=400, epochs=2, start_alpha=1e4, end_alpha=1e4)
    assert model.partially_trained  # flagged: the matrices are not a finished model
    assert issubclass(TrainingDivergedError, FloatingPointError)


# ---------------------------------------------------------------- splitting the work

@pytest.mark.parametrize("how", ["corpus_file", "iterable"])
def test_more_threads_than_lines_trains_each_line_once(tmp_path, how):
    lines = [["a", "b", "c", "d"], ["b", "c"], ["d", "a", "b"]]
    path = tmp_path / "three.txt"
    path.write_text("\n".join(" ".join(s) for s in lines) + "\n")
    corpus = dict(corpus_file=str(path)) if how == "corpus_file" else dict(corpus_iterable=lines)
    model = Word2Vec(vector_size=8, min_count=1, sample=0, workers=8)
    model.build_vocab(**corpus)
    effective, raw = model.train(total_examples=3, epochs=5, **corpus)
    assert (effective, raw) == (9 * 5, 9 * 5)


# ---------------------------------------------------------------- exceptions in user code

class _Flaky:
    def __init__(self, fail_pass, fail_at=200):
        self.passes, self.fail_pass, self.fail_at = 0, fail_pass, fail_at

    def __iter__(self):
        self.passes += 1
        for i, s in enumerate(small_corpus(2000)):
            if self.passes == self.fail_pass and i == self.fail_at:
                raise OSError("network share vanished")
            yield s


@pytest.mark.timeout(60)
@pytest.mark.parametrize("fail_pass", [1, 2], ids=["in-build_vocab", "in-train"])
def test_exception_in_iterable_reraised_quickly(fail_pass):
    t0 = time.monotonic()
    with pytest.raises(OSError, match="vanished"):
        Word2Vec(_Flaky(fail_pass), vector_size=8, min_count=1, workers=3, epochs=2)
    assert time.monotonic() - t0 < 30
    assert not fastw2v_threads()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("hook", ["on_train_begin", "on_epoch_begin", "on_epoch_end", "on_train_end"])
def test_exception_in_any_callback_reraised_with_threads_joined(hook):
    class Boom(CallbackAny2Vec):
        pass

    def boom(self, model):
        raise ZeroDivisionError(f"boom in {hook}")

    setattr(Boom, hook, boom)
    t0 = time.monotonic()
    with pytest.raises(ZeroDivisionError, match=hook):
        Word2Vec(small_corpus(2000), vector_size=8, min_count=1, workers=3, epochs=3, callbacks=[Boom()])
    assert time.monotonic() - t0 < 30
    assert not fastw2v_threads()


@pytest.mark.timeout(60)
def test_error_in_one_worker_thread_stops_the_others_and_is_reraised(monkeypatch):
    import fastw2v.trainer as trainer

    jobs, stop_requested = [], threading.Event()

    class OneThreadFails(trainer.TrainJob):
        """Thread 1 raises; the others enter the kernel only once the trainer asked it to stop."""

        def run_thread(self, t):
            jobs.append(self)
            if t == 1:
                raise RuntimeError("worker 1 failed")
            assert stop_requested.wait(10)
            super().run_thread(t)

        def request_stop(self):
            super().request_stop()
            stop_requested.set()

    monkeypatch.setattr(trainer, "TrainJob", OneThreadFails)
    with pytest.raises(RuntimeError, match="worker 1 failed"):
        Word2Vec(small_corpus(2000), vector_size=8, min_count=1, workers=3, epochs=5)
    assert stop_requested.is_set() and not fastw2v_threads()
    assert jobs[0].words_done == 0  # the stop reached the kernels: nothing trained after it


# ---------------------------------------------------------------- Ctrl-C

_CTRL_C = """
    import faulthandler, json, logging, signal, sys, threading, time, random
    import numpy as np
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # the test's view of a hang
    # A shell without job control starts background commands with SIGINT ignored, and
    # children inherit that: the test (run as `pytest ... &`) then waited in vain.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from fastw2v import Word2Vec, CallbackAny2Vec
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    rng = random.Random(0)
    corpus = [[f"w{rng.randrange(2000)}" for _ in range(20)] for _ in range(20_000)]

    class Tick(CallbackAny2Vec):
        def on_epoch_end(self, model):
            print("epoch", flush=True)

    model = Word2Vec(vector_size=32, min_count=1, workers=2, sg=1, window=5)
    model.build_vocab(corpus)
    t0 = time.monotonic()
    try:
        model.train(corpus, total_examples=len(corpus), epochs=1000, callbacks=[Tick()])
        print("finished without interrupt", flush=True)
    except KeyboardInterrupt:
        print("KeyboardInterrupt handled after %.1fs" % (time.monotonic() - t0), flush=True)
    # (a thread whose join() a Ctrl-C interrupted may linger in enumerate() while dead)
    left = [t.name for t in threading.enumerate() if t.name.startswith("fastw2v-") and t.is_alive()]
    sims = model.wv.most_similar("w1", topn=3)
    print(json.dumps(dict(finite=bool(np.isfinite(model.wv.vectors).all()
                                      and np.isfinite(model.syn1neg).all()),
                          partially_trained=model.partially_trained, threads=left, sims=len(sims))))
"""


@pytest.mark.timeout(180)
def test_ctrl_c_stops_quickly_and_leaves_a_usable_model():
    proc = popen_child(_CTRL_C)
    try:
        assert proc.stdout.readline().strip() == "epoch", proc.stderr.read()  # training is under way
        time.sleep(1.0)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            # Say where every thread is.
            proc.send_signal(signal.SIGUSR1)
            time.sleep(2.0)
            proc.kill()
            out, err = proc.communicate()
            pytest.fail("the child did not exit within 60 s of Ctrl-C; its threads:\n"
                        + err[-8000:] + "\nstdout tail:\n" + out[-500:])
        waited = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out + err
    assert "KeyboardInterrupt handled" in out, out + err
    assert waited < 20, waited
    result = json.loads(out.strip().splitlines()[-1])
    assert result == dict(finite=True, partially_trained=True, threads=[], sims=3), result
    assert "interrupted" in err  # the trainer logs what happened


# ---------------------------------------------------------------- use while training

@pytest.mark.timeout(180)
def test_most_similar_and_save_from_another_thread_while_training(tmp_path):
    corpus = small_corpus(3000, length=15)
    model = Word2Vec(vector_size=16, min_count=1, workers=2)
    model.build_vocab(corpus)
    errors = []

    def train():
        try:
            model.train(corpus, total_examples=len(corpus), epochs=40)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    trainer = threading.Thread(target=train)
    trainer.start()
    path = str(tmp_path / "live.w2v")
    queries = saves = 0
    deadline = time.monotonic() + 60
    while trainer.is_alive() and time.monotonic() < deadline:
        assert len(model.wv.most_similar("a1", topn=5)) == 5
        queries += 1
        if queries % 20 == 0:
            model.save(path)
            saves += 1
            snapshot = Word2Vec.load(path)
            assert snapshot.wv.vectors.shape == model.wv.vectors.shape
    trainer.join(120)
    assert not trainer.is_alive() and not errors, errors
    assert queries > 0
    assert np.isfinite(model.wv.vectors).all() and not model.partially_trained
    model.save(path)
    np.testing.assert_array_equal(Word2Vec.load(path).wv.vectors, model.wv.vectors)
    assert not fastw2v_threads()
