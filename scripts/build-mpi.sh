#!/usr/bin/env bash
# Builds hpcrs for MPI as two programs in target/release (target/debug with
# --debug; under $CARGO_TARGET_DIR if set): `hpcrs`, without MPI, and
# `hpcrs-mpi`, with it. `hpcrs` hands every MPI rank and every command that
# uses MPI to the `hpcrs-mpi` beside it (src/mpi_handoff.rs), so
# `mpirun -np 4 target/release/hpcrs ...` works as with a single MPI build,
# while the other commands do not load MPI's libraries at start (about 2 ms a
# run). Needs what scripts/setup-mpi.sh installs. Other arguments go to both
# cargo builds (e.g. --locked).
set -euo pipefail
cd "$(dirname "$0")/.."
profile=(--release)
out="${CARGO_TARGET_DIR:-target}/release"
if [ "${1:-}" = "--debug" ]; then
    shift
    profile=()
    out="${CARGO_TARGET_DIR:-target}/debug"
fi
cargo build "${profile[@]}" --features mpi "$@"
# Copied under a temporary name first, so that an interrupted copy never
# leaves a truncated hpcrs-mpi to be started.
tmp="$out/.hpcrs-mpi.$$"
trap 'rm -f "$tmp"' EXIT
cp "$out/hpcrs" "$tmp"
mv "$tmp" "$out/hpcrs-mpi"
cargo build "${profile[@]}" "$@"
echo "build-mpi: $out/hpcrs (without MPI) and $out/hpcrs-mpi (with MPI)"
