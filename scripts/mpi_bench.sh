#!/usr/bin/env bash
# MPI benchmarks of hpcrs (issue 4), side by side in one run:
#   1. diff2d on the default problem: --backend naive vs --backend mpi with
#      np = 1, 2 and 4 (4 oversubscribes a 2-core machine), medians (and
#      min-max) of ROUNDS interleaved rounds of the stepping time each run
#      prints; ratios np2/np1 (target >= 1.7x) and np1/naive
#      (target: within 1.2x), and a strong-scaling table.
#   2. The halo-exchange micro-benchmark (hpcrs mpi halo) on 2 ranks.
#
# Usage: scripts/mpi_bench.sh [ROUNDS]   (default 5)
# Needs a binary built with MPI: cargo build --release --features mpi
# (HPCRS=path/to/hpcrs to use another binary).
set -euo pipefail

ROUNDS="${1:-5}"
HPCRS="${HPCRS:-target/release/hpcrs}"
CORES="$(nproc)"

if ! command -v mpirun >/dev/null 2>&1; then
    echo "mpi_bench: mpirun not found; run scripts/setup-mpi.sh" >&2
    exit 1
fi
if ! "$HPCRS" mpi hello >/dev/null 2>&1; then
    echo "mpi_bench: $HPCRS is not built with MPI; run: cargo build --release --features mpi" >&2
    exit 1
fi

# Seconds spent stepping, from the run summary on stderr
# ("... 0.567 s (0.564 s stepping) ...").
stepping() {
    sed -n 's/.*(\([0-9.]*\) s stepping).*/\1/p' | tail -n 1
}

run_naive() { "$HPCRS" diff2d --backend naive 2>&1 >/dev/null | stepping; }
run_threads() { "$HPCRS" diff2d --backend threads --threads "$1" 2>&1 >/dev/null | stepping; }
run_mpi() { mpirun -np "$1" "$HPCRS" diff2d --backend mpi 2>&1 >/dev/null | stepping; }

# Every round's time per key; `med` holds the medians once the rounds are done.
declare -A runs med
keep() {
    runs[$1]="${runs[$1]:-} $2"
}
median_of() {
    tr ' ' '\n' <<<"${runs[$1]}" | sed '/^$/d' | sort -g |
        awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
spread_of() {
    tr ' ' '\n' <<<"${runs[$1]}" | sed '/^$/d' | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "-" hi }'
}

echo "== diff2d, default problem (299x299, 13410 steps), medians of $ROUNDS interleaved rounds, $CORES cores"
echo "machine load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 1; r <= ROUNDS; r++)); do
    keep naive "$(run_naive)"
    # Reference for how much of a second core the machine gives right now:
    # the shared-memory threads backend on 1 and 2 threads, same rounds.
    keep thr1 "$(run_threads 1)"
    keep thr2 "$(run_threads 2)"
    for np in 1 2 4; do
        keep "np$np" "$(run_mpi "$np")"
    done
    echo "round $r: naive${runs[naive]##* } s, np1${runs[np1]##* } s, np2${runs[np2]##* } s, np4${runs[np4]##* } s"
done
for key in naive thr1 thr2 np1 np2 np4; do
    med[$key]=$(median_of "$key")
    echo "$key: median ${med[$key]} s, min-max $(spread_of "$key") s"
done
echo "machine load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
cells=$((299 * 299 * 13410))
printf '| ranks | stepping s (median) | speedup vs np=1 | efficiency | cell updates/s |\n'
printf '|---|---|---|---|---|\n'
printf '| naive (1 process, no MPI) | %s | %.2fx | - | %.3e |\n' "${med[naive]}" \
    "$(awk -v a="${med[np1]}" -v b="${med[naive]}" 'BEGIN { print a / b }')" \
    "$(awk -v c="$cells" -v t="${med[naive]}" 'BEGIN { print c / t }')"
for np in 1 2 4; do
    t=${med[np$np]}
    note=""
    if [ "$np" -gt "$CORES" ]; then note=" (oversubscribed: $np ranks on $CORES cores)"; fi
    printf '| %s%s | %s | %.2fx | %.0f%% | %.3e |\n' "$np" "$note" "$t" \
        "$(awk -v a="${med[np1]}" -v b="$t" 'BEGIN { print a / b }')" \
        "$(awk -v a="${med[np1]}" -v b="$t" -v p="$np" 'BEGIN { print 100 * a / b / p }')" \
        "$(awk -v c="$cells" -v t="$t" 'BEGIN { print c / t }')"
done
echo
s2=$(awk -v a="${med[np1]}" -v b="${med[np2]}" 'BEGIN { printf "%.2f", a / b }')
s1=$(awk -v a="${med[np1]}" -v b="${med[naive]}" 'BEGIN { printf "%.2f", a / b }')
met2=$(awk -v s="$s2" 'BEGIN { print (s >= 1.7) ? "met" : "NOT met" }')
met1=$(awk -v s="$s1" 'BEGIN { print (s <= 1.2) ? "met" : "NOT met" }')
echo "np=2 speedup over np=1: ${s2}x (target >= 1.7x: $met2)"
echo "np=1 time / naive time: ${s1}x (target <= 1.2x: $met1)"
t2=$(awk -v a="${med[thr1]}" -v b="${med[thr2]}" 'BEGIN { printf "%.2f", a / b }')
echo "machine check, same rounds: threads backend 2 threads vs 1 thread: ${t2}x (${med[thr1]} s -> ${med[thr2]} s)"
echo "  (if this is also far below 2x, the second core was busy with other work during the run)"
echo
echo "== halo exchange (mpirun -np 2 hpcrs mpi halo)"
halo=$(mpirun -np 2 "$HPCRS" mpi halo)
echo "$halo"
ratio=$(echo "$halo" | awk '/^buffer\/object bandwidth at 8388608 bytes/ { sub("x", "", $NF); print $NF }')
if [ -n "$ratio" ]; then
    met=$(awk -v r="$ratio" 'BEGIN { print (r >= 5) ? "met" : "NOT met" }')
    echo "buffer/object at 8 MB: ${ratio}x (target >= 5x: $met)"
fi
