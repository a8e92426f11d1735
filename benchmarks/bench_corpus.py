"""Time the corpus layer on a plain-text corpus: readers, scan_vocab, encode_file.

Usage: python benchmarks/bench_corpus.py imdb.txt [--gensim]

Throughput is raw corpus tokens per second of wall time, best of --repeat runs,
and per CPU-second (all threads' CPU time: per-thread speed, robust to a busy machine).
"""
import argparse
import os
import platform
import time

from fastw2v.corpus import LineSentence
from fastw2v.corpus import _filescan as fs


def best_time(fn, repeat):
    best, best_cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        result = fn()
        best = min(best, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.process_time() - c)
    return (best, best_cpu), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--gensim", action="store_true", help="also time gensim's scan_vocab")
    args = parser.parse_args()
    print("machine: %s, %d cores, Python %s; load average %.2f"
          % (platform.processor() or platform.machine(), os.cpu_count(),
             platform.python_version(), os.getloadavg()[0]))
    rows = []
    for n in range(1, (os.cpu_count() or 1) + 1):
        dt, (keys, counts, total, _, _) = best_time(lambda: fs.scan_vocab(args.corpus, n), args.repeat)
        rows.append(("scan_vocab", n, dt, total))
    key_to_index = {k: i for i, k in enumerate(keys)}
    for n in range(1, (os.cpu_count() or 1) + 1):
        dt, (_, _, raw) = best_time(lambda: fs.encode_file(args.corpus, key_to_index, n), args.repeat)
        rows.append(("encode_file", n, dt, raw))
    dt, n_tokens = best_time(lambda: sum(len(s) for s in LineSentence(args.corpus)), 1)
    rows.append(("LineSentence", 1, dt, n_tokens))
    if args.gensim:
        from gensim.models import Word2Vec
        dt, (n_tokens, _) = best_time(lambda: Word2Vec().scan_vocab(corpus_file=args.corpus), 1)
        rows.append(("gensim scan_vocab", 1, dt, n_tokens))
    print("%-18s %7s %9s %12s %16s" % ("step", "threads", "seconds", "Mtokens/s", "Mtokens/cpu-s"))
    for name, n, (dt, cpu), tokens in rows:
        print("%-18s %7d %9.3f %12.1f %16.1f" % (name, n, dt, tokens / dt / 1e6, tokens / cpu / 1e6))


if __name__ == "__main__":
    main()
