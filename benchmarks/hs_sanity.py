"""Repeat gensim's CBOW hierarchical-softmax sanity checks on the Lee corpus, many times.

Two checks from gensim's own test suite (``gensim/test/test_word2vec.py``), rebuilt
here on fastw2v's public API so they can run hundreds of times:

* ``cbow-hs`` (gensim's ``test_cbow_hs``): CBOW, cbow_mean=1, alpha=0.1, window=2,
  hs=1, negative=0, min_count=5, 60 epochs, batch_words=1000; 'bombings' must be
  among the 50 nearest words of 'attacks'.
* ``online`` (gensim's ``test_cbow_hs_online``): CBOW-HS, alpha=0.05, window=5,
  min_count=3, 20 epochs, seed 42; train on the sentences without 'terrorism', add
  those with it by ``build_vocab(update=True)``, train on them; the similarity of
  'war' and 'terrorism' must be positive.

With several threads the runs differ even at a fixed seed (Hogwild), which is what
this measures; ``--vary-seed`` also changes the seed per run. Prints the failures,
the rank/similarity distribution and the whole-run time::

    python benchmarks/hs_sanity.py --runs 100 --workers 2
    python benchmarks/hs_sanity.py --check online --runs 40 --workers 2

Needs gensim (for its copy of the Lee corpus).
"""
import argparse
import statistics
import time

import numpy as np


def lee_corpus():
    from gensim.test.utils import lee_corpus_list
    return [list(s) for s in lee_corpus_list]


def cbow_hs_model(corpus, workers, seed, alpha=0.1):
    """gensim's test_cbow_hs model on ``corpus``, trained (TrainingDivergedError if it blew up)."""
    from fastw2v import Word2Vec
    model = Word2Vec(sg=0, cbow_mean=1, alpha=alpha, window=2, hs=1, negative=0, min_count=5,
                     epochs=60, workers=workers, batch_words=1000, seed=seed, progress=False)
    model.build_vocab(corpus)
    model.train(corpus, total_examples=model.corpus_count, epochs=model.epochs)
    return model


def cbow_hs_rank(corpus, workers, seed):
    """Rank of 'bombings' among the neighbours of 'attacks' (gensim passes below 50)."""
    model = cbow_hs_model(corpus, workers, seed)
    sims = model.wv.most_similar("attacks", topn=len(model.wv))
    return [w for w, _ in sims].index("bombings")


def online_similarity(corpus, workers, seed):
    """cos(war, terrorism) after adding 'terrorism' online (gensim passes above 0)."""
    from fastw2v import Word2Vec
    terro = [s for s in corpus if "terrorism" in s]
    others = [s for s in corpus if "terrorism" not in s]
    model = Word2Vec(sg=0, cbow_mean=1, alpha=0.05, window=5, hs=1, negative=0, min_count=3,
                     epochs=20, seed=seed, workers=workers, progress=False)
    model.build_vocab(others)
    model.train(others, total_examples=model.corpus_count, epochs=model.epochs)
    model.build_vocab(terro, update=True)
    model.train(terro, total_examples=len(terro), epochs=model.epochs)
    return model.wv.n_similarity(["war"], ["terrorism"])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n", 1)[1])
    p.add_argument("--check", choices=("cbow-hs", "online"), default="cbow-hs")
    p.add_argument("--runs", type=int, default=100)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--vary-seed", action="store_true", help="seed = run number (else gensim's)")
    args = p.parse_args(argv)
    corpus = lee_corpus()
    values, failed, errors = [], 0, []
    start = time.perf_counter()
    for run in range(args.runs):
        try:
            if args.check == "cbow-hs":
                value = cbow_hs_rank(corpus, args.workers, run + 1 if args.vary_seed else 1)
                bad = value >= 50
            else:
                value = online_similarity(corpus, args.workers, run + 1 if args.vary_seed else 42)
                bad = not value > 0
        except Exception as exc:  # a diverged model counts as a failure, and is named
            errors.append(f"run {run}: {type(exc).__name__}: {exc}")
            failed += 1
            continue
        values.append(value)
        failed += bad
    seconds = time.perf_counter() - start
    what = "rank of 'bombings' for 'attacks'" if args.check == "cbow-hs" else "cos(war, terrorism)"
    print(f"{args.check}: {args.runs} runs, workers={args.workers}, "
          f"{'seed per run' if args.vary_seed else 'fixed seed'}: {failed} failed, {seconds:.0f} s")
    if values:
        q = np.percentile(values, [0, 50, 90, 100])
        print(f"  {what}: min {q[0]:.3g}, median {q[1]:.3g}, p90 {q[2]:.3g}, max {q[3]:.3g}, "
              f"mean {statistics.fmean(values):.3g}")
    for line in errors:
        print("  " + line)


if __name__ == "__main__":
    main()
