"""MPI implementation of :class:`~fastw2v.distributed.comm.Communicator` (mpi4py).

Every collective is started non-blocking and waited on with a deadline
(:attr:`Communicator.timeout`): a rank that stopped answering (a deadlock, a node
that froze) makes the waiting ranks abort the whole job with a message, instead of
hanging until the cluster's wall-time limit. A rank that dies is noticed by the
launcher (mpiexec, srun), which ends the others.

``pip install 'fastw2v[mpi]'`` brings mpi4py and the MPICH wheel; mpi4py built
against a cluster's own MPI works the same.
"""
from __future__ import annotations

import contextlib
import os
import sys
import time

import numpy as np
from mpi4py import MPI

from .comm import DEFAULT_TIMEOUT, Communicator

_OPS = {"sum": MPI.SUM, "min": MPI.MIN, "max": MPI.MAX}
_BUSY_SECONDS = 0.01


@contextlib.contextmanager
def _contiguous(buf):
    """``buf`` itself when MPI can take it (C-contiguous), else a contiguous copy that is
    written back into ``buf`` afterwards: rows of a model matrix padded to whole cache
    lines (fastw2v.vector_store.padded_rows) are a strided view."""
    if buf.flags.c_contiguous:
        yield buf
        return
    flat = np.ascontiguousarray(buf)
    yield flat
    buf[...] = flat


class MPIComm(Communicator):
    """A :class:`Communicator` over an mpi4py communicator (default ``MPI.COMM_WORLD``).

    Parameters
    ----------
    comm : mpi4py.MPI.Comm, optional
    timeout : float, optional
        Seconds a collective waits; default ``FASTW2V_SYNC_TIMEOUT`` or 600.
    """

    def __init__(self, comm=None, timeout: float | None = None):
        self.comm = comm if comm is not None else MPI.COMM_WORLD
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()
        if timeout is None:
            timeout = float(os.environ.get("FASTW2V_SYNC_TIMEOUT", DEFAULT_TIMEOUT))
        if not timeout > 0:
            raise ValueError(f"timeout must be positive, got {timeout!r}")
        self.timeout = timeout

    def _wait(self, request, what: str) -> None:
        # MPI moves a non-blocking collective along only inside calls like Test: poll
        # without pause for the first 10 ms (a merge of the top rows takes ~1), then every 0.5 ms so
        # that a rank waiting long for a slower one leaves the CPU to it.
        start = time.monotonic()
        while not request.Test():
            waited = time.monotonic() - start
            if waited < _BUSY_SECONDS:
                continue
            if waited > self.timeout:
                self.abort(f"fastw2v: rank {self.rank} of {self.size}: no answer from the other "
                           f"ranks in {what} after {self.timeout:.0f} s (a rank hung or was "
                           "stopped); aborting the job")
            time.sleep(0.0005)

    def allreduce(self, buf, op="sum"):
        if self.size > 1:
            with _contiguous(buf) as flat:
                self._wait(self.comm.Iallreduce(MPI.IN_PLACE, flat, op=_OPS[op]), "an allreduce")
        return buf

    def broadcast(self, buf, root=0):
        if self.size > 1:
            with _contiguous(buf) as flat:
                self._wait(self.comm.Ibcast(flat, root=root), "a broadcast")
        return buf

    def gather(self, buf, root=0):
        buf = np.ascontiguousarray(buf)
        if self.size == 1:
            return [buf.copy()]
        lengths = np.zeros(self.size, dtype=np.int64)
        lengths[self.rank] = len(buf)
        self.allreduce(lengths)
        if self.rank != root:
            self._wait(self.comm.Igatherv(buf.view(np.uint8), None, root=root), "a gather")
            return None
        out = np.empty(int(lengths.sum()), dtype=buf.dtype)
        counts = lengths * buf.itemsize
        displs = np.concatenate(([0], np.cumsum(counts)[:-1]))
        self._wait(self.comm.Igatherv(buf.view(np.uint8),
                                      [out.view(np.uint8), counts.tolist(), displs.tolist(),
                                       MPI.BYTE], root=root), "a gather")
        bounds = np.concatenate(([0], np.cumsum(lengths)))
        return [out[bounds[r]:bounds[r + 1]] for r in range(self.size)]

    def barrier(self):
        if self.size > 1:
            self._wait(self.comm.Ibarrier(), "a barrier")

    def abort(self, message, code=1):
        sys.stderr.flush()
        os.write(2, (message + "\n").encode("utf-8", "replace"))
        # The launcher forwards this rank's stderr asynchronously; MPI_Abort tears the job
        # down at once and could drop the message that says why.
        time.sleep(0.5)
        self.comm.Abort(code)
