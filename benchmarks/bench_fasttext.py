r"""FastText training: fastw2v against gensim's FastText, whole process, with quality.

    python benchmarks/bench_fasttext.py --corpus imdb.txt [--modes sg,cbow] [--epochs 1,3] \
        [--seeds 1] [--threads 2] [--json out.json]

Each run is a fresh child process that builds the vocabulary from ``corpus_file``,
trains (vector_size 100, window 5, negative 5, sample 1e-4, min_count 5, min_n 3,
max_n 6, bucket 2,000,000 -- issue 15's settings) and scores the vectors: analogy
accuracy on gensim's questions-words.txt (30,000 most frequent words), Spearman on
WordSim353 and SimLex-999. ``seconds`` is the child's wall time from import to trained
model (vocabulary, the 800 MB bucket matrix's initialisation and training; not the
evaluation); ``RSS`` is each child's peak resident memory (``os.wait4``). ``--versus
CHECKOUT`` runs a built fastw2v checkout in gensim's place (before/after a change). Runs are interleaved (fastw2v, gensim, fastw2v, ...), so a slow period
hits both; the table gives each pair's time ratio and quality difference.
"""
import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.abspath(__file__)
sys.path.insert(0, os.path.dirname(HERE))
from _bench import run_json_child  # noqa: E402
from _runner import DEFAULTS, FASTTEXT_DEFAULTS  # noqa: E402

SETTINGS = {**DEFAULTS, **FASTTEXT_DEFAULTS}  # compare.py --fasttext's (alpha 0.025: both defaults)


def child(library, corpus, sg, epochs, seed, threads):
    import warnings
    warnings.simplefilter("ignore")
    t = time.perf_counter()
    if library == "gensim":
        from gensim.models import FastText
    else:  # "fastw2v", or a built checkout of it to compare with
        if library != "fastw2v":
            sys.path.insert(0, library)
        os.chdir(os.path.dirname(corpus))  # import the checkout asked for, not the cwd's
        from fastw2v import FastText
    from gensim.test.utils import datapath
    model = FastText(sg=sg, epochs=epochs, workers=threads, seed=seed, **SETTINGS)
    model.build_vocab(corpus_file=corpus)
    model.train(corpus_file=corpus, total_words=model.corpus_total_words, epochs=epochs)
    seconds = time.perf_counter() - t
    wv = model.wv
    return {"library": library, "seconds": seconds, "vocab": len(wv.index_to_key),
            "analogy": wv.evaluate_word_analogies(datapath("questions-words.txt"),
                                                  restrict_vocab=30000)[0],
            "ws353": wv.evaluate_word_pairs(datapath("wordsim353.tsv"))[1][0],
            "simlex": wv.evaluate_word_pairs(datapath("simlex999.txt"))[1][0]}


def run(library, args, sg, epochs, seed):
    cmd = [sys.executable, HERE, "--child", library, "--corpus", args.corpus, "--sg", str(sg),
           "--epochs-one", str(epochs), "--seed", str(seed), "--threads", str(args.threads)]
    row, peak_rss_mb = run_json_child(cmd)
    if row is None:
        raise RuntimeError(f"{library}: child failed")
    row["peak_rss_mb"] = peak_rss_mb  # the child's peak, from the kernel
    return row


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", required=True, help="plain-text corpus, one sentence per line")
    p.add_argument("--modes", default="sg,cbow")
    p.add_argument("--epochs", default="1,3")
    p.add_argument("--seeds", default="1")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--versus", default="gensim",
                   help="the peer: gensim (default), or a built fastw2v checkout (e.g. the code "
                        "before a change); its columns keep the name 'gensim'")
    p.add_argument("--json")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--sg", type=int, help=argparse.SUPPRESS)
    p.add_argument("--epochs-one", type=int, help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.corpus, args.sg, args.epochs_one, args.seed,
                               args.threads)))
        return 0
    args.corpus = os.path.abspath(args.corpus)
    if args.versus != "gensim":
        args.versus = os.path.abspath(args.versus)
    rows = []
    for epochs in map(int, args.epochs.split(",")):
        for mode in args.modes.split(","):
            sg = 1 if mode == "sg" else 0
            for seed in map(int, args.seeds.split(",")):
                pair = {"fastw2v": run("fastw2v", args, sg, epochs, seed),
                        "gensim": run(args.versus, args, sg, epochs, seed)}
                row = {"mode": mode, "epochs": epochs, "seed": seed, **{
                    f"{lib}_{k}": v for lib, r in pair.items() for k, v in r.items() if k != "library"}}
                rows.append(row)
                print(json.dumps(row), flush=True)
    head = (f"{'mode':<5} {'epochs':>6} {'seed':>4} {'fastw2v s':>9} {'gensim s':>9} {'x gensim':>8}  "
            f"{'RSS MB f/g':>11}  {'analogy f/g':>13} {'ws353 f/g':>13} {'simlex f/g':>13}")
    print("\n" + head)
    for r in rows:
        q = "  ".join(f"{r['fastw2v_' + k]:.3f}/{r['gensim_' + k]:.3f}" for k in ("analogy", "ws353", "simlex"))
        print(f"{r['mode']:<5} {r['epochs']:>6} {r['seed']:>4} {r['fastw2v_seconds']:>9.1f} "
              f"{r['gensim_seconds']:>9.1f} {r['gensim_seconds'] / r['fastw2v_seconds']:>8.2f}  "
              f"{r['fastw2v_peak_rss_mb']:>5.0f}/{r['gensim_peak_rss_mb']:<5.0f}  {q}")
    if len(set(r["seed"] for r in rows)) > 1:
        for epochs in sorted(set(r["epochs"] for r in rows)):
            for mode in args.modes.split(","):
                sel = [r for r in rows if r["epochs"] == epochs and r["mode"] == mode]
                d = {k: statistics.fmean(r["fastw2v_" + k] - r["gensim_" + k] for r in sel)
                     for k in ("analogy", "ws353", "simlex")}
                print(f"mean of seeds, {mode} {epochs} epochs: fastw2v - gensim " +
                      " ".join(f"{k} {v:+.3f}" for k, v in d.items()))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"settings": SETTINGS, "threads": args.threads, "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
