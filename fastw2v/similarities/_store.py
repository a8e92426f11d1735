"""Files of a saved index: the library's own index file plus a JSON description beside it.

``indexer.save(path)`` writes two files:

- ``path``: the index exactly as its library writes it (so the library can
  memory-map it on load);
- ``path + ".json"``: what fastw2v needs to trust it: format and version, the
  indexer's kind and parameters, the fingerprint of the vectors it was built
  on (see :mod:`fastw2v.similarities._fingerprint`) and the index file's size
  and a hash of its first and last MiB.

Each file is written to a temporary name, fsynced and moved into place with
``os.replace`` (index first, JSON last), so a reader never sees a half-written
file. If a crash falls between the two replaces, the size and head/tail hash
no longer match and loading says so, instead of pairing an index with the
wrong description. No pickle anywhere.
"""
import hashlib
import json
import os
import secrets

from fastw2v.io.errors import FormatError

__all__ = ["META_SUFFIX", "write_index_files", "read_index_meta", "remove_index_files",
           "index_files_exist"]

FORMAT = "fastw2v-index"
FORMAT_VERSION = 1
META_SUFFIX = ".json"
_EDGE_BYTES = 1 << 20  # hashed at each end of the index file: cheap, catches a mismatched pair


def _file_check(path):
    """Size and BLAKE2b of the first and last MiB of `path` (not the whole: it may be GBs)."""
    size = os.path.getsize(path)
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fin:
        h.update(fin.read(_EDGE_BYTES))
        if size > _EDGE_BYTES:
            fin.seek(max(_EDGE_BYTES, size - _EDGE_BYTES))
            h.update(fin.read(_EDGE_BYTES))
    return {"size": size, "edges_blake2b": h.hexdigest()}


def _temp_name(path):
    directory, base = os.path.split(os.path.abspath(path))
    return os.path.join(directory, f".{base}.tmp-{secrets.token_hex(4)}")


def _fsync_file(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_index_files(path, write_index, kind, meta):
    """Write the index (through ``write_index(temp_path)``) and its JSON, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Where the index goes; the JSON goes to ``path + ".json"``.
    write_index : callable
        Writes the library's index file to the path it is given.
    kind : str
        The indexer class, checked on load.
    meta : dict
        JSON-serialisable parameters and fingerprint.
    """
    path = os.path.abspath(os.fspath(path))
    index_tmp, meta_tmp = _temp_name(path), _temp_name(path + META_SUFFIX)
    try:
        write_index(index_tmp)
        _fsync_file(index_tmp)
        doc = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": kind,
               "index_file": _file_check(index_tmp), "meta": meta}
        with open(meta_tmp, "wb") as fout:
            fout.write(json.dumps(doc, ensure_ascii=True, indent=1).encode("ascii"))
            fout.flush()
            os.fsync(fout.fileno())
        os.replace(index_tmp, path)
        os.replace(meta_tmp, path + META_SUFFIX)
    finally:
        for tmp in (index_tmp, meta_tmp):
            if os.path.exists(tmp):
                os.remove(tmp)


def read_index_meta(path, kind):
    """The ``meta`` saved with the index at `path`, after checking the pair belongs together.

    Raises
    ------
    FileNotFoundError
        The index or its JSON is missing.
    fastw2v.io.FormatError
        The JSON is not a fastw2v index description, is for another `kind`, or
        does not match the index file.
    """
    path = os.fspath(path)
    meta_path = path + META_SUFFIX
    for p in (path, meta_path):
        if not os.path.isfile(p):
            raise FileNotFoundError(f"no such index file: {p} (an index is saved as PATH and PATH.json)")
    try:
        with open(meta_path, "rb") as fin:
            doc = json.loads(fin.read().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise FormatError(meta_path, "not a fastw2v index description (not JSON)") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise FormatError(meta_path, f"not a fastw2v index description (no 'format': '{FORMAT}')")
    if doc.get("format_version") != FORMAT_VERSION:
        raise FormatError(meta_path, f"format_version {doc.get('format_version')!r} is not supported "
                                     f"(this fastw2v reads {FORMAT_VERSION})")
    if doc.get("kind") != kind:
        raise FormatError(meta_path, f"describes a {doc.get('kind')!r}, not a {kind!r}")
    if not isinstance(doc.get("meta"), dict):
        raise FormatError(meta_path, "'meta' is not an object")
    if doc.get("index_file") != _file_check(path):
        raise FormatError(path, f"the index file does not match {os.path.basename(meta_path)} "
                                "(written by another save, or damaged); save the index again")
    return doc["meta"]


def index_files_exist(path):
    """Whether an index description lies at ``path + ".json"``."""
    return os.path.isfile(os.fspath(path) + META_SUFFIX)


def remove_index_files(path):
    """Delete a saved index pair (description first, so a half-removed pair is never read)."""
    for p in (os.fspath(path) + META_SUFFIX, os.fspath(path)):
        try:
            os.remove(p)
        except FileNotFoundError:
            pass
