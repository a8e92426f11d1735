"""Give back the pages of a memory-mapped array once a pass over it has read them.

Building an index or hashing the vectors reads every row once. When the vectors
are memory-mapped from a file (``KeyedVectors.load(..., mmap='r')``), each page
read stays resident and is counted in the process's memory, so one pass would
bring the whole file in beside the index. Releasing each chunk after use keeps
the pass at one chunk: the pages stay in the OS page cache, and a later access
maps them again without reading the disk.
"""
import mmap

import numpy as np

__all__ = ["release_rows"]

# Only shared mappings: their pages live in the file (page cache). A private
# copy-on-write mapping ('c') may hold the only copy of a changed row.
_SHARED_MODES = ("r", "r+")


def _mapping_of(array):
    """(mmap object, byte offset of the array's first byte in it), or None if not file-mapped."""
    m = getattr(array, "_mmap", None)
    if m is None or getattr(array, "mode", None) not in _SHARED_MODES \
            or not array.flags.c_contiguous or array.size == 0:
        return None
    start = np.frombuffer(m, dtype=np.uint8).ctypes.data
    return m, array.ctypes.data - start


def release_rows(array, start, stop):
    """Drop rows ``[start, stop)`` of a file-mapped `array` from this process's resident memory.

    Does nothing for arrays that are not shared read-only or read-write file
    mappings (``np.memmap`` in mode 'r' or 'r+'), or where the OS cannot.

    Parameters
    ----------
    array : numpy.ndarray
        Usually a ``np.memmap``; C-contiguous.
    start, stop : int
        Row range already read.
    """
    found = _mapping_of(array)
    if found is None or stop <= start:
        return
    m, offset = found
    row_bytes = array.strides[0]
    lo = offset + start * row_bytes
    hi = min(offset + stop * row_bytes, len(m))
    lo -= lo % mmap.PAGESIZE
    try:
        m.madvise(mmap.MADV_DONTNEED, lo, hi - lo)
    except (AttributeError, ValueError, OSError):  # no madvise here: the pages just stay
        pass
