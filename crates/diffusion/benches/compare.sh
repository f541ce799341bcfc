#!/usr/bin/env bash
# Side-by-side timing of hpcrs diff2d's backends against a C loop (serial
# and OpenMP, cc -O3 -march=native) and the course's numpy program, on the
# course's default problem (299x299 interior, 13410 steps). Runs the
# contenders interleaved, ROUNDS times (default 5), and reports the best
# time of each and the ratios the issue's speed targets are about.
#
#   bash crates/diffusion/benches/compare.sh            # from the repo root
#   ROUNDS=3 PYTHON=/path/to/python bash crates/diffusion/benches/compare.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
rounds=${ROUNDS:-5}
python=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release -q -p hpcrs-diffusion --example timing --manifest-path "$root/Cargo.toml"
timing="$root/target/release/examples/timing"
cc -O3 -march=native -fopenmp "$here/diff2d_omp.c" -o "$work/omp" -lm
cc -O3 -march=native "$here/diff2d_omp.c" -o "$work/serial" -lm 2>/dev/null
have_numpy=0
if "$python" -c "import numpy" 2>/dev/null; then have_numpy=1; fi

declare -A best
keep() { # name seconds
    local old=${best[$1]:-}
    if [[ -z $old ]] || awk "BEGIN{exit !($2 < $old)}"; then best[$1]=$2; fi
}
for ((r = 1; r <= rounds; r++)); do
    keep "C serial" "$("$work/serial" | cut -d' ' -f1)"
    keep "C OpenMP" "$("$work/omp" | cut -d' ' -f1)"
    for b in naive threads; do
        keep "hpcrs $b" "$(REPEAT=1 "$timing" "$b" | sed -E 's/.*best ([0-9.]+) s.*/\1/')"
    done
done
# The slow ones once (they take seconds; noise matters less).
keep "hpcrs array" "$(REPEAT=1 "$timing" array | sed -E 's/.*best ([0-9.]+) s.*/\1/')"
if ((have_numpy)); then keep "numpy" "$("$python" "$here/diff2d_numpy.py" | cut -d' ' -f1)"; fi

updates=$((299 * 299 * 13410))
echo "| contender | best seconds | cell updates/s |"
echo "|---|---:|---:|"
for name in "C serial" "C OpenMP" "numpy" "hpcrs naive" "hpcrs array" "hpcrs threads"; do
    s=${best[$name]:-}
    [[ -z $s ]] && continue
    printf "| %s | %.3f | %.3g |\n" "$name" "$s" "$(awk "BEGIN{print $updates / $s}")"
done
ratio() { awk "BEGIN{printf \"%.2f\", ${best[$1]} / ${best[$2]}}"; }
echo
echo "threads vs C OpenMP: $(ratio "C OpenMP" "hpcrs threads")x faster (target >= 1.5)"
if ((have_numpy)); then
    echo "threads vs numpy:    $(ratio "numpy" "hpcrs threads")x faster (target >= 30)"
fi
echo "naive / C serial:    $(ratio "hpcrs naive" "C serial") (target <= 1.3)"
