"""What a saved ``FastTextKeyedVectors`` holds: the schema on top of the native format.

Like :mod:`fastw2v.io.keyedvectors_file`, the same checks run on save and on load, so a
save that could not be loaded back is refused before the old file is touched.

Layout (``kind = "FastTextKeyedVectors"``)
------------------------------------------
meta
    ``vector_size``, ``min_n``, ``max_n``, ``bucket``, ``facebook_eos``; ``keys`` (str, in
    row order); ``key_bytes`` (key -> its raw bytes as a list of ints, for keys that were not
    UTF-8 in a ``.bin``); ``expandos`` (attribute -> array name); ``facebook`` (fastText's
    args, token count and file version, or null); ``mode`` (``"fasttext"`` or ``"floret"``),
    ``hash_count``, ``hash_seed`` (absent in files from before floret: fastText's mode).
arrays
    ``vectors_vocab`` (len(keys) x vector_size; not in floret mode), ``vectors_ngrams`` (bucket x
    vector_size), ``expando0``...; ``facebook_output`` when a ``.bin``'s output matrix was
    kept. ``vectors`` and the n-gram table are recomputed on load (they follow from these).
"""
import numpy as np

from fastw2v._ngrams import FLORET_SEED, _check_params

from .errors import FormatError
from .native import load_native, save_native

__all__ = ["save_fasttext_vectors", "load_fasttext_vectors", "KIND"]

KIND = "FastTextKeyedVectors"


def save_fasttext_vectors(fname, kv):
    """Write `kv` (a ``FastTextKeyedVectors``) to `fname` atomically.

    Raises
    ------
    ValueError
        A key is not a str.
    FormatError
        The matrices or attributes do not fit the keys: `fname` is left as it was.
    """
    keys = list(kv.index_to_key)
    if not all(isinstance(k, str) for k in keys):
        raise ValueError("FastTextKeyedVectors keys must be str to be saved")
    ngrams = kv.vectors_ngrams if kv.vectors_ngrams is not None else np.zeros((0, kv.vector_size), np.float32)
    arrays = {"vectors_ngrams": np.asarray(ngrams)}
    if not kv.floret:
        arrays["vectors_vocab"] = np.asarray(kv.vectors_vocab)
    names = {}
    for i, (attr, values) in enumerate(kv.expandos.items()):
        names[attr] = f"expando{i}"
        arrays[f"expando{i}"] = np.asarray(values)
    extras = None
    if kv.facebook is not None:
        extras = {"args": dict(kv.facebook.args), "ntokens": int(kv.facebook.ntokens),
                  "version": int(kv.facebook.version)}
        if kv.facebook.output is not None:
            arrays["facebook_output"] = np.asarray(kv.facebook.output)
    meta = {"vector_size": int(kv.vector_size), "min_n": kv.min_n, "max_n": kv.max_n,
            "bucket": kv.bucket, "facebook_eos": bool(kv.facebook_eos), "keys": keys,
            "key_bytes": {k: list(b) for k, b in kv.key_bytes.items()},
            "expandos": names, "facebook": extras, "mode": kv.mode,
            "hash_count": kv.hash_count, "hash_seed": kv.hash_seed}
    _check(fname, meta, arrays)
    save_native(fname, arrays, meta, kind=KIND)


def load_fasttext_vectors(fname, cls, mmap=None):
    """A `cls` (``FastTextKeyedVectors``) from what `save_fasttext_vectors` wrote.

    Raises
    ------
    FormatError
        Not a valid saved FastTextKeyedVectors.
    """
    from .facebook_bin import FacebookExtras

    arrays, meta = load_native(fname, mmap=mmap, expected_kind=KIND,
                               lined=("facebook_output",))  # a FastText model's output layer
    _check(fname, meta, arrays)
    kv = cls(meta["vector_size"], meta["min_n"], meta["max_n"], meta["bucket"], **_hashing(meta))
    kv.facebook_eos = meta["facebook_eos"]
    kv.key_bytes = {k: bytes(v) for k, v in meta["key_bytes"].items()}
    expandos = {attr: arrays[name] for attr, name in meta["expandos"].items()}
    if kv.floret:  # the composed vectors go into this array (adjust_vectors below)
        composed = np.empty((len(meta["keys"]), meta["vector_size"]), dtype=np.float32)
        kv._set_all(meta["keys"], composed, expandos)
    else:
        kv._set_all(meta["keys"], arrays["vectors_vocab"], expandos)  # vectors replaced below
        kv.vectors_vocab = arrays["vectors_vocab"]
    kv.vectors_ngrams = arrays["vectors_ngrams"]
    fb = meta["facebook"]
    if fb is not None:
        kv.facebook = FacebookExtras(args=fb["args"], ntokens=fb["ntokens"], version=fb["version"],
                                     output=arrays.get("facebook_output"))
    kv.recalc_char_ngram_buckets()
    kv.adjust_vectors()
    return kv


def _hashing(meta):
    """The file's hashing mode (fastText's for files written before floret mode)."""
    return {"mode": meta.get("mode", "fasttext"), "hash_count": meta.get("hash_count", 1),
            "hash_seed": meta.get("hash_seed")}


def _check(fname, meta, arrays):
    """FormatError unless the settings, keys and arrays agree."""
    def fail(problem):
        raise FormatError(fname, f"inconsistent FastTextKeyedVectors: {problem}")

    keys = meta.get("keys")
    if not isinstance(keys, list) or not all(type(k) is str for k in keys) or len(set(keys)) != len(keys):
        fail("'keys' must be distinct strings")
    dim = meta.get("vector_size")
    for name in ("vector_size", "min_n", "max_n", "bucket"):
        value = meta.get(name)
        if type(value) is not int or not 0 <= value < 2 ** 31:
            fail(f"bad {name!r}: {value!r}")
    if type(meta.get("facebook_eos")) is not bool or not isinstance(meta.get("expandos"), dict):
        fail("bad 'facebook_eos' or 'expandos'")
    key_bytes = meta.get("key_bytes")
    def is_bytes(v):
        return isinstance(v, list) and all(type(b) is int and 0 <= b < 256 for b in v)
    if not isinstance(key_bytes, dict) or not all(is_bytes(v) for v in key_bytes.values()):
        fail("bad 'key_bytes'")
    hashing = _hashing(meta)
    seed = FLORET_SEED if hashing["hash_seed"] is None else hashing["hash_seed"]
    if type(hashing["hash_count"]) is not int or type(seed) is not int:
        fail(f"bad 'hash_count' or 'hash_seed': {hashing}")
    try:  # the n-gram code's own checks of these settings
        _check_params(meta["min_n"], meta["max_n"], meta["bucket"], hashing["mode"],
                      hashing["hash_count"], seed)
    except ValueError as exc:
        fail(str(exc))
    n = len(keys)
    shapes = {"vectors_ngrams": (meta["bucket"], dim)}
    if hashing["mode"] == "fasttext":
        shapes["vectors_vocab"] = (n, dim)
    elif "vectors_vocab" in arrays:
        fail("floret mode has no vectors_vocab")
    if "facebook_output" in arrays:
        shapes["facebook_output"] = (n, dim)
    for name, shape in shapes.items():
        arr = arrays.get(name)
        if arr is None or arr.shape != shape or arr.dtype != np.float32:
            fail(f"{name} must be float32 of shape {shape}, got "
                 f"{None if arr is None else (arr.shape, arr.dtype.str)}")
    for attr, name in meta["expandos"].items():
        if not isinstance(name, str) or name not in arrays or np.shape(arrays[name]) != (n,):
            fail(f"attribute {attr!r} does not have one value per key ({n})")
    fb = meta.get("facebook")
    if fb is not None and not (isinstance(fb, dict) and isinstance(fb.get("args"), dict)
                               and type(fb.get("ntokens")) is int and type(fb.get("version")) is int):
        fail("bad 'facebook'")
