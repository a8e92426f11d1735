r"""Thread scaling of fastw2v and gensim (both corpus_file), side by side, fresh processes.

    python benchmarks/scaling.py --corpus ../shared/data/imdb.txt.xz --threads 1,2,4,8,16 \
        [--modes sg,cbow] [--hs] [--epochs 1] [--seed 1] [--json scaling.json]

For each mode and thread count, fastw2v and gensim train one after the other (the settings
of compare.py: vector_size 100, window 5, negative 5, sample 1e-4, min_count 5). Reported:

* words_per_sec: raw corpus tokens x epochs / whole-process wall seconds (as compare.py);
* speedup: words/s over the same trainer's words/s at the fewest threads;
* efficiency: speedup / (threads / fewest threads), 1.0 being perfect scaling;
* vs_gensim: fastw2v's words/s over gensim's at the same thread count;
* quality (analogy, ws353, simlex) at the fewest and the most threads, so that a
  loss of quality from Hogwild contention at many threads shows beside the speed.

Whole-process time includes the vocabulary scan and writing the vectors, the part that
does not scale with threads: issue 16's efficiency targets are on this number.
Meant for a machine with at least as many idle cores as the largest thread count.
"""

import argparse
import json
import math
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _bench as B  # noqa: E402
from _runner import DEFAULTS  # noqa: E402
from compare import int_list  # noqa: E402

TRAINERS = ("fastw2v-file", "gensim-file")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n", 1)[1])
    p.add_argument("--corpus", required=True,
                   help="plain text, or .xz/.gz/.bz2 (decompressed once)")
    p.add_argument("--threads", type=int_list, default=[1, 2, 4, 8, 16],
                   help="comma list of thread counts, e.g. 1,2,4,8,16")
    p.add_argument("--modes", default="sg,cbow", help="comma list of sg, cbow")
    p.add_argument("--hs", action="store_true", help="hierarchical softmax: hs=1, negative=0")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", metavar="OUT", help="write machine, settings and rows as JSON")
    args = p.parse_args(argv)
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not args.modes or set(args.modes) - {"sg", "cbow"}:
        p.error("--modes takes sg and/or cbow")
    if not args.threads or min(args.threads) < 1:
        p.error("--threads takes positive integers, e.g. 1,2,4")
    args.threads = sorted(set(args.threads))
    if os.cpu_count() and args.threads[-1] > os.cpu_count():
        print(f"note: {args.threads[-1]} threads on {os.cpu_count()} CPUs: the largest counts "
              "measure oversubscription, not scaling")
    return args


def run_all(args, trainers, corpus, tokens, workdir):
    """One Run per (mode, threads, trainer); quality evaluated at the fewest and most threads."""
    runs = []
    ends = (args.threads[0], args.threads[-1])
    for arch in args.modes:
        for threads in args.threads:
            for trainer in trainers:
                run = B.run_trainer(trainer, corpus, tokens, arch, args.hs, args.epochs, threads,
                                    args.seed, workdir, evaluate_vectors=threads in ends)
                print(f"  {run.trainer} {run.mode} threads {threads}: "
                      + (f"{run.seconds:.1f} s" if run.ok else run.error), flush=True)
                runs.append(run)
    return runs


def scaling_rows(runs):
    """Table rows with speedup and efficiency against the same trainer's fewest threads."""
    rows = []
    for r in runs:
        same = [x for x in runs if x.trainer == r.trainer and x.mode == r.mode and x.ok]
        base = min(same, key=lambda x: x.threads, default=None)
        peer = next((x for x in runs if x.trainer == "gensim-file" and x.mode == r.mode
                     and x.threads == r.threads and x.ok), None)
        speedup = r.words_per_sec / base.words_per_sec if base and r.ok else math.nan
        efficiency = speedup / (r.threads / base.threads) if base else math.nan
        vs_gensim = (r.words_per_sec / peer.words_per_sec
                     if peer and r.ok and r.trainer != peer.trainer else math.nan)
        rows.append(dict(B.run_record(r), speedup=speedup, efficiency=efficiency,
                         vs_gensim=vs_gensim))
    return rows


def print_rows(rows):
    table = [[r["trainer"], r["mode"], str(r["threads"]), B.fmt(r["seconds"], ".1f"),
              B.fmt(r["words_per_sec"], ",.0f"), B.fmt(r["speedup"], ".2f") + "x",
              B.fmt(r["efficiency"], ".0%"), B.fmt(r["vs_gensim"], ".2f"),
              B.fmt(r["analogy"], ".3f"), B.fmt(r["ws353"], ".3f"), B.fmt(r["simlex"], ".3f")]
             for r in rows]
    B.print_table(["trainer", "mode", "threads", "seconds", "words_per_sec", "speedup",
                   "efficiency", "vs_gensim", "analogy", "ws353", "simlex"], table)
    for r in rows:
        if not r["ok"]:
            print(f"  {r['trainer']} {r['mode']} threads {r['threads']}: {r['error']}")


def main(argv=None):
    args = parse_args(argv)
    versions = B.backend_versions()
    trainers = B.available([B.TRAINERS[name] for name in TRAINERS], versions)
    if not trainers:
        raise SystemExit("neither fastw2v nor gensim is importable")
    B.warn_if_busy()
    machine = B.machine_info(versions)
    print("machine: " + ", ".join(f"{k} {v}" for k, v in machine.items() if k != "simd")
          + f", simd {'/'.join(machine['simd']) or 'none'}")
    settings = dict(DEFAULTS, epochs=args.epochs, threads=args.threads, modes=args.modes,
                    hs=args.hs, seed=args.seed, corpus=os.path.basename(args.corpus),
                    child_env=B.CHILD_ENV)
    if args.hs:
        settings.update(hs=1, negative=0)
    with tempfile.TemporaryDirectory(prefix="fastw2v-scaling-") as workdir:
        corpus = B.prepare_corpus(args.corpus, workdir)
        tokens = B.count_tokens(corpus)
        settings["corpus_tokens"] = tokens
        print(f"corpus: {args.corpus}: {tokens:,} tokens; threads {args.threads}")
        runs = run_all(args, trainers, corpus, tokens, workdir)
    rows = scaling_rows(runs)
    print()
    print("words_per_sec: raw tokens x epochs / whole-process seconds; speedup and efficiency "
          f"against the same trainer at {args.threads[0]} thread(s); vs_gensim: fastw2v / "
          "gensim words/s at the same threads; quality at the fewest and most threads.")
    print()
    print_rows(rows)
    if args.json:
        nan_free = [{k: (None if isinstance(v, float) and math.isnan(v) else v)
                     for k, v in r.items()} for r in rows]
        with open(args.json, "w") as f:
            json.dump({"machine": machine, "settings": settings, "rows": nan_free}, f, indent=1)


if __name__ == "__main__":
    main()
