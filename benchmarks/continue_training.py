"""A loaded model trains on: its output layer as loaded (whole cache lines) against a
C-contiguous copy of it, interleaved in one process.

    python benchmarks/continue_training.py --corpus imdb_small.txt --sg 1 --hs 0 [--rounds 6]

Trains and saves one model (compare.py's settings, 1 thread), then per round loads it
twice, makes one copy's syn1neg (or syn1 with --hs 1) C-contiguous, and trains each one
epoch more, in alternating order. Prints median process CPU seconds and the median over
rounds of lined / contiguous.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _runner import DEFAULTS  # noqa: E402  (compare.py's settings)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", required=True, help="plain-text corpus, one sentence per line")
    p.add_argument("--sg", type=int, choices=(0, 1), default=1)
    p.add_argument("--hs", type=int, choices=(0, 1), default=0)
    p.add_argument("--rounds", type=int, default=6)
    args = p.parse_args()
    from fastw2v import Word2Vec

    corpus = os.path.abspath(args.corpus)
    params = dict(DEFAULTS, workers=1, sg=args.sg, hs=args.hs,
                  negative=0 if args.hs else DEFAULTS["negative"], epochs=1)
    layer = "syn1" if args.hs else "syn1neg"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model")
        Word2Vec(corpus_file=corpus, **params).save(path)
        times = {"lined": [], "contiguous": []}
        for r in range(args.rounds):
            for kind in ("lined", "contiguous")[::1 if r % 2 == 0 else -1]:
                model = Word2Vec.load(path)
                if kind == "contiguous":
                    setattr(model, layer, np.ascontiguousarray(getattr(model, layer)))
                start = time.process_time()
                model.train(corpus_file=corpus, total_words=model.corpus_total_words, epochs=1)
                times[kind].append(time.process_time() - start)
    ratio = statistics.median(a / b for a, b in zip(times["lined"], times["contiguous"]))
    print(f"sg={args.sg} hs={args.hs} cpu_s median lined {statistics.median(times['lined']):.3f} "
          f"contiguous {statistics.median(times['contiguous']):.3f}  lined/contiguous {ratio:.3f}")


if __name__ == "__main__":
    main()
