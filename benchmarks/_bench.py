"""Shared code of compare.py and quality.py: peers, fresh-process runs, one evaluation.

Each measurement is one child process (`_runner.py`): the parent times it from spawn
to exit and reads its peak RSS from ``os.wait4``. Vectors come back as word2vec binary
files and every trainer is scored here by the same gensim evaluation code, untimed.
"""

import bz2
import contextlib
import datetime
import gzip
import json
import logging
import lzma
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "_runner.py")

# Keep BLAS/OpenMP pools from competing with the training threads (same for every peer).
CHILD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

# --------------------------------------------------------------------------- peers


@dataclass(frozen=True)
class Trainer:
    """One row source: a backend and how it is fed the corpus."""

    name: str      # label in tables, e.g. "gensim-file"
    backend: str   # module the runner imports: fastw2v | gensim | fasttext
    input: str     # corpus_file | iterable (fastText always reads its file)
    pythonpath: str = ""  # a checkout to import the backend from (e.g. fastw2v before a change)


TRAINERS = {
    t.name: t
    for t in [
        Trainer("fastw2v-file", "fastw2v", "corpus_file"),
        Trainer("fastw2v-iter", "fastw2v", "iterable"),
        Trainer("gensim-file", "gensim", "corpus_file"),
        Trainer("gensim-iter", "gensim", "iterable"),
        Trainer("fasttext", "fasttext", "corpus_file"),
    ]
}
REFERENCE = "gensim-file"  # ratio columns are against this trainer, same mode


def select_trainers(peers):
    """Trainer list for `--peers`: a backend name selects all its trainers, a trainer name one.

    fastw2v is the subject of every comparison, so its trainers always come first.
    """
    wanted = ["fastw2v"] + [p.strip() for p in peers if p.strip()]
    chosen = []
    for token in wanted:
        matches = [t for t in TRAINERS.values() if token in (t.name, t.backend)]
        if not matches:
            raise SystemExit(f"unknown peer {token!r}; choose from backends fastw2v, gensim, "
                             f"fasttext or trainers {', '.join(TRAINERS)}")
        chosen += [t for t in matches if t not in chosen]
    return chosen


def backend_versions():
    """What the runner can import, asked of a child so it sees what the runs will see."""
    out = subprocess.run([sys.executable, RUNNER, "--versions"], capture_output=True,
                         text=True, env={**os.environ, **CHILD_ENV}, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def available(trainers, versions, log=print):
    """Drop trainers whose backend is not importable, saying so."""
    keep = []
    for backend in dict.fromkeys(t.backend for t in trainers):
        if versions.get(backend) is None:
            why = versions.get(backend + "_error", "not installed")
            log(f"note: skipping {backend}: not importable ({why})")
        else:
            keep += [t for t in trainers if t.backend == backend]
    return keep


# --------------------------------------------------------------------------- corpus


def prepare_corpus(path, workdir):
    """Plain-text path for `path`; .xz/.gz/.bz2 are decompressed once into `workdir`."""
    openers = {".xz": lzma.open, ".gz": gzip.open, ".bz2": bz2.open}
    root, ext = os.path.splitext(path)
    if ext not in openers:
        return os.path.abspath(path)
    target = os.path.join(workdir, os.path.basename(root))
    with openers[ext](path, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    return target


def count_tokens(path):
    """Raw corpus tokens (ASCII whitespace split), before min_count and subsampling."""
    tokens = 0
    with open(path, "rb") as f:
        for line in f:
            tokens += len(line.split())
    return tokens


# --------------------------------------------------------------------------- one run


@dataclass
class Run:
    trainer: str
    mode: str           # sg-ns | cbow-ns | sg-hs | cbow-hs
    seed: object        # an int, or "mean" in summary rows
    threads: int
    epochs: int
    ok: bool
    seconds: float      # whole child process, measured by the parent
    peak_rss_mb: float
    words: int          # raw corpus tokens x epochs
    cpu_seconds: float = math.nan  # child's user + system time (less sensitive to load)
    steal_seconds: float = math.nan  # CPU time the hypervisor took from this VM meanwhile
    vocab: int = 0
    error: str = ""
    analogy: float = math.nan
    ws353: float = math.nan
    simlex: float = math.nan
    oov_ws353: float = math.nan   # with --oov: Spearman over pairs of out-of-vocabulary words
    oov_simlex: float = math.nan

    @property
    def words_per_sec(self):
        return self.words / self.seconds if self.ok and self.seconds > 0 else math.nan


def steal_seconds():
    """CPU seconds the hypervisor has taken from this machine since boot, all CPUs
    (``/proc/stat``'s steal column), or NaN where there is none to read."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return math.nan


def mode_name(arch, hs):
    return f"{arch}-{'hs' if hs else 'ns'}"


def run_trainer(trainer, corpus, tokens, arch, hs, epochs, threads, seed, workdir,
                settings=None, evaluate_vectors=True):
    """Train in a fresh process, then (untimed) evaluate its vectors; returns a Run.

    ``settings`` are the runner's options beyond these arguments (e.g. ``model``,
    ``min_n``); with ``oov_words`` the runner also writes the out-of-vocabulary vectors,
    scored here by :func:`evaluate_oov`.
    """
    out = os.path.join(workdir, f"{trainer.name}-{arch}-{seed}-{threads}.bin")
    cmd = [sys.executable, RUNNER, "--backend", trainer.backend, "--input", trainer.input,
           "--arch", arch, "--corpus", corpus, "--out", out, "--epochs", str(epochs),
           "--threads", str(threads), "--seed", str(seed)] + (["--hs"] if hs else [])
    cmd += runner_options(settings)
    run = Run(trainer.name, mode_name(arch, hs), seed, threads, epochs, ok=False,
              seconds=math.nan, peak_rss_mb=math.nan, words=tokens * epochs)
    with tempfile.TemporaryFile("w+") as so, tempfile.TemporaryFile("w+") as se:
        start, stolen = time.perf_counter(), steal_seconds()
        env = {**os.environ, **CHILD_ENV}
        if trainer.pythonpath:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [trainer.pythonpath,
                                                               env.get("PYTHONPATH")]))
        proc = subprocess.Popen(cmd, stdout=so, stderr=se, env=env)
        # wait4 instead of proc.wait(): it also gives this child's own rusage.
        _, status, usage = os.wait4(proc.pid, 0)
        run.seconds = time.perf_counter() - start
        # A slow run with steal: the hypervisor ran someone else; without: the cores ran
        # slower (or the code did).
        run.steal_seconds = steal_seconds() - stolen
        proc.returncode = os.waitstatus_to_exitcode(status)
        run.peak_rss_mb = usage.ru_maxrss / 1024  # Linux reports KiB
        run.cpu_seconds = usage.ru_utime + usage.ru_stime
        so.seek(0)
        se.seek(0)
        stdout, stderr = so.read(), se.read()
    info = _last_json(stdout)
    if proc.returncode != 0 or not info.get("ok") or not os.path.exists(out):
        tail = " | ".join(stderr.strip().splitlines()[-3:]) or f"exit status {proc.returncode}"
        run.error = f"failed (rc={proc.returncode}): {tail}"
        return run
    run.ok, run.vocab = True, int(info.get("vocab", 0))
    if (settings or {}).get("oov_words") and info.get("oov_left_in_vocab"):
        # The trim rule did not drop every evaluation word: the OOV scores would be wrong.
        run.ok = False
        run.error = (f"trim_rule left {info['oov_left_in_vocab']} of the --oov words in the "
                     "vocabulary")
    elif evaluate_vectors:
        scores = evaluate(out)
        run.analogy, run.ws353, run.simlex = scores["analogy"], scores["ws353"], scores["simlex"]
        if os.path.exists(out + ".oov"):
            scores = evaluate_oov(out + ".oov")
            run.oov_ws353, run.oov_simlex = scores["ws353"], scores["simlex"]
    for path in (out, out + ".oov"):
        with contextlib.suppress(OSError):
            os.remove(path)
    return run


def run_vocab_build(backend, corpus, threads, hs, settings=None):
    """Time build_vocab(corpus_file=...) in a fresh process; the runner's JSON, or None."""
    cmd = [sys.executable, RUNNER, "--backend", backend, "--vocab-only", "--corpus", corpus,
           "--threads", str(threads)] + (["--hs"] if hs else []) + runner_options(settings)
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **CHILD_ENV})
    info = _last_json(proc.stdout)
    return info if proc.returncode == 0 and info.get("ok") else None


def runner_options(settings):
    """``{"min_n": 3}`` -> ``["--min-n", "3"]``: the runner's spelling of each setting."""
    out = []
    for key, value in (settings or {}).items():
        out += ["--" + key.replace("_", "-"), str(value)]
    return out


def run_record(run, **extra):
    """A Run as a JSON-ready dict (NaN becomes null), with derived fields added."""
    d = asdict(run)
    d.update(words_per_sec=run.words_per_sec, **extra)
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}


def run_json_child(cmd, env=None):
    """Run ``cmd`` as a child process: (the JSON of its last stdout line, or None when it
    exited non-zero, and its peak resident memory in MB, from ``os.wait4``)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    peak_rss_mb = usage.ru_maxrss / 1024
    if os.waitstatus_to_exitcode(status) != 0:
        return None, peak_rss_mb
    return json.loads(out.strip().splitlines()[-1]), peak_rss_mb


def _last_json(text):
    for line in reversed(text.strip().splitlines()):
        with contextlib.suppress(ValueError):
            obj = json.loads(line)
            if isinstance(obj, dict):
                return obj
    return {}


# --------------------------------------------------------------------------- evaluation


def evaluate(path, restrict_vocab=30000):
    """Scores of a word2vec-binary file with gensim's evaluation code, for every trainer.

    analogy: Google questions-words accuracy over the `restrict_vocab` most frequent words;
    ws353, simlex: Spearman correlation with human judgements (OOV pairs skipped).
    """
    import warnings

    from gensim.models import KeyedVectors
    from gensim.test.utils import datapath

    logging.getLogger("gensim").setLevel(logging.ERROR)
    kv = KeyedVectors.load_word2vec_format(path, binary=True)
    analogy, _ = kv.evaluate_word_analogies(datapath("questions-words.txt"),
                                            restrict_vocab=restrict_vocab)
    scores = {"analogy": float(analogy)}
    for key, name in PAIR_FILES.items():
        with warnings.catch_warnings():  # constant input on tiny corpora: nan, not noise
            warnings.simplefilter("ignore")
            try:
                _, spearman, _ = kv.evaluate_word_pairs(datapath(name))
            except ValueError:  # every pair out of vocabulary (an --oov run dropped them)
                spearman = (math.nan,)
        scores[key] = float(spearman[0])
    return scores


# The word-pair benchmarks: score key -> gensim's test data file.
PAIR_FILES = {"ws353": "wordsim353.tsv", "simlex": "simlex999.txt"}


def word_pairs(name):
    """(word_a, word_b, human score) of a gensim word-pair file, words lowercased.

    Lines starting with ``#`` are comments, fields are tab-separated (the files'
    format, which ``evaluate_word_pairs`` reads too).
    """
    from gensim.test.utils import datapath

    pairs = []
    with open(datapath(name), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            a, b, score = line.rstrip("\n").split("\t")[:3]
            pairs.append((a.lower(), b.lower(), float(score)))
    return pairs


def oov_words():
    """Every word of the word-pair benchmarks, lowercased, in first-seen order.

    Training with these dropped from the vocabulary makes each pair a pair of
    out-of-vocabulary words, whose vectors come from their character n-grams alone.
    """
    words = {}
    for name in PAIR_FILES.values():
        for a, b, _ in word_pairs(name):
            words[a] = words[b] = None
    return list(words)


def evaluate_oov(path):
    """Spearman correlation of every word pair's cosine with the human scores.

    The same code for every library: ``path`` holds (word2vec binary) the vectors a
    trainer composed for the out-of-vocabulary words (``_runner.py --oov-words``).
    gensim's ``evaluate_word_pairs`` would skip these pairs as out of vocabulary, so the
    correlation is computed here. A pair with a zero vector (no n-gram) is left out.

    Parameters
    ----------
    path : str
        word2vec binary file with a vector for each word of :func:`oov_words`.

    Returns
    -------
    dict
        ``{"ws353": rho, "simlex": rho}``; NaN where fewer than 3 pairs could be scored.
    """
    import numpy as np
    from gensim.models import KeyedVectors
    from scipy.stats import spearmanr

    kv = KeyedVectors.load_word2vec_format(path, binary=True)
    scores = {}
    for key, name in PAIR_FILES.items():
        human, cosine = [], []
        for a, b, score in word_pairs(name):
            if a not in kv.key_to_index or b not in kv.key_to_index:
                continue
            va, vb = kv[a].astype(np.float64), kv[b].astype(np.float64)
            norms = np.linalg.norm(va) * np.linalg.norm(vb)
            if norms == 0:
                continue
            human.append(score)
            cosine.append(float(va @ vb) / norms)
        scores[key] = float(spearmanr(human, cosine)[0]) if len(human) >= 3 else math.nan
    return scores


# --------------------------------------------------------------------------- reporting


def warn_if_busy(log=print, threshold=0.5):
    """Timings assume an idle machine; say so when the load average says otherwise."""
    load = os.getloadavg()[0]
    if load > threshold:
        log(f"note: 1-minute load average is {load:.2f} before starting: other processes "
            "are using the CPU and will slow the timed runs")
    return load


def machine_info(versions):
    """Hardware and software block for results (no hostname)."""
    import numpy

    cpu = platform.processor() or "unknown"
    flags = ""
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    cpu = value.strip()
                elif key.strip() == "flags" and not flags:
                    flags = value
    simd = [f for f in ("avx2", "fma", "avx512f") if f in flags.split()]
    return {
        "cpu": cpu,
        "simd": simd,
        "cores": os.cpu_count(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "gensim": versions.get("gensim"),
        "fastw2v": versions.get("fastw2v"),
        "fasttext": versions.get("fasttext"),
        "loadavg_1min_at_start": round(os.getloadavg()[0], 2),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def fmt(value, spec):
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)


def print_table(headers, rows, left=2, out=sys.stdout):
    """Plain aligned text table; the first `left` columns left-aligned, the rest right."""
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    line = "  ".join(str(h).ljust(w) if i < left else str(h).rjust(w)
                     for i, (h, w) in enumerate(zip(headers, widths)))
    print(line, file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for r in rows:
        print("  ".join(str(c).ljust(w) if i < left else str(c).rjust(w)
                        for i, (c, w) in enumerate(zip(r, widths))), file=out)
