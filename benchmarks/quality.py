r"""Quality parity: fastw2v against gensim at identical settings, means over seeds.

    python benchmarks/quality.py --corpus ../shared/data/imdb.txt.xz [--seeds 1,2] \
        [--epochs 3] [--threads 2]

Both trainers read the corpus with corpus_file=, vector_size 100, window 5, sample 1e-4,
min_count 5, for SG+NS, CBOW+NS (negative 5) and SG+HS (hs=1, negative=0). A config PASSes
when fastw2v's mean analogy accuracy is no more than 0.01 below gensim's and its mean WS353
and SimLex Spearman no more than 0.03 below. Exit status: 0 all pass, 1 some config fails,
2 no verdict (the candidate could not be imported or did not train).
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
from _runner import DEFAULTS  # noqa: E402

CONFIGS = {"sg-ns": ("sg", False), "cbow-ns": ("cbow", False), "sg-hs": ("sg", True)}
# How far below the reference the candidate's mean may fall.
TOLERANCE = {"analogy": 0.01, "ws353": 0.03, "simlex": 0.03}
METRICS = tuple(TOLERANCE)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n", 1)[1])
    p.add_argument("--corpus", required=True, help="plain text, or .xz/.gz/.bz2 (decompressed once)")
    p.add_argument("--seeds", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--configs", default=",".join(CONFIGS), help="comma list of " + ", ".join(CONFIGS))
    p.add_argument("--candidate", default="fastw2v-file", choices=list(B.TRAINERS),
                   help="trainer under test (another peer exercises this script before "
                        "fastw2v trains)")
    p.add_argument("--reference", default="gensim-file",
                   help="comma list of reference trainers, each judged separately: "
                        + ", ".join(B.TRAINERS))
    p.add_argument("--json", metavar="OUT", help="write machine, settings, runs and verdicts")
    args = p.parse_args(argv)
    args.configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    args.reference = [r.strip() for r in args.reference.split(",") if r.strip()]
    if not args.reference or set(args.reference) - set(B.TRAINERS):
        p.error("--reference takes a comma list of " + ", ".join(B.TRAINERS))
    if not args.configs or set(args.configs) - set(CONFIGS):
        p.error("--configs takes " + ", ".join(CONFIGS))
    return args


def mean_scores(runs):
    ok = [r for r in runs if r.ok]
    return {m: statistics.fmean(getattr(r, m) for r in ok) if ok else math.nan for m in METRICS}


def verdict(candidate, reference):
    """Per-metric (difference, passed) and the config's overall result."""
    checks = {}
    for m in METRICS:
        diff = candidate[m] - reference[m]
        checks[m] = (diff, not math.isnan(diff) and diff >= -TOLERANCE[m])
    return checks, all(ok for _, ok in checks.values())


def main(argv=None):
    args = parse_args(argv)
    versions = B.backend_versions()
    cand = B.TRAINERS[args.candidate]
    refs = [B.TRAINERS[r] for r in args.reference]
    for ref in refs:
        if not B.available([ref], versions):
            raise SystemExit(f"reference {ref.name} is not importable")
    have_candidate = bool(B.available([cand], versions))
    trainers = refs + [cand] if have_candidate else refs
    B.warn_if_busy()
    machine = B.machine_info(versions)
    settings = dict(DEFAULTS, epochs=args.epochs, threads=args.threads, seeds=args.seeds,
                    configs=args.configs, corpus=os.path.basename(args.corpus),
                    candidate=cand.name, reference=[r.name for r in refs], tolerance=TOLERANCE)

    runs = {}
    with tempfile.TemporaryDirectory(prefix="fastw2v-quality-") as workdir:
        corpus = B.prepare_corpus(args.corpus, workdir)
        tokens = B.count_tokens(corpus)
        print(f"corpus: {args.corpus}: {tokens:,} tokens; {args.epochs} epochs, "
              f"{args.threads} threads, seeds {args.seeds}; {cand.name} vs "
              f"{', '.join(r.name for r in refs)}")
        for name in args.configs:
            arch, hs = CONFIGS[name]
            for seed in args.seeds:
                for trainer in trainers:
                    run = B.run_trainer(trainer, corpus, tokens, arch, hs, args.epochs,
                                        args.threads, seed, workdir)
                    state = f"{run.seconds:.1f}s" if run.ok else run.error
                    print(f"  ran {trainer.name} {name} seed {seed}: {state}", file=sys.stderr,
                          flush=True)
                    runs.setdefault((name, trainer.name), []).append(run)

    print(f"\nmeans over seeds {args.seeds}; analogy: questions-words accuracy "
          "(restrict_vocab=30000); ws353, simlex: Spearman")
    print("PASS: candidate - reference >= " + ", ".join(f"-{TOLERANCE[m]} {m}" for m in METRICS))
    table, verdicts, failures = [], {}, []
    for name in args.configs:
        cand_runs = runs.get((name, cand.name), [])
        cand_ok = any(r.ok for r in cand_runs)
        cand_mean = mean_scores(cand_runs)
        table.append([name, cand.name] + ([B.fmt(cand_mean[m], ".3f") for m in METRICS]
                                          if cand_ok else ["-"] * 3) + [""])
        for ref in refs:
            key = name if len(refs) == 1 else f"{name} vs {ref.name}"
            ref_mean = mean_scores(runs[(name, ref.name)])
            table.append([name, ref.name] + [B.fmt(ref_mean[m], ".3f") for m in METRICS] + [""])
            if not cand_ok:
                why = "not importable" if not have_candidate else cand_runs[0].error
                table.append([name, "difference"] + ["-"] * 3 + ["NO VERDICT"])
                verdicts[key] = {"result": "no verdict", "why": why}
                failures += [f"  {name}: {cand.name} {why}"]
                continue
            checks, passed = verdict(cand_mean, ref_mean)
            table.append([name, f"difference vs {ref.name}"]
                         + [B.fmt(d, "+.3f") + ("" if ok else " !") for d, ok in checks.values()]
                         + ["PASS" if passed else "FAIL"])
            verdicts[key] = {"result": "PASS" if passed else "FAIL", "reference": ref.name,
                             "difference": {m: d for m, (d, _) in checks.items()}}
    B.print_table(["config", "trainer", *METRICS, "verdict"], table)
    for line in failures:
        print(line)
    results = [v["result"] for v in verdicts.values()]
    overall = ("FAIL" if "FAIL" in results else "NO VERDICT" if "no verdict" in results
               else "PASS")
    print(f"overall: {overall}")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine, "settings": settings, "verdicts": verdicts,
                       "results": [B.run_record(r) for group in runs.values() for r in group]},
                      f, indent=2)
        print(f"results written to {args.json}")
    return {"PASS": 0, "FAIL": 1}.get(overall, 2)


if __name__ == "__main__":
    sys.exit(main())
