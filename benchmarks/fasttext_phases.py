"""One FastText run in this process, timed by phase: import, build_vocab, train.

    python benchmarks/fasttext_phases.py --corpus imdb.txt [--sg 0|1] [--workers 2] \
        [--epochs 1] [--repo CHECKOUT]

Issue 15's settings (compare.py --fasttext's). Prints one line: seconds per phase and the
process's peak RSS. For what whole-process ratios cannot show: how the time splits, how
training scales from 1 to 2 threads (run it with --workers 1 and 2, alternating), or how
two runs side by side slow each other (start two at once). ``--repo`` imports fastw2v
from another built checkout first.
"""
import argparse
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _runner import DEFAULTS, FASTTEXT_DEFAULTS  # noqa: E402  (compare.py --fasttext's settings)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", required=True)
    p.add_argument("--sg", type=int, default=1)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--repo")
    args = p.parse_args()
    start = time.perf_counter()
    if args.repo:
        sys.path.insert(0, args.repo)
    from fastw2v import FastText
    imported = time.perf_counter()
    model = FastText(sg=args.sg, epochs=args.epochs, workers=args.workers, seed=1,
                     progress=False, **DEFAULTS, **FASTTEXT_DEFAULTS)
    model.build_vocab(corpus_file=args.corpus)
    built = time.perf_counter()
    model.train(corpus_file=args.corpus, total_words=model.corpus_total_words, epochs=args.epochs)
    trained = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"sg={args.sg} workers={args.workers} import {imported - start:.2f} s  "
          f"build_vocab {built - imported:.2f} s  train {trained - built:.2f} s  "
          f"total {trained - start:.2f} s  peak RSS {rss:.0f} MB", flush=True)


if __name__ == "__main__":
    main()
