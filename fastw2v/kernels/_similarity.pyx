# cython: language_level=3
# The top-k search kernel (see _similarity_impl.pxi), compiled once per instruction
# set: _similarity (baseline) and _similarity_avx512; fastw2v.kernels picks one.
include "_similarity_impl.pxi"
