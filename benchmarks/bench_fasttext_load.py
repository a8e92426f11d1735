r"""Loading a Facebook fastText ``.bin``: fastw2v against gensim, time and peak memory.

    python benchmarks/bench_fasttext_load.py --corpus imdb.txt [--dim 50] [--bucket 2000000] \
        [--repeat 3] [--work /tmp/ft_load] [--json out.json]

Trains one skip-gram model with Facebook's ``fasttext`` package (1 epoch, ``--dim``,
``--bucket``, minCount 5, minn 3, maxn 6, 2 threads; skipped when the ``.bin`` is
already in ``--work``), then loads it ``--repeat`` times in fresh child processes, each
method in turn:

- ``fastw2v vectors``: ``fastw2v.models.fasttext.load_facebook_vectors(path)``;
- ``fastw2v model``: ``fastw2v.models.fasttext.load_facebook_model(path)`` (a trainable
  ``FastText``, with the output layer);
- ``gensim vectors``: ``gensim.models.fasttext.load_facebook_vectors(path)``;
- ``gensim model``: ``gensim.models.fasttext.load_facebook_model(path)``.

Each child reports its load seconds (``time.perf_counter`` around the call) and the
parent reads its peak RSS from ``os.wait4``; a child that only imports the library
gives the baseline RSS subtracted in ``extra RSS / arrays`` (the arrays: the input
matrix's word and bucket rows plus the vocabulary's composite vectors, which every
loader keeps). Prints the medians and the ratios to fastw2v's.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _bench import run_json_child  # noqa: E402

HERE = os.path.abspath(__file__)
METHODS = ("fastw2v vectors", "fastw2v model", "gensim vectors", "gensim model")


def train(corpus, out_prefix, dim, bucket):
    """The .bin fastText writes for ``corpus`` (trained in a child: fasttext 0.9.3 is
    unreliable on a second training in one process)."""
    code = ("import fasttext, sys; m = fasttext.train_unsupervised(sys.argv[1], model='skipgram', "
            f"dim={dim}, epoch=1, minCount=5, minn=3, maxn=6, bucket={bucket}, thread=2, "
            "verbose=0); m.save_model(sys.argv[2])")
    subprocess.run([sys.executable, "-c", code, corpus, out_prefix + ".bin"], check=True)
    return out_prefix + ".bin"


def child(method, path):
    import numpy as np
    t = time.perf_counter()
    if method == "fastw2v vectors":
        from fastw2v.models.fasttext import load_facebook_vectors
        kv = load_facebook_vectors(path)
    elif method == "fastw2v model":
        from fastw2v.models.fasttext import load_facebook_model
        kv = load_facebook_model(path).wv
    elif method == "gensim vectors":
        from gensim.models.fasttext import load_facebook_vectors
        kv = load_facebook_vectors(path)
    elif method == "gensim model":
        from gensim.models.fasttext import load_facebook_model
        kv = load_facebook_model(path).wv
    elif method == "imports fastw2v":
        import fastw2v.models.fasttext  # noqa: F401 (the import is what is measured)
        return {"seconds": 0.0, "arrays_mb": 0.0}
    elif method == "imports gensim":
        import gensim.models.fasttext  # noqa: F401 (the import is what is measured)
        return {"seconds": 0.0, "arrays_mb": 0.0}
    seconds = time.perf_counter() - t
    arrays = kv.vectors_ngrams.nbytes + kv.vectors.nbytes + getattr(kv, "vectors_vocab", kv.vectors).nbytes
    return {"seconds": seconds, "arrays_mb": arrays / 2**20, "words": len(kv.index_to_key),
            "checksum": float(np.float64(kv.vectors[: min(100, len(kv.vectors))].sum()))}


def run_child(method, path):
    row, peak_rss_mb = run_json_child([sys.executable, HERE, "--child", method, "--path", path])
    if row is None:
        raise RuntimeError(f"{method}: child failed")
    row["peak_rss_mb"] = peak_rss_mb
    return row


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", help="plain-text corpus to train the fastText model on")
    p.add_argument("--dim", type=int, default=50)
    p.add_argument("--bucket", type=int, default=2_000_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--work", default="/tmp/fastw2v_ft_load")
    p.add_argument("--json")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--path", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.path)))
        return 0
    os.makedirs(args.work, exist_ok=True)
    prefix = os.path.join(args.work, f"sg-d{args.dim}-b{args.bucket}")
    path = prefix + ".bin"
    if not os.path.exists(path):
        if not args.corpus:
            p.error("--corpus is needed to train the model")
        t = time.perf_counter()
        train(args.corpus, prefix, args.dim, args.bucket)
        print(f"trained {path} in {time.perf_counter() - t:.1f} s", flush=True)
    size_mb = os.path.getsize(path) / 2**20
    base = {lib: run_child(f"imports {lib}", path)["peak_rss_mb"] for lib in ("fastw2v", "gensim")}
    rows = {m: [] for m in METHODS}
    for _ in range(args.repeat):
        for m in METHODS:  # interleaved: a slow period hits every method alike
            rows[m].append(run_child(m, path))
            print(f"  {m}: {rows[m][-1]['seconds']:.2f} s, peak RSS {rows[m][-1]['peak_rss_mb']:,.0f} MB",
                  flush=True)
    print(f"\n{os.path.basename(path)}: {size_mb:,.0f} MB; imports alone: fastw2v "
          f"{base['fastw2v']:,.0f} MB, gensim {base['gensim']:,.0f} MB RSS")
    print(f"{'method':<16} {'load s':>8} {'x fastw2v':>10} {'peak RSS MB':>12} {'arrays MB':>10} "
          f"{'RSS / arrays':>13} {'extra RSS / arrays':>19}")
    ours = statistics.median(r["seconds"] for r in rows["fastw2v vectors"])
    summary = {}
    for m in METHODS:
        sec = statistics.median(r["seconds"] for r in rows[m])
        rss = statistics.median(r["peak_rss_mb"] for r in rows[m])
        arrays = rows[m][0]["arrays_mb"]
        extra = rss - base[m.split()[0]]
        summary[m] = {"seconds": sec, "peak_rss_mb": rss, "arrays_mb": arrays, "extra_rss_mb": extra}
        print(f"{m:<16} {sec:>8.2f} {sec / ours:>10.1f} {rss:>12,.0f} {arrays:>10,.0f} "
              f"{rss / arrays:>13.2f} {extra / arrays:>19.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"file_mb": size_mb, "imports_rss_mb": base, "rows": rows, "summary": summary,
                       "args": vars(args)}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
