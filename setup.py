"""Build the Cython kernels.

Environment switches (local builds only, never baked into a published wheel):

* ``FASTW2V_NATIVE=1`` adds ``-march=native`` so the compiler may use every
  vector extension of the build machine.
* ``FASTW2V_DEBUG=1`` turns Cython bounds checks back on and builds with
  AddressSanitizer (run Python with ``LD_PRELOAD=$(gcc -print-file-name=libasan.so)``).
"""
import glob
import os
import platform

from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("FASTW2V_DEBUG") == "1"
NATIVE = os.environ.get("FASTW2V_NATIVE") == "1"


# The flags of every kernel build, the wheel's included. Reassociation lets GCC
# vectorise the dot-product reductions of the kernels; we keep -ffinite-math-only
# off so NaN checks still work. benchmarks/check_aarch64.sh reads this list.
KERNEL_FLAGS = ["-O3", "-fno-math-errno", "-fno-trapping-math", "-fassociative-math",
                "-fno-signed-zeros", "-ffp-contract=fast"]


def compile_args(name):
    if DEBUG:
        return ["-O1", "-g", "-fsanitize=address", "-fno-omit-frame-pointer"]
    if name in PLAIN_MATH:
        return ["-O3"]
    args = list(KERNEL_FLAGS)
    if X86:
        # Loop starts on 32-byte boundaries: with GCC's default (16) a rebuild that
        # only moved code made the baseline SG-HS kernel 15% slower on AMD Zen
        # (same instructions, other addresses); neutral for the AVX2 build.
        args.append("-falign-loops=32")
    if NATIVE:
        args.append("-march=native")
    return args


# Kernel variants compiled for newer instruction sets; fastw2v.kernels chooses one at
# import from the CPU's features, so the wheel stays portable (no -march=native).
# _train_avx512's one-sweep updates take 16 floats per step and a masked last step
# (fw_fused.h), so dim 100 needs no 4-wide tail; its other loops are vectorised
# 512 wide too. The top-k search kernel works on 16-row panels.
AVX2_FLAGS = ["-mavx2", "-mfma"]
AVX512_FLAGS = AVX2_FLAGS + ["-mavx512f", "-mavx512vl", "-mavx512dq", "-mavx512bw",
                             "-mprefer-vector-width=512"]
ISA_FLAGS = {
    "_train_avx2": AVX2_FLAGS,
    "_train_avx512": AVX512_FLAGS,
    "_similarity_avx512": AVX512_FLAGS,
}
X86 = platform.machine().lower() in ("x86_64", "amd64")
# aarch64 / arm64 (Graviton, Apple M-series) builds one training kernel with
# KERNEL_FLAGS and no ISA flag: NEON (4-float vectors with fused multiply-add) is part of
# the base architecture, and the portable C of fw_block.h / fw_fused.h compiles to NEON
# fmla there (checked by cross-compiling: benchmarks/check_aarch64.sh).

# Run once per vocabulary, not per word: built once, with IEEE arithmetic (no
# reassociation), so its sums are the ones the Python loop it replaced computed.
# _ngrams (FastText's n-gram buckets) likewise: its vector averages sum rows in
# fastText's and gensim's order, so loaded .bin vectors equal theirs. _uniform (random
# initial rows) must round as numpy does, to give numpy's (and gensim's) values.
PLAIN_MATH = {"fastw2v._alias", "fastw2v._ngrams", "fastw2v._uniform"}


def extensions():
    exts = []
    for pyx in sorted(glob.glob("fastw2v/**/*.pyx", recursive=True)):
        name = pyx[:-4].replace(os.sep, ".")
        isa = ISA_FLAGS.get(name.rsplit(".", 1)[-1])
        if isa is not None and not X86:
            continue
        here = os.path.dirname(pyx)
        exts.append(Extension(
            name, [pyx],
            # The C of the kernels lives in headers beside their .pyx (fw_*.h).
            include_dirs=[here],
            depends=sorted(glob.glob(os.path.join(here, "*.h"))) + ["fastw2v/kernels/fw_hash.h"],
            extra_compile_args=compile_args(name) + (isa or []),
            extra_link_args=["-fsanitize=address"] if DEBUG else [],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        ))
    directives = {
        "language_level": 3,
        "boundscheck": DEBUG,
        "wraparound": False,
        "cdivision": True,
        "initializedcheck": DEBUG,
        "nonecheck": False,
        "embedsignature": True,
    }
    return cythonize(exts, compiler_directives=directives)


setup(ext_modules=extensions())
