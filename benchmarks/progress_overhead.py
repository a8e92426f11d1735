"""Does progress reporting slow training?  Whole-process wall time per mode, alternating.

    python benchmarks/progress_overhead.py --corpus imdb.txt [--rounds 3] [--sg 1]

Each run is a fresh process training 1 epoch from corpus_file with 2 threads and
``progress`` False (silent), None (log lines) or True (tqdm bar, written to stderr,
discarded); modes alternate within each round so drift in machine load hits all alike.
"""
import argparse
import statistics
import subprocess
import sys
import time

CODE = ("import logging, sys; logging.basicConfig(level=logging.INFO); "
        "from fastw2v import Word2Vec; "
        "Word2Vec(corpus_file=sys.argv[1], sg=int(sys.argv[2]), epochs=1, workers=2, "
        "sample=1e-4, progress={mode})")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", required=True)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--sg", type=int, default=1)
    args = p.parse_args()
    times = {"False": [], "None": [], "True": []}
    for _ in range(args.rounds):
        for mode in times:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", CODE.format(mode=mode), args.corpus,
                            str(args.sg)], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            times[mode].append(time.perf_counter() - start)
    base = statistics.median(times["False"])
    print("progress  median_s  vs_silent   runs")
    for mode, ts in times.items():
        med = statistics.median(ts)
        print(f"{mode:<8}  {med:8.2f}  {med / base:8.3f}x  {', '.join(f'{t:.2f}' for t in ts)}")


if __name__ == "__main__":
    main()
