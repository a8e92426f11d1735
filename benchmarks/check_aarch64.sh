#!/usr/bin/env bash
# The portable kernels on aarch64 without an ARM machine: cross-compile the C of the hot
# loops (fw_block.h, fw_fused.h) with setup.py's KERNEL_FLAGS, the flags of a wheel, and
# check in the object code that every hot loop became NEON fused multiply-adds on 4-float
# vectors (fmla vN.4s). Exit status 0: all do; 1: one does not (names it); 2: no compiler
# or no aarch64 C library headers.
#
#   benchmarks/check_aarch64.sh [-v]     # -v prints a few lines of each loop's code
#
# Compiler: $AARCH64_CC, else aarch64-linux-gnu-gcc, with the aarch64 C library's headers
# (Debian: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross).
set -euo pipefail
cd "$(dirname "$0")/.."
CC="${AARCH64_CC:-aarch64-linux-gnu-gcc}"
OBJDUMP="${AARCH64_OBJDUMP:-${CC%gcc}objdump}"
if ! command -v "$CC" >/dev/null || ! command -v "$OBJDUMP" >/dev/null; then
    echo "check_aarch64: no $CC / $OBJDUMP" >&2
    exit 2
fi
# The kernels include <stdint.h> and <stdlib.h>: without the target's C library headers
# GCC's own <stdint.h> falls through to the host's, and the compile fails far from the cause.
if ! echo '#include <stdlib.h>' | "$CC" -x c -fsyntax-only - 2>/dev/null; then
    echo "check_aarch64: $CC has no aarch64 C library headers (Debian: libc6-dev-arm64-cross)" >&2
    exit 2
fi
# The flags setup.py gives every kernel build (read from its source, not run).
read -r -a FLAGS <<<"$(python3 - <<'PY'
import ast
tree = ast.parse(open("setup.py").read())
for node in tree.body:
    if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "KERNEL_FLAGS":
        print(" ".join(ast.literal_eval(node.value)))
PY
)"
[ "${#FLAGS[@]}" -gt 0 ] || { echo "check_aarch64: KERNEL_FLAGS not found in setup.py" >&2; exit 1; }
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
# One out-of-line instance of each hot loop, at the shapes the kernels call them with
# (SG-NS: 1 + 5 outputs; CBOW: one input row).
cat >"$TMP/hot.c" <<'C'
#include "fw_block.h"
#include "fw_scores.h"
#include "fw_fused.h"
void hot_dot2(const float *x0, const float *x1, float *const *o, int n, float *a, float *b) {
    fw_dot2_many(x0, x1, o, 6, n, a, b);
}
void hot_dot1(const float *x, float *const *o, int n, float *a) { fw_dot_many(x, o, 6, n, a); }
void hot_scores(float *const *x, int n_in, float *const *o, int n, float *out) {
    fw_scores(x, n_in, o, 6, n, out);
}
void hot_fused(float *const *x, int n_in, float *const *o, const float *g, int n) {
    fw_fused_update(x, n_in, o, 6, g, n);
}
void hot_hs(float *const *x, int n_in, float *gin, float *const *o, int n_out, const float *g,
            int n) {
    fw_fused_accumulate(x, n_in, gin, o, n_out, g, n);
}
C
"$CC" "${FLAGS[@]}" -Ifastw2v/kernels -c "$TMP/hot.c" -o "$TMP/hot.o"
"$OBJDUMP" -d --no-show-raw-insn "$TMP/hot.o" >"$TMP/hot.s"
echo "check_aarch64: $("$CC" --version | head -1), flags ${FLAGS[*]}"
status=0
# A wrapper's code, with that of the kernel functions it calls rather than inlines
# (fw_fused_update stays out of line: one instance per output count behind a switch).
for fn in hot_dot2 hot_dot1 hot_scores hot_fused hot_hs; do
    callees="$(awk -v f="<$fn>:" '$2 == f {p = 1; next} /^$/ {p = 0} p' "$TMP/hot.s" |
               grep -oE '<fw_[A-Za-z0-9_.]+>' | sort -u | tr -d '<>' | paste -sd'|' || true)"
    body="$(awk -v re="^<($fn${callees:+|$callees})>:\$" '$2 ~ re {p = 1; next} /^$/ {p = 0} p' \
            "$TMP/hot.s")"
    vector=$(grep -cE 'fmla[[:space:]]+v[0-9]+\.4s' <<<"$body" || true)
    scalar=$(grep -cE 'fmadd[[:space:]]+s[0-9]+' <<<"$body" || true)
    printf '  %-10s %4d NEON fmla .4s, %3d scalar fmadd\n' "$fn" "$vector" "$scalar"
    if [ "${1:-}" = "-v" ]; then
        grep -m 6 -E 'fmla[[:space:]]+v' <<<"$body" | sed 's/^/      /'
    fi
    if [ "$vector" -eq 0 ]; then
        echo "check_aarch64: $fn has no NEON fmla: its loop was not vectorised" >&2
        status=1
    fi
done
exit $status
