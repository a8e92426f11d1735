"""Progress reporting for training: a tqdm bar, periodic log lines, or nothing.

The trainer's waiting thread calls :meth:`Reporter.update` about 20 times a
second while the nogil kernels run; reporters throttle themselves, so reporting
costs the training threads nothing. Pick one with :func:`make_reporter`:

- ``progress=None`` (default): log lines through the ``fastw2v`` logger every
  ``report_delay`` seconds, like gensim;
- ``progress=True``: a tqdm bar (tqdm is a dependency of fastw2v);
- ``progress=False``: silent.
"""
from __future__ import annotations

import logging
import time

logger = logging.getLogger("fastw2v")

TQDM_MISSING = "progress=True needs tqdm, a dependency of fastw2v: pip install tqdm"


class Reporter:
    """Silent reporter; the base of the others.

    ``start(total)`` once per ``train()`` call, ``update(done, epoch=, alpha=, loss=)``
    with the words done so far (all epochs), ``close()`` at the end.
    """

    def start(self, total: int, epochs: int = 1) -> None:
        self.total, self.epochs = max(int(total), 1), epochs

    def update(self, done: int, *, epoch: int, alpha: float, loss: float | None = None) -> None:
        pass

    def close(self) -> None:
        pass


class LogReporter(Reporter):
    """One ``logger.info`` line every ``report_delay`` seconds."""

    def __init__(self, report_delay: float = 1.0, log=logger):
        self.report_delay = report_delay
        self.log = log

    def start(self, total, epochs=1):
        super().start(total, epochs)
        self.t0 = time.perf_counter()
        self.next_report = self.t0 + self.report_delay

    def update(self, done, *, epoch, alpha, loss=None):
        now = time.perf_counter()
        if now < self.next_report:
            return
        self.next_report = now + self.report_delay
        elapsed = max(now - self.t0, 1e-9)
        rate = done / elapsed
        eta = (self.total - done) / rate if rate > 0 else float("inf")
        loss_part = f", loss {loss:.4g}" if loss is not None else ""
        self.log.info("EPOCH %i/%i - PROGRESS: at %.2f%% words, %.0f words/s, alpha %.6f%s, ETA %.0fs",
                      epoch + 1, self.epochs, 100.0 * done / self.total, rate, alpha, loss_part, eta)


class TqdmReporter(Reporter):
    """A tqdm bar over all words of all epochs; the postfix shows epoch, alpha and loss."""

    def __init__(self, file=None, disable=False):
        try:
            from tqdm.auto import tqdm
        except ImportError:
            raise ImportError(TQDM_MISSING) from None
        self._tqdm, self.file, self.disable = tqdm, file, disable
        self.bar = None

    def start(self, total, epochs=1):
        super().start(total, epochs)
        self.bar = self._tqdm(total=self.total, unit="w", unit_scale=True, desc="training",
                              file=self.file, disable=self.disable, mininterval=0.2, leave=True)
        self.done = 0

    def update(self, done, *, epoch, alpha, loss=None):
        if self.bar is None or done <= self.done:
            return
        self.bar.update(done - self.done)
        self.done = done
        postfix = {"epoch": f"{epoch + 1}/{self.epochs}", "alpha": f"{alpha:.5f}"}
        if loss is not None:
            postfix["loss"] = f"{loss:.4g}"
        self.bar.set_postfix(postfix, refresh=False)

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def make_reporter(progress=None, report_delay: float = 1.0) -> Reporter:
    """The reporter for ``Word2Vec(progress=...)``: None logs, True draws a bar, False is silent.

    A :class:`Reporter` instance is returned as it is. ``progress=True`` without tqdm
    installed logs a warning and falls back to log lines.
    """
    if isinstance(progress, Reporter):
        return progress
    if progress is None:
        return LogReporter(report_delay)
    if progress is False:
        return Reporter()
    if progress is True:
        try:
            return TqdmReporter()
        except ImportError as exc:
            logger.warning("%s; logging progress instead", exc)
            return LogReporter(report_delay)
    raise ValueError(f"progress must be None, True, False or a Reporter, got {progress!r}")


def scan_progress(progress):
    """The ``progress`` setting for corpus scans and encodings: None, True or False.

    A custom :class:`Reporter` follows training only; the reads are then silent.
    """
    return progress if progress is None or isinstance(progress, bool) else False


def wrap_sentences(corpus_iterable, progress, desc="vocabulary"):
    """With ``progress=True`` and tqdm installed, a bar over the sentences of a scan."""
    if progress is not True:
        return corpus_iterable
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return corpus_iterable
    total = len(corpus_iterable) if hasattr(corpus_iterable, "__len__") else None
    return tqdm(corpus_iterable, total=total, desc=desc, unit=" sentences", mininterval=0.2)


class FileProgress:
    """Bytes read of a corpus_file scan: a tqdm bar (progress=True), log lines (None), or nothing.

    Call it with the bytes read so far; the C file reader (``scan_vocab``,
    ``scan_encode`` and ``encode_file`` of :mod:`fastw2v.corpus._filescan`) does, from
    the waiting thread, about ten times a second.
    """

    def __init__(self, progress, total_bytes: int, desc: str, report_delay: float = 1.0):
        self.total = max(int(total_bytes), 1)
        self.desc = desc
        self.report_delay = report_delay
        self.bar = None
        self.enabled = progress is not False
        self.next_log = time.perf_counter() + report_delay
        if progress is True:
            try:
                from tqdm.auto import tqdm
                self.bar = tqdm(total=self.total, desc=desc, unit="B", unit_scale=True,
                                mininterval=0.2)
            except ImportError:
                pass

    def __call__(self, done: int) -> None:
        done = min(int(done), self.total)
        if self.bar is not None:
            self.bar.update(done - self.bar.n)
        elif self.enabled and time.perf_counter() >= self.next_log:
            self.next_log = time.perf_counter() + self.report_delay
            logger.info("%s: read %.1f of %.1f MB (%.0f%%)", self.desc, done / 1e6,
                        self.total / 1e6, 100.0 * done / self.total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
