"""Kernel CPU time on the first 12 MB of IMDB, 1 thread, pre-encoded (medians of 3).

    head -c 12000000 imdb.txt > /tmp/fw-main/imdb_small.txt
    python benchmarks/kernel_cpu.py REPO_ROOT SG HS [CORPUS]

Process CPU seconds are less disturbed by other load than wall time; used to compare builds.
"""
import sys
import time
sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else '/work/main')
from fastw2v import Word2Vec
from fastw2v.trainer import run_training
from fastw2v.encode import encode_file
sg = int(sys.argv[2]) if len(sys.argv) > 2 else 1
hs = int(sys.argv[3]) if len(sys.argv) > 3 else 0
CORPUS = sys.argv[4] if len(sys.argv) > 4 else '/tmp/fw-main/imdb_small.txt'
m = Word2Vec(vector_size=100, window=5, negative=0 if hs else 5, hs=hs, sample=1e-4, min_count=5, workers=1, sg=sg)
m.build_vocab(corpus_file=CORPUS)
s = encode_file(CORPUS, m.wv.key_to_index, 1)
res = []
for rep in range(3):
    m.prepare_weights()
    t0 = time.process_time()
    r = run_training(m, s, epochs=1, start_alpha=0.025, end_alpha=0.0001, compute_loss=False)
    res.append(time.process_time() - t0)
res.sort()
print(f"sg={sg} hs={hs} cpu_s median {res[1]:.3f} min {res[0]:.3f}  words {s.n_words}  Mwords/cpu-s {s.n_words/res[1]/1e6:.2f}")
