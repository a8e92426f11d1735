# cython: language_level=3
# UTF-8 repair, identical to bytes.decode("utf-8", "replace"), without the GIL.
#
# The file reader repairs a token that has non-ASCII bytes before looking it up,
# so that its keys are always valid UTF-8 and equal the Python readers' tokens.
# Inline here so the reader's per-token path calls no function through a pointer.
from libc.stdint cimport int64_t, uint8_t
from libc.string cimport memcpy


cdef inline int64_t utf8_sequence_length(const uint8_t* s, int64_t n, int64_t i) noexcept nogil:
    """Length of the valid sequence at s[i] (> 0), or minus the length of the
    maximal invalid subpart that one U+FFFD replaces (Unicode 3.9, as CPython)."""
    cdef uint8_t c = s[i], lo = 0x80, hi = 0xBF
    cdef int64_t need, j
    if c < 0x80:
        return 1
    if 0xC2 <= c <= 0xDF:
        need = 1
    elif c == 0xE0:
        need = 2
        lo = 0xA0
    elif c == 0xED:  # excludes the UTF-16 surrogates
        need = 2
        hi = 0x9F
    elif 0xE1 <= c <= 0xEF:
        need = 2
    elif c == 0xF0:
        need = 3
        lo = 0x90
    elif 0xF1 <= c <= 0xF3:
        need = 3
    elif c == 0xF4:  # nothing above U+10FFFF
        need = 3
        hi = 0x8F
    else:
        return -1
    for j in range(1, need + 1):
        if i + j >= n or not (lo <= s[i + j] <= hi):
            return -j
        lo = 0x80
        hi = 0xBF
    return need + 1


cdef inline int64_t utf8_repair(const uint8_t* s, int64_t n, uint8_t* out) noexcept nogil:
    """Write `s` with invalid sequences replaced by EF BF BD into `out`
    (room for 3 * n bytes); return the length written, or -1 if `s` is valid."""
    cdef int64_t i = 0, m = 0, k
    while i < n:
        k = utf8_sequence_length(s, n, i)
        if k < 0:
            break
        i += k
    if i == n:
        return -1
    memcpy(out, s, i)
    m = i
    while i < n:
        k = utf8_sequence_length(s, n, i)
        if k > 0:
            memcpy(out + m, s + i, k)
            m += k
            i += k
        else:
            out[m] = 0xEF
            out[m + 1] = 0xBF
            out[m + 2] = 0xBD
            m += 3
            i -= k
    return m
