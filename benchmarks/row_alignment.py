"""What rows that straddle cache lines cost the kernels: the same training, rows on lines or not.

    python benchmarks/row_alignment.py --corpus imdb_small.txt --sg 1 --hs 0 [--fasttext] \\
        [--pad out|in,out|in,out,ngrams] [--offset] [--dim 100] [--rounds 5]

One thread, pre-encoded corpus, process CPU seconds of one epoch, alternating in one
process (medians, and the median of the per-round ratios). Two experiments:

* ``--pad LAYERS`` (default ``out``): the model as built (output layers padded, since
  session 11) against the named layers copied into padded rows (``padded_rows``:
  ``out`` = syn1neg/syn1, ``in`` = the input rows, ``ngrams`` = FastText's bucket matrix)
  or, for layers padded by default, into C-contiguous copies: "as built" rows then say
  which layout is which.
* ``--offset``: every matrix C-contiguous and starting on a line, against all of them
  starting 16 bytes past one; use a ``--dim`` that fills whole lines (96) so that every
  row of the first is on a line and every row of the second straddles two.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _runner import DEFAULTS, FASTTEXT_DEFAULTS  # noqa: E402  (compare.py's settings)


def copy_at(a, offset):
    """A C-contiguous copy of ``a`` whose first byte is ``offset`` bytes past a 64-byte line."""
    buf = np.empty(a.size + 32, np.float32)
    start = ((-buf.ctypes.data % 64) + offset) // 4
    out = buf[start:start + a.size].reshape(a.shape)
    out[...] = a
    return out


def layers(model, fasttext, names):
    """(owner, attribute) of each named layer that the model has."""
    found = []
    if "in" in names:
        found.append((model.wv, "vectors_vocab" if fasttext else "vectors"))
    if "ngrams" in names and fasttext:
        found.append((model.wv, "vectors_ngrams"))
    if "out" in names:
        found += [(model, n) for n in ("syn1neg", "syn1")
                  if getattr(model, n, None) is not None and getattr(model, n).size]
    return found


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", required=True)
    p.add_argument("--sg", type=int, default=1)
    p.add_argument("--hs", type=int, default=0)
    p.add_argument("--fasttext", action="store_true")
    p.add_argument("--pad", default="out", help="comma list of out, in, ngrams")
    p.add_argument("--offset", action="store_true", help="lines against 16 bytes off (see above)")
    p.add_argument("--dim", type=int, default=DEFAULTS["vector_size"])
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    from fastw2v import FastText, Word2Vec
    from fastw2v.encode import encode_file
    from fastw2v.trainer import run_training
    from fastw2v.vector_store import padded_rows

    params = dict(DEFAULTS, workers=1, sg=args.sg, hs=args.hs, vector_size=args.dim,
                  negative=0 if args.hs else DEFAULTS["negative"])
    if args.fasttext:
        params.update(FASTTEXT_DEFAULTS)
    model = (FastText if args.fasttext else Word2Vec)(**params)
    model.build_vocab(corpus_file=args.corpus)
    stream = encode_file(args.corpus, model.wv.key_to_index, 1)
    names = ("in", "out", "ngrams") if args.offset else args.pad.split(",")

    def relayout(variant):
        for owner, attr in layers(model, args.fasttext, names):
            a = getattr(owner, attr)
            if args.offset:
                new = copy_at(a, 0 if variant == 0 else 16)
            elif variant == 0:
                new = a  # as built
            elif a.flags.c_contiguous:
                new = padded_rows(*a.shape)
                new[...] = a
            else:
                new = np.ascontiguousarray(a)
            setattr(owner, attr, new)

    times = ([], [])
    for _ in range(args.rounds):
        for variant in (0, 1):
            model.prepare_weights()
            relayout(variant)
            start = time.process_time()
            run_training(model, stream, epochs=1, start_alpha=0.025, end_alpha=0.0001,
                         compute_loss=False)
            times[variant].append(time.process_time() - start)
    ratio = statistics.median(b / a for a, b in zip(*times))
    kind = "fasttext " if args.fasttext else ""
    labels = ("on lines", "16 B off") if args.offset else ("as built", f"{args.pad} relaid")
    print(f"{kind}sg={args.sg} hs={args.hs} dim={args.dim}: {labels[0]} "
          f"{statistics.median(times[0]):.3f}  {labels[1]} {statistics.median(times[1]):.3f} "
          f"CPU s  ratio {ratio:.3f}", flush=True)


if __name__ == "__main__":
    main()
