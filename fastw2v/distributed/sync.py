"""The sync schedule: which rows the ranks merge, when, and how.

Every rank trains its part of the corpus on its own copy of the model, starting
from the same vectors. An epoch runs in *rounds* of about ``round_words``
in-vocabulary words per rank; after round ``k`` the ranks merge the
``hot_rows * 2**j`` most frequent rows, where ``2**j`` is the largest power of two
dividing ``k``: the top rows after every round, twice as many every second round,
four times as many every fourth..., and **all** rows at the end of every epoch, so
each epoch ends with one model on every rank. Frequent rows take most updates, so
their copies drift apart fastest; rare rows are merged seldom. This is pWord2Vec's
scheme (Ji et al. 2016; its MPI version's doubling tiers). The vocabulary is sorted
by frequency, so a tier is a leading block of rows: the allreduce runs in place on
a slice of the matrix, no packing. For hierarchical softmax the inner nodes near
the root (updated by every word) are the *last* rows of ``syn1``: tiers count from
there.

How copies merge (``merge``). Each rank keeps the rows as last merged (``base``,
the sync buffer); a merge adds every rank's update since then to it:
``row = base + sum over ranks of (copy - base)``, which is ``base`` plus N times
the ranks' *mean* update. The starting weights count once, each word occurrence
moves the model once, as in one process; summing the *models* (Spark's bug, which
multiplies the weights by N) never happens. On more than ``max_gain`` (2) ranks each
input row's summed update is divided by its *overlap* ``|sum d_r|^2 / sum |d_r|^2``
(clipped to [1, N]): about 1 where the ranks' updates are independent, N where they
are the same move made N times. Input rows that saturate within a round on every rank
overshoot N-fold when plainly summed (4 ranks diverged on IMDB); divided by their
overlap they take about the mean. The output layers (``syn1neg``, ``syn1``) are summed:
their rows take many small pushes from every rank's windows, in directions that agree
without being one repeated move, and dividing them lost quality (4 ranks on IMDB,
3 epochs: analogy -0.023, WS353 -0.059 against one process with the overlap rule on
every matrix, -0.010 / +0.003 with it on the input rows only; ``benchmarks/README.md``,
"Distributed training"). pWord2Vec's plain mean
of the copies (``merge="average"``) counts every update 1/N: it trains as if the
learning rate were divided by the number of ranks, and measured on IMDB it loses
quality that a one-process run keeps (``benchmarks/README.md``, "Distributed training").

The learning rate follows global progress: after each round the ranks add up the
words trained so far and each moves its kernel schedule to the same fraction.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger("fastw2v")


@dataclass(frozen=True)
class SyncSchedule:
    """When ranks merge which rows, and how (see the module docstring; defaults measured in
    ``benchmarks/README.md``, "Distributed training").

    Attributes
    ----------
    round_words : int
        In-vocabulary words each rank trains between two syncs.
    hot_rows : int
        Most frequent rows merged after every round (``2**j`` times as many after
        rounds divisible by ``2**j``).
    merge : {"updates", "average"}
        How copies of a row become one. "updates": the row as last synced plus every
        rank's update since then, so each word occurrence moves the model once, as in
        one process. "average": the mean of the copies (pWord2Vec's; every update then
        counts 1/N, as if the learning rate were divided by the number of ranks).
    max_gain : float
        "updates" on more than ``max_gain`` ranks divides each input row's summed update by
        the overlap of the ranks' updates (see the module docstring). Rows updated many times
        per round (the most frequent words, and every row as a negative) saturate on each
        rank; the sum of N saturated updates overshoots N-fold, and on IMDB 4 ranks
        diverged in epoch 3 (2 seeds) with the plain sum, while 2 ranks match one process.
    """

    round_words: int = 50_000
    hot_rows: int = 1024
    merge: str = "updates"
    max_gain: float = 2.0

    def __post_init__(self):
        if self.round_words < 1000 or self.hot_rows < 0 or self.max_gain < 1 \
                or self.merge not in ("updates", "average"):
            raise ValueError(f"invalid sync schedule {self}: need round_words >= 1000, "
                             "hot_rows >= 0, max_gain >= 1 and merge 'updates' or 'average'")

    @classmethod
    def for_ranks(cls, ranks: int) -> "SyncSchedule":
        """The default schedule of a job of ``ranks`` ranks.

        Up to 2 ranks, ``SyncSchedule()``. On more, each copy misses the other ranks'
        updates between merges, N - 1 times a round's worth, so the ranks merge twice as
        often (rounds of 25,000 words) and four times as many rows each round (4,096):
        on IMDB, 3 epochs, 4 ranks against one process with 4 threads, means of 4 seeds,
        the 2-rank defaults lost 0.022 analogy (tolerance 0.01) and these lose 0.004
        (``benchmarks/README.md``, "Distributed training"). On a cluster the scaling
        model's larger rounds are what pays (the same section).
        """
        if ranks <= 2:
            return cls()
        return cls(round_words=25_000, hot_rows=4096)

    def rows_after(self, round_no: int, last: bool, n_rows: int) -> int:
        """How many leading rows to merge after round ``round_no`` (1-based) of an epoch."""
        if last:
            return n_rows
        doublings = (round_no & -round_no).bit_length() - 1  # trailing zero bits
        return min(self.hot_rows << doublings, n_rows)

    def scales_by_overlap(self, matrix: str, ranks: int) -> bool:
        """Whether ``matrix``'s merge divides each row's summed update by its overlap: the
        input rows (``"vectors"``) on more than ``max_gain`` ranks; the output layers are
        summed (see the module docstring)."""
        return self.merge == "updates" and matrix == "vectors" and ranks > self.max_gain


def sum_scaled_by_overlap(comm, updates: np.ndarray) -> None:
    """Sum the ranks' row ``updates`` in place, each row divided by how much they repeat each other.

    ``|sum d_r|^2 / sum |d_r|^2`` is about 1 for updates that are independent (rows a
    few occurrences moved: their sum is what one process would do) and N for N equal
    updates (rows that saturated on every rank within the round: their sum would
    overshoot N-fold, their mean is the move). Clipped to [1, N], so a row's merge
    lies between the mean and the sum of the ranks' updates. Two allreduces: one
    float per row, then the rows.
    """
    own = np.einsum("ij,ij->i", updates, updates)
    comm.allreduce(own)
    comm.allreduce(updates)
    overlap = np.einsum("ij,ij->i", updates, updates) / np.maximum(own, np.float32(1e-30))
    updates /= np.clip(overlap, 1.0, comm.size)[:, None].astype(np.float32)


@dataclass
class SyncStats:
    """What the syncs of one ``train()`` call cost on this rank."""

    syncs: int = 0
    bytes_merged: int = 0      # bytes of matrix rows each rank contributed to allreduces
    seconds: float = 0.0         # spent in sync steps, waiting for slower ranks included


class RankSync:
    """Distributed training's :class:`~fastw2v.trainer.RoundSync` for one ``train()`` call.

    Parameters
    ----------
    comm : Communicator
    model : fastw2v.Word2Vec
        Its ``wv.vectors``, ``syn1neg`` and ``syn1`` are merged in place.
    schedule : SyncSchedule
    local_words : int
        In-vocabulary words of this rank's part, per epoch.
    epochs : int
    on_epoch_end : callable, optional
        Called as ``on_epoch_end(epoch)`` after the epoch's full merge (checkpoints).
    """

    def __init__(self, comm, model, schedule: SyncSchedule, stream, epochs: int,
                 on_epoch_end=None):
        self.comm, self.model, self.schedule = comm, model, schedule
        self.on_epoch_end = on_epoch_end
        local_words = stream.n_words
        self.local_total = local_words * epochs
        self.global_total, self.largest = comm.sum_ints(self.local_total)[0], \
            max(comm.allgather_ints(local_words))
        self.trained = 0        # words this rank trained, all rounds so far
        self.schedule_at = 0    # where this rank last put its kernel's schedule
        self.round_no = 0
        self.stats = SyncStats()
        self.base = {}  # "updates": the rows as last synced, where every rank's updates start
        if schedule.merge == "updates" and comm.size > 1:
            self.base = {"vectors": model.wv.vectors.copy()}
            if model.negative:
                self.base["syn1neg"] = model.syn1neg.copy()
            if model.hs:
                self.base["syn1"] = model.syn1.copy()

    def plan_rounds(self, n_chunks: int) -> list:
        """The same number of rounds on every rank (from the largest part), each a range of chunks."""
        if self.comm.size == 1:  # nothing to merge: one round, as without a driver
            return [(0, n_chunks)]
        n_rounds = max(1, -(-self.largest // self.schedule.round_words))
        cuts = np.linspace(0, n_chunks, n_rounds + 1).round().astype(np.int64).tolist()
        return list(zip(cuts[:-1], cuts[1:]))

    def after_round(self, job, epoch: int, last: bool) -> None:
        """Merge the tier due now; move the learning rate to global progress."""
        start = time.perf_counter()
        self.round_no = 0 if last else self.round_no + 1
        self.trained += job.words_done - self.schedule_at
        done = self.comm.sum_ints(self.trained)[0]
        self.schedule_at = int(done * self.local_total // max(self.global_total, 1))
        job.set_words_done(self.schedule_at)
        n_rows = len(self.model.wv.vectors)
        self.merge_rows(self.schedule.rows_after(self.round_no, last, n_rows))
        self.stats.syncs += 1
        self.stats.seconds += time.perf_counter() - start
        if last and self.on_epoch_end is not None:
            self.on_epoch_end(epoch)

    def merge_rows(self, rows: int) -> None:
        """Merge the ``rows`` most frequent rows of every trained matrix over the ranks."""
        model = self.model
        blocks = [("vectors", slice(0, rows))]
        if model.negative:
            blocks.append(("syn1neg", slice(0, rows)))
        if model.hs:  # inner nodes near the root are the last rows
            n_nodes = len(model.syn1)
            blocks.append(("syn1", slice(n_nodes - min(rows, n_nodes), n_nodes)))
        for name, rows_ in blocks:
            block = (model.wv.vectors if name == "vectors" else getattr(model, name))[rows_]
            if self.base:  # synced = base + every rank's update since base
                base = self.base[name][rows_]
                block -= base
                if self.schedule.scales_by_overlap(name, self.comm.size):
                    sum_scaled_by_overlap(self.comm, block)
                else:
                    self.comm.allreduce(block)
                block += base
                base[...] = block
            else:
                self.comm.mean(block)
            self.stats.bytes_merged += block.nbytes
