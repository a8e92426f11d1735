"""The storage behind ``KeyedVectors``: keys, their rows, per-key attributes, unit rows.

One job: keep ``index_to_key``, ``key_to_index``, ``vectors`` and ``expandos`` consistent
as keys are looked up, added, reordered or resized, and cache the norms that
similarity queries divide by. What is asked of the vectors (similarity queries,
evaluation, files) is :class:`fastw2v.keyedvectors.KeyedVectors`, which extends this.
"""
import logging
import warnings

import numpy as np

from fastw2v._uniform import uniform_rows
from fastw2v.search import BLOCK_CELLS

logger = logging.getLogger("fastw2v.keyedvectors")

__all__ = ["VectorStore", "EmptyQueryError", "prep_vectors", "padded_rows", "lined_copy",
           "read_rows", "write_rows", "per_row_factors"]

# Bytes of a cache line: padded_rows starts every row on one.
LINE_BYTES = 64


def prep_vectors(target_shape, prior_vectors=None, seed=0):
    """Random rows uniform in [-1/dim, 1/dim) (gensim's scheme and generator: equal to
    gensim's values for the same seed), the first ones copied from ``prior_vectors`` when
    given. Filled by several threads (fastw2v._uniform)."""
    vectors = uniform_rows(target_shape, seed)
    if prior_vectors is not None and len(prior_vectors):
        vectors[:prior_vectors.shape[0]] = prior_vectors
    return vectors


def padded_rows(rows, dim):
    """A zeroed float32 ``rows`` x ``dim`` matrix whose every row starts a 64-byte cache
    line: the view ``[:, :dim]`` of a C-contiguous matrix ``pitch`` floats wide, ``dim``
    rounded up to whole lines (C-contiguous when ``dim`` fills them); the kernels' own
    buffers use the same pitch (``fw_line_pitch`` in fastw2v/kernels/fw_memory.h).

    The training kernels take such views as they are (each row contiguous, rows evenly
    spaced). With rows 400 bytes apart (dim 100), three rows in four straddle lines and
    every 512-bit load and store of them touches two; with the output layers on whole
    lines the kernels took 0.89-0.98x the CPU time (``benchmarks/README.md``, "Session 11:
    rows on whole cache lines").
    """
    per_line = LINE_BYTES // 4
    pitch = -(-dim // per_line) * per_line
    if rows == 0:
        return np.zeros((0, dim), dtype=np.float32)
    buf = np.zeros(rows * pitch + per_line, dtype=np.float32)
    skip = (-buf.ctypes.data % LINE_BYTES) // 4  # numpy promises 16-byte alignment only
    return buf[skip:skip + rows * pitch].reshape(rows, pitch)[:, :dim]


def lined_copy(rows):
    """A copy of the 2-D ``rows`` as float32 on whole cache lines (padded_rows): how an
    output layer from elsewhere (a gensim model) joins a model that trains it."""
    rows = np.asarray(rows)
    out = padded_rows(len(rows), rows.shape[1])
    out[:] = rows
    return out


# Bytes per block of rows in read_rows / write_rows: a bounded buffer beside the matrix.
ROW_BLOCK_BYTES = 1 << 22


def _rows_per_block(dim, itemsize):
    return max(1, ROW_BLOCK_BYTES // max(1, dim * itemsize))


def read_rows(dest, readinto, dtype):
    """Fill the 2-D float32 matrix ``dest`` (contiguous, or padded_rows' strided view) from
    a stream of its rows in C order, stored as ``dtype`` (``"<f4"`` for the files).

    ``readinto(buf)`` must fill the contiguous array ``buf`` completely or raise. A
    contiguous ``dest`` of ``dtype`` is read in place; otherwise blocks of rows pass
    through one buffer of at most ROW_BLOCK_BYTES, so loading a matrix onto whole lines
    needs no second copy of it.
    """
    dtype = np.dtype(dtype)
    if dest.size == 0:
        return dest
    if dest.flags.c_contiguous and dest.dtype == dtype:
        readinto(dest)
        return dest
    rows, dim = dest.shape
    step = _rows_per_block(dim, dtype.itemsize)
    buf = np.empty((min(step, rows), dim), dtype=dtype)
    for start in range(0, rows, step):
        block = buf[:min(step, rows - start)]
        readinto(block)
        dest[start:start + len(block)] = block
    return dest


def write_rows(fout, rows, dtype):
    """Write the 2-D matrix ``rows`` (contiguous or padded) to the binary file ``fout`` in
    C order as ``dtype``, a contiguous block of at most ROW_BLOCK_BYTES at a time (what
    read_rows reads back). numpy's own ``tofile`` / ``np.save`` write a matrix that is
    neither C- nor Fortran-ordered one element at a time, 10x slower for padded rows."""
    dtype = np.dtype(dtype)
    step = _rows_per_block(rows.shape[1], dtype.itemsize)
    for start in range(0, len(rows), step):
        block = np.ascontiguousarray(rows[start:start + step], dtype=dtype)
        fout.write(memoryview(block).cast("B"))


def per_row_factors(lockf, n, name):
    """gensim's lock factors (None, one value for every row, or one per row) as one float32
    factor for each of ``n`` rows; ValueError naming ``name`` for any other count or a
    value that is not finite."""
    if lockf is None:
        return np.ones(n, dtype=np.float32)
    lockf = np.asarray(lockf, dtype=np.float32).ravel()
    if len(lockf) not in (1, n) or not np.isfinite(lockf).all():
        raise ValueError(f"{name} must hold 1 or {n} finite values, got {len(lockf)}")
    return np.full(n, lockf[0], np.float32) if len(lockf) == 1 else lockf


_KEY_TYPES = (str, int, np.integer)
_EXTENDED_KEY_TYPES = (str, int, np.integer, np.ndarray)


class EmptyQueryError(ValueError, ZeroDivisionError):
    """A query has no input. Also a ZeroDivisionError, which gensim raises in places."""


def _ensure_list(value):
    """Wrap a single key or 1-D vector in a list (gensim's semantics)."""
    if value is None:
        return []
    if isinstance(value, _KEY_TYPES) or (isinstance(value, np.ndarray) and value.ndim == 1):
        return [value]
    if isinstance(value, np.ndarray) and value.ndim == 2:
        return list(value)
    return list(value)


def _unitvec(vec):
    """`vec` scaled to unit L2 length; a zero vector is returned unchanged."""
    norm = np.linalg.norm(vec)
    return vec / norm if norm > 0 else vec


def _safe(norms):
    """Norms with zeros replaced by 1, so zero rows give similarity 0, never NaN."""
    return np.where(norms > 0, norms, 1).astype(norms.dtype, copy=False)


class VectorStore:
    """Keys, their rows of ``vectors``, per-key attributes (``expandos``) and cached norms.

    The base of :class:`fastw2v.keyedvectors.KeyedVectors`, whose docstring lists the
    parameters and attributes. Assigning ``vectors`` drops every cache derived from
    them; after writing into ``vectors`` in place, call :meth:`vectors_changed`.
    """

    def __init__(self, vector_size, count=0, dtype=np.float32):
        self.vector_size = int(vector_size)
        self.index_to_key = [None] * count
        self.next_index = 0
        self.key_to_index = {}
        self.vectors = np.zeros((count, self.vector_size), dtype=dtype)  # sets the caches to None
        self.expandos = {}
        self.derived_attrs = {}  # attribute name -> function(index), see get_vecattr

    def __str__(self):
        return f"{self.__class__.__name__}<vector_size={self.vector_size}, {len(self)} keys>"

    __repr__ = __str__

    @property
    def vectors(self):
        """The (len(index_to_key), vector_size) array of vectors.

        Assigning a new array drops what was cached from the old one (`norms`,
        the unit-length rows); they are recomputed on the next query. The array
        is kept as given: a memory-mapped or read-only array stays one.

        Writes *into* the array (``kv.vectors[i] = v``, ``kv.vectors *= 2``,
        training) cannot be seen here, as in gensim: call `vectors_changed`
        after them, or the next query may use stale norms.
        """
        return self._vectors

    @vectors.setter
    def vectors(self, value):
        self._vectors = value
        self.vectors_changed()

    def vectors_changed(self):
        """Drop the caches derived from `vectors` (`norms`, the unit-length rows).

        Call it after writing into `vectors` in place; assigning `vectors`
        calls it itself. (fastw2v extension; in gensim, set ``norms = None``.)
        """
        self.norms = None
        self._unit = None
        self._unit_norms = None

    # ------------------------------------------------------------------ lookups

    def __len__(self):
        return len(self.index_to_key)

    def __contains__(self, key):
        return self.has_index_for(key)

    def __getitem__(self, key_or_keys):
        """Vector of a key (1-D) or of a list of keys (2-D)."""
        if isinstance(key_or_keys, _KEY_TYPES):
            return self.get_vector(key_or_keys)
        return self.vectors[[self.get_index(k) for k in key_or_keys]]

    def __setitem__(self, keys, weights):
        """Add or replace vectors (`add_vectors` with ``replace=True``)."""
        if not isinstance(keys, list):
            keys = [keys]
            weights = np.asarray(weights).reshape(1, -1)
        self.add_vectors(keys, weights, replace=True)

    def get_index(self, key, default=None):
        """Row index of `key`; an int within range is its own index.

        Raises
        ------
        KeyError
            Unknown key and no `default`.
        """
        val = self.key_to_index.get(key, -1)
        if val >= 0:
            return val
        if isinstance(key, (int, np.integer)) and 0 <= key < len(self.index_to_key):
            return int(key)
        if default is not None:
            return default
        raise KeyError(f"Key '{key}' not present")

    def has_index_for(self, key):
        """Whether `key` has a row."""
        return self.get_index(key, -1) >= 0

    def get_vector(self, key, norm=False):
        """Vector of `key` (read-only view); unit length if `norm`.

        Raises
        ------
        KeyError
            Unknown key.
        """
        index = self.get_index(key)
        if norm:
            self.fill_norms()
            result = self.vectors[index] / _safe(self.norms[index:index + 1])[0]
        else:
            result = self.vectors[index]
        result.setflags(write=False)
        return result

    def word_vec(self, *args, **kwargs):
        """Alias of `get_vector` (deprecated in gensim)."""
        return self.get_vector(*args, **kwargs)

    # ------------------------------------------------------------------ per-key attributes

    def allocate_vecattrs(self, attrs=None, types=None):
        """Ensure arrays for the given attributes exist, sized to ``len(index_to_key)``.

        With no arguments, resize all existing attribute arrays.
        """
        if attrs is None:
            attrs = list(self.expandos)
            types = [self.expandos[a].dtype for a in attrs]
        target = len(self.index_to_key)
        for attr, t in zip(attrs, types):
            if t is int:
                t = np.int64
            if t is str:
                t = object
            if attr not in self.expandos:
                self.expandos[attr] = np.zeros(target, dtype=t)
                continue
            prev = self.expandos[attr]
            if not np.issubdtype(t, prev.dtype):
                raise TypeError(f"Can't allocate type {t} for attribute {attr}, "
                                f"conflicts with its existing type {prev.dtype}")
            if len(prev) != target:
                grown = np.zeros(target, dtype=prev.dtype)
                keep = min(len(prev), target)
                grown[:keep] = prev[:keep]
                self.expandos[attr] = grown

    def set_vecattr(self, key, attr, val):
        """Set attribute `attr` of `key` to `val` (creating the attribute array if needed)."""
        self.allocate_vecattrs(attrs=[attr], types=[type(val)])
        self.expandos[attr][self.get_index(key)] = val

    def get_vecattr(self, key, attr):
        """Value of attribute `attr` of `key`.

        Besides ``expandos``, a model may attach attributes it derives from its own
        tables instead of storing them per key (``Word2Vec`` with ``hs=1``: ``code``
        and ``point``, the key's Huffman path); those are read-only here.
        """
        values = self.expandos.get(attr)
        derived = getattr(self, "derived_attrs", {})
        if values is None and attr in derived:
            return derived[attr](self.get_index(key))
        if values is None:
            raise KeyError(attr)
        return values[self.get_index(key)]

    def lock_factors(self):
        """``vectors_lockf`` as one float32 factor per row (all 1 when unset).

        gensim's convention: one value for every row, or one value per row; 0 keeps a
        row's vector fixed in training, 1 trains it fully.

        Raises
        ------
        ValueError
            If there are neither 1 nor ``len(vectors)`` values, or one is not finite.
        """
        return per_row_factors(getattr(self, "vectors_lockf", None), len(self.vectors),
                               "vectors_lockf")

    def resize_vectors(self, seed=0):
        """Make ``vectors`` (and every attribute) as long as ``index_to_key``.

        Existing rows are kept; new rows are random (as a model initialises them).
        """
        target = (len(self.index_to_key), self.vector_size)
        self.vectors = prep_vectors(target, prior_vectors=self.vectors[:target[0]], seed=seed)
        self.allocate_vecattrs()

    def vectors_for_all(self, keys, allow_inference=True, copy_vecattrs=False):
        """A new KeyedVectors with the vectors of `keys` (deduplicated, in first-seen order).

        Parameters
        ----------
        keys : iterable
        allow_inference : bool
            For subclasses that can infer vectors of unknown keys; here unknown keys
            are left out either way.
        copy_vecattrs : bool
            Copy the per-key attributes of the kept keys too.
        """
        wanted = [k for k in dict.fromkeys(keys) if k in self.key_to_index]
        rows = np.array([self.key_to_index[k] for k in wanted], dtype=np.int64)
        out = type(self)(self.vector_size, dtype=self.vectors.dtype)
        out.add_vectors(wanted, self.vectors[rows] if len(rows) else
                        np.zeros((0, self.vector_size), self.vectors.dtype))
        # Without copy_vecattrs, counts are made up in key order (most frequent first),
        # as for vectors read from a word2vec file; gensim does the same.
        out.expandos = {"count": np.arange(len(wanted), 0, -1, dtype=np.int64)}
        if copy_vecattrs:
            out.expandos.update({attr: np.asarray(values)[rows].copy()
                                 for attr, values in self.expandos.items()})
        return out

    # ------------------------------------------------------------------ adding vectors

    def add_vector(self, key, vector):
        """Add one vector, into a preallocated slot when one is free.

        Returns
        -------
        int
            Index of the new vector.
        """
        target = self.next_index
        if target >= len(self) or self.index_to_key[target] is not None:
            target = len(self)
            warnings.warn(
                "Adding single vectors to a KeyedVectors which grows by one each time can be costly. "
                "Consider adding in batches or preallocating to the required size.", UserWarning)
            self.add_vectors([key], [vector])
            self.next_index = target + 1
        else:
            self.index_to_key[target] = key
            self.key_to_index[key] = target
            self.vectors[target] = vector
            self.next_index += 1
            self.vectors_changed()  # an in-place write: the property cannot see it
        return target

    def add_vectors(self, keys, weights, extras=None, replace=False):
        """Append keys and vectors; existing keys keep their vector unless `replace`.

        Parameters
        ----------
        keys : key or list of keys
        weights : numpy.ndarray or list of 1-D arrays
        extras : dict of str -> numpy.ndarray, optional
            Per-key attribute values, aligned with `keys`.
        replace : bool
            Overwrite the vectors (and extras) of keys already present.
        """
        if isinstance(keys, _KEY_TYPES):
            keys = [keys]
            weights = np.asarray(weights).reshape(1, -1)
        weights = np.asarray(weights)
        if weights.ndim != 2 or weights.shape != (len(keys), self.vector_size):
            raise ValueError(f"weights of shape {weights.shape} do not match "
                             f"{len(keys)} keys of size {self.vector_size}")
        extras = {k: np.asarray(v) for k, v in (extras or {}).items()}
        self.allocate_vecattrs(list(extras), [v.dtype for v in extras.values()])
        new_rows, old_rows, old_index = [], [], []
        for i, key in enumerate(keys):
            idx = self.key_to_index.get(key)
            if idx is None:
                self.key_to_index[key] = len(self.index_to_key)
                self.index_to_key.append(key)
                new_rows.append(i)
            else:
                old_rows.append(i)
                old_index.append(idx)
        self.vectors = np.vstack((self.vectors, weights[new_rows].astype(self.vectors.dtype)))
        self.allocate_vecattrs()
        n_new = len(new_rows)
        for attr, values in extras.items():
            if n_new:
                self.expandos[attr][-n_new:] = values[new_rows]
        if replace and old_rows:  # writes into the array assigned above: caches already dropped
            self.vectors[old_index] = weights[old_rows]
            for attr, values in extras.items():
                self.expandos[attr][old_index] = values[old_rows]

    def sort_by_descending_frequency(self):
        """Reorder keys so the most frequent (``count``) come first (stable)."""
        if not len(self):
            return
        counts = np.asarray(self.expandos["count"], dtype=np.int64)
        order = np.lexsort((np.arange(len(counts)), -counts))
        self.index_to_key = [self.index_to_key[i] for i in order]
        self.allocate_vecattrs()
        for attr in self.expandos:
            self.expandos[attr] = self.expandos[attr][order]
        if len(self.vectors):
            self.vectors = self.vectors[order]
        self.key_to_index = {key: i for i, key in enumerate(self.index_to_key)}

    # ------------------------------------------------------------------ norms

    def fill_norms(self, force=False):
        """Compute the L2 norms of all vectors if missing, stale or `force`."""
        if force or self.norms is None or len(self.norms) != len(self.vectors):
            norms = np.empty(len(self.vectors), dtype=self.vectors.dtype)
            step = max(1, BLOCK_CELLS // max(1, self.vector_size))
            for start in range(0, len(self.vectors), step):  # bounded temporaries
                norms[start:start + step] = np.linalg.norm(self.vectors[start:start + step], axis=1)
            self.norms = norms

    def _unit_vectors(self):
        """Cached unit-length rows; rebuilt whenever `norms` was reset or recomputed."""
        self.fill_norms()
        if self._unit is None or self._unit_norms is not self.norms or len(self._unit) != len(self.vectors):
            self._unit = self.vectors / _safe(self.norms)[:, None]
            self._unit_norms = self.norms
        return self._unit

    def get_normed_vectors(self):
        """All vectors scaled to unit length, shape ``(len(self), vector_size)``.

        Zero vectors stay zero.
        """
        return self._unit_vectors().copy()

    def unit_normalize_all(self):
        """Scale all vectors to unit length in place (training cannot sensibly continue)."""
        self.fill_norms()
        self.vectors /= _safe(self.norms)[:, None]  # through the setter: drops the caches
        self.norms = np.ones(len(self.vectors), dtype=self.vectors.dtype)

    def init_sims(self, replace=False):
        """Deprecated in gensim: `fill_norms`, and `unit_normalize_all` if `replace`."""
        self.fill_norms()
        if replace:
            self.unit_normalize_all()

    # ------------------------------------------------------------------ similarity queries

    def get_mean_vector(self, keys, weights=None, pre_normalize=True, post_normalize=False,
                        ignore_missing=True):
        """Weighted mean of the vectors of `keys` (keys or raw 1-D arrays).

        Raises
        ------
        ValueError
            No keys, or `keys` and `weights` differ in length.
        KeyError
            A key is missing and not `ignore_missing`.
        """
        if len(keys) == 0:
            raise EmptyQueryError("cannot compute mean with no input")
        if weights is None:
            weights = np.ones(len(keys), dtype=self.vectors.dtype)
        weights = np.asarray(weights, dtype=self.vectors.dtype)
        if len(keys) != weights.shape[0]:
            raise ValueError("keys and weights array must have same number of elements")
        mean = np.zeros(self.vector_size, self.vectors.dtype)
        total_weight = 0
        for idx, key in enumerate(keys):
            if isinstance(key, np.ndarray):
                mean += weights[idx] * key
                total_weight += abs(weights[idx])
            elif key in self:
                mean += weights[idx] * self.get_vector(key, norm=pre_normalize)
                total_weight += abs(weights[idx])
            elif not ignore_missing:
                raise KeyError(f"Key '{key}' not present in vocabulary")
        if total_weight > 0:
            mean = mean / total_weight
        if post_normalize:
            mean = _unitvec(mean).astype(self.vectors.dtype)
        return mean

    def _set_all(self, keys, vectors, expandos):
        """Replace keys, vectors (kept as given, e.g. memory-mapped) and per-key attributes."""
        self.index_to_key = list(keys)
        self.key_to_index = {k: i for i, k in enumerate(self.index_to_key)}
        self.vectors = vectors
        self.vector_size = vectors.shape[1]
        self.expandos = dict(expandos)
        self.next_index = len(self.index_to_key)

    # ------------------------------------------------------------------ native format
