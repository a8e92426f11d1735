"""Kernel builds against each other, interleaved in one process (robust to a noisy machine).

    python benchmarks/kernel_variants.py --corpus imdb_small.txt [--variants avx2,generic] \\
        [--rounds 5] [--modes sg-ns,cbow-ns,sg-hs,cbow-hs,ft-sg,ft-cbow] [--threads 1] \\
        [--bucket N]

Loads every named build of fastw2v.kernels, then for each mode (default: SG-NS, CBOW-NS and
SG-HS; ``ft-`` modes train FastText with issue 15's n-grams, negative sampling) trains one
epoch on the pre-encoded corpus with each build in turn, ROUNDS rounds, and prints medians
and minima of the time, and each later build's speed against the first (the median over
rounds of first / later). With 1 thread (the default) the time is process CPU seconds;
with ``--threads N`` it is the wall-clock train time of N threads (issue 16's measure of
the portable build: train time, 2 threads). A build under test is added as another entry
of ``fastw2v.kernels._VARIANTS`` (and of ``ISA_FLAGS`` in setup.py) for the experiment.
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _runner import DEFAULTS, FASTTEXT_DEFAULTS  # noqa: E402  (compare.py's settings)

# mode -> (FastText?, sg, hs)
MODES = {"sg-ns": (False, 1, 0), "cbow-ns": (False, 0, 0), "sg-hs": (False, 1, 1),
         "cbow-hs": (False, 0, 1), "ft-sg": (True, 1, 0), "ft-cbow": (True, 0, 0)}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", required=True, help="plain-text corpus, one sentence per line")
    p.add_argument("--variants", help="comma-separated kernel builds (default: every one this CPU runs)")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--bucket", type=int, default=None,
                   help="FastText bucket rows for the ft- modes (default 2,000,000)")
    p.add_argument("--modes", default="sg-ns,cbow-ns,sg-hs", help=f"comma list of {', '.join(MODES)}")
    p.add_argument("--threads", type=int, default=1,
                   help="training threads; above 1 the time is wall-clock train time")
    args = p.parse_args()
    import fastw2v.trainer as trainer
    from fastw2v import FastText, Word2Vec, kernels
    from fastw2v.encode import encode_file

    variants = args.variants.split(",") if args.variants else kernels.available_variants()
    clock = time.process_time if args.threads == 1 else time.perf_counter
    for mode in args.modes.split(","):
        fasttext, sg, hs = MODES[mode]
        params = dict(DEFAULTS, negative=0 if hs else DEFAULTS["negative"], hs=hs,
                      workers=args.threads, sg=sg)
        ft_params = dict(FASTTEXT_DEFAULTS, **({"bucket": args.bucket} if args.bucket else {}))
        model = FastText(**params, **ft_params) if fasttext else Word2Vec(**params)
        model.build_vocab(corpus_file=args.corpus)
        stream = encode_file(args.corpus, model.wv.key_to_index, args.threads)
        times = {v: [] for v in variants}
        for _ in range(args.rounds):
            for v in variants:
                trainer.TrainJob = kernels.load(v).TrainJob
                model.prepare_weights()
                start = clock()
                trainer.run_training(model, stream, epochs=1, start_alpha=0.025, end_alpha=0.0001,
                                     compute_loss=False)
                times[v].append(clock() - start)
        first = times[variants[0]]
        speed = {v: statistics.median(a / b for a, b in zip(first, t)) for v, t in times.items()}
        print(f"{mode:8s} " + "  ".join(
            f"{v}: med {statistics.median(t):.3f} min {min(t):.3f}"
            + (f" (speed {speed[v]:.2f}x {variants[0]})" if v != variants[0] else "")
            for v, t in times.items()), flush=True)


if __name__ == "__main__":
    main()
