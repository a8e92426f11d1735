"""Two kernel builds in one process, epoch by epoch: CPU seconds and their ratio.

    head -c 12000000 imdb.txt > imdb_small.txt
    git worktree add /tmp/before HEAD~1 && (cd /tmp/before && python setup.py build_ext --inplace)
    python benchmarks/kernel_ab.py --corpus imdb_small.txt --versus /tmp/before --sg 0 --fasttext

kernel_cpu.py's workload (1 thread, pre-encoded corpus, compare.py's settings), but both
builds train the same model in turns: this checkout's kernel and the one compiled in
``--versus`` (the same variant, ``FASTW2V_KERNEL`` or the best for this CPU), one epoch
each, ``--rounds`` pairs, the order swapped every round. On a VM whose speed drifts by
1.5x within minutes, pairs of epochs seconds apart are what can show a 5% change; runs
of separate processes (kernel_cpu.py --repo, alternating) could not. The ratio printed
is the median over pairs of this checkout's CPU seconds over ``--versus``'s.

Only the compiled module is swapped: the Python layers (vocabulary, encoding, the job's
arguments) are this checkout's, so the two builds must take the same TrainJob
arguments.

``--versus-kernel NAME`` takes another variant from ``--versus``. With a checkout whose
baseline ``_train`` was compiled for 4-float FMA (``CFLAGS="-mfma -mprefer-vector-width=128"
python setup.py build_ext --inplace``: the portable C as NEON runs it, fused
multiply-adds on 128-bit vectors; without the width flag GCC's -mfma also enables AVX and
vectorises the plain loops 8 floats wide), ``FASTW2V_KERNEL=avx2 ... --versus /tmp/fma
--versus-kernel generic`` measures what the portable code loses to AVX2 with FMA, and
``--versus .`` without it (issue 16's portable target).

``--versus rows-in-place`` (with ``--fasttext``) compares this build against itself with
FastText's bucket rows trained where they are (``fastw2v.trainer.REORDER_BUCKET_ROWS``
off) instead of in :class:`fastw2v._bucket_order.BucketOrder` (the used rows moved
together for each epoch).
"""
import importlib.util
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kernel_cpu import parse_args, workload  # noqa: E402 (the same workload)


def load_build(checkout, module_name, package):
    """The compiled kernel module ``module_name`` (e.g. "_train_avx512") of a checkout,
    imported as ``package.module_name`` so that it lives beside the other build."""
    folder = os.path.join(os.path.abspath(checkout), "fastw2v", "kernels")
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    path = os.path.join(folder, module_name + suffix)
    if not os.path.exists(path):
        raise SystemExit(f"{path} is missing: build that checkout in place first")
    # The init function is named after the last part of the name: keep it.
    spec = importlib.util.spec_from_file_location(f"{package}.{module_name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_versus_kernel(versus, name, repo):
    """Refuse a --versus-kernel this run cannot load, before the corpus is encoded."""
    if repo:
        sys.path.insert(0, os.path.abspath(repo))
    import fastw2v.kernels as kernels

    if versus == "rows-in-place":
        raise SystemExit("--versus-kernel takes a checkout: --versus rows-in-place has one build")
    runnable = kernels.available_variants()  # built, and this CPU has what they need
    if name not in runnable:
        raise SystemExit(f"--versus-kernel must be a build this CPU runs: {', '.join(runnable)}")


def main():
    argv = sys.argv[1:]
    options = {"--versus": None, "--versus-kernel": None, "--rounds": "8"}
    for flag in options:
        if flag in argv:
            at = argv.index(flag)
            options[flag] = argv[at + 1]
            del argv[at:at + 2]
    versus, versus_kernel = options["--versus"], options["--versus-kernel"]
    rounds = int(options["--rounds"])
    if versus is None:
        raise SystemExit("--versus CHECKOUT is required")
    if versus != "rows-in-place":  # a relative path means from here, whatever runs later
        versus = os.path.abspath(versus)
    sys.argv[1:] = argv
    args = parse_args(__doc__.splitlines()[0])
    if versus_kernel is not None:
        check_versus_kernel(versus, versus_kernel, args.repo)
    reset, epoch, n_words = workload(args)
    import fastw2v.kernels as kernels
    import fastw2v.trainer as trainer
    # Both builds are loaded the same way, neither as fastw2v's own kernel: with this
    # checkout's own module against a loaded copy of the very same build, the copy
    # ran 4% faster (9 of 30 pairs; identical machine code).
    ours = kernels.kernel
    name = ours.__name__.rsplit(".", 1)[1]
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    this_job = load_build(here, name, "fastw2v_this").TrainJob
    if versus == "rows-in-place":
        builds = {"this": this_job, "versus": this_job}
    else:
        # the compiled module's file name, e.g. "_train" for the generic build
        versus_name = kernels.load(versus_kernel).__name__.rsplit(".", 1)[1] if versus_kernel else name
        builds = {"this": this_job,
                  "versus": load_build(versus, versus_name, "fastw2v_versus").TrainJob}
    reorder = {"this": True, "versus": versus != "rows-in-place"}
    seconds = {"this": [], "versus": []}
    reset()
    epoch()  # warm-up: page faults, caches
    for r in range(rounds):
        order = ("this", "versus") if r % 2 == 0 else ("versus", "this")
        for name in order:
            trainer.TrainJob = builds[name]
            trainer.REORDER_BUCKET_ROWS = reorder[name]
            reset()
            start = time.process_time()
            epoch()
            seconds[name].append(time.process_time() - start)
    trainer.TrainJob = ours.TrainJob
    trainer.REORDER_BUCKET_ROWS = True
    ratios = [a / b for a, b in zip(seconds["this"], seconds["versus"])]
    kind = "fasttext " if args.fasttext else ""
    print(f"{kind}sg={args.sg} hs={args.hs} kernel {kernels.kernel_name}"
          + (f" versus {versus_kernel}" if versus_kernel else "") + f"  words {n_words}")
    print("this   " + " ".join(f"{s:.3f}" for s in seconds["this"]))
    print("versus " + " ".join(f"{s:.3f}" for s in seconds["versus"]))
    print(f"median this {statistics.median(seconds['this']):.3f}  versus "
          f"{statistics.median(seconds['versus']):.3f}  median ratio {statistics.median(ratios):.3f}  "
          f"faster in {sum(x < 1 for x in ratios)} of {len(ratios)} pairs")


if __name__ == "__main__":
    main()
