"""fastw2v.similarities: approximate indexes behind gensim's ``indexer=`` protocol.

Exact search (``indexer=None``) is the reference: recall is measured against it on a
few thousand vectors with cluster structure, as the benchmark does at scale.
"""
import json
import os
import sys
from importlib.util import find_spec

import numpy as np
import pytest

from fastw2v import KeyedVectors, Word2Vec
from fastw2v.io.errors import FormatError
from fastw2v.similarities import HnswIndexer, StaleIndexError, load_indexer
from fastw2v.similarities._store import write_index_files

needs_faiss = pytest.mark.skipif(find_spec("faiss") is None, reason="faiss-cpu not installed")
needs_annoy = pytest.mark.skipif(find_spec("annoy") is None or find_spec("gensim") is None,
                                 reason="gensim's AnnoyIndexer needs gensim and annoy")

N, DIM, CLUSTERS = 3000, 32, 60


def _mixture(n, seed):
    """Unit-free Gaussian mixture: neighbours are mostly in the same cluster."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CLUSTERS, DIM)).astype(np.float32)
    labels = rng.integers(0, CLUSTERS, n)
    return (centres[labels] + 0.7 * rng.standard_normal((n, DIM))).astype(np.float32)


def _kv(vectors, prefix="w"):
    kv = KeyedVectors(vectors.shape[1])
    kv.add_vectors([f"{prefix}{i}" for i in range(len(vectors))], vectors)
    return kv


@pytest.fixture(scope="module")
def kv():
    return _kv(_mixture(N, seed=1))


@pytest.fixture(scope="module")
def indexer(kv):
    return HnswIndexer(kv, M=16, efConstruction=64, efSearch=64, progress=False)


@pytest.fixture(scope="module")
def queries():
    return _mixture(200, seed=2)


def _same(a, b):
    """Equal neighbour lists: same keys in order, similarities equal to float32 rounding."""
    return [k for k, _ in a] == [k for k, _ in b] and \
        np.allclose([s for _, s in a], [s for _, s in b], atol=1e-5)


def _recall(approx, exact):
    return np.mean([len({k for k, _ in a} & {k for k, _ in e}) / len(e) for a, e in zip(approx, exact)])


# ------------------------------------------------------------------ recall and the protocol


@needs_faiss
def test_recall_at_10_against_exact_search(kv, indexer, queries):
    exact = kv.most_similar(queries, topn=10, batch=True)
    approx = [kv.most_similar(positive=[q], topn=10, indexer=indexer) for q in queries]
    assert _recall(approx, exact) >= 0.95


@needs_faiss
def test_similarities_are_the_exact_cosines(kv, indexer, queries):
    unit = kv.get_normed_vectors()
    q = queries[0] / np.linalg.norm(queries[0])
    for key, sim in indexer.most_similar(queries[0], 10):
        assert sim == pytest.approx(float(unit[kv.get_index(key)] @ q), abs=1e-5)


@needs_faiss
def test_word_queries_follow_gensim_the_query_key_comes_first(kv, indexer):
    # gensim returns an indexer's answer as it is: the query word itself included.
    result = kv.most_similar("w7", topn=5, indexer=indexer)
    assert result[0][0] == "w7" and result[0][1] == pytest.approx(1.0, abs=1e-5)
    assert len(result) == 5


@needs_faiss
def test_similar_by_word_key_and_vector_take_the_indexer(kv, indexer):
    expected = indexer.most_similar(kv.get_vector("w3", norm=True), 10)
    assert _same(kv.similar_by_word("w3", indexer=indexer), expected)
    assert _same(kv.similar_by_key("w3", topn=10, indexer=indexer), expected)
    assert _same(kv.similar_by_vector(kv["w3"], indexer=indexer), expected)


@needs_faiss
def test_batch_queries_use_the_indexer(kv, indexer, queries):
    batch = kv.most_similar(queries[:20], topn=10, batch=True, indexer=indexer)
    assert all(_same(b, indexer.most_similar(q, 10)) for b, q in zip(batch, queries[:20]))


@needs_faiss
def test_batch_with_an_indexer_that_has_only_most_similar(kv, indexer, queries):
    class OnlyProtocol:  # gensim's protocol and nothing else
        def most_similar(self, vector, num_neighbors):
            return indexer.most_similar(vector, num_neighbors)

    batch = kv.most_similar(queries[:5], topn=3, batch=True, indexer=OnlyProtocol())
    assert all(_same(b, indexer.most_similar(q, 3)) for b, q in zip(batch, queries[:5]))


@needs_faiss
def test_more_neighbours_than_vectors_returns_all():
    small = _kv(_mixture(5, seed=3))
    ix = HnswIndexer(small, progress=False)
    assert sorted(k for k, _ in ix.most_similar(small["w0"], 50)) == sorted(small.index_to_key)


@needs_faiss
def test_word2vec_model_and_plain_array_are_accepted(kv):
    model = Word2Vec([["a", "b", "c", "a", "b"]] * 20, vector_size=8, min_count=1, epochs=1, seed=1)
    ix = HnswIndexer(model, progress=False)
    assert {k for k, _ in ix.most_similar(model.wv["a"], 3)} == {"a", "b", "c"}
    arr = HnswIndexer(kv.vectors[:100], progress=False)
    assert arr.most_similar(kv.vectors[42], 1)[0][0] == 42


@needs_faiss
def test_progress_bar_while_building(kv, capsys):
    pytest.importorskip("tqdm")
    HnswIndexer(kv.vectors[:500], progress=True)
    assert "HNSW index" in capsys.readouterr().err


# ------------------------------------------------------------------ gensim's AnnoyIndexer


@needs_annoy
def test_gensim_annoy_indexer_works_as_indexer(kv, queries):
    from gensim.similarities.annoy import AnnoyIndexer
    gkv = kv.to_gensim()
    annoy = AnnoyIndexer(gkv, num_trees=20)
    ours = kv.most_similar("w11", topn=5, indexer=annoy)
    assert ours == gkv.most_similar("w11", topn=5, indexer=annoy)
    assert ours[0][0] == "w11"
    exact = kv.most_similar(queries[:50], topn=10, batch=True)
    approx = [kv.similar_by_vector(q, indexer=annoy) for q in queries[:50]]
    assert _recall(approx, exact) >= 0.5  # Annoy's default search_k is small
    batch = kv.most_similar(queries[:3], topn=4, batch=True, indexer=annoy)
    assert all(_same(b, annoy.most_similar(q / np.linalg.norm(q), 4)) for b, q in zip(batch, queries[:3]))


# ------------------------------------------------------------------ save and load


@needs_faiss
@pytest.mark.parametrize("mmap", [False, True])
def test_save_load_round_trip(kv, indexer, queries, tmp_path, mmap):
    path = tmp_path / "words.hnsw"
    indexer.save(path)
    meta = json.loads((tmp_path / "words.hnsw.json").read_text())  # JSON, no pickle
    assert meta["kind"] == "HnswIndexer" and meta["meta"]["params"]["M"] == 16
    loaded = HnswIndexer.load(path, kv, mmap=mmap)
    assert loaded.efSearch == indexer.efSearch
    for q in queries[:20]:
        assert loaded.most_similar(q, 10) == indexer.most_similar(q, 10)
    assert load_indexer(path, kv).most_similar(queries[0], 3) == indexer.most_similar(queries[0], 3)
    assert sorted(os.listdir(tmp_path)) == ["words.hnsw", "words.hnsw.json"]  # no temp files left


@needs_faiss
def test_stale_index_is_refused(kv, indexer, tmp_path):
    path = tmp_path / "words.hnsw"
    indexer.save(path)
    changed = _kv(kv.vectors.copy())
    changed.vectors[5] += 0.01  # one row moved, e.g. by more training
    with pytest.raises(StaleIndexError, match="vectors differ"):
        HnswIndexer.load(path, changed)
    with pytest.raises(StaleIndexError, match="keys differ"):
        HnswIndexer.load(path, _kv(kv.vectors, prefix="v"))
    with pytest.raises(StaleIndexError, match="built for 3,000 x 32 float32 vectors"):
        HnswIndexer.load(path, _kv(kv.vectors[:100]))
    # verify=False still refuses another shape
    with pytest.raises(StaleIndexError):
        HnswIndexer.load(path, _kv(kv.vectors[:100]), verify=False)


@needs_faiss
def test_vectors_added_after_the_build_are_refused_at_query_time():
    grown = _kv(_mixture(300, seed=4))
    ix = HnswIndexer(grown, progress=False)
    grown.add_vectors(["new"], np.ones((1, DIM), dtype=np.float32))
    with pytest.raises(StaleIndexError, match="build the index again"):
        grown.most_similar("w1", indexer=ix)


@needs_faiss
def test_index_and_description_from_different_saves_are_refused(kv, indexer, tmp_path):
    indexer.save(tmp_path / "a.hnsw")
    HnswIndexer(kv.vectors[:200], progress=False).save(tmp_path / "b.hnsw")
    os.replace(tmp_path / "b.hnsw", tmp_path / "a.hnsw")
    with pytest.raises(FormatError, match="does not match"):
        HnswIndexer.load(tmp_path / "a.hnsw", kv)


def test_failed_save_leaves_the_previous_index(tmp_path):
    path = tmp_path / "x.index"
    write_index_files(path, lambda p: open(p, "wb").write(b"old"), "HnswIndexer", {"v": 1})

    def broken(p):
        open(p, "wb").write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_index_files(path, broken, "HnswIndexer", {"v": 2})
    assert path.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["x.index", "x.index.json"]


@needs_faiss
def test_missing_files_and_bad_descriptions(tmp_path, kv):
    with pytest.raises(FileNotFoundError, match="PATH.json"):
        HnswIndexer.load(tmp_path / "nothing", kv)
    (tmp_path / "x").write_bytes(b"index")
    (tmp_path / "x.json").write_text("{not json")
    with pytest.raises(FormatError, match="not JSON"):
        HnswIndexer.load(tmp_path / "x", kv)
    (tmp_path / "x.json").write_text(json.dumps({"format": "fastw2v-index", "format_version": 1,
                                                 "kind": "Other"}))
    with pytest.raises(FormatError, match="unknown index kind"):
        load_indexer(tmp_path / "x", kv)


# ------------------------------------------------------------------ saved with the vectors


@needs_faiss
def test_keyed_vectors_saved_with_their_index_load_with_it(kv, indexer, queries, tmp_path):
    copy = _kv(kv.vectors)
    copy.indexer = indexer
    copy.save(tmp_path / "v.kv")
    loaded = KeyedVectors.load(tmp_path / "v.kv")
    assert isinstance(loaded.indexer, HnswIndexer)
    assert loaded.most_similar("w9", indexer=loaded.indexer) == kv.most_similar("w9", indexer=indexer)
    assert loaded.most_similar("w9") == kv.most_similar("w9")  # exact unless indexer= is passed
    assert KeyedVectors.load(tmp_path / "v.kv", mmap="r").indexer is not None
    # saved again without an index: the old one goes, it belonged to the replaced vectors
    loaded.indexer = None
    loaded.save(tmp_path / "v.kv")
    assert KeyedVectors.load(tmp_path / "v.kv").indexer is None
    assert not os.path.exists(tmp_path / "v.kv.index.json")


@needs_faiss
def test_saving_a_stale_attached_index_is_refused(kv, indexer, tmp_path):
    other = _kv(kv.vectors + 1)
    other.indexer = indexer
    with pytest.raises(StaleIndexError, match="saved without its index"):
        other.save(tmp_path / "v.kv")
    assert KeyedVectors.load(tmp_path / "v.kv").indexer is None


@needs_faiss
def test_word2vec_saved_with_its_index_loads_with_it(tmp_path):
    sentences = [["king", "queen", "man", "woman", "royal"], ["man", "woman", "child"]] * 30
    model = Word2Vec(sentences, vector_size=10, min_count=1, epochs=2, seed=1, workers=1)
    model.wv.indexer = HnswIndexer(model, progress=False)
    model.save(tmp_path / "m.model")
    loaded = Word2Vec.load(tmp_path / "m.model")
    assert loaded.wv.most_similar("king", indexer=loaded.wv.indexer) == \
        model.wv.most_similar("king", indexer=model.wv.indexer)


# ------------------------------------------------------------------ errors


@needs_faiss
@pytest.mark.parametrize("params, name", [
    ({"M": 1}, "M"), ({"M": 2.5}, "M"), ({"M": True}, "M"), ({"efConstruction": 0}, "efConstruction"),
    ({"efSearch": 0}, "efSearch"), ({"efSearch": "64"}, "efSearch"), ({"workers": 0}, "workers"),
    ({"progress": "yes"}, "progress"),
])
def test_bad_parameters_name_the_parameter(kv, params, name):
    with pytest.raises(ValueError, match=f"^{name} must be"):
        HnswIndexer(kv.vectors[:50], **params)


@needs_faiss
def test_bad_query_parameters(indexer, kv):
    with pytest.raises(ValueError, match="^efSearch must be"):
        indexer.efSearch = -1
    with pytest.raises(ValueError, match="^num_neighbors must be"):
        indexer.most_similar(kv["w1"], 0)
    with pytest.raises(ValueError, match="32 dimensions"):
        indexer.most_similar(np.ones(5, dtype=np.float32), 3)
    with pytest.raises(ValueError, match="query vectors have size"):
        kv.most_similar(np.ones((2, 5), dtype=np.float32), batch=True, indexer=indexer)


@needs_faiss
def test_empty_vocabulary_is_a_clear_error():
    with pytest.raises(ValueError, match="empty vocabulary"):
        HnswIndexer(KeyedVectors(10))
    with pytest.raises(TypeError, match="takes a Word2Vec model, KeyedVectors"):
        HnswIndexer("vectors.bin")


def test_missing_library_says_how_to_install(monkeypatch, kv):
    monkeypatch.setitem(sys.modules, "faiss", None)  # import faiss -> ImportError
    with pytest.raises(ImportError, match=r'pip install "fastw2v\[ann\]"'):
        HnswIndexer(kv)


# ------------------------------------------------------------------ command line


@needs_faiss
def test_cli_index_and_similar(kv, tmp_path, capsys):
    from fastw2v.cli import main
    kv.save(tmp_path / "v.kv")
    assert main(["index", str(tmp_path / "v.kv"), "-o", str(tmp_path / "v.hnsw"), "--M", "8",
                 "--quiet"]) == 0
    assert main(["similar", str(tmp_path / "v.kv"), "w4", "-n", "3", "--index",
                 str(tmp_path / "v.hnsw")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and lines[0].startswith("w4\t")
    _kv(kv.vectors + 1).save(tmp_path / "other.kv")
    assert main(["similar", str(tmp_path / "other.kv"), "w4", "--index", str(tmp_path / "v.hnsw")]) == 1
    assert "does not belong to these vectors" in capsys.readouterr().err
    assert main(["index", str(tmp_path / "v.kv"), "-o", str(tmp_path / "x"), "--M", "0"]) == 1
    assert "M must be" in capsys.readouterr().err


@needs_faiss
def test_a_stale_index_beside_saved_vectors_stops_the_load_and_says_how_to_skip_it(kv, indexer, tmp_path):
    copy = _kv(kv.vectors)
    copy.indexer = indexer
    copy.save(tmp_path / "v.kv")
    HnswIndexer(kv.vectors[:100], progress=False).save(tmp_path / "v.kv.index")  # replaced by hand
    with pytest.raises(StaleIndexError, match="delete .*v.kv.index and .*v.kv.index.json"):
        KeyedVectors.load(tmp_path / "v.kv")


def _rss_file_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssFile:"):
                return int(line.split()[1])
    return None


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads /proc/self/status")
def test_a_pass_over_mapped_vectors_gives_its_pages_back(tmp_path):
    from fastw2v.similarities._pages import release_rows
    path = tmp_path / "v.npy"
    np.save(path, np.ones((16384, 1024), np.float32))  # 64 MiB
    mapped = np.load(path, mmap_mode="r")
    before = _rss_file_kb()
    assert float(mapped.sum(dtype=np.float64)) == mapped.size  # every page read
    touched = _rss_file_kb()
    for start in range(0, len(mapped), 1000):
        release_rows(mapped, start, start + 1000)
    after = _rss_file_kb()
    assert touched - before > 50_000  # KiB: the pass brought the file in...
    assert touched - after > 50_000   # ...and releasing gave it back
    assert float(mapped[123].sum()) == 1024  # the data is still there, read again from the file
    copy = np.load(path, mmap_mode="c")  # private copy-on-write maps are never released
    copy[0] = 2
    release_rows(copy, 0, len(copy))
    assert copy[0, 0] == 2


def test_index_built_from_mapped_vectors_equals_one_built_in_memory(kv, tmp_path, queries):
    path = tmp_path / "vectors.npy"
    np.save(path, kv.vectors)
    mapped = KeyedVectors(kv.vector_size)
    mapped.index_to_key, mapped.key_to_index = kv.index_to_key, kv.key_to_index
    mapped.vectors = np.load(path, mmap_mode="r")
    a = HnswIndexer(kv, M=16, efConstruction=40, workers=1, progress=False)
    b = HnswIndexer(mapped, M=16, efConstruction=40, workers=1, progress=False)
    assert a.fingerprint == b.fingerprint
    for q in queries[:20]:
        assert a.most_similar(q, 10) == b.most_similar(q, 10)
