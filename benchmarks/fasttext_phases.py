"""One FastText (or word2vec) run in this process, timed by phase.

    python benchmarks/fasttext_phases.py --corpus imdb.txt [--sg 0|1] [--workers 2] \
        [--epochs 1] [--word2vec] [--repo CHECKOUT]

Issue 15's settings (compare.py --fasttext's; ``--word2vec``: compare.py's word2vec
settings). Prints one line: seconds for import, ``build_vocab``, ``train``, composing the
vectors once more (FastText's ``adjust_vectors``, what ``build_vocab`` and every epoch
run) and writing them in word2vec binary format, the process CPU seconds of the training
(all threads: with the wall seconds they tell a slower CPU from threads that wait), then
the process's peak RSS. For what
whole-process ratios cannot show: how the time splits, how training scales from 1 to 2
threads (run it with --workers 1 and 2, alternating), or how two runs side by side slow
each other (start two at once). ``--repo`` imports fastw2v from another built checkout.
"""
import argparse
import os
import resource
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _runner import DEFAULTS, FASTTEXT_DEFAULTS  # noqa: E402  (compare.py's settings)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", required=True)
    p.add_argument("--sg", type=int, default=1)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--word2vec", action="store_true", help="train Word2Vec instead")
    p.add_argument("--repo")
    args = p.parse_args()
    start = time.perf_counter()
    if args.repo:
        sys.path.insert(0, args.repo)
    from fastw2v import FastText, Word2Vec
    imported = time.perf_counter()
    if args.word2vec:
        model = Word2Vec(sg=args.sg, epochs=args.epochs, workers=args.workers, seed=1,
                         progress=False, **DEFAULTS)
    else:
        model = FastText(sg=args.sg, epochs=args.epochs, workers=args.workers, seed=1,
                         progress=False, **DEFAULTS, **FASTTEXT_DEFAULTS)
    model.build_vocab(corpus_file=args.corpus)
    built, cpu_before = time.perf_counter(), time.process_time()
    model.train(corpus_file=args.corpus, total_words=model.corpus_total_words, epochs=args.epochs)
    trained, train_cpu = time.perf_counter(), time.process_time() - cpu_before
    if not args.word2vec:
        model.wv.adjust_vectors()
    composed = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        model.wv.save_word2vec_format(os.path.join(tmp, "vectors.bin"), binary=True)
        saved = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    compose = "" if args.word2vec else f"  compose {composed - trained:.3f} s"
    print(f"{'word2vec' if args.word2vec else 'fasttext'} sg={args.sg} workers={args.workers} "
          f"import {imported - start:.2f} s  build_vocab {built - imported:.2f} s  "
          f"train {trained - built:.2f} s (cpu {train_cpu:.2f} s){compose}  save {saved - composed:.2f} s  "
          f"total {saved - start:.2f} s  peak RSS {rss:.0f} MB", flush=True)


if __name__ == "__main__":
    main()
