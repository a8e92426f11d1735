"""Native format: round trips, mmap, atomic replacement (also under kill -9), validation,
no pickle, sizes checked before allocating, and fuzzing: damaged files raise FormatError."""
import json
import os
import shutil
import signal
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastw2v import Word2Vec
from fastw2v.io import FormatError
from fastw2v.io import native
from fastw2v.io.native import load_native, save_native
from fastw2v.keyedvectors import KeyedVectors

from _util import popen_child, small_corpus

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))

KEYS = ["the", "naïve", "中文", "😀", "🚀", "a b", "", "tab\tkey", "\udcff-lone-surrogate", 7]


def make_kv(seed=0):
    rng = np.random.default_rng(seed)
    kv = KeyedVectors(4)
    kv.add_vectors(KEYS, rng.standard_normal((len(KEYS), 4)).astype(np.float32))
    kv.expandos["count"] = np.arange(len(KEYS), dtype=np.int64) * 3
    kv.expandos["sample_int"] = np.arange(len(KEYS), dtype=np.uint32) + 2**31
    return kv


def test_keyedvectors_round_trip_bit_exact(tmp_path):
    kv = make_kv()
    path = str(tmp_path / "m.kv")
    kv.save(path)
    back = KeyedVectors.load(path)
    assert back.index_to_key == KEYS and back.key_to_index == kv.key_to_index
    np.testing.assert_array_equal(back.vectors, kv.vectors)
    assert back.vectors.dtype == np.float32
    for attr in ("count", "sample_int"):
        assert back.expandos[attr].dtype == kv.expandos[attr].dtype
        np.testing.assert_array_equal(back.expandos[attr], kv.expandos[attr])
    assert back.most_similar("the", topn=3) == kv.most_similar("the", topn=3)


def test_mmap_load(tmp_path):
    path = str(tmp_path / "m.kv")
    make_kv().save(path)
    back = KeyedVectors.load(path, mmap="r")
    assert isinstance(back.vectors, np.memmap)
    assert isinstance(back.expandos["count"], np.memmap)
    assert back.most_similar("the", topn=2)  # queries work on memory-mapped vectors


def test_no_pickle_anywhere(tmp_path):
    path = tmp_path / "m.kv"
    make_kv().save(str(path))
    doc = json.loads(path.read_text())
    assert doc["format"] == "fastw2v" and doc["format_version"] == 1 and doc["kind"] == "KeyedVectors"
    for fname in doc["arrays"].values():
        np.load(tmp_path / fname, allow_pickle=False)
    with pytest.raises(ValueError, match="object"):
        save_native(str(tmp_path / "o"), {"x": np.array(["a", 1], dtype=object)}, {}, "T")
    kv = make_kv()
    kv.expandos["word"] = np.array(KEYS, dtype=object)
    with pytest.raises(ValueError):
        kv.save(str(tmp_path / "o.kv"))


def test_resave_replaces_and_cleans_old_files(tmp_path):
    path = str(tmp_path / "m.kv")
    make_kv(0).save(path)
    make_kv(1).save(path)
    np.testing.assert_array_equal(KeyedVectors.load(path).vectors, make_kv(1).vectors)
    assert sorted(os.listdir(tmp_path)) == sorted(["m.kv"] + list(json.load(open(path))["arrays"].values()))


@pytest.mark.parametrize("crash_after", range(1, 6))
def test_crash_at_any_moment_leaves_a_loadable_model(tmp_path, monkeypatch, crash_after):
    path = str(tmp_path / "m.kv")
    make_kv(0).save(path)
    calls = []
    real_replace = os.replace

    def flaky_replace(src, dst):
        calls.append(dst)
        if len(calls) == crash_after:
            raise OSError("simulated crash")
        return real_replace(src, dst)

    monkeypatch.setattr(native.os, "replace", flaky_replace)
    try:
        make_kv(1).save(path)
        crashed = False
    except OSError:
        crashed = True
    monkeypatch.setattr(native.os, "replace", real_replace)
    loaded = KeyedVectors.load(path).vectors
    # Either the old or the new model, never a mix.
    assert (np.array_equal(loaded, make_kv(0).vectors) if crashed
            else np.array_equal(loaded, make_kv(1).vectors))
    assert not [f for f in os.listdir(tmp_path) if ".tmp-" in f]


def test_generic_helpers(tmp_path):
    path = str(tmp_path / "x.json")
    arrays = {"a": np.arange(6, dtype=np.int32).reshape(2, 3), "b.c": np.zeros(0, np.float64)}
    save_native(path, arrays, {"alpha": 0.025, "name": "😀"}, "Thing")
    got, meta = load_native(path, expected_kind="Thing")
    assert meta == {"alpha": 0.025, "name": "😀"}
    np.testing.assert_array_equal(got["a"], arrays["a"])
    with pytest.raises(FormatError, match="not a Other"):
        load_native(path, expected_kind="Other")
    with pytest.raises(ValueError):
        save_native(path, {"../evil": np.zeros(1)}, {}, "T")
    with pytest.raises(ValueError):
        save_native(path, {}, {"x": object()}, "T")
    with pytest.raises(ValueError):
        load_native(path, mmap="w")


def _corrupt(tmp_path, edit):
    path = tmp_path / "m.kv"
    make_kv().save(str(path))
    doc = json.loads(path.read_text())
    edit(doc, tmp_path)
    path.write_text(json.dumps(doc))
    return str(path)


def _drop(d, key):
    del d[key]


BAD_DOCS = {
    "wrong format": lambda d, p: d.update(format="gensim"),
    "future version": lambda d, p: d.update(format_version=2),
    "wrong kind": lambda d, p: d.update(kind="Word2Vec"),
    "no meta": lambda d, p: _drop(d, "meta"),
    "path traversal": lambda d, p: d["arrays"].update(vectors="../../etc/passwd.npy"),
    "missing array file": lambda d, p: os.remove(p / d["arrays"]["vectors"]),
    "shape mismatch": lambda d, p: d["array_info"]["vectors"].update(shape=[1, 1]),
    "keys disagree with vectors": lambda d, p: d["meta"]["keys"].pop(),
    "array not npy": lambda d, p: (p / d["arrays"]["vectors"]).write_bytes(b"garbage"),
    "arrays disagree with info": lambda d, p: d["array_info"].pop("vectors"),
}


@pytest.mark.parametrize("case", sorted(BAD_DOCS))
def test_invalid_files_raise_format_error(tmp_path, case):
    path = _corrupt(tmp_path, BAD_DOCS[case])
    with pytest.raises(FormatError):
        KeyedVectors.load(path)


@pytest.mark.parametrize("content", [b"", b"\xff\xfe", b"[1, 2]", b"{}", b"not json at all"])
def test_not_a_model_file(tmp_path, content):
    path = tmp_path / "junk"
    path.write_bytes(content)
    with pytest.raises(FormatError, match="junk"):
        KeyedVectors.load(str(path))


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


# ---------------------------------------------------------------- fuzzing

@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A small trained model saved as a Word2Vec (m.w2v) and as KeyedVectors (m.kv)."""
    d = tmp_path_factory.mktemp("saved")
    model = Word2Vec(small_corpus(60), vector_size=4, min_count=1, epochs=1, workers=1, hs=1, negative=2)
    model.save(str(d / "m.w2v"))
    model.wv.save(str(d / "m.kv"))
    return d


def _doc(saved, name):
    return json.loads((saved / name).read_text())


def _loaders():
    return [("m.w2v", Word2Vec.load), ("m.kv", KeyedVectors.load)]


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
    except FormatError:
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
    except FormatError:
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
    except FormatError:
        pass


def test_missing_files_raise_file_not_found(tmp_path):
    for load in (Word2Vec.load, KeyedVectors.load):
        with pytest.raises(FileNotFoundError):
            load(str(tmp_path / "nope"))


# ---------------------------------------------------------------- no pickle, sizes before allocating

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
