"""Quality of fastw2v under two learning-rate schedules, to read 1-epoch comparisons.

    python benchmarks/alpha_schedule.py --corpus imdb.txt [--seeds 1,2] [--epochs 1] [--fasttext]

gensim's corpus_file trainer decays alpha against the whole corpus's word count while
each of its workers reads only 1/workers of it, so with 2 workers an epoch covers half
its share of the schedule (progress (epoch + 0.5) / epochs at its end) and training ends
at alpha - (alpha - min_alpha) * (epochs - 0.5) / epochs instead of min_alpha; gensim-iter
and fastw2v decay it as specified. This script trains fastw2v (corpus_file, compare.py's
settings, 2 threads) with min_alpha 0.0001 (as specified) and with min_alpha set to that
end value (a linear approximation of gensim-file's schedule: 0.0125 for 1 epoch), and
scores both with compare.py's evaluation, so a gap to gensim-file can be split into
schedule and trainer. ``--fasttext`` trains FastText (min_n 3, max_n 6, bucket 2,000,000,
compare.py --fasttext's settings), whose gensim corpus_file trainer decays alpha the
same way.
"""
import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _bench as B  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--corpus", required=True, help="plain-text corpus, one sentence per line")
    p.add_argument("--seeds", default="1,2")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--modes", default="sg,cbow")
    p.add_argument("--fasttext", action="store_true", help="FastText instead of word2vec")
    args = p.parse_args()
    from fastw2v import FastText, Word2Vec
    Model, subwords = (FastText, dict(min_n=3, max_n=6, bucket=2_000_000)) if args.fasttext \
        else (Word2Vec, {})

    gensim_file_end = round(0.025 - (0.025 - 0.0001) * (args.epochs - 0.5) / args.epochs, 5)
    print("mode  seed  min_alpha  analogy  ws353   simlex")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "vectors.bin")
        for mode in args.modes.split(","):
            for seed in (int(s) for s in args.seeds.split(",")):
                for min_alpha in (0.0001, gensim_file_end):
                    model = Model(corpus_file=args.corpus, vector_size=100, window=5, negative=5,
                                  sample=1e-4, min_count=5, workers=2, sg=int(mode == "sg"),
                                  seed=seed, epochs=args.epochs, alpha=0.025,
                                  min_alpha=min_alpha, progress=False, **subwords)
                    model.wv.save_word2vec_format(out, binary=True)
                    q = B.evaluate(out)
                    print(f"{mode:<4}  {seed:>4}  {min_alpha:>9.5f}  {q['analogy']:.3f}    "
                          f"{q['ws353']:.3f}   {q['simlex']:.3f}", flush=True)


if __name__ == "__main__":
    main()
