# cython: language_level=3
# The top-k search kernel (see _similarity_impl.pxi) built with AVX-512.
include "_similarity_impl.pxi"
