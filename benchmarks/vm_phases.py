r"""How the machine's speed drifts, and which work drifts with it: probes and both trainers in turns.

    head -c 60000000 imdb.txt > imdb_half.txt
    python benchmarks/vm_phases.py --corpus imdb_half.txt [--rounds 30] [--slice-words 2000000] \
        [--sg 0] [--hs 0] [--json OUT]

On a shared VM the same work can take 1.5-2x longer from one minute to the next, and a
short fastw2v run (2-4 s for an IMDB epoch) lands in one phase where gensim's 20-50 s
average over several. This script shows what moves in such phases. Each round, one
after the other, single-threaded:

* the FMA loop of ``roofline.py`` (the core's arithmetic: GFLOP/s at the kernel build's
  vector width),
* its in-place update loop over a 16 MiB buffer (past L2, inside L3: GB/s),
* a numpy copy of 256 MiB (DRAM: GB/s),
* one fastw2v epoch and one gensim epoch (its iterable trainer, 1 worker) over the same
  first ``--slice-words`` words of the corpus, each from fresh weights (reset outside the
  timing) and with the vocabulary of the whole corpus (so their matrices have the size a
  full run's have), compare.py's settings.

Everything is timed in process CPU seconds, the probes too, so that time the hypervisor
takes from the VM counts in neither.

It prints every round, then the Pearson correlation of each trainer's seconds with each
probe's time (1 / rate) and the rounds split at the median update bandwidth: the
fastw2v / gensim speed ratio in the faster and the slower half. A trainer whose time
follows the update loop and not the FMA loop is bound by the memory side in those
phases.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _runner import DEFAULTS  # noqa: E402  (compare.py's settings)
from roofline import compile_probes, cpu_name, fma_flops, kernel_vector, update_traffic  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n", 1)[1])
    p.add_argument("--corpus", required=True, help="plain-text corpus, one sentence per line")
    p.add_argument("--rounds", type=int, default=30)
    p.add_argument("--slice-words", type=int, default=2_000_000,
                   help="words of the corpus (from its start) each trainer's epoch runs over")
    p.add_argument("--sg", type=int, choices=(0, 1), default=0, help="0: CBOW (default), 1: skip-gram")
    p.add_argument("--hs", type=int, choices=(0, 1), default=0)
    p.add_argument("--json", metavar="OUT")
    args = p.parse_args(argv)
    if args.rounds < 4 or args.slice_words < 1000:
        p.error("--rounds must be at least 4 and --slice-words at least 1000")
    return args


def read_slice(path, words):
    """The corpus's first lines holding about ``words`` tokens, as token lists."""
    sentences, n = [], 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            tokens = line.split()
            sentences.append(tokens)
            n += len(tokens)
            if n >= words:
                break
    return sentences


class Probes:
    """The FMA loop, the 16 MiB update loop and a DRAM copy, each timed once per call."""

    def __init__(self, lib, vec_bytes):
        self.lib, self.vec_bytes = lib, vec_bytes
        self.buffer = np.ones(16 << 18, np.float32)  # 16 MiB, its pages faulted in
        self.src = np.ones(256 << 18, np.float32)  # 256 MiB: far past the caches
        self.dst = np.empty_like(self.src)
        self.fma_iters = 1 << 24      # tens of milliseconds each
        self.update_passes = 100
        self.fma_gflops(), self.update_gbytes(), self.copy_gbytes()  # warm: none cold in round 0

    def fma_gflops(self):
        seconds = cpu_seconds(lambda: self.lib.fma_loop(self.fma_iters, 0.999, 0.001))
        return fma_flops(self.fma_iters, self.vec_bytes) / seconds / 1e9

    def update_gbytes(self):
        seconds = cpu_seconds(lambda: self.lib.update_loop(
            self.buffer.ctypes.data, len(self.buffer), self.update_passes))
        return update_traffic(self.buffer, self.update_passes) / seconds / 1e9

    def copy_gbytes(self):
        return 2 * self.src.nbytes / cpu_seconds(lambda: np.copyto(self.dst, self.src)) / 1e9


def trainers(args, sentences):
    """``({"fastw2v": (reset, epoch), "gensim": (reset, epoch)}, vocabulary size, words)``:
    each epoch trains on ``sentences`` (1 thread) with the whole corpus's vocabulary, each
    reset gives its model fresh weights."""
    import gensim.models

    from fastw2v import Word2Vec
    from fastw2v.encode import encode_iterable
    from fastw2v.trainer import run_training

    params = dict(DEFAULTS, negative=0 if args.hs else DEFAULTS["negative"], hs=args.hs,
                  sg=args.sg, workers=1, seed=1)
    ours = Word2Vec(**params)
    ours.build_vocab(corpus_file=args.corpus)
    stream = encode_iterable(sentences, ours.wv.key_to_index)
    theirs = gensim.models.Word2Vec(**params)
    theirs.build_vocab(corpus_file=args.corpus)
    n_words = sum(len(s) for s in sentences)

    def fastw2v_epoch():
        run_training(ours, stream, epochs=1, start_alpha=0.025, end_alpha=0.0001,
                     compute_loss=False)

    def gensim_reset():
        # init_weights keeps input vectors of the right shape: drop them to redraw them.
        theirs.wv.vectors = np.zeros((0, 0), np.float32)
        theirs.init_weights()

    def gensim_epoch():
        theirs.train(sentences, total_examples=len(sentences), total_words=n_words, epochs=1)

    pairs = {"fastw2v": (ours.prepare_weights, fastw2v_epoch), "gensim": (gensim_reset, gensim_epoch)}
    return pairs, len(ours.wv), n_words


def cpu_seconds(call):
    start = time.process_time()
    call()
    return time.process_time() - start


def pearson(x, y):
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.std() == 0 or y.std() == 0:
        return None  # undefined (JSON has no NaN)
    return float(np.corrcoef(x, y)[0, 1])


def main(argv=None):
    args = parse_args(argv)
    from fastw2v import kernels

    sentences = read_slice(args.corpus, args.slice_words)
    pairs, vocab, n_words = trainers(args, sentences)
    vec_bytes, flags, label = kernel_vector(kernels.kernel_name)
    rows = []
    with tempfile.TemporaryDirectory(prefix="fastw2v-phases-") as tmp:
        lib = compile_probes(vec_bytes, flags, tmp)
        if lib is None:
            raise SystemExit("no C compiler: the probes cannot be built")
        probes = Probes(lib, vec_bytes)
        for reset, epoch in pairs.values():  # warm-up
            reset()
            epoch()
        print(f"machine: {cpu_name()}, kernel {kernels.kernel_name}; "
              f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; vocabulary {vocab:,}, "
              f"{n_words:,} words per epoch, sg={args.sg} hs={args.hs}")
        print(f"round  FMA GFLOP/s ({label})  update 16MiB GB/s  copy GB/s  "
              "fastw2v s  gensim s  ratio")
        for r in range(args.rounds):
            order = ("fastw2v", "gensim") if r % 2 == 0 else ("gensim", "fastw2v")
            row = dict(fma=probes.fma_gflops(), update=probes.update_gbytes(),
                       copy=probes.copy_gbytes())
            for name in order:
                reset, epoch = pairs[name]
                reset()
                row[name] = cpu_seconds(epoch)
            row["ratio"] = row["gensim"] / row["fastw2v"]
            rows.append(row)
            print(f"{r:5d}  {row['fma']:24.1f}  {row['update']:17.1f}  {row['copy']:9.1f}  "
                  f"{row['fastw2v']:9.3f}  {row['gensim']:8.3f}  {row['ratio']:5.2f}x")
    summary = summarise(rows)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(cpu=cpu_name(), kernel=kernels.kernel_name, vocab=vocab,
                           words=n_words, sg=args.sg, hs=args.hs, rows=rows, summary=summary),
                      f, indent=1)


def summarise(rows):
    """Correlations of each trainer's time with each probe's, and the ratio per half."""
    col = {k: [r[k] for r in rows] for k in rows[0]}
    summary = {}
    print("\nPearson r of CPU seconds with each probe's time (1 / rate):")
    for trainer in ("fastw2v", "gensim"):
        summary[trainer] = {probe: pearson(col[trainer], [1 / v for v in col[probe]])
                            for probe in ("fma", "update", "copy")}
        print(f"  {trainer:8s} " + "  ".join(
            f"{p} " + ("n/a" if v is None else f"{v:+.2f}") for p, v in summary[trainer].items()))
    cut = statistics.median(col["update"])
    for name, keep in (("faster", lambda r: r["update"] >= cut), ("slower", lambda r: r["update"] < cut)):
        half = [r for r in rows if keep(r)]
        med = {k: statistics.median(r[k] for r in half) for k in ("update", "fastw2v", "gensim", "ratio")}
        summary[name + "_half"] = med
        print(f"{name} half of the rounds by update bandwidth ({len(half)} rounds, median "
              f"{med['update']:.1f} GB/s): fastw2v {med['fastw2v']:.3f} s, gensim "
              f"{med['gensim']:.3f} s, ratio {med['ratio']:.2f}x")
    return summary


if __name__ == "__main__":
    sys.exit(main())
