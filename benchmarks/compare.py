r"""Speed, memory and quality of fastw2v against its peers, each run in a fresh process.

    python benchmarks/compare.py --corpus ../shared/data/imdb.txt.xz --epochs 1 --threads 2 \
        --peers gensim,fasttext --modes sg,cbow [--hs] [--seeds 1,2] \
        [--json results.json] [--plot results.png] [--scaling 1,2,4] [--vocab 3] \
        [--baseline CHECKOUT] [--fasttext [--minn 3 --maxn 6 --bucket 2000000] [--oov]
        [--floret 2 --floret-bucket 100000]]

fastw2v (corpus_file and LineSentence input) is always attempted and skipped with a note
when it cannot be imported; --peers picks the others (backend names, or trainer names such
as gensim-file). Defaults: vector_size 100, window 5, negative 5, sample 1e-4, min_count 5,
alpha 0.025; --hs trains hs=1, negative=0. For each seed the trainers run one after the
other in an order that rotates with the seed (seed i starts at trainer i), so none always
runs first or right after the same peer.

--fasttext trains FastText instead of word2vec in every trainer: fastw2v.FastText,
gensim.models.FastText and Facebook fastText's train_unsupervised (wordNgrams 1), all with
character n-grams of --minn..--maxn letters hashed into --bucket rows and the same alpha
0.025 (fastText's own default lr is 0.05; it is given lr=0.025 so that the settings are
equal). Quality is scored from each library's composed word vectors.

--oov (implies --fasttext) drops every WordSim353 and SimLex-999 word from the training
vocabulary (trim_rule; Facebook fastText cannot trim, so it is left out) and scores the
pairs with the n-gram vectors of those out-of-vocabulary words: oov_ws353 and oov_simlex,
the same Spearman code for every library, and fastw2v minus gensim-file averaged over seeds.

--floret HASH_COUNT (implies --fasttext) trains fastw2v's FastText in floret mode: no word
rows, each word and n-gram hashed to HASH_COUNT rows of one table of --floret-bucket rows
(default 100,000); the peers keep their word rows and --bucket n-gram rows, so the rows
compare a table 20x smaller against gensim's and fastText's.
"""

import argparse
import json
import math
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _bench as B  # noqa: E402
from _runner import DEFAULTS, FASTTEXT_DEFAULTS  # noqa: E402

HEADER_NOTE = (
    "seconds: whole process wall time seen by the parent (interpreter start, vocabulary, "
    "training, writing vectors).\nwords_per_sec: raw corpus tokens x epochs / seconds "
    "(before min_count and subsampling, the word2vec.c way).\npeak_rss_mb: child's ru_maxrss "
    "from os.wait4. analogy: questions-words accuracy, restrict_vocab=30000; ws353, simlex: "
    "Spearman.\nspeedup, rss_x: ratios to gensim-file (gensim corpus_file) of the same mode "
    "and seed; speedup > 1 is faster."
)
FASTTEXT_NOTE = "x_fasttext: Facebook fastText's seconds over the row's, same mode and seed."
OOV_NOTE = ("oov_ws353, oov_simlex: Spearman over every pair, each word dropped from the "
            "vocabulary and given its n-gram vector; ws353 and simlex are then empty (-).")
# The trainer of the second ratio column, when it ran.
FASTTEXT_TRAINER = "fasttext"


def int_list(text):
    return [int(x) for x in text.split(",") if x.strip()]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n", 1)[1])
    p.add_argument("--corpus", required=True, help="plain text, or .xz/.gz/.bz2 (decompressed once)")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--peers", default="gensim,fasttext",
                   help="comma list of fastw2v, gensim, fasttext or trainer names: "
                        + ", ".join(B.TRAINERS))
    p.add_argument("--modes", default="sg,cbow", help="comma list of sg, cbow")
    p.add_argument("--hs", action="store_true", help="hierarchical softmax: hs=1, negative=0")
    p.add_argument("--seeds", type=int_list, default=[1], help="comma list, e.g. 1,2,3")
    p.add_argument("--json", metavar="OUT", help="write machine, settings and rows as JSON")
    p.add_argument("--plot", metavar="OUT.png", help="bar chart of words/s (needs matplotlib)")
    p.add_argument("--scaling", type=int_list, metavar="1,2,4",
                   help="also report words/s of fastw2v (corpus_file) per thread count")
    p.add_argument("--vocab", type=int, metavar="ROUNDS", default=0,
                   help="also time build_vocab(corpus_file=...) of fastw2v and gensim, "
                        "ROUNDS fresh processes each, alternating (median reported)")
    p.add_argument("--baseline", metavar="CHECKOUT",
                   help="also run fastw2v (corpus_file) imported from this built checkout, "
                        "e.g. the code before a change (git worktree + build_ext --inplace), "
                        "interleaved with the current code as 'fastw2v-base-file'")
    p.add_argument("--fasttext", action="store_true",
                   help="train FastText (character n-grams) instead of word2vec in every trainer")
    p.add_argument("--minn", type=int, default=FASTTEXT_DEFAULTS["min_n"],
                   help="with --fasttext: shortest n-gram (min_n)")
    p.add_argument("--maxn", type=int, default=FASTTEXT_DEFAULTS["max_n"],
                   help="with --fasttext: longest n-gram (max_n)")
    p.add_argument("--bucket", type=int, default=FASTTEXT_DEFAULTS["bucket"],
                   help="with --fasttext: n-gram hash buckets")
    p.add_argument("--oov", action="store_true",
                   help="FastText with the WS353/SimLex words dropped from the vocabulary: "
                        "their pairs scored with n-gram vectors (gensim and fastw2v only)")
    p.add_argument("--floret", type=int, metavar="HASH_COUNT", default=0,
                   help="fastw2v's FastText in floret mode (implies --fasttext): HASH_COUNT rows "
                        "per word and n-gram in --floret-bucket rows; peers unchanged")
    p.add_argument("--floret-bucket", type=int, default=100_000,
                   help="with --floret: rows of fastw2v's shared table")
    p.add_argument("--scaling-trainer", default="fastw2v-file", choices=list(B.TRAINERS),
                   help=argparse.SUPPRESS)  # to exercise --scaling before fastw2v exists
    args = p.parse_args(argv)
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not args.modes or set(args.modes) - {"sg", "cbow"}:
        p.error("--modes takes sg and/or cbow")
    args.fasttext = args.fasttext or args.oov or bool(args.floret)  # OOV: FastText only
    return args


def model_settings(args):
    """--fasttext's model and n-gram settings, as the runner takes them."""
    return dict(model="fasttext", min_n=args.minn, max_n=args.maxn, bucket=args.bucket)


def child_settings(args, workdir):
    """The runner options every training child of this run gets beyond the defaults.

    Empty for word2vec; the FastText model and n-gram settings with --fasttext; and with
    --oov the file of words to drop (written into ``workdir``).
    """
    if not args.fasttext:
        return {}
    settings = model_settings(args)
    if args.oov:
        path = os.path.join(workdir, "oov-words.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(B.oov_words()) + "\n")
        settings["oov_words"] = path
    return settings


def trainer_settings(args, trainer):
    """A trainer's runner options: the run's, and floret's for fastw2v with --floret."""
    if args.floret and trainer.backend == "fastw2v":
        return dict(args.child_settings, floret=args.floret, bucket=args.floret_bucket)
    return args.child_settings


def speed_rows(runs):
    """Per-run rows plus, over several seeds, a mean row per (trainer, mode)."""
    rows = list(runs)
    seeds = sorted({r.seed for r in runs})
    if len(seeds) > 1:
        groups = {}
        for r in runs:
            groups.setdefault((r.trainer, r.mode), []).append(r)
        for (trainer, mode), group in groups.items():
            ok = [r for r in group if r.ok]
            mean = B.Run(trainer, mode, seed="mean", threads=group[0].threads,
                         epochs=group[0].epochs, ok=bool(ok), seconds=math.nan,
                         peak_rss_mb=math.nan, words=group[0].words,
                         error="" if ok else group[0].error)
            if ok:
                for key in ("seconds", "peak_rss_mb") + QUALITY:
                    setattr(mean, key, statistics.fmean(getattr(r, key) for r in ok))
            rows.append(mean)
    return rows


QUALITY = ("analogy", "ws353", "simlex", "oov_ws353", "oov_simlex")


def reference_run(row, rows, reference=B.REFERENCE):
    """The successful run of `reference` (a trainer name) with `row`'s mode and seed, or None."""
    return next((r for r in rows if r.trainer == reference and r.mode == row.mode
                 and r.seed == row.seed and r.ok), None)


def ratios(row, rows, reference=B.REFERENCE):
    """(speedup, rss ratio) against `reference` (a trainer name) of the same mode and seed."""
    ref = reference_run(row, rows, reference)
    if ref is None or not row.ok:
        return math.nan, math.nan
    return ref.seconds / row.seconds, row.peak_rss_mb / ref.peak_rss_mb


def print_results(rows, multi_seed, oov=False):
    """The results table; x_fasttext only when fastText ran, the OOV columns with --oov."""
    with_fasttext = any(r.trainer == FASTTEXT_TRAINER and r.ok for r in rows)
    quality = QUALITY if oov else QUALITY[:3]
    headers = (["trainer", "mode"] + (["seed"] if multi_seed else [])
               + ["seconds", "words_per_sec", "peak_rss_mb", *quality, "speedup", "rss_x"]
               + (["x_fasttext"] if with_fasttext else []))
    table = []
    for r in rows:
        speedup, rss_x = ratios(r, rows)
        cells = [B.fmt(r.seconds, ".1f"), B.fmt(r.words_per_sec, ",.0f"),
                 B.fmt(r.peak_rss_mb, ".0f"), *(B.fmt(getattr(r, k), ".3f") for k in quality),
                 B.fmt(speedup, ".2f") + "x", B.fmt(rss_x, ".2f") + "x"]
        if with_fasttext:
            cells.append(B.fmt(ratios(r, rows, FASTTEXT_TRAINER)[0], ".2f") + "x")
        if not r.ok:
            cells = ["FAILED"] + ["-"] * (len(cells) - 1)
        table.append([r.trainer, r.mode] + ([str(r.seed)] if multi_seed else []) + cells)
    B.print_table(headers, table)
    for r in rows:
        if not r.ok and r.seed != "mean":
            print(f"  {r.trainer} {r.mode} seed {r.seed}: {r.error}")


def oov_differences(runs):
    """fastw2v minus gensim-file in OOV Spearman, per fastw2v trainer and mode, over seeds.

    Each difference is taken within a seed (the same seed's gensim-file run) and the
    differences are averaged; seeds where either run failed are left out.

    Returns
    -------
    list of dict
        trainer, mode, seeds (those used), and the mean difference per OOV score.
    """
    out = []
    for trainer in dict.fromkeys(r.trainer for r in runs if r.trainer.startswith("fastw2v")):
        for mode in dict.fromkeys(r.mode for r in runs):
            pairs = []
            for r in runs:
                if r.trainer == trainer and r.mode == mode and r.ok:
                    ref = reference_run(r, runs)
                    if ref is not None:
                        pairs.append((r, ref))
            if pairs:
                out.append(dict(trainer=trainer, mode=mode, seeds=[r.seed for r, _ in pairs], **{
                    k: statistics.fmean(getattr(r, k) - getattr(g, k) for r, g in pairs)
                    for k in ("oov_ws353", "oov_simlex")}))
    return out


def print_oov_differences(diffs):
    for d in diffs:
        print(f"{d['trainer']} - {B.REFERENCE}, {d['mode']}, mean of seeds "
              f"{','.join(map(str, d['seeds']))}: oov_ws353 {d['oov_ws353']:+.3f}, "
              f"oov_simlex {d['oov_simlex']:+.3f}")


def run_scaling(args, trainer, corpus, tokens, workdir):
    runs = []
    for mode in args.modes:
        for threads in args.scaling:
            run = B.run_trainer(trainer, corpus, tokens, mode, args.hs, args.epochs, threads,
                                args.seeds[0], workdir, settings=trainer_settings(args, trainer))
            progress(run)
            runs.append(run)
    return runs


def print_scaling(runs):
    table = []
    for r in runs:
        base = next((b for b in runs if b.mode == r.mode and b.threads == min(
            x.threads for x in runs if x.mode == r.mode) and b.ok), None)
        rel = r.words_per_sec / base.words_per_sec if base and r.ok else math.nan
        table.append([r.trainer, r.mode, str(r.threads),
                      B.fmt(r.seconds, ".1f") if r.ok else "FAILED",
                      B.fmt(r.words_per_sec, ",.0f"), B.fmt(rel, ".2f") + "x",
                      B.fmt(r.analogy, ".3f")])
    B.print_table(["trainer", "mode", "threads", "seconds", "words_per_sec",
                   "vs_fewest", "analogy"], table)
    for r in runs:
        if not r.ok:
            print(f"  {r.trainer} {r.mode} threads {r.threads}: {r.error}")


def run_vocab_builds(args, corpus, tokens, versions):
    """build_vocab(corpus_file=...) in fresh processes, fastw2v and gensim alternating."""
    backends = [b for b in ("fastw2v", "gensim") if versions.get(b)]
    times = {b: [] for b in backends}
    for _ in range(args.vocab):
        for backend in backends:
            info = B.run_vocab_build(backend, corpus, args.threads, args.hs,
                                     settings=vocab_settings(args))
            if info is None:
                print(f"  build_vocab {backend}: failed", file=sys.stderr, flush=True)
                continue
            print(f"  build_vocab {backend}: {info['vocab_seconds']:.2f}s", file=sys.stderr, flush=True)
            times[backend].append(info)
    rows = []
    for backend, infos in times.items():
        if infos:
            seconds = statistics.median(i["vocab_seconds"] for i in infos)
            rows.append(dict(backend=backend, rounds=len(infos), vocab=infos[0]["vocab"],
                             seconds=seconds, tokens_per_sec=tokens / seconds))
    ref = next((r for r in rows if r["backend"] == "gensim"), None)
    for r in rows:
        r["speedup"] = ref["seconds"] / r["seconds"] if ref else math.nan
    return rows


def vocab_settings(args):
    """The child settings that apply to build_vocab alone: the model, not the OOV words."""
    return {k: v for k, v in args.child_settings.items() if k != "oov_words"}


def print_vocab_builds(rows):
    B.print_table(["backend", "rounds", "vocab", "median_seconds", "tokens_per_sec", "speedup"],
                  [[r["backend"], str(r["rounds"]), str(r["vocab"]), B.fmt(r["seconds"], ".2f"),
                    B.fmt(r["tokens_per_sec"], ",.0f"), B.fmt(r["speedup"], ".1f") + "x"]
                   for r in rows])


def progress(run):
    state = f"{run.seconds:.1f}s" if run.ok else run.error
    print(f"  ran {run.trainer} {run.mode} seed {run.seed} threads {run.threads}: {state}",
          file=sys.stderr, flush=True)


def plot(rows, path, model="word2vec"):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"note: --plot needs matplotlib (pip install matplotlib); {path} not written")
        return
    rows = [r for r in rows if r.ok and (r.seed == "mean" or len({x.seed for x in rows}) == 1)]
    modes = list(dict.fromkeys(r.mode for r in rows))
    fig, axes = plt.subplots(1, len(modes), figsize=(6 * len(modes), 4.5), squeeze=False)
    for ax, mode in zip(axes[0], modes):
        group = [r for r in rows if r.mode == mode]
        bars = ax.bar([r.trainer for r in group], [r.words_per_sec / 1e6 for r in group],
                      color=["tab:orange" if r.trainer.startswith("fastw2v") else "tab:blue"
                             for r in group])
        for bar, r in zip(bars, group):
            ax.annotate(f"an {B.fmt(r.analogy, '.3f')}\nws {B.fmt(r.ws353, '.2f')}\n"
                        f"sl {B.fmt(r.simlex, '.2f')}",
                        (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center", va="bottom", fontsize=8)
        ax.set_title(f"{model} {mode}")
        ax.set_ylabel("million raw words / s (whole process)")
        ax.margins(y=0.3)
        ax.tick_params(axis="x", rotation=20)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"plot written to {path}")


def main(argv=None):
    args = parse_args(argv)
    versions = B.backend_versions()
    trainers = B.available(B.select_trainers(args.peers.split(",")), versions)
    if args.baseline:
        base = B.Trainer("fastw2v-base-file", "fastw2v", "corpus_file",
                         pythonpath=os.path.abspath(args.baseline))
        trainers.insert(1, base)
    if args.oov and any(t.backend == "fasttext" for t in trainers):
        print("note: skipping fasttext for --oov: it has no trim rule to drop words")
        trainers = [t for t in trainers if t.backend != "fasttext"]
    B.warn_if_busy()
    machine = B.machine_info(versions)
    settings = dict(DEFAULTS, epochs=args.epochs, threads=args.threads, modes=args.modes,
                    hs=args.hs, seeds=args.seeds, corpus=os.path.basename(args.corpus),
                    child_env=B.CHILD_ENV)
    if args.hs:
        settings.update(hs=1, negative=0)
    model_keys = ()
    if args.fasttext:
        model_keys = ("model", *FASTTEXT_DEFAULTS)
        settings.update(model_settings(args), oov=args.oov)
        if args.floret:
            settings.update(fastw2v_floret=dict(hash_count=args.floret, bucket=args.floret_bucket))
    print("machine: " + ", ".join(f"{k} {v}" for k, v in machine.items() if k != "simd")
          + f", simd {'/'.join(machine['simd']) or 'none'}")

    with tempfile.TemporaryDirectory(prefix="fastw2v-bench-") as workdir:
        corpus = B.prepare_corpus(args.corpus, workdir)
        tokens = B.count_tokens(corpus)
        settings["corpus_tokens"] = tokens
        args.child_settings = child_settings(args, workdir)
        print(f"corpus: {args.corpus}: {tokens:,} tokens; settings: "
              + ", ".join(f"{k} {settings[k]}" for k in (*DEFAULTS, "epochs", "threads", "hs",
                                                         *model_keys)))
        runs = []
        for arch in args.modes:
            for i, seed in enumerate(args.seeds):
                # The order rotates with the seed: the process that runs first, or right
                # after another's exit, paid for re-backed memory on the project's VM
                # (build_vocab with FastText's 800 MB bucket matrix: 1.46 s, then 0.48 s,
                # benchmarks/README.md), and no trainer should always be that one.
                shift = i % len(trainers)
                for trainer in trainers[shift:] + trainers[:shift]:
                    run = B.run_trainer(trainer, corpus, tokens, arch, args.hs, args.epochs,
                                        args.threads, seed, workdir,
                                        settings=trainer_settings(args, trainer))
                    progress(run)
                    runs.append(run)
        vocab_rows = run_vocab_builds(args, corpus, tokens, versions) if args.vocab else []
        scaling = []
        if args.scaling:
            trainer = B.TRAINERS[args.scaling_trainer]
            if B.available([trainer], versions):
                scaling = run_scaling(args, trainer, corpus, tokens, workdir)

    rows = speed_rows(runs)
    oov_diffs = oov_differences(runs) if args.oov else []
    print()
    print(HEADER_NOTE)
    if any(r.trainer == FASTTEXT_TRAINER for r in runs):
        print(FASTTEXT_NOTE)
    if args.oov:
        print(OOV_NOTE)
    print()
    print_results(rows, multi_seed=len(args.seeds) > 1, oov=args.oov)
    if oov_diffs:
        print("\nout-of-vocabulary pairs, fastw2v minus gensim (issue 15: within 0.03):")
        print_oov_differences(oov_diffs)
    if scaling:
        print("\nthread scaling (corpus_file):")
        print_scaling(scaling)
    if vocab_rows:
        print("\nbuild_vocab(corpus_file=...) alone, timed inside fresh processes; speedup vs gensim:")
        print_vocab_builds(vocab_rows)

    if args.json:
        def as_dict(r):
            speedup, rss_x = ratios(r, rows)
            return B.run_record(r, speedup=speedup, rss_x=rss_x,
                                x_fasttext=ratios(r, rows, FASTTEXT_TRAINER)[0])
        with open(args.json, "w") as f:
            json.dump({"machine": machine, "settings": settings,
                       "results": [as_dict(r) for r in rows],
                       "scaling": [B.run_record(r) for r in scaling],
                       "vocab_builds": vocab_rows, "oov_differences": oov_diffs}, f, indent=2)
        print(f"results written to {args.json}")
    if args.plot:
        plot(rows, args.plot, "fasttext" if args.fasttext else "word2vec")
    return 0


if __name__ == "__main__":
    sys.exit(main())
