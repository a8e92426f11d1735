"""Peak RSS of encoding a corpus from LineSentence (the iterable path's id stream).

    python benchmarks/encode_rss.py --corpus imdb.txt

Prints the process's peak RSS after the vocabulary scan and after encode_iterable.
"""
import argparse
import resource
import time

from fastw2v import LineSentence, Word2Vec
from fastw2v.encode import encode_iterable


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", required=True)
    args = p.parse_args()
    model = Word2Vec(min_count=5, workers=2)
    model.build_vocab(LineSentence(args.corpus))
    before = peak_mb()
    start = time.perf_counter()
    stream = encode_iterable(LineSentence(args.corpus), model.wv.key_to_index)
    print(f"encode {time.perf_counter() - start:.2f} s, ids {stream.ids.nbytes / 1e6:.0f} MB, "
          f"peak RSS {before:.0f} MB before encoding, {peak_mb():.0f} MB after")


if __name__ == "__main__":
    main()
