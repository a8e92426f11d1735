"""Hardening, faults: kill -9 during save, exceptions in user code, Ctrl-C, and
queries/saves from another thread while training runs."""
import json
import signal
import threading
import time

import numpy as np
import pytest

from fastw2v import CallbackAny2Vec, KeyedVectors, Word2Vec

from _hardening_util import fastw2v_threads, popen_child, small_corpus

# ---------------------------------------------------------------- kill -9 during save

_SAVER = """
    import sys, numpy as np
    from fastw2v import KeyedVectors, Word2Vec
    kind, path = sys.argv[1], sys.argv[2]
    n, dim = 130_000, 100  # ~52 MB of float32
    keys = [f"w{i}" for i in range(n)]
    if kind == "kv":
        obj = KeyedVectors(dim)
        obj.add_vectors(keys, np.zeros((n, dim), np.float32))
        vecs = obj.vectors
    else:
        obj = Word2Vec(vector_size=dim, min_count=1, workers=1, negative=1)
        obj.build_vocab_from_freq({k: 1 for k in keys})
        vecs = obj.wv.vectors
    k = 0
    while True:
        vecs[:] = k
        print("start", k, flush=True)
        obj.save(path)
        print("done", k, flush=True)
        k += 1
"""


@pytest.mark.timeout(240)
@pytest.mark.parametrize("kind", ["kv", "w2v"])
def test_kill_9_during_save_leaves_previous_model_loadable(tmp_path, kind):
    path = str(tmp_path / "model")
    load = KeyedVectors.load if kind == "kv" else (lambda p: Word2Vec.load(p).wv)
    for delay in (0.05, 0.4, 1.1):
        code = _SAVER.replace("sys.argv[1]", repr(kind)).replace("sys.argv[2]", repr(path))
        proc = popen_child(code)
        lines = []
        try:
            # wait until at least one save completed (and the next is under way), then kill
            while True:
                line = proc.stdout.readline()
                assert line, proc.stderr.read()
                lines.append(line.split())
                if line.startswith("done"):
                    break
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            out, _ = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        lines += [l.split() for l in out.splitlines()]
        done = [int(k) for s, k in lines if s == "done"]
        started = [int(k) for s, k in lines if s == "start"]
        vectors = load(path).vectors
        value = float(vectors[0, 0])
        assert (vectors == value).all(), "a mix of two saves"
        assert value in (done[-1], started[-1]), (value, done[-1], started[-1])


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


# ---------------------------------------------------------------- Ctrl-C

_CTRL_C = """
    import json, logging, sys, threading, time, random
    import numpy as np
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
        out, err = proc.communicate(timeout=60)
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
