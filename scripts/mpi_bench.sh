#!/usr/bin/env bash
# MPI benchmarks of hpcrs, side by side in one run:
#   1. diff2d on the default problem, whole processes as a user runs them:
#      --backend naive, the threads backend on 1 and 2 threads (how much of
#      a second core the machine gives right now), and --backend mpi under
#      mpirun -np 1, 2 and 4 (4 oversubscribes a 2-core machine), ROUNDS
#      interleaved rounds; medians with min-max of the wall time, the
#      median CPU time (user + sys of mpirun and its ranks), and the
#      stepping time each run prints. Targets: np2 >= 1.7x np1 by median,
#      np1 within 1.2x of naive.
#   2. The same np=1 / np=2 rounds while a busy process loads one core
#      (`yes`, pinned to the last core with taskset when there is one),
#      then while an unpinned `yes` runs: np=2 must never be slower than
#      np=1. np=2 also runs with --bind-to none (ranks left free, not pinned
#      to a core each) for comparison.
#   3. The halo-exchange micro-benchmark (hpcrs mpi halo) on 2 ranks.
#
# Usage: scripts/mpi_bench.sh [ROUNDS]   (default 9)
# Needs hpcrs with MPI: scripts/build-mpi.sh (or a --features mpi build)
# (HPCRS=path/to/hpcrs to use another binary).
set -euo pipefail

ROUNDS="${1:-9}"
HPCRS="${HPCRS:-target/release/hpcrs}"
CORES="$(nproc)"

if ! command -v mpirun >/dev/null 2>&1; then
    echo "mpi_bench: mpirun not found; run scripts/setup-mpi.sh" >&2
    exit 1
fi
if ! "$HPCRS" mpi hello >/dev/null 2>&1; then
    echo "mpi_bench: $HPCRS has no MPI; run: scripts/build-mpi.sh" >&2
    exit 1
fi

BUSY_PID=""
SCRATCH="$(mktemp -d)"
cleanup() {
    if [ -n "$BUSY_PID" ]; then kill "$BUSY_PID" 2>/dev/null || true; fi
    rm -rf "$SCRATCH"
}
trap cleanup EXIT

# Runs one whole command; appends "wall cpu stepping" to the key's list.
# Bash's `time` gives the wall and CPU time (user + sys) of the command and
# of every process it waited for (mpirun, its proxy and the ranks).
measure() {
    local key=$1
    shift
    local t
    t=$({ TIMEFORMAT='%R %U %S'; time "$@" >/dev/null 2>"$SCRATCH/err"; } 2>&1)
    local step
    step=$(sed -n 's/.*(\([0-9.]*\) s stepping).*/\1/p' "$SCRATCH/err" | tail -n 1)
    awk -v t="$t" -v s="${step:-nan}" 'BEGIN { split(t, a, " "); printf "%s %.3f %s\n", a[1], a[2] + a[3], s }' \
        >>"$SCRATCH/$key"
}

run() {
    local key=$1
    case $key in
    naive) measure "$key" "$HPCRS" diff2d --backend naive ;;
    thr1) measure "$key" "$HPCRS" diff2d --backend threads --threads 1 ;;
    thr2) measure "$key" "$HPCRS" diff2d --backend threads --threads 2 ;;
    *np2free) measure "$key" mpirun -np 2 "$HPCRS" diff2d --backend mpi --bind-to none ;;
    np*) measure "$key" mpirun -np "${key#np}" "$HPCRS" diff2d --backend mpi ;;
    *_np*) measure "$key" mpirun -np "${key#*_np}" "$HPCRS" diff2d --backend mpi ;;
    esac
}

# Median of column COL of a key's runs.
median() {
    cut -d' ' -f"$2" "$SCRATCH/$1" | sort -g |
        awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
spread() {
    cut -d' ' -f1 "$SCRATCH/$1" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'
}
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

# Prints the row of a key: median wall [min-max], max/min, CPU, stepping.
row() {
    local key=$1 label=$2 base=${3:-}
    local wall cpu step lo hi vs=""
    wall=$(median "$key" 1)
    cpu=$(median "$key" 2)
    step=$(median "$key" 3)
    lo=$(spread "$key" | cut -d- -f1)
    hi=$(spread "$key" | cut -d- -f2)
    if [ -n "$base" ]; then vs="$(ratio "$(median "$base" 1)" "$wall")x"; fi
    printf '| %s | %.3f [%.3f-%.3f] | %.2f | %.2f | %.3f | %s |\n' "$label" "$wall" "$lo" "$hi" \
        "$(ratio "$hi" "$lo")" "$cpu" "$step" "$vs"
}

header() {
    printf '| run | wall s, median [min-max] | max/min | CPU s (median) | stepping s (median) | np=1 wall / this |\n'
    printf '|---|---|---|---|---|---|\n'
}

rounds() {
    local keys=("$@") r key
    for ((r = 1; r <= ROUNDS; r++)); do
        for key in "${keys[@]}"; do run "$key"; done
    done
}

echo "== diff2d, default problem (299x299, 13410 steps), whole processes, $ROUNDS interleaved rounds, $CORES cores"
echo "machine load before: $(cut -d' ' -f1-3 /proc/loadavg)"
rounds naive thr1 thr2 np1 np2 np2free np4
echo "machine load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
header
row naive "naive (1 process, no MPI)" np1
row thr1 "threads, 1 thread" np1
row thr2 "threads, 2 threads" np1
row np1 "mpirun -np 1" np1
row np2 "mpirun -np 2" np1
row np2free "mpirun -np 2 --bind-to none" np1
row np4 "mpirun -np 4 (oversubscribed: 4 ranks on $CORES cores)" np1
echo
s2=$(ratio "$(median np1 1)" "$(median np2 1)")
s1=$(ratio "$(median np1 1)" "$(median naive 1)")
echo "np=2 over np=1 by median wall time: ${s2}x (target >= 1.7x: $(awk -v s="$s2" 'BEGIN { print (s >= 1.7) ? "met" : "NOT met" }'))"
echo "np=1 time / naive time: ${s1}x (target <= 1.2x: $(awk -v s="$s1" 'BEGIN { print (s <= 1.2) ? "met" : "NOT met" }'))"
echo "machine check: threads 2 vs 1 thread: $(ratio "$(median thr1 1)" "$(median thr2 1)")x (far below 2x: the second core was busy with other work)"

# One round set with a busy process: $1 the label, $2 the key prefix; the
# caller has started the process.
busy_rounds() {
    local what=$1 prefix=$2
    echo "== the same with one core loaded by a busy process ($what), $ROUNDS interleaved rounds"
    echo "machine load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    rounds "${prefix}_np1" "${prefix}_np2" "${prefix}_np2free"
    echo "machine load after: $(cut -d' ' -f1-3 /proc/loadavg)"
    kill "$BUSY_PID"
    BUSY_PID=""
    echo
    header
    row "${prefix}_np1" "mpirun -np 1, one core busy" "${prefix}_np1"
    row "${prefix}_np2" "mpirun -np 2, one core busy" "${prefix}_np1"
    row "${prefix}_np2free" "mpirun -np 2 --bind-to none, one core busy" "${prefix}_np1"
    echo
    local b2
    b2=$(ratio "$(median "${prefix}_np1" 1)" "$(median "${prefix}_np2" 1)")
    echo "np=2 over np=1 with $what: ${b2}x (target >= 1.0x, never slower: $(awk -v s="$b2" 'BEGIN { print (s >= 1.0) ? "met" : "NOT met" }'))"
    echo
}

busy_core=$((CORES - 1))
if command -v taskset >/dev/null 2>&1; then
    taskset -c "$busy_core" yes >/dev/null &
    BUSY_PID=$!
    busy_rounds "yes pinned to core $busy_core" pinned
fi
yes >/dev/null &
BUSY_PID=$!
busy_rounds "yes, not pinned" free

echo
echo "== halo exchange (mpirun -np 2 hpcrs mpi halo)"
halo=$(mpirun -np 2 "$HPCRS" mpi halo)
echo "$halo"
ratio=$(echo "$halo" | awk '/^buffer\/object bandwidth at 8388608 bytes/ { sub("x", "", $NF); print $NF }')
if [ -n "$ratio" ]; then
    met=$(awk -v r="$ratio" 'BEGIN { print (r >= 5) ? "met" : "NOT met" }')
    echo "buffer/object at 8 MB: ${ratio}x (target >= 5x: $met)"
fi
