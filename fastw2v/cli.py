"""Command line: ``fastw2v demo`` (more commands to come).

Also reachable as ``python -m fastw2v``.
"""
from __future__ import annotations

import argparse
import sys
import time

DEMO_WORDS = ("god", "king", "david", "water", "sin")


def demo(args) -> int:
    """Train on the embedded King James Bible and show what the vectors learned."""
    from .datasets import KJV
    from .word2vec import Word2Vec

    corpus = list(KJV())
    start = time.perf_counter()
    model = Word2Vec(corpus, vector_size=100, window=5, min_count=5, sg=1, epochs=args.epochs,
                     workers=args.threads, seed=1)
    seconds = time.perf_counter() - start
    words = sum(len(s) for s in corpus)
    print(f"trained skip-gram on the King James Bible: {words:,} words, {len(model.wv):,} "
          f"word types, {args.epochs} epochs, {args.threads} threads in {seconds:.1f}s "
          f"({words * args.epochs / seconds:,.0f} words/s)\n")
    for word in DEMO_WORDS:
        neighbours = ", ".join(w for w, _ in model.wv.most_similar(word, topn=6))
        print(f"  {word:>6} -> {neighbours}")
    answer = model.wv.most_similar(positive=["king", "woman"], negative=["man"], topn=3)
    print(f"\n  king - man + woman = {', '.join(w for w, _ in answer)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fastw2v", description="Fast word2vec training.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="train on the embedded King James Bible and print neighbours",
                       description="Train skip-gram on the King James Bible shipped with fastw2v "
                                   "and print nearest neighbours and one analogy.\n\n"
                                   "example: fastw2v demo --epochs 5",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=5, help="passes over the corpus (default 5)")
    p.add_argument("--threads", type=int, default=2, help="training threads (default 2)")
    p.set_defaults(func=demo)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
