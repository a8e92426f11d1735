r"""How often training blows rows up: gensim's CBOW-HS Lee-corpus setting, N fresh models.

    python benchmarks/row_blowups.py --runs 150 [--workers 2] [--alpha 0.1] [--vary-seed] \
        [--repo CHECKOUT]

Trains gensim's ``test_cbow_hs`` configuration (CBOW, cbow_mean=1, window 2, hs=1,
negative=0, min_count 5, 60 epochs, batch_words 1000; alpha from ``--alpha``) ``--runs``
times in one process and prints, per run whose largest |value| in ``wv.vectors`` or
``syn1`` exceeds 100, the run and that value, then the median and maximum over all
runs and how many diverged (non-finite). A healthy model stays below ~10 at alpha
0.1. ``--repo`` imports another built checkout (the code before a change). This is the
probe behind the sigmoid-table fix (docs/architecture.md, "Kernels") and the
hierarchical-softmax saturation rule (``--alpha 0.3``..``0.8``).
"""
import argparse
import os
import sys

import numpy as np


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=100)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--alpha", type=float, default=0.1)
    p.add_argument("--vary-seed", action="store_true", help="seed = run number (default: seed 1)")
    p.add_argument("--repo", help="checkout (built in place) to import fastw2v from")
    args = p.parse_args()
    if args.repo:
        sys.path.insert(0, os.path.abspath(args.repo))
    from fastw2v.trainer import TrainingDivergedError
    from hs_sanity import cbow_hs_model, lee_corpus

    corpus = lee_corpus()
    peaks, diverged = [], 0
    for run in range(args.runs):
        try:
            model = cbow_hs_model(corpus, args.workers, run + 1 if args.vary_seed else 1,
                                  alpha=args.alpha)
        except TrainingDivergedError:
            diverged += 1
            print(f"run {run}: diverged", flush=True)
            continue
        peak = float(max(np.abs(model.wv.vectors).max(), np.abs(model.syn1).max()))
        peaks.append(peak)
        if peak > 100:
            print(f"run {run}: largest |value| {peak:.3g}", flush=True)
    spread = (f"largest |value| median {np.median(peaks):.3g}, max {max(peaks):.3g}" if peaks
              else "no run finished")
    print(f"{args.runs} runs, alpha {args.alpha}, {args.workers} workers: "
          f"{sum(p > 100 for p in peaks)} with a value above 100, {diverged} diverged; {spread}")


if __name__ == "__main__":
    main()
