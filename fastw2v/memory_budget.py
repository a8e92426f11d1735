"""The default memory budget of an id stream, from the memory this process may really use.

A fixed default (it was 2 GiB) is wrong in a container: with a 700 MB cgroup limit,
``Word2Vec(corpus_file=<1.26 GB>)`` kept a 2 GiB budget of ids in RAM and the kernel's
OOM killer ended it, where ``memory_budget=200e6`` finished in the same limit. So the
default is read from the same places the kernel's accounting uses:

* cgroup v2: ``memory.max`` and ``memory.current`` of the process's own cgroup
  (its path from ``/proc/self/cgroup``) and of every cgroup above it, since any of
  their limits can end the process;
* cgroup v1: ``memory.limit_in_bytes`` and ``memory.usage_in_bytes`` of the memory
  controller's hierarchy, the same way;
* the machine: ``MemAvailable`` of ``/proc/meminfo`` (free memory plus the page cache
  and buffers that can be reclaimed); elsewhere than Linux, the physical memory that
  ``os.sysconf`` reports.

Every path is read under ``root`` so that tests can point the functions at a fake tree.
"""
from __future__ import annotations

import os

__all__ = ["default_memory_budget", "available_memory", "MAX_DEFAULT_BUDGET",
           "MIN_DEFAULT_BUDGET"]

#: The default never exceeds this (the former fixed default): a 2 GiB stream holds 536M
#: tokens, and past it a memory-mapped spill file trains at the same speed.
MAX_DEFAULT_BUDGET = 2 * 1024**3
#: ... nor goes below this, so that a small machine still keeps small corpora in RAM.
MIN_DEFAULT_BUDGET = 16 * 1024**2

# cgroup v1 reports "no limit" as a page-rounded 2**63 - 1; anything this large is none.
_NO_LIMIT = 1 << 60


def default_memory_budget(root: str = "/") -> int:
    """Default ``memory_budget`` in bytes: a quarter of the memory this process may use.

    The memory it may use is the least of the headroom (limit minus usage) of each
    cgroup the process is in (v2 or v1) and of the machine's available memory, see
    :func:`available_memory`. A quarter, because the budget bounds only the encoded
    corpus, and at the same time the process holds the vocabulary scan's hash tables,
    the model's float32 matrices, Python and numpy themselves, and the page cache of
    the corpus file it reads (which a cgroup counts until it is reclaimed). In the
    issue's case, a 700 MB container has about 600 MB of headroom once Python and
    numpy are loaded: a quarter is about 150 MB, below the 200 MB budget with which
    the same run (a 1.26 GB corpus) finished inside that limit. The result lies in
    ``[MIN_DEFAULT_BUDGET, MAX_DEFAULT_BUDGET]``; when nothing can be read, it is
    ``MAX_DEFAULT_BUDGET``.

    Parameters
    ----------
    root : str, optional
        Directory under which ``/proc`` and ``/sys/fs/cgroup`` are read (tests use a
        fake tree).

    Returns
    -------
    int
        Bytes of ids to keep in RAM before spilling to a memory-mapped file.
    """
    available = available_memory(root)
    if available is None:
        return MAX_DEFAULT_BUDGET
    return int(min(MAX_DEFAULT_BUDGET, max(MIN_DEFAULT_BUDGET, available // 4)))


def available_memory(root: str = "/") -> int | None:
    """Bytes this process may still allocate: the least of every cgroup's headroom and the
    machine's available memory, or None when none of them can be read."""
    candidates = [_cgroup_v2_headroom(root), _cgroup_v1_headroom(root), _machine_available(root)]
    known = [c for c in candidates if c is not None]
    return max(min(known), 0) if known else None


# ---------------------------------------------------------------- cgroups


def _own_cgroups(root: str) -> list[tuple[str, str]]:
    """``(controllers, path)`` of each line of ``/proc/self/cgroup``."""
    text = _read_text(os.path.join(root, "proc", "self", "cgroup"))
    if text is None:
        return []
    groups = []
    for line in text.splitlines():
        parts = line.split(":", 2)  # hierarchy-ID:controllers:path
        if len(parts) == 3:
            groups.append((parts[1], parts[2]))
    return groups


def _cgroup_dirs(mount: str, path: str) -> list[str]:
    """The cgroup directories of `path` and of every cgroup above it, that exist under `mount`.

    Inside a container's cgroup namespace the path is ``/`` and the container's own
    limit is at the mount point; without one, the path names the host's hierarchy,
    which may or may not be mounted: what exists is read.
    """
    dirs = []
    parts = [p for p in path.strip("/").split("/") if p and p not in (".", "..")]
    for depth in range(len(parts), -1, -1):
        d = os.path.join(mount, *parts[:depth])
        if os.path.isdir(d):
            dirs.append(d)
    return dirs


def _headroom(dirs: list[str], limit_file: str, usage_file: str) -> int | None:
    """Least ``limit - usage`` over the cgroups in `dirs` that set a limit."""
    best = None
    for d in dirs:
        limit = _read_int(os.path.join(d, limit_file))
        if limit is None or limit >= _NO_LIMIT:
            continue  # "max", unreadable, or v1's "unlimited"
        usage = _read_int(os.path.join(d, usage_file)) or 0
        room = max(limit - usage, 0)
        best = room if best is None else min(best, room)
    return best


def _cgroup_v2_headroom(root: str) -> int | None:
    mount = os.path.join(root, "sys", "fs", "cgroup")
    for controllers, path in _own_cgroups(root):
        if controllers == "":  # the unified (v2) hierarchy: "0::/path"
            return _headroom(_cgroup_dirs(mount, path), "memory.max", "memory.current")
    return None


def _cgroup_v1_headroom(root: str) -> int | None:
    mount = os.path.join(root, "sys", "fs", "cgroup", "memory")
    for controllers, path in _own_cgroups(root):
        if "memory" in controllers.split(","):
            return _headroom(_cgroup_dirs(mount, path), "memory.limit_in_bytes",
                             "memory.usage_in_bytes")
    return None


# ---------------------------------------------------------------- the machine


def _machine_available(root: str) -> int | None:
    """MemAvailable of /proc/meminfo; where there is none, physical memory from sysconf."""
    text = _read_text(os.path.join(root, "proc", "meminfo"))
    if text is not None:
        for line in text.splitlines():
            if line.startswith("MemAvailable:"):
                fields = line.split()
                try:
                    kib = int(fields[1])
                except (IndexError, ValueError):
                    return None
                return kib * 1024 if len(fields) < 3 or fields[2].lower() == "kb" else kib
        return None
    return _physical_memory()


def _physical_memory() -> int | None:
    """Physical memory from sysconf (macOS, BSDs), or None (Windows)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def _read_text(path: str) -> str | None:
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def _read_int(path: str) -> int | None:
    """An integer file of cgroupfs; None for "max", an unreadable or a malformed file."""
    text = _read_text(path)
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        return None
