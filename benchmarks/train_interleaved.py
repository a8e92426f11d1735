"""Training wall time under several settings, interleaved in one process (noisy machines).

    python benchmarks/train_interleaved.py SG HS CORPUS "NAME=VALUE,...;NAME=VALUE" [ROUNDS] [WORKERS]

Each ``;``-separated config sets attributes of fastw2v.trainer (e.g. ``HOT_NODES=0;
HOT_NODES=2048``) before a one-epoch ``run_training`` on the pre-encoded corpus; configs
alternate for ROUNDS rounds (default 3) and each prints its wall times, median and the
median process CPU seconds.
"""
import statistics
import sys
import time

import fastw2v.trainer as trainer
from fastw2v import Word2Vec
from fastw2v.encode import encode_file

sg, hs, corpus = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
configs = sys.argv[4].split(";")
rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 3
workers = int(sys.argv[6]) if len(sys.argv) > 6 else 2
model = Word2Vec(vector_size=100, window=5, negative=0 if hs else 5, hs=hs, sample=1e-4,
                 min_count=5, workers=workers, sg=sg)
model.build_vocab(corpus_file=corpus)
stream = encode_file(corpus, model.wv.key_to_index, 1)
results = {c: ([], []) for c in configs}
for _ in range(rounds):
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
    print(f"sg={sg} hs={hs} {config:24s} wall " + " ".join(f"{x:.2f}" for x in wall)
          + f" | median {statistics.median(wall):.2f}  cpu median {statistics.median(cpu):.2f}")
