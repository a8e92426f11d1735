"""Build the Cython kernels.

Environment switches (local builds only, never baked into a published wheel):

* ``FASTW2V_NATIVE=1`` adds ``-march=native`` so the compiler may use every
  vector extension of the build machine.
* ``FASTW2V_DEBUG=1`` turns Cython bounds checks back on and builds with
  AddressSanitizer (run Python with ``LD_PRELOAD=$(gcc -print-file-name=libasan.so)``).
"""
import glob
import os

from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("FASTW2V_DEBUG") == "1"
NATIVE = os.environ.get("FASTW2V_NATIVE") == "1"


def compile_args():
    if DEBUG:
        return ["-O1", "-g", "-fsanitize=address", "-fno-omit-frame-pointer"]
    # Reassociation lets GCC vectorise the dot-product reductions of the
    # kernels; we keep -ffinite-math-only off so NaN checks still work.
    args = ["-O3", "-fno-math-errno", "-fno-trapping-math", "-fassociative-math",
            "-fno-signed-zeros", "-ffp-contract=fast"]
    if NATIVE:
        args.append("-march=native")
    return args


def extensions():
    exts = []
    for pyx in sorted(glob.glob("fastw2v/**/*.pyx", recursive=True)):
        name = pyx[:-4].replace(os.sep, ".")
        exts.append(Extension(
            name, [pyx],
            extra_compile_args=compile_args(),
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
