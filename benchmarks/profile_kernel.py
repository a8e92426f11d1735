"""A kernel workload to profile: 3 x one epoch, 1 thread, pre-encoded corpus.

    head -c 12000000 imdb.txt > imdb_small.txt
    perf record -e cpu-clock -F 2000 -g -o perf.data \\
        python benchmarks/profile_kernel.py --corpus imdb_small.txt --sg 1 --hs 0 [--repo PATH]
    perf report -i perf.data --no-children --sort dso,symbol --stdio -g none

``--repo`` is put first on sys.path, so an older checkout built in place can be profiled
the same way (profiles in benchmarks/results/profiles/).
"""
import argparse
import os
import sys
import tempfile


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", required=True, help="plain-text corpus, one sentence per line")
    p.add_argument("--sg", type=int, choices=(0, 1), default=1, help="1: skip-gram (default), 0: CBOW")
    p.add_argument("--hs", type=int, choices=(0, 1), default=0,
                   help="1: hierarchical softmax, negative=0; 0: negative=5 (default)")
    p.add_argument("--repo", help="checkout (built in place) to import fastw2v from, first on sys.path")
    args = p.parse_args()
    corpus = os.path.abspath(args.corpus)
    if args.repo:
        sys.path.insert(0, os.path.abspath(args.repo))
    os.chdir(tempfile.gettempdir())  # never import a source tree from the working directory by accident
    from fastw2v import Word2Vec
    from fastw2v.encode import encode_file
    from fastw2v.trainer import run_training

    model = Word2Vec(vector_size=100, window=5, negative=0 if args.hs else 5, hs=args.hs, sample=1e-4,
                     min_count=5, workers=1, sg=args.sg)
    model.build_vocab(corpus_file=corpus)
    stream = encode_file(corpus, model.wv.key_to_index, 1)
    for _ in range(3):
        model.prepare_weights()
        run_training(model, stream, epochs=1, start_alpha=0.025, end_alpha=0.0001, compute_loss=False)


if __name__ == "__main__":
    main()
