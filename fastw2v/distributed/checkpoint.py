"""Epoch-end checkpoints of a distributed training, and resuming from them.

After the full merge that ends each epoch, rank 0 saves the model (the native
format, written atomically) as ``DIR/epoch-NNNN.w2v`` and then, also atomically,
``DIR/latest.json`` naming it with a fingerprint of the run (parameters, corpus
files, vocabulary, epochs). A run killed at any moment leaves ``latest.json``
naming a complete checkpoint or none. A rerun with the same flags and the same
directory finds it, loads the matrices on rank 0, broadcasts them, and trains
the remaining epochs with the learning rate where the first run left it.
The previous checkpoint is removed once the next one is complete.
"""
from __future__ import annotations

import glob
import hashlib
import json
import logging
import os

import numpy as np

logger = logging.getLogger("fastw2v")

LATEST = "latest.json"


def corpus_stamp(paths) -> list:
    """(path, size, modification time) of each corpus file: what a resumed run must see again."""
    return [[os.path.abspath(p), os.path.getsize(p), os.stat(p).st_mtime_ns] for p in paths]


def vocab_digest(words, counts) -> str:
    """SHA-256 of the vocabulary (words and counts, in order)."""
    h = hashlib.sha256()
    for word in words:
        h.update(word.encode("utf-8", "surrogatepass") + b"\0")
    h.update(np.ascontiguousarray(counts, np.int64).tobytes())
    return h.hexdigest()


class Checkpoints:
    """The checkpoints of one run in ``directory``.

    Parameters
    ----------
    directory : str
    comm : Communicator
    fingerprint : dict
        JSON-able description of the run; a checkpoint is resumed only under the same one.
    """

    def __init__(self, directory, comm, fingerprint: dict):
        self.directory = os.fspath(directory)
        self.comm = comm
        self.fingerprint = json.loads(json.dumps(fingerprint))  # as it reads back
        if comm.rank == 0:
            os.makedirs(self.directory, exist_ok=True)

    def _latest_path(self):
        return os.path.join(self.directory, LATEST)

    def find(self) -> tuple:
        """(epochs done, model path) of the last complete checkpoint of this run, or (0, None).

        Raises
        ------
        ValueError
            On every rank, if the directory holds a checkpoint of another run.
        """
        verdict = b""
        if self.comm.rank == 0:
            verdict = json.dumps(self._read_latest()).encode()
        found = json.loads(self.comm.broadcast_bytes(verdict).decode())
        if "error" in found:
            raise ValueError(found["error"])
        return found["epochs_done"], found["path"]

    def _read_latest(self) -> dict:
        try:
            with open(self._latest_path(), encoding="utf-8") as fin:
                latest = json.load(fin)
        except FileNotFoundError:
            return {"epochs_done": 0, "path": None}
        except (OSError, ValueError) as exc:
            return {"error": f"checkpoint {self._latest_path()} is unreadable ({exc}); remove it "
                             "to start afresh"}
        if latest.get("fingerprint") != self.fingerprint:
            theirs = latest.get("fingerprint") or {}
            differ = sorted(_differences(theirs, self.fingerprint))
            return {"error": f"checkpoint directory {self.directory!r} holds a run with other "
                             f"{', '.join(differ)}: give another --checkpoint directory, or "
                             "remove it to start afresh"}
        path = os.path.join(self.directory, latest["model"])
        return {"epochs_done": int(latest["epochs_done"]), "path": path}

    def restore(self, model, path) -> None:
        """Load the matrices saved at ``path`` (rank 0) into ``model`` on every rank."""
        from ..io.model_file import load_model
        from ..word2vec import Word2Vec

        saved = load_model(Word2Vec, path) if self.comm.rank == 0 else None
        for name in ("vectors", "syn1neg", "syn1"):
            target = _matrix(model, name)
            if target is None:
                continue
            if saved is not None:
                target[...] = _matrix(saved, name)
            self.comm.broadcast(target)
        model.wv.norms = None

    def save(self, model, epochs_done: int) -> None:
        """Rank 0 saves ``model`` as the checkpoint after ``epochs_done`` epochs; all ranks wait."""
        if self.comm.rank == 0:
            from ..io.model_file import save_model
            from ..io.native import _write_atomic

            name = f"epoch-{epochs_done:04d}.w2v"
            save_model(model, os.path.join(self.directory, name))
            latest = {"epochs_done": epochs_done, "model": name, "fingerprint": self.fingerprint}
            _write_atomic(self._latest_path(), lambda f: f.write(json.dumps(latest).encode()))
            for old in glob.glob(os.path.join(self.directory, "epoch-*.w2v*")):
                if not os.path.basename(old).startswith(name):
                    os.remove(old)
            logger.info("checkpoint after epoch %i: %s", epochs_done, name)
        self.comm.barrier()


def _differences(old: dict, new: dict, prefix=""):
    """Names of the entries that differ, parameters by name ("params.vector_size")."""
    for key in set(old) | set(new):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            yield from _differences(a, b, f"{prefix}{key}.")
        elif a != b:
            yield prefix + key


def _matrix(model, name):
    if name == "vectors":
        return model.wv.vectors
    if (name == "syn1neg" and model.negative) or (name == "syn1" and model.hs):
        return getattr(model, name)
    return None
