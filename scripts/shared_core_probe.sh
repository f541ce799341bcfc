#!/usr/bin/env bash
# Why MPI ranks on a 2-core machine with one core loaded cannot beat one rank:
# runs scripts/shared_core_probe.c with `yes` pinned to CPU 1, for each way
# of waiting (block, nap, spin) and partner work of 60 to 250 us against the
# lead's 300 us per exchange. A partner that blocks keeps up while its work is
# about a third of the lead's; above that, and whenever it polls, the
# exchanges wait for its time slices (docs/mpi.md, "Under load").
#
# Usage: scripts/shared_core_probe.sh [EXCHANGES]   (default 2000)
# Needs a C compiler ($CC, default cc), taskset and two CPUs.
set -euo pipefail

EXCHANGES="${1:-2000}"
if ! [[ "$EXCHANGES" =~ ^[1-9][0-9]*$ ]]; then
    echo "shared_core_probe: EXCHANGES must be a positive integer, got '$EXCHANGES'" >&2
    exit 2
fi
command -v "${CC:-cc}" >/dev/null 2>&1 || { echo "shared_core_probe: no C compiler '${CC:-cc}' (set CC)" >&2; exit 1; }
command -v taskset >/dev/null 2>&1 || { echo "shared_core_probe: taskset not found (util-linux)" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "shared_core_probe: needs two CPUs" >&2; exit 1; }

here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=scripts/scratch_and_load.sh
. "$here/scratch_and_load.sh"
"${CC:-cc}" -O2 -o "$work/probe" "$here/shared_core_probe.c"

start_load 1
for mode in block nap spin; do
    for partner in 60 100 150 250; do
        "$work/probe" "$mode" 300 "$partner" "$EXCHANGES"
    done
done
