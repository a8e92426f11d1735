"""fastw2v's native format: JSON metadata plus one ``.npy`` file per array, no pickle.

Layout
------
``path`` itself is a small UTF-8 JSON document::

    {
      "format": "fastw2v",
      "format_version": 1,
      "kind": "KeyedVectors",               # which class wrote it
      "meta": {...},                        # JSON-serialisable, class specific
      "arrays": {"vectors": "model.kv.3f9c0a1b2c3d4e5f.vectors.npy", ...},
      "array_info": {"vectors": {"shape": [n, dim], "dtype": "<f4"}, ...}
    }

Each array lives in a side file in the same directory, named
``basename(path) + "." + token + "." + name + ".npy"``, written by
``np.save(allow_pickle=False)`` (object arrays are refused), so it can be
memory-mapped on load. ``token`` is fresh for every save.

Atomicity
---------
A save (1) writes every new ``.npy`` to a temporary file, fsyncs it and
``os.replace``-s it to its final name, (2) writes the JSON to a temporary file
in the same directory, fsyncs it and ``os.replace``-s it over ``path`` (the
commit point), fsyncs the directory, then (3) deletes the ``.npy`` files of the
save it replaced. The new side files never overwrite the old ones (different
token), so a crash at any moment leaves ``path`` naming a complete set of
arrays: the old model before the JSON replace, the new one after it. A crash
can at worst leave orphan ``.npy`` files behind.

Loading validates the JSON (format, version, kind, array names, file names
that stay in the directory) and that every array matches the shape and dtype
recorded at save; problems raise :class:`~fastw2v.io.errors.FormatError`
naming the file.
"""
import json
import os
import re
import secrets

import numpy as np

from fastw2v.io.errors import FormatError, WrongModelKindError

__all__ = ["save_native", "load_native", "FORMAT", "FORMAT_VERSION"]

FORMAT = "fastw2v"
FORMAT_VERSION = 1
_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
_MMAP_MODES = (None, "r", "r+", "c")


def _fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows: directories cannot be opened
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_atomic(final_path, write):
    """Write via `write(fileobj)` to a temp file beside `final_path`, fsync, rename."""
    directory, base = os.path.split(final_path)
    tmp = os.path.join(directory, f".{base}.tmp-{secrets.token_hex(4)}")
    try:
        with open(tmp, "wb") as fout:
            write(fout)
            fout.flush()
            os.fsync(fout.fileno())
        os.replace(tmp, final_path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


def _previous_side_files(path):
    """Side files named by the save currently at `path` (empty if none or unreadable)."""
    try:
        with open(path, "rb") as fin:
            doc = json.loads(fin.read().decode("utf-8"))
        names = list(doc["arrays"].values())
    except Exception:  # nothing (valid) there: nothing to clean up
        return []
    prefix = os.path.basename(path) + "."
    return [n for n in names if isinstance(n, str) and n.startswith(prefix)
            and n.endswith(".npy") and os.path.basename(n) == n]


def _write_npy(f, arr):
    """``np.save(f, arr)``, the same bytes, for a matrix with padded rows too: np.save
    writes an array that is neither C- nor Fortran-contiguous one element at a time into a
    real file; its rows go through vector_store.write_rows instead."""
    if arr.ndim != 2 or arr.flags.c_contiguous or arr.flags.f_contiguous or arr.size == 0:
        np.save(f, arr, allow_pickle=False)
        return
    from fastw2v.vector_store import write_rows

    fmt = np.lib.format
    fmt.write_array_header_1_0(f, fmt.header_data_from_array_1_0(arr))
    write_rows(f, arr, arr.dtype)


def save_native(path, arrays, meta, kind):
    """Save `arrays` and `meta` at `path` atomically (see the module docstring).

    Parameters
    ----------
    path : str or os.PathLike
        The JSON file to write; side files go next to it.
    arrays : dict of str -> numpy.ndarray
        Names made of letters, digits, ``_ . -`` (at most 100 characters).
    meta : dict
        JSON-serialisable metadata.
    kind : str
        What is saved (e.g. ``"KeyedVectors"``); checked by `load_native`.

    Raises
    ------
    ValueError
        An array name is invalid, an array has object dtype, or `meta` is
        not JSON-serialisable.
    """
    path = os.path.abspath(os.fspath(path))
    directory, base = os.path.split(path)
    for name, arr in arrays.items():
        if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
            raise ValueError(f"invalid array name {name!r}")
        if not isinstance(arr, np.ndarray):
            raise ValueError(f"array {name!r} is a {type(arr).__name__}, not a numpy array")
        if arr.dtype.hasobject:
            raise ValueError(f"array {name!r} has object dtype; the native format stores no pickles")
    try:
        json.dumps(meta)
    except (TypeError, ValueError) as err:
        raise ValueError(f"meta is not JSON-serialisable: {err}") from None

    old_files = _previous_side_files(path)
    token = secrets.token_hex(8)
    files = {name: f"{base}.{token}.{name}.npy" for name in arrays}
    doc = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "kind": kind, "meta": meta,
        "arrays": files,
        "array_info": {name: {"shape": list(arr.shape), "dtype": arr.dtype.str}
                       for name, arr in arrays.items()},
    }
    written = []
    try:
        for name, arr in arrays.items():
            target = os.path.join(directory, files[name])
            _write_atomic(target, lambda f, a=arr: _write_npy(f, a))
            written.append(target)
        payload = json.dumps(doc, ensure_ascii=True).encode("ascii")
        _write_atomic(path, lambda f: f.write(payload))
    except BaseException:
        for target in written:
            try:
                os.remove(target)
            except OSError:
                pass
        raise
    _fsync_dir(directory)
    for old in old_files:
        if old not in files.values():
            try:
                os.remove(os.path.join(directory, old))
            except OSError:  # already gone, or in use on Windows: an orphan, not an error
                pass


def _check(cond, path, problem):
    if not cond:
        raise FormatError(path, problem)


def _check_npy_header(full, name):
    """Refuse object (pickle) arrays and headers whose size disagrees with the file's,
    before ``np.load`` allocates anything."""
    fmt = np.lib.format
    try:
        with open(full, "rb") as fin:
            version = fmt.read_magic(fin)
            if version == (1, 0):
                shape, fortran, dtype = fmt.read_array_header_1_0(fin)
            elif version == (2, 0):
                shape, fortran, dtype = fmt.read_array_header_2_0(fin)
            else:  # 3.0 is only written for structured dtypes, which fastw2v never saves
                raise ValueError(f".npy format version {version} is not supported")
            data_start = fin.tell()
    except Exception as err:  # numpy's header parser raises ValueError, SyntaxError, TokenError...
        raise FormatError(full, f"unreadable array {name!r}: {err}") from None
    if dtype.hasobject:
        raise FormatError(full, f"array {name!r} holds Python objects (a pickle); refused")
    n = 1
    for d in shape:
        n *= int(d)
    expected = n * dtype.itemsize
    actual = os.path.getsize(full) - data_start
    if expected != actual:
        raise FormatError(full, f"array {name!r}: header declares shape {tuple(shape)} of "
                                f"{dtype.str} ({expected} bytes) but the file holds {actual} bytes")
    return tuple(shape), fortran, dtype, data_start


def _load_lined(full, name, header):
    """The float32 matrix of ``full`` read onto whole cache lines (padded_rows), a block of
    rows at a time; None when the array is not a C-ordered 2-D float32 one (np.load's)."""
    from fastw2v.vector_store import padded_rows, read_rows

    shape, fortran, dtype, data_start = header
    if len(shape) != 2 or fortran or dtype != np.float32:
        return None
    dest = padded_rows(*shape)

    with open(full, "rb") as fin:
        fin.seek(data_start)

        def readinto(buf):
            view = memoryview(buf).cast("B")
            if fin.readinto(view) != len(view):  # the file shrank since its header was checked
                raise FormatError(full, f"array {name!r} ended early")
        return read_rows(dest, readinto, dtype)


def _read_doc(path):
    """The JSON document of a native file, its format, version and kind checked."""
    with open(path, "rb") as fin:
        raw = fin.read()
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        if raw[:1] == b"\x80":  # pickle protocol 2+: most likely a gensim model
            raise FormatError(path, "this is a pickle (a gensim model?), which fastw2v never loads "
                                    "implicitly; convert it once, on a file you trust, with "
                                    f"`fastw2v convert {path} NEW.w2v` (needs gensim)") from None
        raise FormatError(path, "not a fastw2v model file (not JSON)") from None
    _check(isinstance(doc, dict) and doc.get("format") == FORMAT, path,
           "not a fastw2v model file (no 'format': 'fastw2v')")
    version = doc.get("format_version")
    _check(version == FORMAT_VERSION, path,
           f"format_version {version!r} is not supported (this fastw2v reads {FORMAT_VERSION})")
    _check(isinstance(doc.get("kind"), str), path, "no 'kind'")
    return doc


def read_kind(path):
    """Which class wrote the native file at `path` (its ``kind``), without loading its arrays.

    Raises
    ------
    FormatError
        Not a fastw2v file, or an unsupported version.
    """
    return _read_doc(os.fspath(path))["kind"]


def load_native(path, mmap=None, expected_kind=None, lined=()):
    """Load what `save_native` wrote at `path`.

    Parameters
    ----------
    path : str or os.PathLike
        The JSON file.
    mmap : {None, 'r', 'r+', 'c'}
        Memory-map the arrays with this mode (None: read into memory).
    expected_kind : str, optional
        Refuse files whose ``kind`` differs.
    lined : collection of str
        Arrays to read with every row on whole cache lines (a view of a padded matrix,
        ``fastw2v.vector_store.padded_rows``) when they are read into memory: the layers a
        model trains, which the kernels update faster there.

    Returns
    -------
    arrays : dict of str -> numpy.ndarray
        ``np.memmap`` instances when `mmap` is given.
    meta : dict

    Raises
    ------
    FormatError
        Not a fastw2v file, unsupported version, wrong kind, or a missing,
        unreadable or inconsistent array file.
    """
    if mmap not in _MMAP_MODES:
        raise ValueError(f"mmap must be one of {_MMAP_MODES}, got {mmap!r}")
    path = os.fspath(path)
    doc = _read_doc(path)
    kind = doc["kind"]
    if expected_kind is not None and kind != expected_kind:
        raise WrongModelKindError(path, f"holds a {kind}, not a {expected_kind}")
    meta, files, info = doc.get("meta"), doc.get("arrays"), doc.get("array_info")
    _check(isinstance(meta, dict), path, "'meta' is not an object")
    _check(isinstance(files, dict) and isinstance(info, dict) and set(files) == set(info), path,
           "'arrays' and 'array_info' are missing or disagree")
    directory = os.path.dirname(os.path.abspath(path))
    arrays = {}
    for name, fname in files.items():
        _check(isinstance(name, str) and _NAME_RE.fullmatch(name) is not None, path,
               f"invalid array name {name!r}")
        _check(isinstance(fname, str) and fname.endswith(".npy") and os.path.basename(fname) == fname
               and fname not in (".", ".."), path, f"invalid file name {fname!r} for array {name!r}")
        full = os.path.join(directory, fname)
        _check(os.path.isfile(full), path, f"array file {fname} is missing")
        header = _check_npy_header(full, name)
        try:
            arr = _load_lined(full, name, header) if mmap is None and name in lined else None
            if arr is None:
                arr = np.load(full, mmap_mode=mmap, allow_pickle=False)
        except FormatError:  # _load_lined's own, which names the file already
            raise
        except (ValueError, EOFError, OSError, MemoryError) as err:
            raise FormatError(full, f"unreadable array {name!r}: {err}") from None
        _check(isinstance(arr, np.ndarray), full, f"array {name!r} is not a .npy array")
        spec = info[name]
        _check(isinstance(spec, dict) and list(arr.shape) == spec.get("shape")
               and arr.dtype.str == spec.get("dtype"), full,
               f"array {name!r} has shape {arr.shape} dtype {arr.dtype.str}, "
               f"the model file records {spec}")
        arrays[name] = arr
    return arrays, meta
