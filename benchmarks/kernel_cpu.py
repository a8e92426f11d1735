"""Kernel CPU time of one build: 1 thread, pre-encoded corpus, medians of 3 epochs.

    head -c 12000000 imdb.txt > imdb_small.txt
    python benchmarks/kernel_cpu.py --corpus imdb_small.txt --sg 1 --hs 0 [--fasttext] [--repo PATH]
    python benchmarks/kernel_cpu.py --corpus imdb_small.txt --floret 2 [--bucket 100000]

Process CPU seconds are less disturbed by other load than wall time; used to compare builds
(``FASTW2V_KERNEL=generic|avx2|avx512`` picks one; ``--repo`` imports another built checkout).
"""
import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _runner import DEFAULTS, FASTTEXT_DEFAULTS  # noqa: E402  (compare.py's settings)


def parse_args(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--corpus", required=True, help="plain-text corpus, one sentence per line")
    p.add_argument("--sg", type=int, choices=(0, 1), default=1, help="1: skip-gram (default), 0: CBOW")
    p.add_argument("--hs", type=int, choices=(0, 1), default=0,
                   help="1: hierarchical softmax, negative=0; 0: negative=5 (default)")
    p.add_argument("--fasttext", action="store_true",
                   help="FastText (min_n 3, max_n 6, bucket 2,000,000) instead of word2vec")
    p.add_argument("--floret", type=int, metavar="HASH_COUNT", default=0,
                   help="FastText in floret mode (implies --fasttext): HASH_COUNT rows per "
                        "word and n-gram in --bucket shared rows")
    p.add_argument("--bucket", type=int, default=None,
                   help="FastText bucket rows (default 2,000,000; with --floret 100,000)")
    p.add_argument("--repo", help="checkout (built in place) to import fastw2v from, first on sys.path")
    args = p.parse_args()
    args.fasttext = args.fasttext or bool(args.floret)
    return args


def workload(args):
    """The fixed kernel workload: ``(reset, epoch, n_words)``; ``reset()`` gives the model
    fresh weights, ``epoch()`` trains one epoch on 1 thread over the pre-encoded corpus."""
    corpus = os.path.abspath(args.corpus)
    if args.repo:
        sys.path.insert(0, os.path.abspath(args.repo))
    os.chdir(tempfile.gettempdir())  # never import a source tree from the working directory by accident
    from fastw2v import FastText, Word2Vec
    from fastw2v.encode import encode_file
    from fastw2v.trainer import run_training

    params = dict(DEFAULTS, negative=0 if args.hs else DEFAULTS["negative"], hs=args.hs,
                  workers=1, sg=args.sg)
    if args.floret:
        params.update(FASTTEXT_DEFAULTS, mode="floret", hash_count=args.floret,
                      bucket=args.bucket or 100_000)
    elif args.fasttext:
        params.update(FASTTEXT_DEFAULTS, **({} if args.bucket is None else {"bucket": args.bucket}))
    model = (FastText if args.fasttext else Word2Vec)(**params)
    model.build_vocab(corpus_file=corpus)
    stream = encode_file(corpus, model.wv.key_to_index, 1)

    def epoch():
        run_training(model, stream, epochs=1, start_alpha=0.025, end_alpha=0.0001, compute_loss=False)
    return model.prepare_weights, epoch, stream.n_words


def main():
    args = parse_args(__doc__.splitlines()[0])
    reset, epoch, n_words = workload(args)
    times = []
    for _ in range(3):
        reset()
        start = time.process_time()
        epoch()
        times.append(time.process_time() - start)
    times.sort()
    kind = f"floret {args.floret} " if args.floret else "fasttext " if args.fasttext else ""
    print(f"{kind}sg={args.sg} hs={args.hs} cpu_s median {times[1]:.3f} min {times[0]:.3f}  words {n_words}  "
          f"Mwords/cpu-s {n_words / times[1] / 1e6:.2f}")


if __name__ == "__main__":
    main()
