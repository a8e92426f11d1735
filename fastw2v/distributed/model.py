"""``fastw2v.distributed.Word2Vec``: the ordinary model, trained across the ranks of an MPI job.

A script that builds a model as usual trains across ranks when run under a
launcher (``mpiexec -n 4 python train.py``, ``srun python train.py``)::

    from fastw2v.distributed import Word2Vec          # was: from fastw2v import Word2Vec

    model = Word2Vec(corpus_file="corpus.txt", vector_size=300, workers=8, epochs=5)
    model.save("model.w2v")                           # rank 0 writes; every rank has the model

What changes under the hood, rank by rank:

* ``build_vocab`` counts this rank's part of the corpus (:mod:`.partition`) and
  merges the counts (:mod:`.vocab`): every rank gets the one-process vocabulary,
  then the same seeded initial vectors.
* ``train`` encodes this rank's part only and trains it with ``workers`` threads on
  the usual kernels, in rounds; between rounds the ranks merge rows
  (:mod:`.sync`), and the learning rate follows the words trained by all ranks.
* ``save`` and the ``wv.save*`` methods write on rank 0 only, atomically (the other
  ranks return at once); ``checkpoint=DIR`` saves after every epoch and a rerun
  resumes (:mod:`.checkpoint`).
* Parameters and corpus are compared across ranks before any work: a mismatch is
  refused on every rank with a ValueError. An exception on one rank once the ranks
  work together ends every rank (MPI abort) with a message naming the rank and the
  cause, so no rank waits forever and no complete-looking output is written.

On one rank (no launcher, or no mpi4py) it is the ordinary model.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import traceback
from contextlib import contextmanager

import numpy as np

from .. import params as _params
from ..encode import IdStream, ScannedCorpus, remap
from ..keyedvectors import KeyedVectors
from ..word2vec import Word2Vec as _Word2Vec
from .checkpoint import Checkpoints, corpus_stamp, vocab_digest
from .comm import world
from .partition import corpus_paths, rank_pieces
from .sync import RankSync, SyncSchedule
from .vocab import merge_counts, merge_in_order

logger = logging.getLogger("fastw2v")

# Parameters that describe a node, not the model: they may differ between ranks and runs.
_PER_NODE = ("workers", "memory_budget")


@contextmanager
def abort_on_error(comm, what: str):
    """Run a block that other ranks wait on: an exception here ends every rank of the job.

    Prints the traceback and one line naming the rank, then aborts (MPI_Abort) with
    status 1 (130 for Ctrl-C). On one rank the exception propagates as usual.
    """
    try:
        yield
    except BaseException as exc:
        if comm.size == 1:
            raise
        detail = "".join(traceback.format_exception(exc)).rstrip()
        code = 130 if isinstance(exc, KeyboardInterrupt) else 1
        comm.abort(f"{detail}\nfastw2v: rank {comm.rank} of {comm.size} failed during {what}: "
                   f"{type(exc).__name__}: {exc}; aborting all ranks", code)


def same_on_all_ranks(comm, what: str, values: dict) -> None:
    """Raise ValueError on every rank unless each of ``values`` (JSON-able) is equal on all ranks.

    The message names the differing entries, this rank's value and the ranks that differ
    from rank 0.
    """
    if comm.size == 1:
        return
    names = sorted(values)
    table = np.zeros((comm.size, len(names)), np.int64)
    for k, name in enumerate(names):
        text = json.dumps(values[name], sort_keys=True, default=repr)
        table[comm.rank, k] = int.from_bytes(hashlib.sha256(text.encode()).digest()[:7], "little")
    comm.allreduce(table)
    odd = np.flatnonzero((table != table[0]).any(axis=0))
    if len(odd):
        ranks = np.flatnonzero((table != table[0]).any(axis=1)).tolist()
        mine = ", ".join(f"{names[k]}={values[names[k]]!r}" for k in odd)
        raise ValueError(f"ranks disagree on {what}: ranks {ranks} differ from rank 0 in "
                         f"{', '.join(names[k] for k in odd)} (rank {comm.rank} has {mine}); "
                         "every rank must run the same command on the same corpus")


class DistributedKeyedVectors(KeyedVectors):
    """A model's ``wv`` under distributed training: writes happen on rank 0 only.

    Reading and querying are unchanged (every rank holds the whole model). ``save``
    (atomic already) and ``save_word2vec_format`` (written to a temporary file, then
    renamed) write on rank 0 and return at once on the others, so a script may call
    them on every rank or only on rank 0.
    """

    _comm = None

    def save(self, fname, *args, **kwargs):
        _on_rank_zero(self._comm, "saving vectors", lambda: super(DistributedKeyedVectors, self)
                      .save(fname, *args, **kwargs))

    def save_word2vec_format(self, fname, fvocab=None, *args, **kwargs):
        def write():
            final = [os.fspath(fname)] + ([os.fspath(fvocab)] if fvocab is not None else [])
            temps = [_temp_beside(p) for p in final]
            try:
                super(DistributedKeyedVectors, self).save_word2vec_format(
                    temps[0], temps[1] if fvocab is not None else None, *args, **kwargs)
                for tmp, path in zip(temps, final):
                    os.replace(tmp, path)
            finally:
                for tmp in temps:
                    if os.path.exists(tmp):
                        os.remove(tmp)
        _on_rank_zero(self._comm, "writing vectors", write)


def _temp_beside(path):
    # Same directory (so os.replace is a rename) and same suffix (.gz/.bz2 pick compression).
    directory, base = os.path.split(path)
    return os.path.join(directory, f".tmp-{secrets.token_hex(4)}-{base}")


def _on_rank_zero(comm, what, write):
    # No collective here: a script may save on every rank or, the MPI way, only on rank 0.
    if comm is None or comm.size == 1:
        write()
    elif comm.rank == 0:
        with abort_on_error(comm, what):
            write()


class Word2Vec(_Word2Vec):
    """:class:`fastw2v.Word2Vec` trained across the ranks of an MPI job (see the module docstring).

    Takes every parameter of :class:`fastw2v.Word2Vec` (``workers`` is threads per
    rank), and these keyword-only ones:

    Parameters
    ----------
    comm : fastw2v.distributed.Communicator, optional
        Default :func:`~fastw2v.distributed.world` (all ranks of the MPI job).
    sync : SyncSchedule, optional
        When and how ranks merge which rows; default
        :meth:`SyncSchedule.for_ranks` of the job's size.
    checkpoint : str or os.PathLike, optional
        Directory for epoch-end checkpoints; a rerun with the same parameters and
        corpus resumes after the last complete one.

    Notes
    -----
    The corpus must be splittable by bytes: ``corpus_file``, or a
    :class:`~fastw2v.LineSentence` / :class:`~fastw2v.PathLineSentences` over
    uncompressed files, on a filesystem every rank sees.
    """

    def __init__(self, sentences=None, corpus_file=None, *args, comm=None, sync=None,
                 checkpoint=None, **kwargs):
        self.comm = comm if comm is not None else world()
        self.sync = sync if sync is not None else SyncSchedule.for_ranks(self.comm.size)
        self.checkpoint = os.fspath(checkpoint) if checkpoint is not None else None
        self.sync_stats = None     # SyncStats of the latest train()
        self._local = None         # (paths, this rank's pieces, ScannedCorpus or None)
        self._resume = None        # checkpoint bookkeeping of the running train()
        super().__init__(sentences, corpus_file, *args, **kwargs)

    # wv is a DistributedKeyedVectors whatever assigns it (the base class, load).
    @property
    def wv(self):
        return self._wv

    @wv.setter
    def wv(self, kv):
        if not isinstance(kv, DistributedKeyedVectors):
            upgraded = DistributedKeyedVectors.__new__(DistributedKeyedVectors)
            upgraded.__dict__.update(kv.__dict__)
            kv = upgraded
        kv._comm = self.comm
        self._wv = kv

    # ------------------------------------------------------------ vocabulary

    def build_vocab(self, corpus_iterable=None, corpus_file=None, update=False, **kwargs):
        """As :meth:`fastw2v.Word2Vec.build_vocab`, from counts merged over the ranks."""
        self._check_corpus_sanity(corpus_iterable, corpus_file, passes=1)
        paths = corpus_paths(corpus_iterable, corpus_file)
        self._check_same_run("build_vocab", paths, update=update)
        with abort_on_error(self.comm, "build_vocab"):
            return super().build_vocab(corpus_iterable, corpus_file, update=update, **kwargs)

    def scan_vocab(self, corpus_iterable=None, corpus_file=None, progress_per=10000, workers=None,
                   trim_rule=None):
        """Count this rank's part, merge the counts over the ranks; ``(total_words, corpus_count)``."""
        paths = corpus_paths(corpus_iterable, corpus_file)
        pieces = rank_pieces(paths, self.comm.rank, self.comm.size)
        threads = int(workers or self.workers)
        scanned = None
        if len(pieces) == 1 and self.max_vocab_size is None:
            scanned = self._scan_encode(pieces[0], threads)
            words, counts = scanned.words, scanned.counts
            total_words, corpus_count = scanned.raw_words, scanned.corpus_count
        else:
            words, counts, total_words, corpus_count = self._scan_pieces(pieces, threads)
        self._local = (paths, pieces, scanned)
        words, counts = merge_counts(self.comm, words, counts)
        total_words, corpus_count = self.comm.sum_ints(total_words, corpus_count)
        self._raw_vocab, self._raw_arrays = None, (words, counts)
        self._read_once.clear()  # this rank keeps its own scan (self._local)
        if self.comm.rank == 0:
            logger.info("collected %i word types from a corpus of %i raw words and %i sentences "
                        "on %i ranks", len(words), total_words, corpus_count, self.comm.size)
        return int(total_words), int(corpus_count)

    def _scan_encode(self, piece, threads) -> ScannedCorpus:
        """One read of a single piece: counts plus provisional ids that train() remaps
        (no ids, lengths None, past memory_budget: train() then reads the piece again)."""
        from ..corpus._filescan import scan_encode

        words, counts, total_words, corpus_count, ids, lengths = scan_encode(
            piece.path, n_threads=threads, max_id_bytes=self._memory_budget(),
            byte_range=(piece.first, piece.end))
        if ids is None:  # past memory_budget: train() reads the piece again
            ids, lengths = np.zeros(0, np.int32), None
        return ScannedCorpus(words, counts, ids, lengths, total_words, corpus_count)

    def _scan_pieces(self, pieces, threads):
        from ..corpus._filescan import scan_vocab

        parts, total_words, corpus_count = [], 0, 0
        for piece in pieces:
            words, counts, raw, sentences, _ = scan_vocab(
                piece.path, n_threads=threads, max_vocab_size=self.max_vocab_size,
                byte_range=(piece.first, piece.end))
            parts.append((words, counts))
            total_words += raw
            corpus_count += sentences
        words, counts = merge_in_order(parts)
        return words, counts, total_words, corpus_count

    # ------------------------------------------------------------ training

    def train(self, corpus_iterable=None, corpus_file=None, total_examples=None, total_words=None,
              epochs=None, start_alpha=None, end_alpha=None, *args, **kwargs):
        """As :meth:`fastw2v.Word2Vec.train`, across the ranks; resumes from ``checkpoint``.

        Returns ``(effective words, raw words)`` of all ranks together, as one process
        would report them (``(0, 0)`` when a checkpoint already holds every epoch).
        """
        paths = corpus_paths(corpus_iterable, corpus_file)
        self._check_same_run("train", paths, epochs=epochs, start_alpha=start_alpha,
                             end_alpha=end_alpha)
        alpha = start_alpha or self.alpha
        min_alpha = end_alpha or self.min_alpha
        done = 0
        if self.checkpoint is not None and isinstance(epochs, int) and epochs > 0:
            done = self._resume_from_checkpoint(paths, epochs, alpha, min_alpha)
            if done >= epochs:
                logger.info("checkpoint %s holds all %i epochs: nothing to train",
                            self.checkpoint, epochs)
                self.epochs, self.alpha, self.min_alpha = epochs, alpha, min_alpha
                self._local = None
                return 0, 0
        # A resumed run trains the remaining epochs from where the linear schedule was.
        resumed_alpha = alpha + (min_alpha - alpha) * done / epochs if done else start_alpha
        try:
            with abort_on_error(self.comm, "train"):
                result = super().train(corpus_iterable, corpus_file, total_examples, total_words,
                                       epochs - done if done else epochs, resumed_alpha, end_alpha,
                                       *args, **kwargs)
        finally:
            self._resume = None
        if done:  # the model's parameters are those of the whole run
            self.epochs, self.alpha = epochs, alpha
        if self.compute_loss:  # get_latest_training_loss(): the loss of all ranks' examples
            loss = self.comm.allreduce(np.array([self.running_training_loss], np.float64))
            self.running_training_loss = float(loss[0])
        stats = self.sync_stats
        if self.comm.rank == 0 and stats is not None and self.comm.size > 1:
            logger.info("%i ranks: %i syncs merged %.1f MB per rank in %.2f s (waits included)",
                        self.comm.size, stats.syncs, stats.bytes_merged / 1e6, stats.seconds)
        return tuple(self.comm.sum_ints(*result))

    def _resume_from_checkpoint(self, paths, epochs, alpha, min_alpha) -> int:
        fingerprint = {
            "params": _params.persisted(self), "epochs": epochs, "alpha": alpha,
            "min_alpha": min_alpha, "corpus": corpus_stamp(paths),
            "vocabulary": vocab_digest(self.wv.index_to_key, self.wv.expandos["count"]),
            "train_count": self.train_count,
        }
        fingerprint["params"].pop("epochs", None)
        fingerprint["params"].pop("alpha", None)
        fingerprint["params"].pop("min_alpha", None)
        for per_node in _PER_NODE:  # may change on a rerun
            fingerprint["params"].pop(per_node, None)
        checkpoints = Checkpoints(self.checkpoint, self.comm, fingerprint)
        done, path = checkpoints.find()
        if done:
            with abort_on_error(self.comm, "loading a checkpoint"):
                checkpoints.restore(self, path)
            if self.comm.rank == 0:
                logger.info("resuming from %s: %i of %i epochs done", path, done, epochs)
        self._resume = (checkpoints, done)
        return done

    def _encode(self, corpus_iterable, corpus_file) -> IdStream:
        """This rank's part of the corpus as an id stream (all ranks check none is empty)."""
        paths, pieces, scanned = self._local or (None, None, None)
        self._local = None
        current = corpus_paths(corpus_iterable, corpus_file)
        if paths != current or pieces != rank_pieces(current, self.comm.rank, self.comm.size):
            pieces, scanned = rank_pieces(current, self.comm.rank, self.comm.size), None
        if scanned is not None and scanned.lengths is not None:
            stream = remap(scanned, self.wv.key_to_index)
        else:
            stream = self._encode_pieces(pieces)
        counts = self.comm.allgather_ints(stream.n_words)
        if 0 in counts and max(counts) > 0:
            raise ValueError(f"ranks {[r for r, n in enumerate(counts) if n == 0]} have no "
                             f"in-vocabulary word in their part of the corpus: use fewer ranks "
                             "for a corpus this small")
        return stream

    def _encode_pieces(self, pieces) -> IdStream:
        streams = [_encode_piece(p, self.wv.key_to_index, self.workers, self._memory_budget())
                   for p in pieces]
        if len(streams) == 1:
            return streams[0]
        if not streams:
            return IdStream(np.zeros(0, np.int32), np.zeros(1, np.int64), 0, 0)
        ids = np.concatenate([s.ids for s in streams])
        lengths = np.concatenate([np.diff(s.offsets) for s in streams])
        for s in streams:
            s.close()
        offsets = np.zeros(len(lengths) + 1, np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return IdStream(ids, offsets, sum(s.raw_words for s in streams),
                        sum(s.corpus_count for s in streams))

    def _job_seed(self):
        # Each rank its own random streams (the kernels draw from (seed, epoch, chunk), and
        # chunk c of every rank would otherwise draw the same windows and negatives).
        return (super()._job_seed() + self.comm.rank * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF

    def _round_sync(self, stream):
        """The trainer's RoundSync for this train() call: merges, global progress, checkpoints."""
        if not self.sorted_vocab and self.comm.size > 1 and self.comm.rank == 0:
            logger.warning("sorted_vocab=0: the rows merged most often are the first words of the "
                           "vocabulary, not the most frequent ones")
        checkpoints, done = self._resume or (None, 0)
        on_epoch_end = None
        if checkpoints is not None:
            def on_epoch_end(epoch):
                checkpoints.save(self, done + epoch + 1)
        sync = RankSync(self.comm, self, self.sync, stream, self.epochs, on_epoch_end)
        self.sync_stats = sync.stats
        return sync

    # ------------------------------------------------------------ checks and output

    def _check_same_run(self, what, paths, **extra) -> None:
        """ValueError on every rank unless all ranks run with the same parameters and corpus."""
        params = _params.persisted(self)
        for per_node in _PER_NODE:
            params.pop(per_node, None)
        corpus = [[os.path.abspath(p), os.path.getsize(p)] for p in paths]
        same_on_all_ranks(self.comm, f"the parameters of {what}",
                          {**params, **extra, "corpus (path, bytes)": corpus})

    def save(self, fname, *args, **kwargs):
        """As :meth:`fastw2v.Word2Vec.save`, on rank 0 only (the other ranks return at once)."""
        _on_rank_zero(self.comm, "saving the model", lambda: super(Word2Vec, self).save(fname))


def _encode_piece(piece, key_to_index, threads, memory_budget) -> IdStream:
    from ..corpus._filescan import encode_file as _encode_file

    ids, offsets, raw_words = _encode_file(
        piece.path, key_to_index, n_threads=threads, max_id_bytes=memory_budget,
        byte_range=(piece.first, piece.end))
    spill_path = ids.filename if isinstance(ids, np.memmap) else None
    return IdStream(ids, offsets, int(raw_words), len(offsets) - 1, spill_path)
