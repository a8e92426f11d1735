"""KeyedVectors against gensim on the same vectors (same keys, scores within 1e-5)."""
import numpy as np
import pytest
from conftest import gensim_datapath as datapath  # skips a test without gensim

from fastw2v.keyedvectors import KeyedVectors

TOL = 1e-5


def assert_same_results(ours, theirs):
    assert [k for k, _ in ours] == [k for k, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=TOL)


@pytest.fixture()
def some_keys(kv):
    return [k for k in kv.index_to_key if not k.startswith("filler")][:6]


def test_lookups(kv, gensim_kv, some_keys):
    k = some_keys[0]
    assert len(kv) == len(gensim_kv) and k in kv and "no-such-key" not in kv
    np.testing.assert_array_equal(kv[k], gensim_kv[k])
    np.testing.assert_array_equal(kv[some_keys], gensim_kv[some_keys])
    assert kv[some_keys].shape == (len(some_keys), kv.vector_size)
    np.testing.assert_allclose(kv.get_vector(k, norm=True), gensim_kv.get_vector(k, norm=True), atol=1e-6)
    assert kv.get_index(k) == gensim_kv.get_index(k)
    assert kv.get_index(3) == 3 and kv.get_index("nope", default=-5) == -5
    assert kv.has_index_for(k) and not kv.has_index_for("nope")
    with pytest.raises(KeyError):
        kv["nope"]
    with pytest.raises(KeyError):
        kv.get_vector("nope")
    with pytest.raises(ValueError):  # read-only view
        kv[k][0] = 1.0
    np.testing.assert_allclose(kv.get_normed_vectors(), gensim_kv.get_normed_vectors(), atol=1e-6)


def test_norms_recomputed_when_trainer_replaces_vectors(kv, some_keys):
    kv.most_similar(some_keys[0])
    kv.vectors = kv.vectors * 2 + 1  # the setter drops the cached norms
    expect = KeyedVectors(kv.vector_size)
    expect.add_vectors(kv.index_to_key, kv.vectors)
    assert_same_results(kv.most_similar(some_keys[0]), expect.most_similar(some_keys[0]))
    kv.vectors = np.vstack([kv.vectors, kv.vectors[:1]])  # grew, norms stale by length
    kv.index_to_key.append("grown")
    kv.key_to_index["grown"] = len(kv.index_to_key) - 1
    kv.fill_norms()
    assert len(kv.norms) == len(kv.vectors)
    assert kv.most_similar("grown", topn=1)[0][0] == kv.index_to_key[0]


def _fresh_copy(kv):
    """A KeyedVectors with the same keys and a copy of the vectors, and no caches."""
    fresh = KeyedVectors(kv.vector_size)
    fresh.add_vectors(list(kv.index_to_key), np.array(kv.vectors))
    return fresh


def test_assigning_vectors_drops_cached_norms(kv, some_keys):
    kv.most_similar(some_keys[0])  # fills norms and the unit rows
    old_norms = kv.norms
    kv.vectors = kv.vectors[::-1].copy()  # same shape: a length check could not see it
    assert kv.norms is None
    kv.fill_norms()
    assert kv.norms is not old_norms
    np.testing.assert_allclose(kv.norms, np.linalg.norm(kv.vectors, axis=1), rtol=1e-6)
    assert_same_results(kv.most_similar(some_keys[0]), _fresh_copy(kv).most_similar(some_keys[0]))
    np.testing.assert_allclose(kv.get_normed_vectors(), _fresh_copy(kv).get_normed_vectors(), atol=1e-7)


def test_setter_works_before_other_attributes_exist():
    kv = KeyedVectors.__new__(KeyedVectors)  # as a loader would, before __init__ runs
    kv.vectors = np.ones((2, 3), np.float32)
    assert kv.norms is None
    kv = KeyedVectors(3, count=2)
    assert kv.norms is None and kv.vectors.shape == (2, 3)


def test_in_place_writes_need_vectors_changed(kv, some_keys):
    """The documented limit of the property (gensim has it too): in-place writes are not seen."""
    kv.most_similar(some_keys[0])
    kv.vectors[:] = kv.vectors[::-1].copy()
    kv.vectors_changed()
    assert kv.norms is None
    assert_same_results(kv.most_similar(some_keys[0]), _fresh_copy(kv).most_similar(some_keys[0]))


def test_read_only_and_mmap_vectors_are_kept_as_given(kv, some_keys, tmp_path):
    frozen = np.array(kv.vectors)
    frozen.setflags(write=False)
    kv.vectors = frozen
    assert kv.vectors is frozen
    assert_same_results(kv.most_similar(some_keys[0]), _fresh_copy(kv).most_similar(some_keys[0]))
    path = str(tmp_path / "kv")
    kv.save(path)
    mapped = KeyedVectors.load(path, mmap="r")
    assert isinstance(mapped.vectors, np.memmap) and mapped.norms is None
    assert_same_results(mapped.most_similar(some_keys[0]), kv.most_similar(some_keys[0]))


def test_save_refuses_vectors_that_do_not_match_the_keys(kv, tmp_path):
    """A save that load would refuse must not replace a good file."""
    from fastw2v.io import FormatError

    path = tmp_path / "kv"
    kv.save(str(path))
    before = path.read_bytes()
    kv.vectors = kv.vectors[:-1]
    with pytest.raises(FormatError, match="shape"):
        kv.save(str(path))
    kv.vectors = np.zeros((len(kv), kv.vector_size + 1), np.float32)  # vector_size not updated
    with pytest.raises(FormatError, match="vector_size"):
        kv.save(str(path))
    assert path.read_bytes() == before
    assert len(KeyedVectors.load(str(path))) == len(kv)


def test_training_in_place_then_queries_use_the_new_vectors():
    """Training writes into wv.vectors; the trainer must drop the norms cached before it."""
    from fastw2v import Word2Vec

    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(40)]
    sentences = [[words[i] for i in rng.integers(0, len(words), 12)] for _ in range(300)]
    model = Word2Vec(sentences, vector_size=16, min_count=1, epochs=1, workers=1, seed=3)
    vectors_before = model.wv.vectors
    model.wv.most_similar("w0")  # caches norms of the vectors after one epoch
    model.train(sentences, total_examples=len(sentences), epochs=2)
    assert model.wv.vectors is vectors_before  # trained in place, not reassigned
    assert_same_results(model.wv.most_similar("w0"), _fresh_copy(model.wv).most_similar("w0"))


@pytest.mark.parametrize("kwargs", [
    dict(topn=10), dict(topn=3, restrict_vocab=500), dict(topn=5, clip_start=100, clip_end=900),
    dict(topn=4000),  # more than the vocabulary: full sort
])
def test_most_similar_single_key(kv, gensim_kv, some_keys, kwargs):
    assert_same_results(kv.most_similar(some_keys[0], **kwargs), gensim_kv.most_similar(some_keys[0], **kwargs))


def test_most_similar_mixes(kv, gensim_kv, some_keys):
    a, b, c, d = some_keys[:4]
    vec = gensim_kv[d] * 0.5
    cases = [
        dict(positive=[a, b], negative=[c]),
        dict(positive=[a, vec]),
        dict(positive=[(a, 2.0), (b, 0.5)], negative=[(c, -1.5)]),
        dict(positive=vec),
        dict(positive=a, negative=b),
        dict(positive=[kv.get_index(a)]),
    ]
    for case in cases:
        assert_same_results(kv.most_similar(**case), gensim_kv.most_similar(**case))
    full, gfull = kv.most_similar(a, topn=None), gensim_kv.most_similar(a, topn=None)
    assert full.shape == gfull.shape == (len(kv),)
    np.testing.assert_allclose(full, gfull, atol=TOL)
    assert kv.most_similar(a, topn=0) == []


def test_most_similar_batch_matches_single_queries(kv, gensim_kv):
    rng = np.random.default_rng(1)
    queries = rng.standard_normal((7, kv.vector_size)).astype(np.float32)
    batch = kv.most_similar(queries, topn=5, batch=True)
    assert len(batch) == 7
    for q, res in zip(queries, batch):
        assert_same_results(res, gensim_kv.similar_by_vector(q, topn=5))
    full = kv.most_similar(queries, topn=None, batch=True)
    assert full.shape == (7, len(kv))
    assert len(kv.most_similar(queries, topn=3, restrict_vocab=50, batch=True)[0]) == 3


def test_2d_positive_without_batch_is_averaged_like_gensim(kv, gensim_kv):
    """The drop-in promise: a 2-D array means a list of vectors to average, as in gensim."""
    queries = np.random.default_rng(2).standard_normal((3, kv.vector_size)).astype(np.float32)
    assert_same_results(kv.most_similar(queries, topn=5), gensim_kv.most_similar(queries, topn=5))


def test_similar_by(kv, gensim_kv, some_keys):
    a = some_keys[0]
    assert_same_results(kv.similar_by_word(a, 5), gensim_kv.similar_by_word(a, 5))
    assert_same_results(kv.similar_by_key(a, 5, restrict_vocab=300), gensim_kv.similar_by_key(a, 5, restrict_vocab=300))
    assert_same_results(kv.similar_by_vector(kv[a], 5), gensim_kv.similar_by_vector(gensim_kv[a], 5))


def test_most_similar_cosmul(kv, gensim_kv, some_keys):
    a, b, c = some_keys[:3]
    assert_same_results(kv.most_similar_cosmul([a, b], [c]), gensim_kv.most_similar_cosmul([a, b], [c]))
    assert_same_results(kv.most_similar_cosmul(a), gensim_kv.most_similar_cosmul(a))
    np.testing.assert_allclose(kv.most_similar_cosmul([a], [b], topn=None),
                               gensim_kv.most_similar_cosmul([a], [b], topn=None), atol=TOL)


def test_pairwise(kv, gensim_kv, some_keys):
    a, b, c, d = some_keys[:4]
    assert kv.similarity(a, b) == pytest.approx(float(gensim_kv.similarity(a, b)), abs=TOL)
    assert kv.distance(a, b) == pytest.approx(float(gensim_kv.distance(a, b)), abs=TOL)
    assert kv.n_similarity([a, b], [c, d]) == pytest.approx(float(gensim_kv.n_similarity([a, b], [c, d])), abs=TOL)
    np.testing.assert_allclose(kv.distances(a), gensim_kv.distances(a), atol=TOL)
    np.testing.assert_allclose(kv.distances(a, [b, c]), gensim_kv.distances(a, [b, c]), atol=TOL)
    np.testing.assert_allclose(kv.distances(kv[a], [b]), gensim_kv.distances(gensim_kv[a], [b]), atol=TOL)
    assert kv.doesnt_match(some_keys) == gensim_kv.doesnt_match(some_keys)
    assert kv.rank(a, b) == gensim_kv.rank(a, b)
    assert kv.closer_than(a, b) == gensim_kv.closer_than(a, b)
    np.testing.assert_allclose(KeyedVectors.cosine_similarities(kv[a], kv[some_keys]),
                               gensim_kv.cosine_similarities(gensim_kv[a], gensim_kv[some_keys]), atol=TOL)
    assert kv.most_similar_to_given(a, [b, c, d]) == gensim_kv.most_similar_to_given(a, [b, c, d])
    assert kv.relative_cosine_similarity(a, b) == pytest.approx(
        float(gensim_kv.relative_cosine_similarity(a, b)), abs=TOL)
    np.testing.assert_allclose(kv.get_mean_vector([a, b, kv[c]], weights=[1, 2, 3]),
                               gensim_kv.get_mean_vector([a, b, gensim_kv[c]], weights=[1, 2, 3]), atol=1e-6)


def test_errors(kv, some_keys):
    with pytest.raises(KeyError):
        kv.most_similar("nope")
    with pytest.raises(KeyError):
        kv.similarity(some_keys[0], "nope")
    with pytest.raises(KeyError):
        kv.distances(some_keys[0], ["nope"])
    for call in (lambda: kv.most_similar(), lambda: kv.most_similar([]),
                 lambda: kv.most_similar_cosmul([]), lambda: kv.n_similarity([], [some_keys[0]]),
                 lambda: kv.get_mean_vector([]), lambda: kv.doesnt_match(["nope"]),
                 lambda: kv.most_similar(np.zeros((0, kv.vector_size), np.float32))):
        with pytest.raises(ValueError):
            call()
    with pytest.raises(ZeroDivisionError):  # gensim's exception type still works
        kv.n_similarity([], [some_keys[0]])


def test_zero_vectors_give_finite_scores():
    kv = KeyedVectors(3)
    kv.add_vectors(["a", "zero", "b"], np.array([[1, 0, 0], [0, 0, 0], [1, 1, 0]], np.float32))
    res = kv.most_similar("a")
    assert all(np.isfinite(s) for _, s in res)
    assert dict(res)["zero"] == 0.0
    assert np.all(np.isfinite(kv.most_similar(np.zeros(3, np.float32), topn=None)))
    assert np.all(np.isfinite(kv.get_normed_vectors()))
    assert np.all(np.isfinite(kv.get_vector("zero", norm=True)))
    assert np.all(np.isfinite(kv.distances("zero")))
    assert kv.similarity("a", "zero") == 0.0
    assert np.all(np.isfinite(KeyedVectors.cosine_similarities(np.zeros(3), kv.vectors)))


def test_vecattrs_and_adding():
    kv = KeyedVectors(2, count=2)
    assert kv.add_vector("x", [1, 2]) == 0
    assert kv.add_vector("y", [3, 4]) == 1
    with pytest.warns(UserWarning):
        assert kv.add_vector("z", [5, 6]) == 2
    kv.set_vecattr("y", "count", 7)
    assert kv.get_vecattr("y", "count") == 7 and kv.expandos["count"].dtype == np.int64
    kv.add_vectors(["w", "x"], np.array([[0, 1], [9, 9]], np.float32))
    assert len(kv.expandos["count"]) == len(kv) == 4
    np.testing.assert_array_equal(kv["x"], [1, 2])  # kept: replace=False
    kv.add_vectors(["x"], np.array([[9, 9]], np.float32), replace=True)
    np.testing.assert_array_equal(kv["x"], [9, 9])
    kv["v"] = np.array([1, 1], np.float32)
    assert kv.get_index("v") == 4
    kv.allocate_vecattrs(["sample_int"], [np.uint32])
    assert kv.expandos["sample_int"].shape == (5,)
    with pytest.raises(TypeError):
        kv.allocate_vecattrs(["count"], [np.float32])
    kv.expandos["count"][:] = [1, 5, 3, 0, 9]
    kv.sort_by_descending_frequency()
    assert kv.index_to_key == ["v", "y", "z", "x", "w"]
    np.testing.assert_array_equal(kv["v"], [1, 1])


def test_trainer_contract_direct_assignment():
    kv = KeyedVectors(4)
    keys = ["a", "b", "c"]
    kv.index_to_key = keys
    kv.key_to_index = {k: i for i, k in enumerate(keys)}
    kv.vectors = np.eye(3, 4, dtype=np.float32)
    kv.expandos["count"] = np.array([3, 2, 1], np.int64)
    kv.expandos["sample_int"] = np.array([1, 1, 1], np.uint32)
    assert kv.most_similar("a", topn=1)[0][1] == pytest.approx(0.0)
    assert kv.get_vecattr("b", "count") == 2


def test_evaluate_word_analogies_matches_gensim(kv, gensim_kv):
    for kwargs in ({}, dict(case_insensitive=False), dict(restrict_vocab=1000), dict(dummy4unknown=True)):
        score, sections = kv.evaluate_word_analogies(datapath("questions-words.txt"), **kwargs)
        gscore, gsections = gensim_kv.evaluate_word_analogies(datapath("questions-words.txt"), **kwargs)
        assert 0 < score < 1
        assert score == gscore
        assert sections == gsections


def test_evaluate_word_analogies_similarity_functions(kv, gensim_kv):
    path = datapath("questions-words.txt")
    # gensim 4.4 accepts 'most_similar_cosmul' here but scores with 3CosAdd (its own test
    # asserts the two are equal): the same names give the same results here.
    plain = kv.evaluate_word_analogies(path)
    assert kv.evaluate_word_analogies(path, similarity_function="most_similar_cosmul") == plain
    assert gensim_kv.evaluate_word_analogies(path, similarity_function="most_similar_cosmul") == plain
    # '3cosmul' (fastw2v) really ranks by 3CosMul: a different, still sane, accuracy.
    score, sections = kv.evaluate_word_analogies(path, similarity_function="3cosmul")
    assert 0 < score < 1 and score != plain[0] and len(sections) == len(plain[1])
    with pytest.raises(ValueError, match="similarity_function"):
        kv.evaluate_word_analogies(path, similarity_function="cos")


def test_evaluate_word_analogies_in_small_blocks(kv, gensim_kv, monkeypatch):
    # Several vocabulary spans (merged top 5) and many question blocks.
    import fastw2v.search as search
    monkeypatch.setattr(search, "BLOCK_CELLS", 1 << 16)
    score, sections = kv.evaluate_word_analogies(datapath("questions-words.txt"))
    gscore, gsections = gensim_kv.evaluate_word_analogies(datapath("questions-words.txt"))
    assert score == gscore and sections == gsections


@pytest.mark.parametrize("cells", [1, 50, 1 << 20])
@pytest.mark.parametrize("multiplicative", [False, True])
def test_analogy_top_k_matches_direct_scores(cells, multiplicative, monkeypatch):
    import fastw2v.search as search
    monkeypatch.setattr(search, "BLOCK_CELLS", 64)  # spans of 64 // n_words columns, at least k
    rng = np.random.default_rng(3)
    unit = rng.standard_normal((40, 8)).astype(np.float32)
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    a, b, c = (rng.integers(0, 12, 30) for _ in range(3))
    idx, vals = search.analogy_top_k(unit, a, b, c, 5, cells=cells, multiplicative=multiplicative)
    if multiplicative:  # Levy and Goldberg's 3CosMul, similarities shifted to [0, 1]
        sims = [(1 + unit[x] @ unit.T) / 2 for x in (a, b, c)]
        direct = sims[1] * sims[2] / (sims[0] + 1e-6)
    else:
        direct = (unit[b] + unit[c] - unit[a]) @ unit.T
    rows = np.arange(30)
    for x in (a, b, c):
        direct[rows, x] = -np.inf
    expected = np.argsort(-direct, axis=1, kind="stable")[:, :5]
    np.testing.assert_array_equal(idx, expected)
    np.testing.assert_allclose(vals, np.take_along_axis(direct, expected, axis=1), atol=1e-5)


def test_evaluate_word_analogies_bad_files(kv, tmp_path):
    no_header = tmp_path / "q.txt"
    no_header.write_text("a b c d\n")
    with pytest.raises(ValueError, match="section header"):
        kv.evaluate_word_analogies(str(no_header))
    empty = tmp_path / "e.txt"
    empty.write_text(": s\n")
    with pytest.raises(ValueError):
        kv.evaluate_word_analogies(str(empty))


@pytest.mark.parametrize("fname", ["wordsim353.tsv", "simlex999.txt"])
@pytest.mark.parametrize("kwargs", [{}, dict(case_insensitive=False), dict(restrict_vocab=1000),
                                    dict(dummy4unknown=True)])
def test_evaluate_word_pairs_matches_gensim(kv, gensim_kv, fname, kwargs):
    (p, pp), (s, sp), oov = kv.evaluate_word_pairs(datapath(fname), **kwargs)
    (gp, gpp), (gs, gsp), goov = gensim_kv.evaluate_word_pairs(datapath(fname), **kwargs)
    assert p == pytest.approx(gp, abs=TOL) and s == pytest.approx(gs, abs=TOL)
    assert pp == pytest.approx(gpp, abs=TOL) and sp == pytest.approx(gsp, abs=TOL)
    assert oov == goov


def test_gensim_conversion(kv, gensim_kv, some_keys):
    back = KeyedVectors.from_gensim(gensim_kv)
    assert back.index_to_key == gensim_kv.index_to_key
    np.testing.assert_array_equal(back.vectors, gensim_kv.vectors)
    g = kv.to_gensim()
    assert_same_results(kv.most_similar(some_keys[0]), g.most_similar(some_keys[0]))
    assert g.index_to_key == kv.index_to_key


@pytest.mark.parametrize("k", [1, 5, 10, 32, 33, 100, 150])
@pytest.mark.parametrize("n", [120, 5000, 4096 + 7])
def test_top_k_rows_matches_argsort(k, n):
    from fastw2v.search import top_k_rows
    scores = np.random.default_rng(k).standard_normal((4, n)).astype(np.float32)
    idx, vals = top_k_rows(scores.copy(), k)
    expect = np.argsort(-scores, axis=1)[:, :k]
    np.testing.assert_array_equal(idx, expect)
    np.testing.assert_array_equal(vals, np.take_along_axis(scores, expect, axis=1))


def test_evaluation_module_on_plain_arrays(tmp_path):
    """fastw2v.evaluation works on a key list and unit rows, without a KeyedVectors."""
    from fastw2v import evaluation

    keys = ["man", "woman", "king", "queen", "apple"]
    vectors = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 1], [0, 1, 1], [0, 0, -1]], np.float32)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    path = tmp_path / "q.txt"
    path.write_text(": royals\nman king woman queen\nman king woman apple\nman king pear queen\n")
    ok_vocab = evaluation.vocab_index(keys, 5, case_insensitive=True)
    parsed = evaluation.read_analogies(str(path), ok_vocab, case_insensitive=True, dummy4unknown=False)
    assert (parsed.n_quadruplets, parsed.oov) == (3, 1)
    np.testing.assert_array_equal(parsed.questions, [[0, 2, 1, 3], [0, 2, 1, 4]])
    correct = evaluation.solve_analogies(unit, keys, parsed.questions, ok_vocab, case_insensitive=True)
    np.testing.assert_array_equal(correct, [True, False])
    score, sections = evaluation.score_analogies(parsed, correct)
    assert score == 0.5 and [s["section"] for s in sections] == ["royals", "Total accuracy"]
    assert sections[0]["correct"] == [("MAN", "KING", "WOMAN", "QUEEN")]
