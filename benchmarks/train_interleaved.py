"""Training wall time under several trainer settings, interleaved in one process (noisy machines).

    python benchmarks/train_interleaved.py --corpus imdb.txt --sg 1 --hs 1 \\
        --configs "HOT_NODES=0;HOT_NODES=2048" [--rounds 3] [--workers 2]

Each ``;``-separated config sets integer attributes of fastw2v.trainer (``NAME=VALUE,...``)
before a one-epoch ``run_training`` on the pre-encoded corpus; configs alternate for ROUNDS
rounds and each prints its wall times, median and the median process CPU seconds.
"""
import argparse
import statistics
import time


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", required=True, help="plain-text corpus, one sentence per line")
    p.add_argument("--sg", type=int, choices=(0, 1), default=1)
    p.add_argument("--hs", type=int, choices=(0, 1), default=0)
    p.add_argument("--configs", required=True, help='e.g. "HOT_NODES=0;HOT_NODES=2048"')
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    import fastw2v.trainer as trainer
    from fastw2v import Word2Vec
    from fastw2v.encode import encode_file

    configs = args.configs.split(";")
    model = Word2Vec(vector_size=100, window=5, negative=0 if args.hs else 5, hs=args.hs, sample=1e-4,
                     min_count=5, workers=args.workers, sg=args.sg)
    model.build_vocab(corpus_file=args.corpus)
    stream = encode_file(args.corpus, model.wv.key_to_index, 1)
    results = {c: ([], []) for c in configs}
    for _ in range(args.rounds):
        for config in configs:
            for item in filter(None, config.split(",")):
                name, value = item.split("=")
                setattr(trainer, name, int(value))
            model.prepare_weights()
            start, cpu = time.perf_counter(), time.process_time()
            trainer.run_training(model, stream, epochs=1, start_alpha=0.025, end_alpha=0.0001,
                                 compute_loss=False)
            results[config][0].append(time.perf_counter() - start)
            results[config][1].append(time.process_time() - cpu)
    for config, (wall, cpu) in results.items():
        print(f"sg={args.sg} hs={args.hs} {config:24s} wall " + " ".join(f"{x:.2f}" for x in wall)
              + f" | median {statistics.median(wall):.2f}  cpu median {statistics.median(cpu):.2f}")


if __name__ == "__main__":
    main()
