"""Where a corpus's bytes come from: local files, compressed files, and remote URIs.

Local paths are opened by the standard library (``.gz``, ``.bz2`` and ``.xz``
decompressed on the fly), with no dependency. Remote corpora (``s3://``, ``gs://``,
``azure://``, ``hdfs://``, ``webhdfs://``, ``http(s)://``, ``ftp://``, ``sftp://``...)
and ``.zst`` files go through smart_open, as in gensim: bytes are streamed as they are
read, never downloaded whole first. Credentials and endpoints come from each
service's usual environment (for S3, boto3's: ``AWS_ACCESS_KEY_ID``,
``AWS_ENDPOINT_URL``...).
"""
import bz2
import gzip
import lzma
import os
import re

__all__ = ["open_source", "is_uri", "is_compressed_name"]

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_LOCAL_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


def is_compressed_name(path) -> bool:
    """Whether :func:`open_source` decompresses ``path`` (by its extension)."""
    name = os.fspath(path)
    name = (name.decode(errors="replace") if isinstance(name, bytes) else name).lower()
    return name.endswith(tuple(_LOCAL_OPENERS) + (".zst",))


def is_uri(path) -> bool:
    """Whether ``path`` names a remote object (``scheme://...``) rather than a local file.

    ``file://`` URIs count as remote here: smart_open opens them.
    """
    return isinstance(path, str) and _URI.match(path) is not None


def open_source(path):
    """Open a corpus for reading bytes, decompressing by extension.

    Parameters
    ----------
    path : str or os.PathLike
        A local path or a URI.

    Returns
    -------
    binary file-like object

    Raises
    ------
    ImportError
        A URI or ``.zst`` file without smart_open installed (the message says how).
    """
    if not is_uri(path):
        path = os.fspath(path)
        opener = _LOCAL_OPENERS.get(os.path.splitext(path)[1].lower())
        if opener is not None:
            return opener(path, "rb")
        if not is_compressed_name(path):
            return open(path, "rb")
    try:
        import smart_open
    except ImportError as err:
        raise ImportError(f"reading {path!r} needs smart_open: pip install 'fastw2v[remote]' "
                          "(or pip install smart_open[s3,gcs,azure,http])") from err
    return smart_open.open(path, "rb")
