"""Trainer: threads, epochs, progress, callbacks, errors and Ctrl-C.

Layer 5 of the design. :func:`run_training` takes an encoded corpus
(:class:`~fastw2v.encode.IdStream`) and the model's matrices and tables, builds one
:class:`~fastw2v.kernels._train.TrainJob`, and for each epoch starts ``workers``
OS threads that each run the nogil kernel until the epoch's chunks are gone.
The main thread only waits, reports progress (a :mod:`fastw2v.progress` reporter
polled every 50 ms), runs callbacks between epochs, and checks the matrices stay finite.

Errors: an exception in any worker thread stops the others and is re-raised
from here once every thread has been joined. Ctrl-C (KeyboardInterrupt while
waiting) asks the kernels to stop after their current sentence, joins them, and
re-raises; the matrices then hold a partially trained, finite model.

Rounds: a driver may pass ``sync`` (a :class:`RoundSync`, e.g. distributed
training's, :mod:`fastw2v.distributed`) to run each epoch as several rounds of
chunks with a synchronisation step after each; without it an epoch is one round.

FastText's bucket rows train in the order of :class:`~fastw2v._bucket_order.BucketOrder`
(the rows the vocabulary uses, together at the front of the matrix); outside the
kernels' epochs (callbacks, the end of ``train``, an error) they are in their own order.
"""
from __future__ import annotations

import logging
import mmap
import threading
import time
from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np

from . import params as _params
from ._bucket_order import BucketOrder
from .encode import IdStream
from .kernels import TrainJob, TrainParams
from .progress import make_reporter

logger = logging.getLogger("fastw2v")

#: Train FastText's bucket rows in BucketOrder. Off, they train where they are: the same
#: model bit for bit with one worker, more slowly (tests and kernel_ab.py compare both).
REORDER_BUCKET_ROWS = True


class TrainingDivergedError(FloatingPointError):
    """The model's matrices became non-finite (learning rate too high?)."""


@dataclass
class TrainResult:
    """What one ``train()`` call did."""

    effective_words: int   # words trained on, after subsampling, all epochs
    raw_words: int         # tokens read including out-of-vocabulary ones, all epochs
    loss: float            # summed loss when compute_loss, else 0.0
    epochs_done: int
    seconds: float


class RoundSync(Protocol):
    """What a driver that trains an epoch in rounds provides (see :mod:`fastw2v.distributed`)."""

    def plan_rounds(self, n_chunks: int) -> Sequence[tuple[int, int]]:
        """Chunk ranges ``[first, end)`` that tile ``range(n_chunks)``: one epoch's rounds."""

    def after_round(self, job: TrainJob, epoch: int, last: bool) -> None:
        """Runs between rounds, no thread training; may move the schedule (``job.set_words_done``)."""


def _finite(name, matrix, epoch, rows_per_block=1 << 16):
    # In blocks of rows: a whole-matrix check would allocate a boolean copy of it (a large
    # vocabulary's 300-dimension matrix is gigabytes).
    if matrix is None:
        return
    finite = all(np.isfinite(matrix[i:i + rows_per_block]).all()
                 for i in range(0, len(matrix), rows_per_block))
    if not finite:
        raise TrainingDivergedError(
            f"training diverged in epoch {epoch + 1}: {name} has non-finite values "
            f"(try a smaller alpha)")


# Hierarchical softmax with several threads: each thread keeps private copies of the
# Huffman tree's top inner nodes and merges its changes every SYNC_WORDS words (see
# TrainConfig in fastw2v/kernels/_train_decl.pxi; docs/notes/benchmark-history.md has the
# measurements: two threads burned 24-48 CPU-s for 20 s of one-thread work without them).
HOT_NODES = 2048
SYNC_WORDS = 10_000
# The copies trade staleness for contention. They pay on a large tree, where the copied
# top is a small share of all nodes (IMDB: 2,048 of 53k); on a small vocabulary nearly
# every node would be private and each thread would train on a copy that is stale for
# SYNC_WORDS words at a time (gensim's lee-corpus CBOW-HS check failed 3 runs in 30 that
# way). So at most 1/HOT_SHARE of the nodes are copied, and none below MIN_HOT_NODES.
HOT_SHARE = 16
MIN_HOT_NODES = 256


def hot_hs_nodes(n_words: int) -> int:
    """How many top Huffman nodes each thread copies privately for a vocabulary of ``n_words``."""
    hot = min(HOT_NODES, max(n_words - 1, 0) // HOT_SHARE)
    return hot if hot >= MIN_HOT_NODES else 0


def kernel_factors(factors):
    """Lock factors as the kernels take them: one per row, or None when every factor is 1,
    so the default costs the kernels nothing."""
    return None if np.all(factors == 1.0) else factors


def row_lock_factors(wv):
    """The kernels' lock factors of ``wv``'s rows (``wv.lock_factors()``)."""
    return kernel_factors(wv.lock_factors())


def train_params(model, *, schedule_total: int, start_alpha: float, end_alpha: float,
                 compute_loss: bool) -> TrainParams:
    """The kernels' settings for one ``train()`` call, built in this one place.

    Every row of :data:`fastw2v.params.PARAMS` marked ``kernel`` is copied by name;
    the rest are this call's schedule and the trainer's own choices.
    """
    return TrainParams(
        **{name: getattr(model, name) for name in _params.KERNEL},
        compute_loss=compute_loss, start_alpha=start_alpha, end_alpha=end_alpha,
        schedule_total=schedule_total, hot_nodes=hot_hs_nodes(len(model.wv.index_to_key)),
        sync_words=SYNC_WORDS)


def run_training(model, stream: IdStream, *, epochs: int, start_alpha: float, end_alpha: float,
                 compute_loss: bool, callbacks=(), report_delay: float = 1.0,
                 seed: int = 1, progress=None, sync: RoundSync | None = None) -> TrainResult:
    """Train ``model``'s matrices on ``stream`` for ``epochs`` passes.

    Parameters
    ----------
    model : fastw2v.Word2Vec
        Provides its input matrices (``_kernel_inputs``: ``wv.vectors``, or FastText's
        word and bucket rows), ``syn1``, ``syn1neg``, the vocabulary tables and the
        hyper-parameters; callbacks receive it.
    stream : IdStream
        The encoded corpus, one pass.
    epochs : int
    start_alpha, end_alpha : float
        Learning rate decays linearly from the first to the second over all epochs.
    compute_loss : bool
    callbacks : sequence of CallbackAny2Vec
        ``on_epoch_begin`` / ``on_epoch_end`` run here, in the calling thread.
    report_delay : float
        Seconds between progress log lines.
    seed : int
        Seeds the per-thread random streams.
    progress : None, bool or fastw2v.progress.Reporter
        None logs progress lines, True draws a tqdm bar, False is silent.
    sync : RoundSync, optional
        Train each epoch in the rounds it plans, calling its ``after_round`` after each.

    Returns
    -------
    TrainResult
    """
    workers = max(1, int(model.workers))
    words_per_chunk = max(1000, int(model.batch_words))
    chunk_starts = stream.chunk_starts(words_per_chunk)
    params = train_params(model, schedule_total=stream.n_words * epochs, start_alpha=start_alpha,
                          end_alpha=end_alpha, compute_loss=compute_loss)
    inputs = model._kernel_inputs()  # syn0 and lockf; FastText adds its n-gram tables
    job = TrainJob(params, model._vocab, inputs.pop("syn0"),
                   model.syn1 if model.hs else None, model.syn1neg if model.negative else None,
                   stream.ids, stream.offsets, chunk_starts, workers, seed, **inputs)
    # FastText's bucket rows train in BucketOrder (not with rounds: every rank would have
    # to move the same rows); built after the job has checked the arrays it moves.
    order = _bucket_order(model, inputs, callbacks) if "subwords" in inputs and sync is None \
        else None
    start = time.perf_counter()
    reporter = make_reporter(progress, report_delay)
    reporter.start(stream.n_words * epochs, epochs)
    try:
        rounds = sync.plan_rounds(len(chunk_starts) - 1) if sync is not None else None
        epochs_done = _run_epochs(model, job, workers, epochs, compute_loss, callbacks, reporter,
                                  sync, rounds, order)
    finally:
        _restore_order(order)
        reporter.close()
    loss, words, effective = job.totals()
    elapsed = time.perf_counter() - start
    log = logger.info if progress is not False else logger.debug
    log("training on %i raw words (%i effective words) took %.1fs, %.0f effective words/s",
        stream.raw_words * epochs, effective, elapsed, effective / max(elapsed, 1e-9))
    return TrainResult(int(effective), int(stream.raw_words) * epochs_done, float(loss),
                       epochs_done, elapsed)


def _bucket_order(model, inputs, callbacks):
    """The bucket rows' training order, or None where the rows stay where they are:
    REORDER_BUCKET_ROWS off, a matrix backed by a file (``mmap='r+'``: a crash would
    leave the file's rows moved), or arrays BucketOrder does not move in place (read-only
    ids or lock factors, a one-column matrix with any stride...), which the job reads as
    they are. Between epochs the rows go back only when something outside the kernels
    may look: callbacks, or composing the vectors from ids other than the ones moved."""
    rows, _, ids = inputs["subwords"]
    if not REORDER_BUCKET_ROWS or _file_backed(rows):
        return None
    try:
        order = BucketOrder(ids, rows, inputs.get("ngram_lockf"))
    except ValueError:
        return None
    own_ids = ids is getattr(getattr(model, "wv", None), "ngram_ids", None)
    return _EpochOrder(order, between_epochs=own_ids and not callbacks)


def _file_backed(a) -> bool:
    while a is not None:
        if isinstance(a, (np.memmap, mmap.mmap)):
            return True
        a = getattr(a, "base", None)
    return False


@dataclass
class _EpochOrder:
    """The bucket rows' training order, and whether it may stay applied between epochs."""

    rows: BucketOrder
    between_epochs: bool


def _restore_order(order: _EpochOrder | None) -> None:
    """Put the bucket rows back in their own order, whatever interrupts: restore() is one
    call into C that cannot fail, so a Ctrl-C lands before it (the loop calls it again)
    or after; either way it is raised again once the rows are back."""
    interrupted = False
    while order is not None and order.rows.applied:
        try:
            order.rows.restore()
        except KeyboardInterrupt:
            interrupted = True
    if interrupted:
        raise KeyboardInterrupt


def _run_epochs(model, job, workers, epochs, compute_loss, callbacks, reporter,
                sync=None, rounds=None, order=None) -> int:
    for epoch in range(epochs):
        try:
            _train_epoch(model, job, workers, epoch, compute_loss, callbacks, reporter, sync, rounds,
                         order)
        except KeyboardInterrupt:
            # Wherever the Ctrl-C landed (waiting on the kernels, a callback, the checks
            # between epochs), no kernel runs any more: say so once, here.
            logger.warning("training interrupted in epoch %i; the model is partially trained "
                           "(model.partially_trained is True)", epoch + 1)
            raise
    return epochs


def _train_epoch(model, job, workers, epoch, compute_loss, callbacks, reporter, sync, rounds,
                 order=None):
    for cb in callbacks:
        cb.on_epoch_begin(model)
    job.begin_epoch()
    if order is not None:
        order.rows.apply()  # a no-op when still applied from the epoch before
    if sync is None:
        _run_epoch(job, workers, epoch, compute_loss, reporter)
    else:
        for r, (first, end) in enumerate(rounds):
            job.begin_round(first, end)
            _run_epoch(job, workers, epoch, compute_loss, reporter)
            sync.after_round(job, epoch, last=r == len(rounds) - 1)
    if order is not None and not order.between_epochs:
        _restore_order(order)
    model._inputs_trained()  # the norms cache; FastText recomposes wv.vectors
    for name, matrix in model._input_matrices():
        _finite(name, matrix, epoch)
    _finite("syn1neg", model.syn1neg if model.negative else None, epoch)
    _finite("syn1", model.syn1 if model.hs else None, epoch)
    loss, _, _ = job.totals()
    model.running_training_loss = loss if compute_loss else 0.0
    for cb in callbacks:
        cb.on_epoch_end(model)


def _run_epoch(job: TrainJob, workers: int, epoch: int, compute_loss: bool, reporter) -> None:
    errors: list[BaseException] = []

    entered = [threading.Event() for _ in range(workers)]

    def work(t):
        entered[t].set()
        try:
            job.run_thread(t)
        except BaseException as exc:  # propagate anything, stop the others
            errors.append(exc)
            job.request_stop()

    threads = [threading.Thread(target=work, args=(t,), name=f"fastw2v-{t}", daemon=True)
               for t in range(workers)]
    started: list[threading.Thread] = []
    try:
        # Started inside the try: a Ctrl-C between two start() calls must still join the
        # threads already running.
        for th in threads:
            started.append(th)  # before start(): a Ctrl-C inside start() leaves it running
            th.start()
        for th in threads:
            while th.is_alive():
                th.join(0.05)
                _report(job, epoch, compute_loss, reporter)
        _report(job, epoch, compute_loss, reporter)
    except BaseException:
        # Ctrl-C or anything else in the waiting thread: stop kernels, join, re-raise.
        job.request_stop()  # (a Ctrl-C is logged by _run_epochs, whichever step it hit)
        for t, th in enumerate(started):
            # start() may have been interrupted after the thread was spawned but before it
            # was marked alive: wait for it to run (it then sees the stop request and ends).
            while True:
                try:
                    entered[t].wait(5.0)
                    break
                except KeyboardInterrupt:
                    pass
            while th.is_alive():
                try:
                    th.join()
                except KeyboardInterrupt:  # a second Ctrl-C: still never leave a kernel running
                    pass
        raise
    if errors:
        raise errors[0]


def _report(job, epoch, compute_loss, reporter):
    # ~20 Hz from the waiting thread; the reporter throttles its own output.
    loss = job.totals()[0] if compute_loss else None
    reporter.update(job.words_done, epoch=epoch, alpha=job.alpha, loss=loss)
