"""A kernel workload to profile: 3 x one epoch, 1 thread, pre-encoded corpus.

    head -c 12000000 imdb.txt > imdb_small.txt
    perf record -e cpu-clock -F 2000 -g -o perf.data \\
        python benchmarks/profile_kernel.py --corpus imdb_small.txt --sg 1 --hs 0 [--repo PATH]
    perf report -i perf.data --no-children --sort dso,symbol --stdio -g none

``--repo`` is put first on sys.path, so an older checkout built in place can be profiled
the same way (profiles in benchmarks/results/profiles/).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kernel_cpu import parse_args, workload  # noqa: E402 (the same workload, untimed)


def main():
    reset, epoch, _ = workload(parse_args(__doc__.splitlines()[0]))
    for _ in range(3):
        reset()
        epoch()


if __name__ == "__main__":
    main()
