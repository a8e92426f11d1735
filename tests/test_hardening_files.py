"""Hardening, files and security: every loader, fed random, truncated or hostile bytes,
raises only its documented exceptions; loading never unpickles and never allocates what a
header claims before checking it against the file size."""
import json
import os
import shutil

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastw2v import KeyedVectors, Word2Vec
from fastw2v.io import FormatError
from fastw2v.io import native

from _hardening_util import small_corpus

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
LOAD_ERRORS = (FormatError, ValueError)  # FormatError subclasses ValueError


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    d = tmp_path_factory.mktemp("saved")
    model = Word2Vec(small_corpus(60), vector_size=4, min_count=1, epochs=1, workers=1, hs=1, negative=2)
    model.save(str(d / "m.w2v"))
    model.wv.save(str(d / "m.kv"))
    model.wv.save_word2vec_format(str(d / "m.txt"), fvocab=str(d / "vocab.txt"))
    model.wv.save_word2vec_format(str(d / "m.bin"), binary=True)
    return d


def _doc(saved, name):
    return json.loads((saved / name).read_text())


def _loaders():
    return [("m.w2v", Word2Vec.load), ("m.kv", KeyedVectors.load)]


# ---------------------------------------------------------------- fuzzing

@FUZZ
@given(data=st.data())
def test_fuzz_native_json_bytes(saved, data):
    name, load = data.draw(st.sampled_from(_loaders()))
    raw = (saved / name).read_bytes()
    cut = data.draw(st.integers(0, len(raw)))
    junk = data.draw(st.binary(max_size=20))
    at = data.draw(st.integers(0, cut))
    mutated = raw[:at] + junk + raw[at + len(junk):cut]
    target = saved / "fuzz.json"
    target.write_bytes(mutated)
    try:
        load(str(target))
    except LOAD_ERRORS:
        pass


_JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=5),
                     lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
                     max_leaves=6)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node[:3]):
            yield from _paths(v, prefix + (i,))


@FUZZ
@given(data=st.data())
def test_fuzz_native_json_structure(saved, data):
    """Replace or delete one value anywhere in a valid document."""
    name, load = data.draw(st.sampled_from(_loaders()))
    doc = _doc(saved, name)
    path = data.draw(st.sampled_from(list(_paths(doc))[1:]))
    parent = doc
    for k in path[:-1]:
        parent = parent[k]
    if data.draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(_JSON)
    target = saved / "fuzz.json"
    target.write_text(json.dumps(doc))
    try:
        load(str(target))
    except LOAD_ERRORS:
        pass


@FUZZ
@given(data=st.data())
def test_fuzz_npy_side_files(saved, data):
    name, load = data.draw(st.sampled_from(_loaders()))
    doc = _doc(saved, name)
    array = data.draw(st.sampled_from(sorted(doc["arrays"])))
    raw = (saved / doc["arrays"][array]).read_bytes()
    cut = data.draw(st.integers(0, len(raw)))
    at = data.draw(st.integers(0, cut))
    junk = data.draw(st.binary(max_size=16))
    (saved / "fuzz.npy").write_bytes(raw[:at] + junk + raw[at + len(junk):cut])
    doc["arrays"][array] = "fuzz.npy"
    (saved / "fuzz.json").write_text(json.dumps(doc))
    try:
        load(str(saved / "fuzz.json"))
    except LOAD_ERRORS:
        pass


@FUZZ
@given(data=st.data())
def test_fuzz_fvocab(saved, data):
    raw = (saved / "vocab.txt").read_bytes()
    cut = data.draw(st.integers(0, len(raw)))
    at = data.draw(st.integers(0, cut))
    junk = data.draw(st.binary(max_size=16))
    (saved / "fuzz.vocab").write_bytes(raw[:at] + junk + raw[at + len(junk):cut])
    try:
        KeyedVectors.load_word2vec_format(str(saved / "m.txt"), fvocab=str(saved / "fuzz.vocab"))
    except LOAD_ERRORS:
        pass


@FUZZ
@given(data=st.data())
def test_fuzz_word2vec_format_mutations(saved, data):
    """Byte edits inside valid files (the existing tests cover pure truncation and random files)."""
    binary = data.draw(st.booleans())
    raw = (saved / ("m.bin" if binary else "m.txt")).read_bytes()
    at = data.draw(st.integers(0, len(raw)))
    junk = data.draw(st.binary(min_size=1, max_size=8))
    (saved / "fuzz.w2v").write_bytes(raw[:at] + junk + raw[at + len(junk):])
    no_header = not binary and data.draw(st.booleans())
    try:
        KeyedVectors.load_word2vec_format(str(saved / "fuzz.w2v"), binary=binary, no_header=no_header)
    except LOAD_ERRORS:
        pass


def test_missing_files(tmp_path):
    for load in (Word2Vec.load, KeyedVectors.load, KeyedVectors.load_word2vec_format):
        with pytest.raises(FileNotFoundError):
            load(str(tmp_path / "nope"))


# ---------------------------------------------------------------- security

class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


@pytest.mark.parametrize("name, load", _loaders(), ids=["Word2Vec", "KeyedVectors"])
@pytest.mark.parametrize("mmap", [None, "r"])
def test_pickled_npy_is_refused_and_never_executed(saved, tmp_path, name, load, mmap):
    for f in os.listdir(saved):
        shutil.copy(saved / f, tmp_path / f)
    doc = _doc(tmp_path, name)
    marker = str(tmp_path / "PWNED")
    evil = np.empty(len(doc["meta"].get("index_to_key", doc["meta"].get("keys"))), dtype=object)
    evil[:] = [_Evil(marker)] * len(evil)
    array = "count" if "count" in doc["arrays"] else "expando0"
    with open(tmp_path / doc["arrays"][array], "wb") as f:
        np.save(f, evil, allow_pickle=True)
    doc["array_info"][array]["dtype"] = "|O"
    (tmp_path / name).write_text(json.dumps(doc))
    with pytest.raises(FormatError, match="pickle"):
        load(str(tmp_path / name), mmap=mmap)
    assert not os.path.exists(marker)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("shape", [(10**12, 10**6), (10**5, 10**4), (2**62, 4)])
@pytest.mark.parametrize("mmap", [None, "r"])
def test_npy_header_checked_against_file_size_before_allocating(saved, tmp_path, monkeypatch, shape, mmap):
    for f in os.listdir(saved):
        shutil.copy(saved / f, tmp_path / f)
    doc = _doc(tmp_path, "m.kv")
    with open(tmp_path / doc["arrays"]["vectors"], "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "<f4", "fortran_order": False, "shape": shape})
        f.write(b"\0" * 64)
    doc["array_info"]["vectors"]["shape"] = list(shape)
    (tmp_path / "m.kv").write_text(json.dumps(doc))
    real_load = np.load

    def guarded_load(file, *a, **kw):
        assert "vectors" not in str(file), "np.load reached before the size check"
        return real_load(file, *a, **kw)

    monkeypatch.setattr(native.np, "load", guarded_load)
    with pytest.raises(FormatError, match="bytes"):
        KeyedVectors.load(str(tmp_path / "m.kv"), mmap=mmap)
