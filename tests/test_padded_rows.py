"""Model matrices whose rows are padded to whole cache lines train exactly as contiguous ones.

The kernels take any matrix whose rows are contiguous and evenly spaced (its row pitch);
the output layers are allocated that way (fastw2v.vector_store.padded_rows). Every build
is checked: the same update on padded and on C-contiguous matrices gives the same bits.
"""
import numpy as np
import pytest

from fastw2v import FastText, Word2Vec, kernels
from fastw2v.kernels._train import matrix_pitch
from fastw2v.vector_store import padded_rows

KERNELS = [pytest.param(kernels.load(name), id=name) for name in kernels.available_variants()]


def padded_copy(a):
    out = padded_rows(*a.shape)
    out[...] = a
    return out


@pytest.mark.parametrize("rows, dim, pitch", [(5, 100, 112), (3, 16, 16), (4, 1, 16), (2, 300, 304),
                                              (0, 100, None)])
def test_padded_rows_start_whole_lines(rows, dim, pitch):
    a = padded_rows(rows, dim)
    assert a.shape == (rows, dim) and a.dtype == np.float32 and not a.any()
    if rows:
        assert matrix_pitch(a) == pitch
        assert all(a[r].ctypes.data % 64 == 0 for r in range(rows))
        assert a.flags.c_contiguous == (pitch == dim)


def test_matrix_pitch_of_layouts():
    a = np.zeros((6, 10), np.float32)
    assert matrix_pitch(a) == 10
    assert matrix_pitch(np.zeros((6, 16), np.float32)[:, :10]) == 16
    assert matrix_pitch(a[:, ::2]) is None      # rows not contiguous
    assert matrix_pitch(a.T) is None            # columns, not rows
    assert matrix_pitch(a[::-1]) is None        # rows backwards
    assert matrix_pitch(a[:1]) == 10


def make_mats(seed, n_words=12, dim=100, n_buckets=40):
    rng = np.random.default_rng(seed)
    syn0 = rng.normal(0, 0.3, (n_words, dim)).astype(np.float32)
    syn1 = rng.normal(0, 0.3, (n_words, dim)).astype(np.float32)
    syn1neg = rng.normal(0, 0.3, (n_words, dim)).astype(np.float32)
    ngrams = rng.normal(0, 0.3, (n_buckets, dim)).astype(np.float32)
    return syn0, syn1, syn1neg, ngrams


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("sg", [0, 1])
@pytest.mark.parametrize("dim", [100, 7, 32])
def test_window_update_on_padded_rows_equals_contiguous(kernel, sg, dim):
    syn0, syn1, syn1neg, _ = make_mats(sg + dim, dim=dim)
    args = (3, [1, 4, 5, 7], [2, 9, 3, 11, 0], [0, 1, 1], [10, 8, 2], 0.05)
    plain = [syn0.copy(), syn1.copy(), syn1neg.copy()]
    padded = [padded_copy(m) for m in (syn0, syn1, syn1neg)]
    loss_plain = kernel.window_update(*plain, *args, sg=sg, compute_loss=1)
    loss_padded = kernel.window_update(*padded, *args, sg=sg, compute_loss=1)
    assert loss_padded == loss_plain
    for p, q in zip(plain, padded):
        np.testing.assert_array_equal(q, p)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("sg", [0, 1])
def test_fasttext_sentence_on_padded_rows_equals_contiguous(kernel, sg):
    syn0, syn1, syn1neg, ngrams = make_mats(5 + sg)
    rng = np.random.default_rng(1)
    counts = rng.integers(0, 6, size=len(syn0))
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    ids = rng.integers(0, len(ngrams), size=offsets[-1]).astype(np.int32)
    sentence = [1, 4, 5, 7, 3, 3, 9]
    negatives = rng.integers(0, len(syn0), size=(len(sentence), 5)).astype(np.int32)
    results = []
    for wrap in (np.copy, padded_copy):
        mats = [wrap(m) for m in (syn0, syn1neg, ngrams)]
        loss = kernel.ft_sentence_update(mats[0], None, sentence, [], [], None, 0.05, 2, mats[2],
                                         offsets, ids, sg=sg, syn1neg=mats[1], negatives=negatives)
        results.append((loss, mats))
    (loss_a, mats_a), (loss_b, mats_b) = results
    assert loss_a == loss_b
    for p, q in zip(mats_a, mats_b):
        np.testing.assert_array_equal(q, p)


@pytest.mark.parametrize("kernel", KERNELS)
def test_rows_that_are_not_contiguous_are_refused(kernel):
    syn0, _, syn1neg, _ = make_mats(0, dim=8)
    wide = np.zeros((len(syn0), 16), np.float32)
    with pytest.raises(ValueError, match="evenly spaced rows"):
        kernel.window_update(wide[:, ::2], None, syn1neg, 0, [1], [2], [], [], 0.1)


SENTENCES = [[f"w{int(w)}" for w in np.random.default_rng(s).zipf(1.4, size=40) % 80]
             for s in range(60)]


@pytest.mark.parametrize("model_class", [Word2Vec, FastText])
@pytest.mark.parametrize("hs", [0, 1])
def test_training_on_padded_and_contiguous_rows_agree(model_class, hs):
    """One thread, same seed: the default (padded output layers) trains the bits a model
    whose matrices are all C-contiguous trains."""
    params = dict(vector_size=20, min_count=1, sample=0, seed=7, workers=1, epochs=2, hs=hs,
                  negative=0 if hs else 5)
    if model_class is FastText:
        params.update(min_n=2, max_n=3, bucket=500)
    models = []
    for contiguous in (False, True):
        model = model_class(**params)
        model.build_vocab(SENTENCES)
        name = "syn1" if hs else "syn1neg"
        assert matrix_pitch(getattr(model, name)) == 32
        if contiguous:
            setattr(model, name, np.ascontiguousarray(getattr(model, name)))
        model.train(SENTENCES, total_examples=len(SENTENCES), epochs=2)
        models.append(model)
    np.testing.assert_array_equal(models[0].wv.vectors, models[1].wv.vectors)
    name = "syn1" if hs else "syn1neg"
    np.testing.assert_array_equal(getattr(models[0], name), getattr(models[1], name))


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("sg", [0, 1])
def test_padding_between_rows_is_never_read_or_written(kernel, sg):
    """NaN in the gaps of every matrix, HS and NS at once: no NaN reaches a row, none leaves."""
    syn0, syn1, syn1neg, _ = make_mats(11 + sg, dim=20)
    args = (3, [1, 4, 5, 7], [2, 9, 3, 11, 0], [0, 1, 1], [10, 8, 2], 0.05)
    plain = [syn0.copy(), syn1.copy(), syn1neg.copy()]
    wide = [np.full((len(m), 40), np.nan, np.float32) for m in (syn0, syn1, syn1neg)]
    gapped = [w[:, :20] for w in wide]
    for g, m in zip(gapped, (syn0, syn1, syn1neg)):
        g[...] = m
    kernel.window_update(*plain, *args, sg=sg)
    kernel.window_update(*gapped, *args, sg=sg)
    for w, p in zip(wide, plain):
        np.testing.assert_array_equal(w[:, :20], p)
        assert np.isnan(w[:, 20:]).all()


# ---------------------------------------------------------------- output layers from files

def on_lines(a):
    """Every row of the float32 matrix ``a`` starts a 64-byte line."""
    return a.dtype == np.float32 and matrix_pitch(a) % 16 == 0 and a.ctypes.data % 64 == 0


@pytest.mark.parametrize("model_class", [Word2Vec, FastText])
@pytest.mark.parametrize("hs", [0, 1])
def test_a_loaded_model_trains_its_output_layer_on_whole_lines(tmp_path, model_class, hs):
    """load() reads syn1 / syn1neg onto whole lines, with the saved values, and the model
    trains on as the one that was saved does; mmap='r' keeps the file's own layout."""
    params = dict(vector_size=20, min_count=1, sample=0, seed=7, workers=1, epochs=1, hs=hs,
                  negative=0 if hs else 5)
    if model_class is FastText:
        params.update(min_n=2, max_n=3, bucket=500)
    model = model_class(SENTENCES, **params)
    name = "syn1" if hs else "syn1neg"
    model.save(str(tmp_path / "m"))
    loaded = model_class.load(str(tmp_path / "m"))
    assert on_lines(getattr(loaded, name)) and matrix_pitch(getattr(loaded, name)) == 32
    np.testing.assert_array_equal(getattr(loaded, name), getattr(model, name))
    for m in (model, loaded):
        m.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)
    np.testing.assert_array_equal(loaded.wv.vectors, model.wv.vectors)
    np.testing.assert_array_equal(getattr(loaded, name), getattr(model, name))
    mapped = getattr(model_class.load(str(tmp_path / "m"), mmap="r"), name)
    assert isinstance(mapped, np.memmap) and mapped.flags.c_contiguous


@pytest.mark.parametrize("rows, dim", [(37, 7), (10, 100), (1, 3), (0, 5), (9, 16)])
@pytest.mark.parametrize("stored", ["<f4", ">f4"])
def test_read_rows_fills_padded_rows_block_by_block(monkeypatch, rows, dim, stored):
    """Blocks smaller than the matrix (and a last, shorter one) give the stored rows; dim
    16 fills whole lines and is read in place; big-endian rows (a .bin read on a
    big-endian machine takes the same path) are converted."""
    from fastw2v import vector_store
    monkeypatch.setattr(vector_store, "ROW_BLOCK_BYTES", 3 * dim * 4)  # three rows a block
    want = np.arange(rows * dim, dtype=stored).reshape(rows, dim)
    stream = memoryview(want.tobytes())
    at = [0]

    def readinto(buf):
        view = memoryview(buf).cast("B")
        view[:] = stream[at[0]:at[0] + len(view)]
        at[0] += len(view)
    got = vector_store.read_rows(padded_rows(rows, dim), readinto, stored)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)
    assert at[0] == want.nbytes


@pytest.mark.parametrize("rows, dim", [(50, 20), (9, 16), (3, 1), (0, 4)])
def test_a_padded_matrix_is_saved_as_np_save_saves_its_copy(tmp_path, monkeypatch, rows, dim):
    """_write_npy writes a strided matrix in blocks of rows: the bytes of np.save."""
    from fastw2v import vector_store
    from fastw2v.io import native
    monkeypatch.setattr(vector_store, "ROW_BLOCK_BYTES", 3 * dim * 4)
    a = padded_rows(rows, dim)
    a[...] = np.random.default_rng(rows).normal(size=(rows, dim))
    with open(tmp_path / "ours.npy", "wb") as f:
        native._write_npy(f, a)
    np.save(tmp_path / "numpy.npy", np.ascontiguousarray(a), allow_pickle=False)
    assert (tmp_path / "ours.npy").read_bytes() == (tmp_path / "numpy.npy").read_bytes()


@pytest.mark.parametrize("dim", [10, 16])  # read in blocks, read in place
def test_an_array_file_cut_after_its_header_was_checked_is_refused(tmp_path, dim):
    from fastw2v.io import native
    from fastw2v.io.errors import FormatError
    path = tmp_path / "a.npy"
    np.save(path, np.ones((50, dim), np.float32))
    header = native._check_npy_header(str(path), "syn1neg")
    with open(path, "r+b") as f:
        f.truncate(header[3] + 4 * dim * 20)  # 20 of the 50 rows left
    with pytest.raises(FormatError, match="syn1neg"):
        native._load_lined(str(path), "syn1neg", header)


def test_a_facebook_model_and_a_gensim_model_bring_lined_output_layers(tmp_path):
    from fastw2v.models.fasttext import (FastTextKeyedVectors, load_facebook_model,
                                         load_facebook_vectors, save_facebook_model)
    for hs in (0, 1):
        name = "syn1" if hs else "syn1neg"
        model = FastText(SENTENCES, vector_size=20, min_count=1, min_n=2, max_n=3, bucket=500,
                         workers=1, epochs=1, seed=3, hs=hs, negative=0 if hs else 5)
        save_facebook_model(model, str(tmp_path / "m.bin"))
        loaded = load_facebook_model(str(tmp_path / "m.bin"))
        assert on_lines(getattr(loaded, name))
        np.testing.assert_array_equal(getattr(loaded, name), getattr(model, name))
    # FastText vectors keeping the .bin's output matrix (for a model built from them)
    kv = load_facebook_vectors(str(tmp_path / "m.bin"), keep_output=True)
    kv.save(str(tmp_path / "m.kv"))
    again = FastTextKeyedVectors.load(str(tmp_path / "m.kv"))
    assert on_lines(again.facebook.output)
    np.testing.assert_array_equal(again.facebook.output, model.syn1)
    gensim = pytest.importorskip("gensim")
    for hs in (0, 1):
        gmodel = gensim.models.Word2Vec(SENTENCES, vector_size=20, min_count=1, workers=1,
                                        epochs=1, hs=hs, negative=0 if hs else 5)
        name = "syn1" if hs else "syn1neg"
        ours = Word2Vec.from_gensim(gmodel)
        assert on_lines(getattr(ours, name))
        np.testing.assert_array_equal(getattr(ours, name), getattr(gmodel, name))
