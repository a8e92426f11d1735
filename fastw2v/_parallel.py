"""Splitting one array job over threads: the cores to use, and threads that always end.

For the nogil loops that fill or compose a large matrix in slices (``fastw2v._uniform``,
``fastw2v._ngrams.compose_vectors``). The corpus reader has its own workers (progress
and cancellation: ``fastw2v/corpus/_reader.pxi``), and training its own (``trainer``).
"""
import os
import threading

__all__ = ["usable_cores", "array_threads", "run_threads"]

# More threads than this do not speed up filling or composing a matrix: memory bandwidth
# is the limit by then.
MAX_ARRAY_THREADS = 8


def usable_cores():
    """The cores this process may use (its CPU affinity where the OS tells it), at least 1."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def array_threads():
    """Threads for one array job: the usable cores, at most MAX_ARRAY_THREADS."""
    return min(usable_cores(), MAX_ARRAY_THREADS)


def run_threads(target, args_list):
    """Run ``target(*args)`` for each ``args`` of `args_list` on a thread of its own.

    Returns when every started thread has ended, also when a start fails or the wait is
    interrupted (Ctrl-C): the interrupt is re-raised once they have, so no thread still
    writes into arrays the caller frees.
    """
    threads = []
    try:
        for args in args_list:
            t = threading.Thread(target=target, args=tuple(args))
            t.start()
            threads.append(t)
    finally:
        interrupted = None
        for t in threads:
            while t.is_alive():
                try:
                    t.join()
                except BaseException as exc:  # KeyboardInterrupt: wait, then raise it
                    interrupted = interrupted or exc
        if interrupted is not None:
            raise interrupted
