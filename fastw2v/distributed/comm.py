"""The communicator interface: the four collectives distributed training needs.

Training code talks to other ranks only through a :class:`Communicator`, so an
engine other than MPI can be added by implementing this class, without touching
the trainer. Buffers are numpy arrays (no pickle): collectives move raw bytes.

:class:`LocalComm` is the one-rank communicator (every collective is the
identity), used when no launcher started several ranks; :class:`MPIComm`
(:mod:`fastw2v.distributed.mpi`) runs over mpi4py. :func:`world` picks one.
"""
from __future__ import annotations

import os
import sys

import numpy as np

#: Seconds a rank waits in one collective before it declares the job hung and aborts it.
#: Override with FASTW2V_SYNC_TIMEOUT (e.g. for a slow shared filesystem at start).
DEFAULT_TIMEOUT = 600.0

# Variables the usual launchers set in every rank's environment (MPICH/Hydra and Intel MPI,
# Open MPI, Slurm's srun with PMI/PMIx): a job of N > 1 ranks without mpi4py must not
# silently train N independent models.
_LAUNCHER_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS")


class Communicator:
    """Collectives over the ranks of a job; every rank must call each in the same order.

    Attributes
    ----------
    rank : int
        This process's index, ``0 <= rank < size``; rank 0 writes outputs.
    size : int
        Number of ranks.
    timeout : float
        Seconds a collective may wait for the slowest rank before :meth:`abort`.
    """

    rank: int = 0
    size: int = 1
    timeout: float = DEFAULT_TIMEOUT

    def allreduce(self, buf: np.ndarray, op: str = "sum") -> np.ndarray:
        """Reduce ``buf`` elementwise over the ranks, in place (``op``: sum, min or max)."""
        raise NotImplementedError

    def broadcast(self, buf: np.ndarray, root: int = 0) -> np.ndarray:
        """Copy ``root``'s ``buf`` into every rank's ``buf`` (same shape and dtype), in place."""
        raise NotImplementedError

    def gather(self, buf: np.ndarray, root: int = 0):
        """Every rank's 1-D ``buf`` (lengths may differ) as a list at ``root``; None elsewhere."""
        raise NotImplementedError

    def barrier(self) -> None:
        """Return once every rank has called it."""
        raise NotImplementedError

    def abort(self, message: str, code: int = 1) -> None:
        """Print ``message`` and end every rank of the job with exit status ``code``."""
        raise NotImplementedError

    # -------------------------------------------------------- built from the four

    def mean(self, buf: np.ndarray) -> np.ndarray:
        """Average ``buf`` over the ranks, in place: a sum divided by ``size``, never a sum alone."""
        if self.size > 1:
            self.allreduce(buf, "sum")
            buf *= buf.dtype.type(1.0 / self.size)
        return buf

    def sum_ints(self, *values: int) -> list:
        """Each value summed over the ranks (one collective for all)."""
        buf = np.array(values, dtype=np.int64)
        return self.allreduce(buf, "sum").tolist()

    def broadcast_bytes(self, data: bytes | None, root: int = 0) -> bytes:
        """``root``'s ``data`` on every rank (length first, then the bytes)."""
        n = np.array([len(data) if self.rank == root else 0], dtype=np.int64)
        self.broadcast(n, root)
        buf = np.frombuffer(data, np.uint8).copy() if self.rank == root else np.empty(n[0], np.uint8)
        return self.broadcast(buf, root).tobytes()

    def allgather_ints(self, value: int) -> list:
        """Every rank's ``value``, in rank order, on every rank."""
        buf = np.zeros(self.size, dtype=np.int64)
        buf[self.rank] = value
        return self.allreduce(buf, "sum").tolist()


class LocalComm(Communicator):
    """One rank: every collective is the identity."""

    def allreduce(self, buf, op="sum"):
        return buf

    def broadcast(self, buf, root=0):
        return buf

    def gather(self, buf, root=0):
        return [np.asarray(buf).copy()]

    def barrier(self):
        pass

    def abort(self, message, code=1):
        print(message, file=sys.stderr, flush=True)
        os._exit(code)


def launched_size() -> int:
    """Ranks the launcher says this job has (1 when not started by a known launcher)."""
    for name in _LAUNCHER_SIZE_VARS:
        try:
            return max(1, int(os.environ[name]))
        except (KeyError, ValueError):
            continue
    return 1


def world() -> Communicator:
    """The communicator of all ranks of this job.

    :class:`~fastw2v.distributed.mpi.MPIComm` over ``MPI.COMM_WORLD`` when mpi4py is
    installed, a :class:`LocalComm` otherwise; a process that a launcher started as one
    of several ranks without mpi4py gets an ImportError, not N independent trainings.
    """
    try:
        from .mpi import MPIComm
    except ImportError as exc:
        if launched_size() > 1:
            raise ImportError(
                f"this process is one of {launched_size()} ranks of a parallel job, but mpi4py "
                f"is not installed ({exc}): pip install 'fastw2v[mpi]'") from exc
        return LocalComm()
    return MPIComm()
