r"""Where the training kernel sits against the machine's limits (one thread).

    python benchmarks/roofline.py --corpus ../shared/data/imdb.txt.xz [--modes sg,cbow] \
        [--kernel avx512|avx2|generic] [--rounds 3] [--json roofline.json]

For SG-NS and CBOW-NS (vector_size 100, window 5, negative 5, sample 1e-4, min_count 5):

* work per trained word, counted from what the kernel does: the windows it runs (the
  corpus's sentence lengths after subsampling, drawn as the kernel draws them, and the
  reduced-window distribution), the outputs per window (1 + negative) and dim. FLOPs
  count the dot products and the updates (2 per multiply-add); bytes count the rows the
  kernel reads and writes at the cache (4 * dim per row per pass), a lower bound on what
  moves between the core and its caches: the part that misses to DRAM is smaller;
* achieved GFLOP/s and GB/s: those counts over the kernel's CPU seconds for one epoch,
  one thread, on a corpus encoded beforehand (median of --rounds);
* the machine's peaks on this core: an FMA loop (a tiny C kernel compiled now with the
  system cc, independent accumulators, at the kernel build's vector width) and a stream
  copy (numpy, arrays far larger than the caches).

The kernel's arithmetic intensity (FLOPs / byte) times the bandwidth of the level where
the two matrices fit is the memory roof; the lower of that and the FMA peak is what the
kernel could reach.

Which limit binds is then measured, not inferred: a control run trains the same windows
with every row in cache. It takes the words subsampling keeps (the kernel's thresholds,
numpy's draws), folds their ids into RESIDENT_WORDS words (both matrices 0.4 MiB at dim
100, inside any L2 of 512 KiB or more) and trains them with subsampling off, so the
sentences, windows and outputs per window are the real run's and only the rows'
addresses change. The gap between the two runs, per trained word, is what the real
vocabulary's cache misses cost; the control's own GFLOP/s against the FMA peak says how
much of the rest is arithmetic. The control does a little less than the real run (no
coin flips for the words subsampling drops) and a little more (its rows repeat within a
window more often, and the sweep merges repeats first).
"""

import argparse
import ctypes
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types

import numpy as np

SETTINGS = dict(vector_size=100, window=5, negative=5, sample=1e-4, min_count=5)
RESIDENT_WORDS = 512  # the control run's vocabulary: its rows stay in L2

# Independent accumulators hide the FMA latency (4 cycles x 2 ports = 8 in flight at
# least); 12 leaves registers for nothing else and needs none.
FMA_C = r"""
typedef float vec __attribute__((vector_size(VEC_BYTES)));
#define ACC 12
double fma_loop(long iters, float a, float b) {
    vec acc[ACC];
    for (int j = 0; j < ACC; j++)
        acc[j] = (vec){0} + (float)j;
    vec va = (vec){0} + a, vb = (vec){0} + b;
    for (long i = 0; i < iters; i++)
        for (int j = 0; j < ACC; j++)
            acc[j] = acc[j] * va + vb;
    float s = 0;
    for (int j = 0; j < ACC; j++)
        for (int l = 0; l < (int)(VEC_BYTES / sizeof(float)); l++)
            s += acc[j][l];
    return s;
}
/* Read and write back a buffer of n floats `passes` times (x += 1 in place): the traffic
   of a row update, at whichever cache level the buffer fits. */
double update_loop(float *x, long n, long passes) {
    for (long p = 0; p < passes; p++) {
        for (long i = 0; i < n; i++)
            x[i] += 1.0f;
        __asm__ volatile("" ::: "memory");  /* no interchange: each pass moves the buffer */
    }
    return x[0];
}
"""


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n", 1)[1])
    p.add_argument("--corpus", required=True, help="plain-text corpus, one sentence per line")
    p.add_argument("--modes", default="sg,cbow", help="comma list of sg, cbow")
    p.add_argument("--kernel", default=None, help="kernel build (default: the best runnable)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--json", metavar="OUT")
    args = p.parse_args(argv)
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not args.modes or set(args.modes) - {"sg", "cbow"}:
        p.error("--modes takes sg and/or cbow")
    return args


# --------------------------------------------------------------------------- machine peaks


def compile_probes(vec_bytes, flags, tmp):
    """The C probes built with the system cc at ``vec_bytes`` vectors, or None without one."""
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        return None
    src, lib = os.path.join(tmp, "probe.c"), os.path.join(tmp, "probe.so")
    with open(src, "w") as f:
        f.write(FMA_C.replace("VEC_BYTES", str(vec_bytes)))
    # -O3: the 12 accumulators must be unrolled into registers
    cmd = [cc, "-O3", "-ffp-contract=fast", "-shared", "-fPIC", *flags, src, "-o", lib]
    if subprocess.run(cmd, capture_output=True).returncode != 0:
        return None
    lib = ctypes.CDLL(lib)
    lib.fma_loop.restype = lib.update_loop.restype = ctypes.c_double
    lib.fma_loop.argtypes = [ctypes.c_long, ctypes.c_float, ctypes.c_float]
    lib.update_loop.argtypes = [ctypes.c_void_p, ctypes.c_long, ctypes.c_long]
    return lib


def _best_time(call, size, seconds=0.2):
    """Fastest of 3 timings of call(size), size doubled until one call takes seconds / 4."""
    while True:
        start = time.perf_counter()
        call(size)
        if time.perf_counter() - start > seconds / 4:
            break
        size *= 2
    times = []
    for _ in range(3):
        start = time.perf_counter()
        call(size)
        times.append(time.perf_counter() - start)
    return min(times), size


def fma_flops(iters, vec_bytes):
    """FLOPs of ``fma_loop(iters)``: 12 chains, a multiply and an add per lane."""
    return iters * 12 * (vec_bytes // 4) * 2


def update_traffic(x, passes):
    """Bytes that ``update_loop`` over array ``x`` moves in ``passes`` (read + write)."""
    return 2 * x.nbytes * passes


def fma_peak(lib, vec_bytes):
    """Single-thread GFLOP/s of 12 independent FMA (or mul + add) chains."""
    best, iters = _best_time(lambda n: lib.fma_loop(n, 0.999, 0.001), 1 << 16)
    return fma_flops(iters, vec_bytes) / best / 1e9


def update_bandwidth(lib, kbytes):
    """GB/s (read + write) of in-place updates of a buffer of ``kbytes`` KiB."""
    x = np.zeros(kbytes * 256, np.float32)
    ptr = x.ctypes.data
    best, passes = _best_time(lambda p: lib.update_loop(ptr, len(x), p), 1)
    return update_traffic(x, passes) / best / 1e9


def copy_bandwidth(mbytes=512, rounds=5):
    """GB/s of a numpy copy between arrays far larger than the caches (read + write counted)."""
    src = np.ones(mbytes << 18, np.float32)
    dst = np.empty_like(src)
    np.copyto(dst, src)  # fault the pages in
    best = min(_copy_time(dst, src) for _ in range(rounds))
    return 2 * src.nbytes / best / 1e9


def _copy_time(dst, src):
    start = time.perf_counter()
    np.copyto(dst, src)
    return time.perf_counter() - start


def cpu_name():
    """The CPU's model name (Linux), else what platform knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def kernel_vector(name):
    """(vector bytes, cc flags, label) of the peak that a kernel build can reach."""
    if name == "avx512":
        return 64, ["-mavx512f", "-mfma"], "AVX-512, 16 floats"
    if name == "avx2":
        return 32, ["-mavx2", "-mfma"], "AVX2+FMA, 8 floats"
    if platform.machine().lower() in ("x86_64", "amd64"):
        return 16, [], "SSE2 (no FMA), 4 floats"
    return 16, [], "128-bit, 4 floats"


# --------------------------------------------------------------------------- kernel counts


def window_counts(sentence_lengths, window):
    """(windows, context rows summed over windows) the kernel runs on these sentences.

    The kernel draws b uniformly in [0, window) per centre and takes window - b words each
    side, clipped at the sentence ends; a centre with no context is skipped.
    """
    n = np.asarray(sentence_lengths, np.float64)
    n = n[n >= 2]
    pairs = np.zeros_like(n)
    for h in range(1, window + 1):  # sum_i min(h, i) over i < n, both sides
        half = np.where(n <= h, n * (n - 1) / 2, h * (h - 1) / 2 + h * (n - h))
        pairs += 2 * half / window
    return float(n.sum()), float(pairs.sum())


def work_per_window(mode, n_ctx, m, dim):
    """(FLOPs, bytes) of one window with n_ctx context rows and m output rows."""
    row = 4 * dim
    if mode == "sg":
        # scores: n_ctx x m dots; fused sweep: x_r += g o and o_k += g x (2 FLOPs per term)
        flops = 2 * dim * n_ctx * m * 3
        # scores read every row once; the fused sweep reads and writes every row once
        return flops, row * 3 * (n_ctx + m)
    # CBOW: hidden = sum of rows (n_ctx adds) and a scale; m dots, grad axpys and output
    # axpys; then every context row += grad_in
    flops = dim * (n_ctx + 1) + 2 * dim * m * 3 + 2 * dim * n_ctx
    # context rows read (hidden) and read + written (update); outputs read (dots), read +
    # written (update); hidden and grad_in stay in L1 and are not counted
    return flops, row * (3 * n_ctx + 3 * m)


def epoch_seconds(mod, sg, vocab, w0, stream, rounds):
    """Median kernel CPU seconds of one epoch over ``stream`` (an IdStream), one thread,
    from fresh weights each round."""
    from fastw2v.kernels import TrainParams

    tables = types.SimpleNamespace(sample_int=vocab.sample_int, alias=vocab.alias,
                                   codes=vocab.codes, points=vocab.points,
                                   path_offsets=vocab.path_offsets)
    params = TrainParams(sg=sg, hs=0, negative=SETTINGS["negative"], cbow_mean=1,
                         window=SETTINGS["window"], shrink_windows=1, compute_loss=0,
                         start_alpha=0.025, end_alpha=0.0001, schedule_total=stream.n_words)
    times = []
    for _ in range(rounds):
        syn0, syn1neg = w0.copy(), np.zeros_like(w0)
        job = mod.TrainJob(params, tables, syn0, None, syn1neg, stream.ids, stream.offsets,
                           stream.chunk_starts(10000), 1, 1)
        job.begin_epoch()
        start = time.process_time()
        job.run_thread(0)
        times.append(time.process_time() - start)
    return statistics.median(times)


def resident_stream(stream, keep):
    """The kept words of ``stream``, ids folded into RESIDENT_WORDS: (vocab, IdStream)."""
    from fastw2v.encode import IdStream
    from fastw2v.vocab import Vocab

    folded = (stream.ids[keep] % RESIDENT_WORDS).astype(np.int32)
    kept = np.concatenate([[0], np.cumsum(keep)])
    ends = np.unique(kept[stream.offsets])  # sentences that subsampling emptied are dropped
    counts = np.bincount(folded, minlength=RESIDENT_WORDS)
    vocab = Vocab.from_counts([str(w) for w in range(RESIDENT_WORDS)], np.maximum(counts, 1),
                              sample=0, ns_exponent=0.75, hs=False,
                              negative=SETTINGS["negative"])
    return vocab, IdStream(folded, ends.astype(np.int64), len(folded), len(ends) - 1)


def kernel_run(corpus, sg, kernel_name, rounds):
    """Counts and kernel CPU seconds of one epoch, one thread, on the encoded corpus, and
    of the control run with every row resident (see the module docstring)."""
    from fastw2v import Word2Vec, kernels
    from fastw2v.encode import encode_file

    model = Word2Vec(workers=1, sg=sg, hs=0, **SETTINGS)
    model.build_vocab(corpus_file=corpus)
    stream = encode_file(corpus, model.wv.key_to_index, 1)
    vocab = model._vocab
    # Subsampling as the kernel does it: keep a word when a uniform u32 <= sample_int.
    rng = np.random.default_rng(1)
    keep = vocab.sample_int[stream.ids] >= rng.integers(0, 1 << 32, len(stream.ids), np.uint64)
    kept = np.concatenate([[0], np.cumsum(keep)])
    lengths = kept[stream.offsets[1:]] - kept[stream.offsets[:-1]]
    windows, context = window_counts(lengths, SETTINGS["window"])
    mod = kernels.load(kernel_name)
    model.prepare_weights()
    w0 = model.wv.vectors.copy()
    seconds = epoch_seconds(mod, sg, vocab, w0, stream, rounds)
    r_vocab, resident = resident_stream(stream, keep)
    r_seconds = epoch_seconds(mod, sg, r_vocab, w0[:RESIDENT_WORDS], resident, rounds)
    return dict(words=int(stream.n_words), vocab=len(model.wv), trained_words=int(keep.sum()),
                windows=windows, context_rows=context, seconds=seconds,
                resident_words=resident.n_words, resident_seconds=r_seconds)


# --------------------------------------------------------------------------- report


def verdict(miss_share, resident_gflops, peak):
    """Which limit the kernel sits at, from the control run (see the module docstring)."""
    if miss_share >= 0.5:
        return "memory latency: the real vocabulary's row misses take most of the time"
    if peak and resident_gflops >= 0.7 * peak:
        return "compute: with every row cached the kernel runs near the FMA peak"
    return ("in-core work: with every row cached the kernel is still far below the FMA "
            "peak, so the instructions and their dependency chains bind, not the FMA "
            "units, bandwidth or misses")


def assess(mode, run, dim, m, peak, caches, bandwidth):
    """The report row of one mode: work, achieved rates, roofs and the control run."""
    n_ctx = run["context_rows"] / run["windows"]
    flops, nbytes = work_per_window(mode, n_ctx, m, dim)
    total_flops, total_bytes = flops * run["windows"], nbytes * run["windows"]
    gflops, gbs = total_flops / run["seconds"] / 1e9, total_bytes / run["seconds"] / 1e9
    intensity = flops / nbytes
    # The rows live where the two matrices fit: the bandwidth of that level is the roof.
    matrices_kb = 2 * run["vocab"] * dim * 4 / 1024
    level_kb = next((kb for kb in sorted(caches) if matrices_kb <= kb), None)
    level_bw = caches[level_kb] if level_kb else bandwidth
    level = f"{level_kb} KiB update loop" if level_kb else "stream copy"
    memory_roof = intensity * level_bw
    roof = min(peak or float("inf"), memory_roof)
    bound = "memory" if memory_roof < (peak or float("inf")) else "compute (FMA)"
    # The control run: the same windows per trained word, every row in cache.
    per_word = run["seconds"] / run["trained_words"]
    resident_per_word = run["resident_seconds"] / run["resident_words"]
    miss_share = max(0.0, 1.0 - resident_per_word / per_word)
    resident_gflops = total_flops / run["trained_words"] / resident_per_word / 1e9
    return dict(mode=f"{mode}-ns", **run, n_ctx=n_ctx, outputs=m,
                flops_per_word=total_flops / run["trained_words"],
                bytes_per_word=total_bytes / run["trained_words"],
                intensity=intensity, gflops=gflops, gbytes=gbs, peak_gflops=peak,
                copy_gbytes=bandwidth, update_gbytes=caches, matrices_kb=matrices_kb,
                roof_level=level, roof_level_gbytes=level_bw, memory_roof_gflops=memory_roof,
                roof_gflops=roof, roof_bound=bound, resident_gflops=resident_gflops,
                miss_share=miss_share, verdict=verdict(miss_share, resident_gflops, peak))


def report(row, dim, peak, bandwidth):
    """Print one mode's row (it carries its run's fields)."""
    m = row["outputs"]
    gflops, gbs, level_bw = row["gflops"], row["gbytes"], row["roof_level_gbytes"]
    print(f"\n{row['mode']}: {row['words']:,} words, {row['trained_words']:,} after "
          f"subsampling, {row['n_ctx']:.2f} context rows x {m} outputs per window, dim {dim}; "
          f"kernel {row['seconds']:.3f} CPU s "
          f"({row['trained_words'] / row['seconds'] / 1e6:.2f} M trained words/s)")
    print(f"  per trained word: {row['flops_per_word']:,.0f} FLOPs, "
          f"{row['bytes_per_word']:,.0f} bytes of rows at the cache; "
          f"intensity {row['intensity']:.2f} FLOP/byte")
    print(f"  achieved: {gflops:.2f} GFLOP/s"
          + (f" ({gflops / peak:.0%} of the FMA peak)" if peak else "")
          + f", {gbs:.2f} GB/s ({gbs / level_bw:.0%} of the {row['roof_level']}, "
          f"{gbs / bandwidth:.0%} of stream copy)")
    print(f"  roofline: matrices {row['matrices_kb'] / 1024:.1f} MiB -> {row['roof_level']} "
          f"{level_bw:.1f} GB/s; memory roof {row['memory_roof_gflops']:.1f} GFLOP/s, FMA roof "
          + (f"{peak:.1f}" if peak else "?") + f" GFLOP/s -> {row['roof_bound']}-bound at "
          f"{row['roof_gflops']:.1f} GFLOP/s; the kernel runs at "
          f"{gflops / row['roof_gflops']:.0%} of it"
          + ("; it moves more bytes than that level can, so most of its rows hit a nearer "
             "cache and this roof does not bind" if gbs > level_bw else ""))
    print(f"  rows resident ({RESIDENT_WORDS} words, the same windows): "
          f"{row['resident_words'] / row['resident_seconds'] / 1e6:.2f} M trained words/s, "
          f"{row['resident_gflops']:.2f} GFLOP/s"
          + (f" ({row['resident_gflops'] / peak:.0%} of the FMA peak)" if peak else "")
          + f"; the real vocabulary's cache misses cost {row['miss_share']:.0%} of the "
          "kernel's time")
    print(f"  bound: {row['verdict']}")


def main(argv=None):
    args = parse_args(argv)
    from fastw2v import kernels

    name = args.kernel or kernels.available_variants()[0]
    vec_bytes, flags, label = kernel_vector(name)
    with tempfile.TemporaryDirectory(prefix="fastw2v-roofline-") as tmp:
        lib = compile_probes(vec_bytes, flags, tmp)
        peak = fma_peak(lib, vec_bytes) if lib else None
        # 32 KiB: L1; 512 KiB: L2; 16 MiB: the two matrices of a 20k-word vocabulary
        caches = {kb: update_bandwidth(lib, kb) for kb in (32, 512, 16384)} if lib else {}
    bandwidth = copy_bandwidth()
    cpu = cpu_name()
    print(f"machine: {cpu}, {os.cpu_count()} CPUs, kernel build {name}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"peaks, 1 thread: FMA loop {label}: "
          + (f"{peak:.1f} GFLOP/s" if peak else "no C compiler, not measured")
          + f"; stream copy {bandwidth:.1f} GB/s (read + write)")
    if caches:
        print("in-place update bandwidth (read + write): " + ", ".join(
            f"{kb} KiB {gbs:.1f} GB/s" for kb, gbs in caches.items()))
    dim, m = SETTINGS["vector_size"], 1 + SETTINGS["negative"]
    rows = []
    for mode in args.modes:
        run = kernel_run(args.corpus, 1 if mode == "sg" else 0, name, args.rounds)
        row = assess(mode, run, dim, m, peak, caches, bandwidth)
        rows.append(row)
        report(row, dim, peak, bandwidth)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"kernel": name, "cpu": cpu, "settings": SETTINGS, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
