"""Native format: round trips, mmap, atomic replacement, validation."""
import json
import os

import numpy as np
import pytest

from fastw2v.io import FormatError
from fastw2v.io import native
from fastw2v.io.native import load_native, save_native
from fastw2v.keyedvectors import KeyedVectors

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
