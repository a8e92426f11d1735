"""Query benchmark: fastw2v KeyedVectors vs gensim on the same random vectors.

Run:  PYTHONPATH=. python benchmarks/bench_queries.py [--n 300000] [--dim 300]

Measures most_similar top-10 (one query; a batch of 1,000 queries, which
gensim answers one at a time) and evaluate_word_analogies on gensim's
questions-words.txt (restrict_vocab 30,000, the question words placed among
the first 30,000 rows). Prints the hardware and a table of medians.
"""
import argparse
import os
import platform
import statistics
import time

import numpy as np


def timed(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300_000)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--restrict", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from gensim.models import KeyedVectors as GensimKV
    from gensim.test.utils import datapath

    from fastw2v.keyedvectors import KeyedVectors

    qpath = datapath("questions-words.txt")
    qwords = sorted({w for line in open(qpath) if not line.startswith(":") for w in line.split()})
    rng = np.random.default_rng(0)
    keys = [f"w{i}" for i in range(args.n)]
    slots = rng.choice(min(args.restrict, args.n), size=len(qwords), replace=False)
    for slot, word in zip(slots, qwords):
        keys[slot] = word
    vectors = rng.standard_normal((args.n, args.dim)).astype(np.float32)
    queries = rng.standard_normal((args.batch, args.dim)).astype(np.float32)

    ours = KeyedVectors(args.dim)
    ours.add_vectors(keys, vectors)
    theirs = GensimKV(args.dim)
    theirs.add_vectors(keys, vectors)
    ours.most_similar(keys[0])  # build caches (norms, unit vectors) outside the timings
    theirs.most_similar(keys[0])

    rows = []
    word = qwords[0]
    rows.append(("most_similar(word), top-10",
                 timed(lambda: theirs.most_similar(word, topn=10), args.repeat * 4),
                 timed(lambda: ours.most_similar(word, topn=10), args.repeat * 4)))
    rows.append((f"most_similar, batch of {args.batch} vectors, top-10",
                 timed(lambda: [theirs.most_similar(q, topn=10) for q in queries], 1),
                 timed(lambda: ours.most_similar(queries, topn=10, batch=True), args.repeat)))
    rows.append((f"evaluate_word_analogies (restrict {args.restrict})",
                 timed(lambda: theirs.evaluate_word_analogies(qpath, restrict_vocab=args.restrict), 1),
                 timed(lambda: ours.evaluate_word_analogies(qpath, restrict_vocab=args.restrict), 3)))
    a = ours.evaluate_word_analogies(qpath, restrict_vocab=args.restrict)[0]
    b = theirs.evaluate_word_analogies(qpath, restrict_vocab=args.restrict)[0] if args.n <= 50_000 else None

    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"numpy {np.__version__}, {args.n} x {args.dim} float32")
    print(f"| {'operation':<46} | {'gensim s':>9} | {'fastw2v s':>9} | {'speed-up':>8} |")
    print(f"|{'-' * 48}|{'-' * 11}|{'-' * 11}|{'-' * 10}|")
    for name, g, f in rows:
        print(f"| {name:<46} | {g:9.4f} | {f:9.4f} | {g / f:7.1f}x |")
    print(f"analogy accuracy fastw2v {a:.4f}" + ("" if b is None else f", gensim {b:.4f}"))


if __name__ == "__main__":
    main()
