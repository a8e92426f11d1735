r"""Train one word2vec model in this process and write its vectors; used by compare.py.

Run in a fresh interpreter per measurement so that the parent can time the whole
process (interpreter start, imports, vocabulary, training, writing vectors) and read
its peak RSS with ``os.wait4``. Only the backend being measured is imported.

    python benchmarks/_runner.py --backend gensim --input corpus_file --arch sg \
        --corpus corpus.txt --out vectors.bin [--hs] [--epochs 1] [--threads 2] [--seed 1]

    python benchmarks/_runner.py --backend fastw2v --vocab-only --corpus corpus.txt

    python benchmarks/_runner.py --versions    # JSON of what is importable

The last stdout line is a JSON object: {"ok": true, "vocab": ..., ...}.
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


def train_gensim_like(module, args):
    """gensim 4.x API; fastw2v exposes the same names, so one function serves both."""
    Word2Vec = module.Word2Vec
    params = dict(
        vector_size=args.vector_size, window=args.window, sample=args.sample,
        min_count=args.min_count, alpha=args.alpha, sg=1 if args.arch == "sg" else 0,
        hs=1 if args.hs else 0, negative=0 if args.hs else args.negative,
        epochs=args.epochs, workers=args.threads, seed=args.seed,
    )
    if args.input == "corpus_file":
        model = Word2Vec(corpus_file=args.corpus, **params)
    else:
        model = Word2Vec(sentences=module.LineSentence(args.corpus), **params)
    model.wv.save_word2vec_format(args.out, binary=True)
    return {"vocab": len(model.wv), "words_reported": int(getattr(model, "corpus_total_words", 0) or 0)}


def build_vocab_only(module, args):
    """Time ``build_vocab(corpus_file=...)`` alone (scan, prune, tables, weights)."""
    model = module.Word2Vec(vector_size=args.vector_size, window=args.window, sample=args.sample,
                            min_count=args.min_count, sg=1 if args.arch == "sg" else 0,
                            hs=1 if args.hs else 0, negative=0 if args.hs else args.negative,
                            workers=args.threads, seed=args.seed)
    start = time.perf_counter()
    model.build_vocab(corpus_file=args.corpus)
    seconds = time.perf_counter() - start
    return {"vocab": len(model.wv), "vocab_seconds": seconds,
            "words_reported": int(model.corpus_total_words)}


def train_fasttext(args):
    """fastText without subwords (minn=maxn=0, bucket=0: no n-gram rows allocated)."""
    import fasttext
    import numpy as np

    params = dict(
        model="skipgram" if args.arch == "sg" else "cbow",
        dim=args.vector_size, ws=args.window, neg=args.negative, t=args.sample,
        minCount=args.min_count, lr=args.alpha, epoch=args.epochs, thread=args.threads,
        loss="hs" if args.hs else "ns", minn=0, maxn=0, wordNgrams=1, bucket=0, verbose=0,
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
    for name, value in DEFAULTS.items():
        p.add_argument("--" + name.replace("_", "-"), type=type(value), default=value)
    args = p.parse_args(argv)
    if not args.versions and not (args.backend and args.corpus and (args.out or args.vocab_only)):
        p.error("--backend, --corpus and --out are required")
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
        if args.backend == "gensim":
            import gensim.models.word2vec as module  # Word2Vec, LineSentence
        else:
            import fastw2v as module  # same names: `from fastw2v import Word2Vec, LineSentence`
        info = build_vocab_only(module, args) if args.vocab_only else train_gensim_like(module, args)
    info.update(ok=True, inner_seconds=time.perf_counter() - start)
    print(json.dumps(info), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
