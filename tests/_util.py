"""Helpers shared by the test files: child interpreters, fastw2v's worker threads, a small corpus."""
import subprocess
import sys
import textwrap
import threading

import _child


def child_env():
    """Environment of a child interpreter that imports the fastw2v under test, unbuffered."""
    return _child.child_env(PYTHONUNBUFFERED="1")


def run_child(code, timeout=120):
    """Run `code` in a fresh interpreter with fastw2v importable; return stdout."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=child_env(),
                          capture_output=True, text=True, timeout=timeout, cwd=_child.CHILD_CWD)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def popen_child(code, **kw):
    """Start `code` in a fresh interpreter (fastw2v importable); text pipes for stdout/stderr."""
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=child_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=_child.CHILD_CWD, **kw)


def fastw2v_threads():
    """fastw2v's worker threads still alive in this process (none once train() has returned)."""
    return [t for t in threading.enumerate() if t.name.startswith("fastw2v-") and t.is_alive()]


TOPICS = [[f"a{i}" for i in range(12)], [f"b{i}" for i in range(12)]]


def small_corpus(n=400, length=10, seed=0):
    """`n` sentences of `length` tokens, alternating between two 12-word topics."""
    import random
    rng = random.Random(seed)
    return [[rng.choice(TOPICS[i % 2]) for _ in range(length)] for i in range(n)]


def fresh_fasttext_vectors(words, seed=3):
    """FastText vectors that never came from a file: random word and bucket rows (12
    dimensions, n-grams of 2-5 characters, 3,000 buckets) for ``words`` (nine or fewer),
    counted 9, 8, ... in order."""
    import numpy as np

    from fastw2v import FastTextKeyedVectors
    kv = FastTextKeyedVectors(12, 2, 5, 3_000)
    kv._set_all(list(words), np.zeros((len(words), 12), np.float32),
                {"count": np.arange(9, 9 - len(words), -1)})
    kv.resize_vectors(seed=seed)
    return kv
