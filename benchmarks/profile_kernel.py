"""A kernel workload to profile: 3 x one epoch, 1 thread, pre-encoded, first 12 MB of IMDB.

    head -c 12000000 imdb.txt > /tmp/fw-main/imdb_small.txt
    perf record -e cpu-clock -F 2000 -g -o perf.data \
        python benchmarks/profile_kernel.py REPO_ROOT SG HS [CORPUS]
    perf report -i perf.data --no-children --sort dso,symbol --stdio -g none

REPO_ROOT is put first on sys.path, so an older checkout built in place can be
profiled the same way (profiles in benchmarks/results/profiles/).
"""
import os
import sys

sys.path.insert(0, os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "."))
os.chdir("/tmp")  # never import a source tree from the working directory by accident

from fastw2v import Word2Vec  # noqa: E402
from fastw2v.encode import encode_file  # noqa: E402
from fastw2v.trainer import run_training  # noqa: E402

sg = int(sys.argv[2]) if len(sys.argv) > 2 else 1
hs = int(sys.argv[3]) if len(sys.argv) > 3 else 0
corpus = sys.argv[4] if len(sys.argv) > 4 else "/tmp/fw-main/imdb_small.txt"
model = Word2Vec(vector_size=100, window=5, negative=0 if hs else 5, hs=hs, sample=1e-4,
                 min_count=5, workers=1, sg=sg)
model.build_vocab(corpus_file=corpus)
stream = encode_file(corpus, model.wv.key_to_index, 1)
for _ in range(3):
    model.prepare_weights()
    run_training(model, stream, epochs=1, start_alpha=0.025, end_alpha=0.0001, compute_loss=False)
