"""Opening files with transparent .gz / .bz2 decompression."""
import bz2
import gzip
import io
import os


def is_compressed(fname):
    """True when `fname` is read through a decompressor (by its extension)."""
    return str(fname).endswith((".gz", ".bz2"))


def open_binary(fname, mode="rb"):
    """Open `fname` in binary mode, (de)compressing .gz and .bz2 by extension."""
    fname = os.fspath(fname)
    if fname.endswith(".gz"):
        return gzip.open(fname, mode)
    if fname.endswith(".bz2"):
        return bz2.open(fname, mode)
    return open(fname, mode)


def open_text(fname, encoding="utf8", errors="strict"):
    """Open `fname` for reading text, decompressing .gz and .bz2 by extension."""
    return io.TextIOWrapper(open_binary(fname, "rb"), encoding=encoding, errors=errors)
