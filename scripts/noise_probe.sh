#!/usr/bin/env bash
# How steady is this machine, and is a benchmark's spread its own or the
# machine's? Runs the three loops of scripts/noise_probe.c (a scalar chain,
# vector multiply-adds in registers, an L1-resident stencil) SAMPLES times on
# one core, alternating with COMMAND when one is given, and prints for each
# the median [min-max] seconds, the spread (max/min), and how closely each
# loop's time follows COMMAND's (Pearson correlation over the samples).
#
# A spread of `l1` far above that of `chain` and `fma`, correlated with the
# command's, says that the core's load/store ports and caches are shared with
# someone else (another guest on the SMT sibling of a VM's vCPU): no program
# that runs at those ports' speed can be steadier than `l1` here.
#
# Usage: scripts/noise_probe.sh [SAMPLES] [-- COMMAND...]   (default 20)
#   e.g. scripts/noise_probe.sh 40 -- target/release/hpcrs diff2d --threads 1
# The probe and the command run pinned to CPU 0 (taskset) when taskset exists.
set -euo pipefail

SAMPLES="${1:-20}"
[ $# -gt 0 ] && shift
if ! [[ "$SAMPLES" =~ ^[1-9][0-9]*$ ]]; then
    echo "noise_probe: SAMPLES must be a positive integer, got '$SAMPLES'" >&2
    exit 2
fi
if [ $# -gt 0 ]; then
    if [ "$1" != "--" ]; then
        echo "noise_probe: expected '--' before the command, got '$1'" >&2
        exit 2
    fi
    shift
fi

if ! command -v "${CC:-cc}" >/dev/null 2>&1; then
    echo "noise_probe: no C compiler '${CC:-cc}' (set CC)" >&2
    exit 1
fi
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"${CC:-cc}" -O3 -march=native -ffp-contract=fast -o "$work/probe" "$here/noise_probe.c"

pin=()
command -v taskset >/dev/null 2>&1 && pin=(taskset -c 0)

for _ in $(seq "$SAMPLES"); do
    line="$("${pin[@]}" "$work/probe" 1)"
    if [ $# -gt 0 ]; then
        t0="$(date +%s.%N)"
        if ! "${pin[@]}" "$@" >/dev/null 2>&1; then
            echo "noise_probe: the command failed: $*" >&2
            exit 1
        fi
        t1="$(date +%s.%N)"
        line="$line command $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')"
    fi
    echo "$line"
done >"$work/samples"

# One column per loop (and the command): median [min-max], spread, and the
# correlation with the command's column.
awk -v samples="$SAMPLES" '
{ for (i = 1; i < NF; i += 2) { name[i] = $i; v[i, NR] = $(i + 1) } cols = NF }
END {
    printf "%d samples on one core; seconds: median [min-max]\n", samples
    cmd = (name[cols - 1] == "command") ? cols - 1 : 0
    for (i = 1; i < cols; i += 2) {
        n = 0
        for (r = 1; r <= NR; r++) s[++n] = v[i, r]
        for (a = 1; a <= n; a++) for (b = a + 1; b <= n; b++) if (s[b] < s[a]) { t = s[a]; s[a] = s[b]; s[b] = t }
        med = (n % 2) ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2
        printf "%-8s %.4f [%.4f-%.4f]  spread %.2f", name[i], med, s[1], s[n], s[n] / s[1]
        if (cmd && i != cmd) {
            mx = my = 0
            for (r = 1; r <= NR; r++) { mx += v[i, r]; my += v[cmd, r] }
            mx /= NR; my /= NR; sxy = sxx = syy = 0
            for (r = 1; r <= NR; r++) {
                dx = v[i, r] - mx; dy = v[cmd, r] - my
                sxy += dx * dy; sxx += dx * dx; syy += dy * dy
            }
            if (sxx > 0 && syy > 0) printf "  correlation with the command %.2f", sxy / sqrt(sxx * syy)
        }
        printf "\n"
    }
}' "$work/samples"
