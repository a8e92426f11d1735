r"""Train one word2vec (or FastText) model in this process and write its vectors; used by compare.py.

Run in a fresh interpreter per measurement so that the parent can time the whole
process (interpreter start, imports, vocabulary, training, writing vectors) and read
its peak RSS with ``os.wait4``. Only the backend being measured is imported.

    python benchmarks/_runner.py --backend gensim --input corpus_file --arch sg \
        --corpus corpus.txt --out vectors.bin [--hs] [--epochs 1] [--threads 2] [--seed 1]

    python benchmarks/_runner.py --backend fastw2v --model fasttext [--min-n 3 --max-n 6 \
        --bucket 2000000] [--oov-words words.txt] --corpus corpus.txt --out vectors.bin

    python benchmarks/_runner.py --backend fastw2v --model fasttext --floret 2 --bucket 100000 \
        --corpus corpus.txt --out vectors.bin      # floret mode: words share the buckets

    python benchmarks/_runner.py --backend fastw2v --vocab-only --corpus corpus.txt

    python benchmarks/_runner.py --versions    # JSON of what is importable

The last stdout line is a JSON object: {"ok": true, "vocab": ..., ...}.

``--model fasttext`` trains gensim's or fastw2v's ``FastText``, or Facebook fastText with
subwords, with the n-gram settings below; the vectors written are each library's composed
word vectors (word row and n-gram rows). ``--oov-words FILE`` (gensim and fastw2v only)
drops those words from the vocabulary with a ``trim_rule`` and also writes their n-gram
vectors, ``wv[word]``, to ``OUT.oov`` in the same format, for an out-of-vocabulary score.
"""

import argparse
import json
import os
import sys
import time

# An in-place build of the repository (`python setup.py build_ext --inplace`) is
# found after any installed fastw2v, never before it.
_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _REPO_ROOT not in sys.path:
    sys.path.append(_REPO_ROOT)

# Settings every trainer gets unless the command line says otherwise.
DEFAULTS = dict(vector_size=100, window=5, negative=5, sample=1e-4, min_count=5, alpha=0.025)
# gensim.utils' trim_rule answers, which fastw2v.vocab repeats; spelt here so that a fastw2v
# child does not import gensim for them.
RULE_DEFAULT, RULE_DISCARD = 0, 1
# FastText's character n-gram settings (issue 15's), used only with --model fasttext.
FASTTEXT_DEFAULTS = dict(min_n=3, max_n=6, bucket=2_000_000)


def model_class(backend, model):
    """The backend's ``Word2Vec`` or ``FastText`` class and its ``LineSentence``.

    gensim and fastw2v spell all three the same, so one training function serves both
    libraries and both models (either package's import loads both classes anyway).

    Parameters
    ----------
    backend : {"gensim", "fastw2v"}
    model : {"word2vec", "fasttext"}

    Returns
    -------
    tuple
        (model class, LineSentence class).
    """
    if backend == "gensim":
        from gensim.models.word2vec import LineSentence, Word2Vec
        if model == "fasttext":
            from gensim.models.fasttext import FastText
            return FastText, LineSentence
        return Word2Vec, LineSentence
    from fastw2v import LineSentence
    if model == "fasttext":
        from fastw2v import FastText
        return FastText, LineSentence
    from fastw2v import Word2Vec
    return Word2Vec, LineSentence


def model_params(args):
    """Constructor parameters shared by training and --vocab-only (no corpus, no epochs)."""
    params = dict(
        vector_size=args.vector_size, window=args.window, sample=args.sample,
        min_count=args.min_count, alpha=args.alpha, sg=1 if args.arch == "sg" else 0,
        hs=1 if args.hs else 0, negative=0 if args.hs else args.negative,
        workers=args.threads, seed=args.seed,
    )
    if args.model == "fasttext":
        params.update({k: getattr(args, k) for k in FASTTEXT_DEFAULTS})
    if args.floret:
        params.update(mode="floret", hash_count=args.floret)
    return params


def read_words(path):
    """The words of a one-word-per-line file, as a list (order kept)."""
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def drop_rule(words):
    """A gensim ``trim_rule`` discarding ``words`` in any letter case, defaults otherwise.

    The evaluation files are lowercased by the caller; matching ``word.lower()`` also drops
    a capitalised corpus token, so no form of an evaluation word keeps a vocabulary row.
    """
    drop = frozenset(words)
    return lambda word, count, min_count: RULE_DISCARD if word.lower() in drop else RULE_DEFAULT


def train_gensim_like(args):
    """gensim 4.x API; fastw2v exposes the same names, so one function serves both."""
    Model, LineSentence = model_class(args.backend, args.model)
    params = dict(model_params(args), epochs=args.epochs)
    oov_words = read_words(args.oov_words) if args.oov_words else []
    if oov_words:
        params["trim_rule"] = drop_rule(oov_words)
    if args.input == "corpus_file":
        model = Model(corpus_file=args.corpus, **params)
    else:
        model = Model(sentences=LineSentence(args.corpus), **params)
    model.wv.save_word2vec_format(args.out, binary=True)
    info = {"vocab": len(model.wv), "words_reported": int(getattr(model, "corpus_total_words", 0) or 0)}
    if oov_words:
        import numpy as np

        # After the run, not before: the trim rule is what is being checked, and a word
        # left in the vocabulary would make its "OOV" score an in-vocabulary one.
        drop = set(oov_words)
        info["oov_left_in_vocab"] = sum(w.lower() in drop for w in model.wv.key_to_index)
        write_word2vec_binary(args.out + ".oov", oov_words,
                              np.stack([model.wv[w] for w in oov_words]).astype("<f4"))
    return info


def build_vocab_only(args):
    """Time ``build_vocab(corpus_file=...)`` alone (scan, prune, tables, weights)."""
    model = model_class(args.backend, args.model)[0](**model_params(args))
    start = time.perf_counter()
    model.build_vocab(corpus_file=args.corpus)
    seconds = time.perf_counter() - start
    return {"vocab": len(model.wv), "vocab_seconds": seconds,
            "words_reported": int(model.corpus_total_words)}


def train_fasttext(args):
    """Facebook fastText: with --model fasttext its subword model, else none (minn=maxn=0,
    bucket=0: no n-gram rows allocated)."""
    import fasttext
    import numpy as np

    if args.oov_words:
        raise SystemExit("fastText has no trim rule: --oov-words is for gensim and fastw2v")
    subwords = args.model == "fasttext"
    params = dict(
        model="skipgram" if args.arch == "sg" else "cbow",
        dim=args.vector_size, ws=args.window, neg=args.negative, t=args.sample,
        minCount=args.min_count, lr=args.alpha, epoch=args.epochs, thread=args.threads,
        loss="hs" if args.hs else "ns", wordNgrams=1, verbose=0,
        minn=args.min_n if subwords else 0, maxn=args.max_n if subwords else 0,
        bucket=args.bucket if subwords else 0,
    )
    seeded = True
    try:
        model = fasttext.train_unsupervised(args.corpus, seed=args.seed, **params)
    except TypeError as exc:  # fasttext(-wheel) 0.9.2 has no seed for unsupervised training
        if "seed" not in str(exc):
            raise
        seeded = False
        model = fasttext.train_unsupervised(args.corpus, **params)
    words = model.get_words(on_unicode_error="replace")
    if subwords:
        # A word's vector is the mean of its word row and n-gram rows, which only
        # get_word_vector composes; gensim and fastw2v write the same composition.
        vectors = np.stack([model.get_word_vector(w) for w in words]).astype("<f4")
    else:  # the input row is the word vector; one slice instead of a call per word
        vectors = np.asarray(model.get_input_matrix()[: len(words)], dtype="<f4")
    write_word2vec_binary(args.out, words, vectors)
    return {"vocab": len(words), "seeded": seeded}


def write_word2vec_binary(path, words, vectors):
    """word2vec.c binary format: "<count> <dim>\\n" then "<word> <float32 x dim>\\n" per word."""
    with open(path, "wb") as f:
        f.write(f"{len(words)} {vectors.shape[1]}\n".encode())
        for word, row in zip(words, vectors):
            f.write(word.encode("utf-8") + b" " + row.tobytes() + b"\n")


def versions():
    """Versions of the backends importable here (None where not importable)."""
    out = {}
    try:
        import fastw2v
        fastw2v.Word2Vec  # the package exists before its trainer does
        out["fastw2v"] = getattr(fastw2v, "__version__", "unknown")
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        out["fastw2v"] = None
        out["fastw2v_error"] = f"{type(exc).__name__}: {exc}"
    try:
        import gensim
        out["gensim"] = gensim.__version__
    except Exception:  # noqa: BLE001
        out["gensim"] = None
    try:
        import fasttext  # noqa: F401 - availability check
        from importlib.metadata import PackageNotFoundError, version
        for dist in ("fasttext", "fasttext-wheel"):
            try:
                out["fasttext"] = f"{version(dist)} ({dist})"
                break
            except PackageNotFoundError:
                out["fasttext"] = "unknown"
    except Exception:  # noqa: BLE001
        out["fasttext"] = None
    return out


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--versions", action="store_true", help="print importable backends and exit")
    p.add_argument("--backend", choices=["fastw2v", "gensim", "fasttext"])
    p.add_argument("--input", choices=["corpus_file", "iterable"], default="corpus_file",
                   help="gensim/fastw2v: corpus_file= or LineSentence (fastText reads its file)")
    p.add_argument("--arch", choices=["sg", "cbow"], default="sg")
    p.add_argument("--hs", action="store_true", help="hierarchical softmax (hs=1, negative=0)")
    p.add_argument("--corpus")
    p.add_argument("--out")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--vocab-only", action="store_true",
                   help="gensim/fastw2v: only build_vocab(corpus_file=...), timed inside")
    p.add_argument("--model", choices=["word2vec", "fasttext"], default="word2vec",
                   help="fasttext: subword model with the n-gram settings below")
    p.add_argument("--oov-words", metavar="FILE",
                   help="gensim/fastw2v: trim these words (one a line) from the vocabulary and "
                        "write their n-gram vectors to OUT.oov")
    p.add_argument("--floret", type=int, metavar="HASH_COUNT", default=0,
                   help="fastw2v FastText: floret mode, HASH_COUNT rows per word and n-gram "
                        "in --bucket rows shared with the words")
    for name, value in {**DEFAULTS, **FASTTEXT_DEFAULTS}.items():
        p.add_argument("--" + name.replace("_", "-"), type=type(value), default=value)
    args = p.parse_args(argv)
    if not args.versions and not (args.backend and args.corpus and (args.out or args.vocab_only)):
        p.error("--backend, --corpus and --out are required")
    if args.floret and (args.backend != "fastw2v" or args.model != "fasttext"):
        p.error("--floret is fastw2v's FastText mode (--backend fastw2v --model fasttext)")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.versions:
        print(json.dumps(versions()))
        return 0
    start = time.perf_counter()
    if args.backend == "fasttext":
        info = train_fasttext(args)
    else:
        info = build_vocab_only(args) if args.vocab_only else train_gensim_like(args)
    info.update(ok=True, inner_seconds=time.perf_counter() - start)
    print(json.dumps(info), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
