"""Compiled kernels, in the best build this CPU can run.

Training: the same Cython source (``_train_impl.pxi`` and the parts it includes; C in
``fw_*.h``) is compiled three times on x86-64, ``_train`` (baseline), ``_train_avx2``
(AVX2 + FMA) and ``_train_avx512`` (AVX-512 F/VL/DQ/BW). :data:`kernel` is the fastest one
whose instructions this CPU supports (numpy's CPU feature detection);
``FASTW2V_KERNEL=generic|avx2|avx512`` forces a choice (for testing and benchmarks).
:class:`TrainJob` takes its settings as a :class:`TrainParams`.

Top-k search for batch queries (``_similarity_impl.pxi``, C in ``fw_topk.h``):
``_similarity`` (baseline) and ``_similarity_avx512``; :func:`similarity_kernel` returns
the AVX-512 build where it runs and None elsewhere (numpy's BLAS is faster there);
``FASTW2V_SIMILARITY`` overrides.
"""
import importlib
import os

from .params import TrainParams

_VARIANTS = {
    # Built with -mavx2 -mfma as well: a VM may hide single CPUID bits, so ask for all.
    "avx512": ("_train_avx512", ("AVX512F", "AVX512VL", "AVX512DQ", "AVX512BW", "AVX2", "FMA3")),
    "avx2": ("_train_avx2", ("AVX2", "FMA3")),
    "generic": ("_train", ()),
}


def cpu_features() -> dict:
    """numpy's runtime CPU feature flags (empty if unavailable)."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # numpy < 2
        try:
            from numpy.core._multiarray_umath import __cpu_features__
        except ImportError:
            return {}
    return dict(__cpu_features__)


def _runnable(variants: dict) -> list:
    """Names in ``variants`` (name -> (module, CPU flags)) whose module imports and whose
    flags this CPU has, in the dict's order (best first)."""
    features = cpu_features()
    names = []
    for name, (module, needs) in variants.items():
        if all(features.get(flag) for flag in needs):
            try:
                importlib.import_module(f"{__name__}.{module}")
            except ImportError:
                continue
            names.append(name)
    return names


def available_variants() -> list:
    """Names of the training kernel builds that are installed and runnable here, best first."""
    return _runnable(_VARIANTS)


def _best(variants: dict) -> str:
    """The first runnable name in ``variants``; ImportError saying how to build if none is."""
    runnable = _runnable(variants)
    if not runnable:
        raise ImportError(
            "fastw2v's compiled kernels are missing (none of "
            f"{', '.join(module for module, _ in variants.values())} imports from "
            f"{os.path.dirname(__file__)}). From a source checkout, install the package, "
            "which compiles them: "
            "`pip install .` (or `pip install -e .` to keep editing), or build them in place "
            "with `python setup.py build_ext --inplace`.")
    return runnable[0]


def load(name=None):
    """The kernel module named ``name``, or the best runnable one.

    Raises
    ------
    ValueError
        If ``name`` (or ``FASTW2V_KERNEL``) is not a known build.
    ImportError
        If that build, or with no name every build, is not compiled or not runnable here.
    """
    name = name or os.environ.get("FASTW2V_KERNEL") or _best(_VARIANTS)
    if name not in _VARIANTS:
        raise ValueError(f"FASTW2V_KERNEL must be one of {', '.join(_VARIANTS)}, got {name!r}")
    if name not in available_variants():
        raise ImportError(f"kernel build {name!r} is not installed or this CPU cannot run it")
    return importlib.import_module(f"{__name__}.{_VARIANTS[name][0]}")


kernel = load()
#: The name of the kernel build in use.
kernel_name = next(n for n, (m, _) in _VARIANTS.items() if kernel.__name__.endswith("." + m))
TrainJob = kernel.TrainJob


# ---------------------------------------------------------------- top-k search

_SIMILARITY_VARIANTS = {
    "avx512": ("_similarity_avx512", ("AVX512F", "AVX512VL", "AVX512DQ", "AVX512BW")),
    "generic": ("_similarity", ()),
}


def similarity_variants() -> list:
    """Names of the top-k search builds installed and runnable here, best first."""
    return _runnable(_SIMILARITY_VARIANTS)


def load_similarity(name):
    """The top-k search module ``name`` ("avx512" or "generic")."""
    if name not in similarity_variants():
        raise ImportError(f"top-k search build {name!r} is not installed or this CPU cannot run it")
    return importlib.import_module(f"{__name__}.{_SIMILARITY_VARIANTS[name][0]}")


def similarity_kernel():
    """The fused top-k search module to use for batch queries, or None for numpy's BLAS.

    Only the AVX-512 build beats an (AVX2) BLAS product plus a selection pass;
    ``FASTW2V_SIMILARITY=blas|generic|avx512`` forces a choice.
    """
    name = os.environ.get("FASTW2V_SIMILARITY")
    if name == "blas":
        return None
    if name:
        return load_similarity(name)
    return load_similarity("avx512") if "avx512" in similarity_variants() else None
