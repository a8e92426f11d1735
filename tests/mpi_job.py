"""Jobs that tests/test_distributed.py runs under ``mpiexec -n N python tests/mpi_job.py JOB ...``.

Each job is ordinary fastw2v code run on every rank; rank 0 writes what the test
checks (JSON or model files) into the output directory.

    vocab CORPUS OUT [MIN]      distributed build_vocab (CORPUS a file, or a directory read
                                as PathLineSentences): words and counts to OUT/vocab.json
    train CORPUS OUT [KEY=VAL]  2 epochs, vectors to OUT/vectors.bin, each rank's checksum
    fail CORPUS OUT RANK HOW    RANK raises (HOW=raise), dies (HOW=exit) or hangs (HOW=hang)
                                after epoch 1
    mismatch CORPUS OUT         vector_size differs on the last rank
    resume CORPUS OUT CKPT [DIE_AFTER]  4 epochs with checkpoints; rank 1 dies after epoch DIE_AFTER
    overlap - OUT               sum_scaled_by_overlap on known updates: OUT/overlap.json
"""
import json
import os
import sys
import time
import zlib

from fastw2v import PathLineSentences
from fastw2v.callbacks import CallbackAny2Vec
from fastw2v.distributed import SyncSchedule, Word2Vec, world

SMALL = dict(vector_size=24, window=3, min_count=2, sg=1, negative=3, seed=7, workers=1,
             sync=SyncSchedule(round_words=5000, hot_rows=64))


class Trip(CallbackAny2Vec):
    """Fails on one rank after a given epoch."""

    def __init__(self, rank, after, how):
        self.rank, self.after, self.how, self.epoch = rank, after, how, 0

    def on_epoch_end(self, model):
        self.epoch += 1
        if model.comm.rank == self.rank and self.epoch == self.after:
            if self.how == "exit":
                os._exit(3)
            if self.how == "hang":
                time.sleep(120)
            raise RuntimeError(f"injected failure after epoch {self.epoch}")


def checksums(model):
    rows = [model.wv.vectors] + ([model.syn1neg] if model.negative else []) + \
        ([model.syn1] if model.hs else [])
    return [zlib.crc32(m.tobytes()) for m in rows]


def overlap_job(comm, out):
    """Rows: the same update on every rank; a different axis per rank; rank 0 alone; none."""
    import numpy as np
    from fastw2v.distributed.sync import sum_scaled_by_overlap
    updates = np.zeros((4, 8), np.float32)
    updates[0] = np.arange(8) / 8
    updates[1, comm.rank] = 1.0
    if comm.rank == 0:
        updates[2] = 0.5
    sum_scaled_by_overlap(comm, updates)
    if comm.rank == 0:
        with open(os.path.join(out, "overlap.json"), "w") as fout:
            json.dump({"ranks": comm.size, "rows": updates.tolist()}, fout)


def main(job, corpus, out, *rest):
    comm = world()
    if job == "overlap":
        return overlap_job(comm, out)
    if job == "vocab":
        model = Word2Vec(vector_size=8, min_count=int(rest[0]) if rest else 1, workers=2)
        if os.path.isdir(corpus):  # a directory: its files, as one process reads them
            model.build_vocab(PathLineSentences(corpus))
        else:
            model.build_vocab(corpus_file=corpus)
        if comm.rank == 0:
            with open(os.path.join(out, "vocab.json"), "w") as fout:
                json.dump({"words": model.wv.index_to_key,
                           "counts": model.wv.expandos["count"].tolist(),
                           "corpus_count": model.corpus_count,
                           "total_words": model.corpus_total_words}, fout)
        return
    if job == "train":
        extra = {k: int(v) for k, v in (kv.split("=") for kv in rest)}
        merge = "average" if extra.pop("average", 0) else "updates"
        sync = SyncSchedule(**{**SMALL["sync"].__dict__, "merge": merge})
        model = Word2Vec(corpus_file=corpus, **{**SMALL, "epochs": 2, "sync": sync, **extra})
        mine = checksums(model)
        with open(os.path.join(out, f"rank{comm.rank}.json"), "w") as fout:
            json.dump({"checksums": mine, "syncs": model.sync_stats.syncs,
                       "loss": model.get_latest_training_loss(),
                       "similar": model.wv.most_similar("lord", topn=3)}, fout)
        model.wv.save_word2vec_format(os.path.join(out, "vectors.bin"), binary=True)
        model.save(os.path.join(out, "model.w2v"))
        return
    if job == "fail":
        model = Word2Vec(corpus_file=corpus, epochs=3, callbacks=[Trip(int(rest[0]), 1, rest[1])],
                         **SMALL)
        model.wv.save_word2vec_format(os.path.join(out, "vectors.bin"), binary=True)
        return
    if job == "mismatch":
        size = 16 if comm.rank == comm.size - 1 else 24
        model = Word2Vec(corpus_file=corpus, epochs=1, **{**SMALL, "vector_size": size})
        return
    if job == "resume":
        die_after = int(rest[1]) if len(rest) > 1 else 0
        model = Word2Vec(corpus_file=corpus, epochs=4, checkpoint=rest[0],
                         callbacks=[Trip(1, die_after, "exit")], **SMALL)
        model.wv.save_word2vec_format(os.path.join(out, "vectors.bin"), binary=True)
        if comm.rank == 0:
            with open(os.path.join(out, "resume.json"), "w") as fout:
                json.dump({"epochs": model.epochs, "alpha": model.alpha,
                           "checksums": checksums(model)}, fout)
        return
    raise SystemExit(f"unknown job {job!r}")


if __name__ == "__main__":
    main(*sys.argv[1:])
