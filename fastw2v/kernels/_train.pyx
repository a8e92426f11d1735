# cython: language_level=3
# The training kernels (see _train_impl.pxi), compiled once per instruction set:
# _train (baseline x86-64 or any CPU), _train_avx2 (-mavx2 -mfma) and _train_avx512
# (AVX-512 F/VL/DQ/BW); fastw2v.kernels picks the best one this CPU runs.
include "_train_impl.pxi"
