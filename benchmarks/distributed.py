r"""Distributed training: quality and wall time per ranks x threads layout, and the scaling model.

    python benchmarks/distributed.py --corpus ../shared/data/imdb.txt.xz --epochs 3 \
        --seeds 1,2 --layouts 1x2,2x1,4x1,1x1 [--mode sg] [--merge updates] [--json out.json]

    # on a 16-core machine: one process with 16 threads against 1x16 ... 8x2 ranks x threads
    python benchmarks/distributed.py --corpus ../shared/data/imdb.txt.xz --epochs 3 \
        --seeds 1,2 --layouts 1x16,2x8,4x4,8x2 --reference 1x16

    python benchmarks/distributed.py --model-only [--words-per-thread 1.2e6]   # the scaling model

A layout RxT is R ranks of T threads: ``mpiexec -n R`` running fastw2v.distributed.Word2Vec
with workers=T (R=1: the ordinary fastw2v.Word2Vec in one process, the reference); a suffix
changes the sync schedule of that layout only: ``2x1:average`` (merge), ``2x1:200000``
(round_words), ``2x1:h256`` (hot_rows), combinable (``2x1:average:200000``); without
one, or --round-words / --hot-rows, a layout of R ranks gets the library's default for R
ranks (``SyncSchedule.for_ranks(R)``). Each run
is timed by this script from spawn to exit (interpreter start, vocabulary, training, rank 0
writing vectors); its vectors are scored afterwards, untimed, by benchmarks/_bench.evaluate
(analogy, WS353, SimLex, as compare.py). Rows over several seeds get a mean row; the
targets of issue 14 are checked on the means: quality of every layout within analogy 0.01
and WS353/SimLex 0.03 of one process with the same total threads (1x(R*T) when it is among
the layouts, else --reference), and on this 2-core
machine the overhead 2x1 <= 1.15 x 1x2 and speedup 1x1 / 2x1 >= 1.7.

The scaling model (printed after the runs, or alone with --model-only) derives, from the
sync schedule and an allreduce cost model, the bytes each node moves per sync and per
epoch and the expected words/s and scaling efficiency on 8 and 32 nodes of 32 cores at 10
and 25 Gbit/s, for 1M and 10M words of vocabulary at 300 dimensions; its assumptions are
printed with it.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

SETTINGS = dict(vector_size=100, window=5, negative=5, sample=1e-4, min_count=5, alpha=0.025)
TOLERANCE = {"analogy": 0.01, "ws353": 0.03, "simlex": 0.03}


# --------------------------------------------------------------------------- one run (child)


def parse_layout(layout, args):
    """(ranks, threads, SyncSchedule keywords) of a layout such as ``2x1:average:200000``."""
    shape, *variants = layout.split(":")
    ranks, threads = map(int, shape.split("x"))
    default = default_schedule(ranks)
    sync = dict(round_words=default.round_words if args.round_words is None else args.round_words,
                hot_rows=default.hot_rows if args.hot_rows is None else args.hot_rows,
                merge=args.merge)
    for v in variants:
        if v in ("updates", "average"):
            sync["merge"] = v
        elif v.startswith("h"):
            sync["hot_rows"] = int(v[1:])
        else:
            sync["round_words"] = int(v)
    return ranks, threads, sync


def default_schedule(ranks):
    """fastw2v's default SyncSchedule for ``ranks`` ranks (the library's own rule)."""
    if REPO not in sys.path:
        sys.path.append(REPO)
    from fastw2v.distributed.sync import SyncSchedule
    return SyncSchedule.for_ranks(ranks)


def child(args):
    """Run inside every rank: train, rank 0 writes vectors; one JSON line per rank."""
    if REPO not in sys.path:
        sys.path.append(REPO)  # an in-place build, after any installed fastw2v
    ranks, threads, sync_kw = parse_layout(args.layout, args)
    params = dict(SETTINGS, sg=1 if args.mode == "sg" else 0, epochs=args.epochs,
                  workers=threads, seed=args.seed, vector_size=args.size)
    start = time.perf_counter()
    if ranks == 1:
        from fastw2v import Word2Vec
        model = Word2Vec(corpus_file=args.corpus, **params)
        rank, stats = 0, None
    else:
        from fastw2v.distributed import SyncSchedule, Word2Vec
        model = Word2Vec(corpus_file=args.corpus, sync=SyncSchedule(**sync_kw), **params)
        rank, stats = model.comm.rank, model.sync_stats
    model.wv.save_word2vec_format(args.out, binary=True)
    # One file per rank: the launcher may splice the ranks' stdout lines together.
    with open(f"{args.out}.rank{rank}.json", "w") as fout:
        json.dump({
        "rank": rank, "seconds_inside": time.perf_counter() - start,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "syncs": stats.syncs if stats else 0,
        "sync_seconds": stats.seconds if stats else 0.0,
        "mb_merged": stats.bytes_merged / 1e6 if stats else 0.0,
        "vocab": len(model.wv)}, fout)


def launcher():
    found = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or shutil.which("mpiexec")
    if found is None:
        raise SystemExit("no mpiexec found: pip install 'fastw2v[mpi]' (mpi4py + the mpich wheel)")
    return found


def run_layout(args, layout, seed, corpus, tokens, workdir):
    """Time one layout in fresh processes, then score its vectors; a result dict."""
    ranks, threads, sync = parse_layout(layout, args)
    out = os.path.join(workdir, f"{layout.replace(':', '-')}-{seed}.bin")
    cmd = [sys.executable, os.path.abspath(__file__), "--child", "--layout", layout,
           "--corpus", corpus, "--out", out, "--epochs", str(args.epochs), "--seed", str(seed),
           "--mode", args.mode, "--merge", args.merge, "--size", str(args.size)]
    for flag, value in (("--round-words", args.round_words), ("--hot-rows", args.hot_rows)):
        if value is not None:
            cmd += [flag, str(value)]
    if ranks > 1:
        cmd = [launcher(), "-n", str(ranks)] + cmd
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    row = {"layout": layout, "seed": seed, "ranks": ranks, "threads": threads,
           "round_words": sync["round_words"] if ranks > 1 else None,
           "hot_rows": sync["hot_rows"] if ranks > 1 else None,
           "seconds": seconds, "words_per_sec": tokens * args.epochs / seconds}
    lines = []
    for rank in range(ranks):
        with contextlib.suppress(OSError, ValueError):
            with open(f"{out}.rank{rank}.json") as fin:
                lines.append(json.load(fin))
            os.remove(f"{out}.rank{rank}.json")
    if proc.returncode != 0 or not os.path.exists(out) or len(lines) != ranks:
        row["error"] = " | ".join(proc.stderr.strip().splitlines()[-3:])
        return row
    row["peak_rss_mb_per_rank"] = max(x["peak_rss_mb"] for x in lines)
    row["syncs"] = max(x["syncs"] for x in lines)
    row["sync_seconds"] = max(x["sync_seconds"] for x in lines)
    row["mb_merged_per_rank"] = max(x["mb_merged"] for x in lines)
    import _bench as B
    row.update(B.evaluate(out))
    if not args.neighbours:
        os.remove(out)
    return row


# --------------------------------------------------------------------------- neighbours

BANDS = {"top": (50, 150), "mid": (2000, 2100), "rare": (8000, 8100)}


def add_neighbour_agreement(rows, reference, workdir, topn=10):
    """Each run's agreement with the reference layout's first seed: the share of top-10
    neighbours they share, for words of frequency ranks 50-150, 2000-2100, 8000-8100.

    More sensitive than the benchmark scores on a small corpus. Two seeds of the reference
    give the floor (the reference's second seed against its first).
    """
    import numpy as np
    from gensim.models import KeyedVectors

    def load(row):
        name = f"{row['layout'].replace(':', '-')}-{row['seed']}.bin"
        return KeyedVectors.load_word2vec_format(os.path.join(workdir, name), binary=True)

    def agreement(a, b, words):
        return float(np.mean([len({w for w, _ in a.most_similar(x, topn=topn)}
                                  & {w for w, _ in b.most_similar(x, topn=topn)}) / topn
                              for x in words]))

    base_row = next(r for r in rows if r["layout"] == reference and "error" not in r)
    base = load(base_row)
    for row in rows:
        if "error" in row or row is base_row:
            continue
        kv = load(row)
        for band, (lo, hi) in BANDS.items():
            words = [w for w in base.index_to_key[lo:hi] if w in kv.key_to_index]
            row[f"agree_{band}"] = agreement(kv, base, words) if words else math.nan


# --------------------------------------------------------------------------- tables


def mean_rows(rows):
    """Per-layout means over seeds (appended after the per-seed rows)."""
    out = []
    for layout in dict.fromkeys(r["layout"] for r in rows):
        group = [r for r in rows if r["layout"] == layout and "error" not in r]
        if len(group) < 2:
            continue
        mean = {"layout": layout, "seed": "mean", "ranks": group[0]["ranks"],
                "threads": group[0]["threads"], "round_words": group[0].get("round_words"),
                "hot_rows": group[0].get("hot_rows")}
        for key in ("seconds", "words_per_sec", "analogy", "ws353", "simlex", "sync_seconds",
                    "peak_rss_mb_per_rank", "syncs", "mb_merged_per_rank"):
            mean[key] = statistics.fmean(r[key] for r in group)
        for band in BANDS:  # the reference's first seed has no agreement with itself
            values = [r[f"agree_{band}"] for r in group if f"agree_{band}" in r]
            if values:
                mean[f"agree_{band}"] = statistics.fmean(values)
        out.append(mean)
    return out


def reference_of(layout, rows, reference):
    """One process with the layout's total threads (1x(R*T)) when it ran, else ``reference``."""
    ranks, threads = map(int, layout.split(":")[0].split("x"))
    same_threads = f"1x{ranks * threads}"
    name = same_threads if any(r["layout"] == same_threads for r in rows) else reference
    return name, next((r for r in rows if r["layout"] == name and r["seed"] == "mean"), None) or \
        next((r for r in rows if r["layout"] == name and "error" not in r), None)


def print_runs(rows, reference):
    import _bench as B
    agreeing = any("agree_top" in r for r in rows)
    table = []
    for r in rows:
        if "error" in r:
            table.append([r["layout"], r["seed"], "failed: " + r["error"][:60]] + [""] * 10)
            continue
        _, ref = reference_of(r["layout"], rows, reference)
        d = {k: r[k] - ref[k] for k in TOLERANCE} if ref else {}
        table.append([r["layout"], r["seed"], B.fmt(r["seconds"], ".1f"),
                      B.fmt(r["words_per_sec"], ",.0f"), B.fmt(r["peak_rss_mb_per_rank"], ".0f"),
                      B.fmt(r["syncs"], ".0f"), B.fmt(r["sync_seconds"], ".2f"),
                      B.fmt(r["analogy"], ".3f"), B.fmt(r["ws353"], ".3f"), B.fmt(r["simlex"], ".3f"),
                      B.fmt(d.get("analogy"), "+.3f"), B.fmt(d.get("ws353"), "+.3f"),
                      B.fmt(d.get("simlex"), "+.3f")] +
                     [B.fmt(r.get(f"agree_{band}"), ".3f") for band in BANDS if agreeing])
    B.print_table(["layout", "seed", "seconds", "words_per_sec", "rss_mb/rank", "syncs", "sync_s",
                   "analogy", "ws353", "simlex", "d_analogy", "d_ws353", "d_simlex"] +
                  ([f"agree_{band}" for band in BANDS] if agreeing else []), table)
    print("d_*: difference to one process with the same total threads (1xN) where it ran, "
          "else to --reference")


def check_targets(rows, reference):
    """The issue's targets on the mean rows: PASS/FAIL lines."""
    means = {r["layout"]: r for r in rows if r["seed"] == "mean"} or \
        {r["layout"]: r for r in rows if "error" not in r}
    lines = []
    for layout, r in means.items():
        name, ref = reference_of(layout, rows, reference)
        if layout.startswith("1x") or ref is None:
            continue
        ok = all(abs(r[k] - ref[k]) <= tol for k, tol in TOLERANCE.items())
        lines.append(f"quality {layout} vs {name} (analogy 0.01, ws353/simlex 0.03): "
                     f"{'PASS' if ok else 'FAIL'}")
    if {"2x1", "1x2"} <= set(means):
        ratio = means["2x1"]["seconds"] / means["1x2"]["seconds"]
        lines.append(f"overhead 2x1 / 1x2 wall time = {ratio:.3f} (target <= 1.15): "
                     f"{'PASS' if ratio <= 1.15 else 'FAIL'}")
    if {"2x1", "1x1"} <= set(means):
        speedup = means["1x1"]["seconds"] / means["2x1"]["seconds"]
        lines.append(f"speedup 1x1 / 2x1 = {speedup:.2f} (target >= 1.7): "
                     f"{'PASS' if speedup >= 1.7 else 'FAIL'}")
    for line in lines:
        print(line)
    return lines


# --------------------------------------------------------------------------- scaling model


def tier_rows(round_no, hot_rows, n_rows):
    """Rows merged after round ``round_no``: SyncSchedule.rows_after's doubling tiers."""
    return min(hot_rows << ((round_no & -round_no).bit_length() - 1), n_rows)


def allreduce_seconds(nbytes, nodes, gbit, latency):
    """Ring allreduce (reduce-scatter + allgather) of ``nbytes``: 2(N-1) steps of nbytes/N each."""
    if nodes == 1:
        return 0.0
    bandwidth = gbit * 1e9 / 8 * 0.9  # bytes/s; 90% of line rate for TCP/RoCE payload
    return 2 * (nodes - 1) * (latency + nbytes / nodes / bandwidth)


def scaling_model(words_per_thread, cores=32, thread_efficiency=0.85, corpus_tokens=1e10,
                  kept_fraction=0.75, dim=300, round_words=50_000, hot_rows=None,
                  latency=25e-6, memory_gbs=10.0):
    """Rows of the model: per (vocabulary, nodes, Gbit/s) the bytes and expected words/s.
    ``hot_rows`` None: what ``SyncSchedule(round_words=...)`` gives, the schedule a cluster
    user sets (the default of jobs over 2 ranks, 25,000 words and 4,096 rows, is for
    small jobs: it is communication-bound on 32-core nodes)."""
    rows = []
    node_rate = words_per_thread * cores * thread_efficiency  # raw corpus tokens/s per node
    row_bytes = 2 * dim * 4                                   # syn0 + syn1neg, float32
    for vocab in (1_000_000, 10_000_000):
        for nodes in (8, 32):
            # Words of the whole corpus per node and epoch, and the rounds that makes.
            node_words = corpus_tokens / nodes
            rounds = max(1, math.ceil(node_words * kept_fraction / round_words))
            hot = default_schedule(1).hot_rows if hot_rows is None else hot_rows  # SyncSchedule()'s
            merged = [tier_rows(k, hot, vocab) for k in range(1, min(rounds, 1 << 16) + 1)]
            mean_rows_per_sync = statistics.fmean(merged)
            sync_bytes = mean_rows_per_sync * row_bytes
            full_bytes = vocab * row_bytes
            for gbit in (10, 25):
                compute = node_words / node_rate
                # Each sync: allreduce on the wire, plus base-subtract/add/copy passes in memory.
                sync_s = allreduce_seconds(sync_bytes, nodes, gbit, latency) + \
                    3 * sync_bytes / (memory_gbs * 1e9)
                full_s = allreduce_seconds(full_bytes, nodes, gbit, latency) + \
                    3 * full_bytes / (memory_gbs * 1e9)
                epoch_s = compute + rounds * sync_s + full_s
                wire = 2 * (nodes - 1) / nodes * (rounds * sync_bytes + full_bytes)
                rows.append({
                    "round_words": round_words, "hot_rows": hot,
                    "vocab": vocab, "nodes": nodes, "gbit": gbit, "rounds_per_epoch": rounds,
                    "mb_per_sync": sync_bytes / 1e6, "ms_per_sync": sync_s * 1e3,
                    "round_ms": round_words / kept_fraction / node_rate * 1e3,
                    "full_merge_s": full_s, "gb_per_epoch_per_node": wire / 1e9,
                    "words_per_sec": corpus_tokens / epoch_s,
                    "efficiency": compute / epoch_s,
                })
    return rows, node_rate


def print_model(args):
    import _bench as B
    rows = []
    for round_words in args.model_rounds:
        part, node_rate = scaling_model(args.words_per_thread, round_words=round_words,
                                        hot_rows=args.hot_rows)
        rows += part
    hot = (f"{default_schedule(1).hot_rows} (SyncSchedule(round_words=...)'s)"
           if args.hot_rows is None else args.hot_rows)
    print(f"\nScaling model: nodes of 32 cores, one rank per node with 32 threads, 300 dims, "
          f"SG-NS, merge='updates', hot_rows={hot}, per round_words (per rank)")
    B.print_table(["round_words", "vocab", "nodes", "Gbit/s", "rounds/epoch", "MB/sync", "ms/sync",
                   "round_ms", "full_merge_s", "GB/epoch/node", "words/s", "efficiency"],
                  [[f"{r['round_words']:,}", f"{r['vocab'] / 1e6:.0f}M", r["nodes"], r["gbit"],
                    f"{r['rounds_per_epoch']:,}", f"{r['mb_per_sync']:.1f}",
                    f"{r['ms_per_sync']:.1f}", f"{r['round_ms']:.0f}", f"{r['full_merge_s']:.1f}",
                    f"{r['gb_per_epoch_per_node']:.0f}", f"{r['words_per_sec'] / 1e6:,.0f}M",
                    f"{r['efficiency']:.2f}"] for r in rows], left=2)
    print(f"""assumptions: corpus 1e10 raw tokens per epoch, 75% of them in the vocabulary (rounds
count in-vocabulary words); {args.words_per_thread:,.0f} raw tokens/s per thread at 300 dims
(--words-per-thread), 0.85 thread efficiency at 32 threads -> {node_rate / 1e6:.1f}M tokens/s per
node; training stops during a sync (no overlap of compute and communication); ring allreduce,
2(N-1) steps of 25 us latency plus bytes/N at 90% of line rate; 3 memory passes over the merged
rows at 10 GB/s (subtract base, add back, copy to base); syn0 + syn1neg merged (2 x 300 x 4
bytes per row); SyncSchedule's doubling tiers averaged over an epoch's rounds; equal parts per
node (no stragglers); vocabulary, encoding and output writing not counted.""")
    return rows


# --------------------------------------------------------------------------- main


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n", 1)[1])
    p.add_argument("--corpus", help="plain text, or .xz/.gz/.bz2 (decompressed once)")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--seeds", default="1,2")
    p.add_argument("--layouts", default="1x2,2x1,4x1,1x1",
                   help="comma list of RANKSxTHREADS (R=1: one ordinary process)")
    p.add_argument("--reference", default="1x2",
                   help="layout the quality is compared with when 1x(R*T) did not run")
    p.add_argument("--mode", choices=("sg", "cbow"), default="sg")
    p.add_argument("--size", type=int, default=SETTINGS["vector_size"], help="vector size")
    p.add_argument("--merge", choices=("updates", "average"), default="updates")
    p.add_argument("--round-words", type=int, default=None,
                   help="every layout's round_words (default: the library's for its ranks)")
    p.add_argument("--hot-rows", type=int, default=None,
                   help="every layout's hot_rows (default: the library's for its ranks)")
    p.add_argument("--words-per-thread", type=float, default=1.0e6,
                   help="raw tokens/s of one thread at 300 dims, for the scaling model")
    p.add_argument("--model-rounds", default="50000,1000000,5000000",
                   type=lambda text: [int(x) for x in text.split(",")],
                   help="round_words values the scaling model shows")
    p.add_argument("--model-only", action="store_true", help="print the scaling model only")
    p.add_argument("--neighbours", action="store_true",
                   help="also report top-10 neighbour agreement with the reference's first seed")
    p.add_argument("--json", metavar="OUT")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--layout", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if not args.child and not args.model_only and not args.corpus:
        p.error("--corpus is required (or --model-only)")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        return child(args)
    if args.model_only:
        print_model(args)
        return 0
    import _bench as B
    versions = {"fastw2v": "repo"}
    info = B.machine_info(versions)
    print(json.dumps(info))
    B.warn_if_busy()
    layouts = [x.strip() for x in args.layouts.split(",") if x.strip()]
    seeds = [int(s) for s in args.seeds.split(",")]
    workdir = tempfile.mkdtemp(prefix="fastw2v-dist-")
    try:
        corpus = B.prepare_corpus(args.corpus, workdir)
        tokens = B.count_tokens(corpus)
        schedules = ", ".join(f"{x} {sync['round_words']:,}/{sync['hot_rows']:,}"
                              for x in layouts for ranks, _, sync in [parse_layout(x, args)]
                              if ranks > 1)
        print(f"corpus {args.corpus}: {tokens:,} tokens; {args.mode}, {args.size} dims, "
              f"{args.epochs} epochs, merge={args.merge}"
              + (f", round_words/hot_rows per layout: {schedules}" if schedules else ""))
        rows = []
        for seed in seeds:  # seeds outermost: layouts alternate, so drift hits all alike
            for layout in layouts:
                row = run_layout(args, layout, seed, corpus, tokens, workdir)
                print(json.dumps(row), flush=True)
                rows.append(row)
        if args.neighbours:
            add_neighbour_agreement(rows, args.reference, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    rows += mean_rows(rows)
    print()
    print_runs(rows, args.reference)
    verdicts = check_targets(rows, args.reference)
    model = print_model(args)
    if args.json:
        with open(args.json, "w") as fout:
            json.dump({"machine": info, "settings": {**SETTINGS, **vars(args)}, "rows": rows,
                       "targets": verdicts, "scaling_model": model}, fout, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
