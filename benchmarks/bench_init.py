"""Random initial rows: numpy's fill (gensim's prep_vectors) against fastw2v's threaded one.

    python benchmarks/bench_init.py [--rows 2000000] [--dim 100] [--rounds 3]

FastText's bucket matrix at gensim's defaults is 2,000,000 x 100 float32 (800 MB). Each
round times, in this process and alternating, gensim's ``prep_vectors`` (numpy's
``default_rng(seed).random`` plus the in-place scaling) and ``fastw2v._uniform.uniform_rows``
with 1 and 2 threads; the arrays are freed between fills, so each pays for its pages (warm
after the first round).
Prints the medians and checks that the values are equal.
"""
import argparse
import statistics
import time

import numpy as np


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=2_000_000)
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    from gensim.models.keyedvectors import prep_vectors
    from fastw2v._uniform import uniform_rows
    shape = (args.rows, args.dim)
    fills = {"numpy": lambda: prep_vectors(shape, seed=1),
             "fastw2v 1 thread": lambda: uniform_rows(shape, 1, threads=1),
             "fastw2v 2 threads": lambda: uniform_rows(shape, 1, threads=2)}
    seconds = {name: [] for name in fills}
    for _ in range(args.rounds):
        for name, fill in fills.items():
            start = time.perf_counter()
            rows = fill()
            seconds[name].append(time.perf_counter() - start)
            del rows
    assert np.array_equal(prep_vectors((1000, args.dim), seed=1), uniform_rows((1000, args.dim), 1))
    for name, times in seconds.items():
        print(f"{name:<18} median {statistics.median(times):.3f} s  "
              f"({', '.join(f'{t:.3f}' for t in times)})")


if __name__ == "__main__":
    main()
