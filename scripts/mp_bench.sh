#!/usr/bin/env bash
# Processes: hpcrs against Python's multiprocessing, whole processes run
# side by side by /work/shared/tools/interleave (medians with min-max):
#   1. hpcrs mp pool --tasks 100000 vs Pool(2).map(f, range(100000));
#   2. starting and joining 100 processes: hpcrs summer --mode processes
#      --jobs 100 --n 1 vs 100 multiprocessing.Process (n = 1);
#   3. hpcrs auc 3e8 --backend processes vs --backend threads.
#
# Usage: scripts/mp_bench.sh [RUNS]   (default 11 runs of each command)
# Environment: PYTHON (default ~/.cache/hpcrs-venv/bin/python), HPCRS
#   (default: build and use target/release/hpcrs), INTERLEAVE (default
#   /work/shared/tools/interleave).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-11}
PYTHON=${PYTHON:-$HOME/.cache/hpcrs-venv/bin/python}
INTERLEAVE=${INTERLEAVE:-/work/shared/tools/interleave}
if [[ -z "${HPCRS:-}" ]]; then
    cargo build --release --quiet
    HPCRS=target/release/hpcrs
fi
echo "$(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); $($PYTHON --version)"
echo "== Pool.map of x*x over range(100000), 2 workers"
"$INTERLEAVE" -n "$RUNS" -- \
    "$HPCRS mp pool --workers 2 --tasks 100000" \
    "$PYTHON scripts/mp_peers.py pool 2 100000"
echo "== start and join 100 processes"
"$INTERLEAVE" -n "$RUNS" -- \
    "$HPCRS summer --mode processes --jobs 100 --n 1" \
    "$PYTHON scripts/mp_peers.py start 100"
echo "== auc 3e8: processes backend against threads"
"$INTERLEAVE" -n "$RUNS" -- \
    "$HPCRS auc 3e8 --backend threads" \
    "$HPCRS auc 3e8 --backend processes"
