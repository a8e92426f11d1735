"""Instructions per training window, by kernel function, counted by callgrind.

    head -c 3000000 imdb.txt > imdb3m.txt
    python benchmarks/instructions.py --corpus imdb3m.txt --sg 1 --kernel avx2 [--repo PATH]

Runs profile_kernel.py's workload (3 epochs, 1 thread, pre-encoded corpus) under
``valgrind --tool=callgrind``, counting only inside the kernel's thread loop
(``train_chunks`` and what it calls), and divides each function's own instructions by
the number of windows, which is the call count of ``sg_window`` / ``cbow_window``. On a
VM without performance counters (``perf stat`` has no ``instructions`` there) this is
the count that says whether a kernel is bound by what it executes: time per window over
instructions per window is its rate.

valgrind runs no AVX-512 code: ``--kernel`` takes ``avx2`` or ``generic``. ``--repo``
runs another built checkout, e.g. one compiled with ``CFLAGS="-mfma
-mprefer-vector-width=128"`` for the portable C on 4-float FMA.
"""

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
# A kernel function's name in the compiled module: __pyx_f_7fastw2v_7kernels_<n>_train<variant>_<name>
PYX_NAME = re.compile(r"__pyx_f_7fastw2v_7kernels_\d+_train(?:_avx2|_avx512)?_")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n", 1)[1])
    p.add_argument("--corpus", required=True, help="plain-text corpus (a few MB: valgrind is ~50x slower)")
    p.add_argument("--sg", type=int, choices=(0, 1), default=1)
    p.add_argument("--hs", type=int, choices=(0, 1), default=0)
    p.add_argument("--kernel", choices=("avx2", "generic"), default="avx2")
    p.add_argument("--repo", default=None, help="built checkout to import fastw2v from")
    p.add_argument("--top", type=int, default=10, help="functions listed")
    return p.parse_args(argv)


def short_name(name):
    """A kernel function's name without Cython's module prefix."""
    return PYX_NAME.sub("", name).strip()


def own_instructions(annotate_output):
    """{function: instructions executed in its own code}, from callgrind_annotate's table."""
    own = collections.Counter()
    for line in annotate_output.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(\S.*)", line)
        if not m or "PROGRAM TOTALS" in line:
            continue
        where = m.group(2)
        name = where.split(":", 1)[1] if ":" in where else where
        own[short_name(re.sub(r" \[.*", "", name))] += int(m.group(1).replace(",", ""))
    return own


def call_counts(callgrind_out):
    """{function: times called}, from the profile's call records (``cfn=`` then ``calls=``).

    The profile names a function once as ``(id) name`` and then by ``(id)`` alone."""
    names, calls, callee = {}, collections.Counter(), None
    with open(callgrind_out) as f:
        for line in f:
            if line.startswith(("fn=", "cfn=", "cfi=", "cob=", "fi=", "fe=", "ob=")):
                m = re.match(r"(\w+)=\((\d+)\)(?: (.*))?", line.rstrip("\n"))
                if not m:
                    continue
                key, ident, name = m.groups()
                if key in ("fn", "cfn"):
                    if name:
                        names[ident] = name
                    if key == "cfn":
                        callee = names.get(ident)
            elif line.startswith("calls=") and callee:
                calls[short_name(callee)] += int(line.split("=", 1)[1].split()[0])
    return calls


def main(argv=None):
    args = parse_args(argv)
    env = dict(os.environ, FASTW2V_KERNEL=args.kernel,
               # BLAS threads spinning in a serialised valgrind stall the exit for minutes
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    workload = [sys.executable, os.path.join(HERE, "profile_kernel.py"), "--corpus",
                args.corpus, "--sg", str(args.sg), "--hs", str(args.hs)]
    if args.repo:
        workload += ["--repo", args.repo]
    with tempfile.TemporaryDirectory(prefix="fastw2v-callgrind-") as tmp:
        out = os.path.join(tmp, "callgrind.out")
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                        "--toggle-collect=*train_chunks*", *workload],
                       env=env, check=True, capture_output=True)
        text = subprocess.run(["callgrind_annotate", "--auto=no", out], check=True,
                              capture_output=True, text=True).stdout
        calls = call_counts(out)
    own = own_instructions(text)
    window = "sg_window" if args.sg else "cbow_window"
    windows = calls.get(window)
    if not windows:
        raise SystemExit(f"no calls of {window} in the profile: was the kernel built?")
    total = sum(own.values())
    print(f"{'sg' if args.sg else 'cbow'}-{'hs' if args.hs else 'ns'}, kernel {args.kernel}"
          f"{', ' + args.repo if args.repo else ''}, {args.corpus}: {windows:,} windows, "
          f"{total / windows:,.0f} instructions per window")
    for name, n in own.most_common(args.top):
        print(f"  {n / windows:8,.0f}  {name}")


if __name__ == "__main__":
    sys.exit(main())
