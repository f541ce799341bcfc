#!/usr/bin/env bash
# hpcrs cluster against ipyparallel, on this machine, with 2 engines each:
#   apply:   N tiny round trips, rc[0].apply_sync(minus, 5, 6) one after the other;
#   map:     a load-balanced map of minus over N pairs (one task per pair);
#   scatter: scatter then gather of MB megabytes of f64 over the engines.
# Both clusters run side by side for the whole benchmark; each measurement is a whole
# client process (`hpcrs cluster bench ...` or `python scripts/cluster_bench_ipp.py ...`),
# the two interleaved RUNS times. Printed per measurement: the medians (min-max) of the
# time of the measured section each client reports (connecting and, for Python,
# interpreter start-up and imports left out), and their ratio.
# usage: scripts/cluster_bench.sh    env: PYTHON (default ~/.cache/hpcrs-venv/bin/python, with
#        ipyparallel), HPCRS (default target/release/hpcrs), RUNS (5), APPLY_N, MAP_N, SCATTER_MB,
#        WHAT (the measurements to make; default "apply map scatter")
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$HOME/.cache/hpcrs-venv/bin/python}
HPCRS=${HPCRS:-target/release/hpcrs}
RUNS=${RUNS:-5}
APPLY_N=${APPLY_N:-1000}
MAP_N=${MAP_N:-10000}
SCATTER_MB=${SCATTER_MB:-100}
WHAT=${WHAT:-apply map scatter}
IPCLUSTER="$(dirname "$PYTHON")/ipcluster"
[ -x "$HPCRS" ] || cargo build --release -q
"$PYTHON" -c 'import ipyparallel' 2>/dev/null || {
    echo "ipyparallel is not importable with $PYTHON: $(dirname "$PYTHON")/pip install ipyparallel" >&2
    exit 1
}

# Both clusters live in a temporary home and profile: nothing touches ~/.hpcrs or ~/.ipython.
WORK=$(mktemp -d)
export IPYTHONDIR="$WORK/ipython"
HOME_HPCRS="$WORK/home"
mkdir -p "$HOME_HPCRS"
cleanup() {
    HOME="$HOME_HPCRS" "$HPCRS" cluster stop >/dev/null 2>&1 || true
    "$IPCLUSTER" stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
HOME="$HOME_HPCRS" "$HPCRS" cluster start -n 2 >&2
"$IPCLUSTER" start -n 2 --daemonize >/dev/null 2>&1
"$PYTHON" -c 'import ipyparallel as ipp; ipp.Client().wait_for_engines(2, timeout=120)'

# seconds LINE: the "in X s" figure of a client's output line.
seconds() { sed -n 's/.* in \([0-9.]*\) s.*/\1/p'; }

# stats: median (min-max) of numbers on stdin.
stats() { sort -g | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.4f (%.4f-%.4f)", m, a[1], a[NR]}'; }

measure() {
    local what=$1 n=$2 r
    local -a ours=() peer=()
    for r in $(seq "$RUNS"); do
        ours+=("$(HOME="$HOME_HPCRS" "$HPCRS" cluster bench "$what" -n "$n" | seconds)")
        peer+=("$("$PYTHON" scripts/cluster_bench_ipp.py "$what" "$n" | seconds)")
    done
    local om pm
    om=$(printf '%s\n' "${ours[@]}" | stats)
    pm=$(printf '%s\n' "${peer[@]}" | stats)
    printf '%-8s n=%-6s hpcrs %s s   ipyparallel %s s   ratio %.1fx\n' "$what" "$n" "$om" "$pm" \
        "$(echo "${pm%% *} / ${om%% *}" | bc -l)"
}

for what in $WHAT; do
    case $what in
    apply) measure apply "$APPLY_N" ;;
    map) measure map "$MAP_N" ;;
    scatter) measure scatter "$SCATTER_MB" ;;
    *) echo "WHAT: unknown measurement $what (apply, map, scatter)" >&2; exit 2 ;;
    esac
done
