#!/usr/bin/env bash
# One window of the performance targets (BENCHMARKS.md, "The performance
# targets, window by window"): every target's set once, each set interleaved
# whole processes (../shared/tools/interleave), in this order:
#   diff2d against the OpenMP loop (and on one thread), against the course's
#   numpy solver; auc against OpenMP; wordcount on 125 MB (threads, mpirun
#   -np 1 and 2) and against a Python Counter on 25 MB; ooc stats on a 2 GiB
#   file just written against cat, the numpy.memmap row loop and np.mean;
#   diff2d on MPI ranks, quiet, with a `yes` pinned to the last core and with
#   one left free; the halo-exchange micro-benchmark.
#
# Usage: scripts/targets_window.sh
# Needs: hpcrs with MPI (scripts/build-mpi.sh, or a --features mpi build), gcc
# with OpenMP, mpirun, and PYTHON naming a Python with numpy
# (scripts/setup-venv.sh makes one). HPCRS=path/to/hpcrs picks another binary,
# INTERLEAVE another interleave tool. The peers, the corpora and the 2 GiB
# file go to a temporary directory, removed at the end.
set -euo pipefail

HPCRS="$(realpath "${HPCRS:-target/release/hpcrs}")"
INTERLEAVE="${INTERLEAVE:-../shared/tools/interleave}"
here="$(cd "$(dirname "$0")/.." && pwd)"

fail() {
    echo "targets_window: $*" >&2
    exit 1
}
[ -x "$HPCRS" ] || fail "no hpcrs binary at $HPCRS (scripts/build-mpi.sh, or set HPCRS)"
[ -x "$INTERLEAVE" ] || fail "no interleave tool at $INTERLEAVE (set INTERLEAVE)"
[ -n "${PYTHON:-}" ] || fail "set PYTHON to a Python with numpy (scripts/setup-venv.sh makes one)"
"$PYTHON" -c "import numpy" 2>/dev/null || fail "$PYTHON has no numpy"
command -v mpirun >/dev/null 2>&1 || fail "mpirun not found (scripts/setup-mpi.sh)"
command -v gcc >/dev/null 2>&1 || fail "gcc not found"
command -v taskset >/dev/null 2>&1 || fail "taskset not found (util-linux)"
"$HPCRS" mpi hello >/dev/null 2>&1 || fail "$HPCRS has no MPI (scripts/build-mpi.sh)"

# shellcheck source=scripts/scratch_and_load.sh
. "$here/scripts/scratch_and_load.sh"

gcc -O3 -march=native -fopenmp -o "$work/diff2d_omp" "$here/crates/bench/peers/diff2d.c" -lm
gcc -O3 -march=native -fopenmp -o "$work/auc_omp" "$here/crates/bench/peers/auc.c" -lm
for _ in $(seq 100); do cat "$here/data/mobydick.txt"; done >"$work/moby100.txt"
for _ in $(seq 20); do cat "$here/data/mobydick.txt"; done >"$work/moby20.txt"

I="$INTERLEAVE"
H="$HPCRS"
cd "$here"
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $("$H" --version), load $(cut -d' ' -f1-3 /proc/loadavg)"
"$I" -n 15 -- "env OMP_NUM_THREADS=2 $work/diff2d_omp" "$H diff2d" "$H diff2d --threads 1"
"$I" -n 5 -- "$PYTHON crates/bench/peers/diff2d_numpy.py" "$H diff2d"
"$I" -n 9 -- "env OMP_NUM_THREADS=2 $work/auc_omp 300000000" "$H auc 3e8"
"$I" -n 15 -- "$H wordcount $work/moby100.txt --quiet" \
    "mpirun -np 1 $H wordcount $work/moby100.txt --quiet" \
    "mpirun -np 2 $H wordcount $work/moby100.txt --quiet"
"$I" -n 5 -- "python3 scripts/wordcount_counter.py $work/moby20.txt data/stopwords.txt" \
    "$H wordcount $work/moby20.txt --quiet"
# Written just before its set: a file read back into the page cache after
# being dropped sits in smaller folios, which every reader maps more slowly.
"$H" ooc create "$work/big.npy" --shape 16384x16384 --fill random --seed 1 --no-sync -q
cat "$work/big.npy" >/dev/null
"$I" -n 7 -- "$H ooc stats $work/big.npy" "cat $work/big.npy" \
    "$PYTHON scripts/ooc_peers.py rowloop $work/big.npy" \
    "$PYTHON scripts/ooc_peers.py mean $work/big.npy"
rm -f "$work/big.npy"
mpi=("mpirun -np 1 $H diff2d --backend mpi" "mpirun -np 2 $H diff2d --backend mpi")
"$I" -n 11 -- "${mpi[@]}" "$H diff2d --threads 1" "$H diff2d"
last=$(($(nproc) - 1))
echo "-- yes pinned to core $last"
start_load "$last"
"$I" -n 11 -- "${mpi[@]}"
echo "-- yes unpinned"
start_load
"$I" -n 11 -- "${mpi[@]}"
stop_load
mpirun -np 2 "$H" mpi halo
echo "== end $(date -u '+%H:%M UTC')"
