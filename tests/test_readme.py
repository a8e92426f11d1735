"""The README's Python examples run as written, in order, in one namespace.

They run in a temporary folder holding a small ``corpus.txt`` (the files the examples
name); a block marked ``doctest: +SKIP`` needs an outside service (an S3 bucket) and is
only compiled.
"""
import os
import re

import numpy as np
import pytest

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")


def _python_blocks():
    with open(README, encoding="utf8") as fin:
        return re.findall(r"```python\n(.*?)```", fin.read(), flags=re.S)


def _corpus(path):
    rng = np.random.default_rng(0)
    words = ["king", "queen", "man", "woman", "royal", "crown", "walks", "the", "a", "of"]
    with open(path, "w", encoding="utf8") as fout:
        for _ in range(400):
            fout.write(" ".join(rng.choice(words, 12)) + "\n")


def test_readme_python_examples_run_as_written(tmp_path, monkeypatch):
    pytest.importorskip("gensim")   # the "Moving from gensim" example
    pytest.importorskip("faiss")    # the "Approximate search" example
    monkeypatch.chdir(tmp_path)
    _corpus(tmp_path / "corpus.txt")
    blocks = _python_blocks()
    assert len(blocks) >= 4
    namespace = {}
    for block in blocks:
        code = compile(block, README, "exec")
        if "doctest: +SKIP" in block:
            continue
        exec(code, namespace)  # noqa: S102 -- our own README
    assert (tmp_path / "model.w2v").exists() and (tmp_path / "vectors.bin").exists()
