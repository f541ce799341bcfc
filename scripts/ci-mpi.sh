#!/usr/bin/env bash
# CI's MPI stage: builds hpcrs with the `mpi` feature against the system MPI
# (scripts/setup-mpi.sh installs it) and runs the end-to-end tests that start
# the binary under `mpirun -np 1, 2, 3 and 4` (3 and 4 oversubscribe a 2-core
# machine) and compare with the serial results (the word count among them),
# then the dataset engine's checks on 1, 2 and 4 MPI ranks.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v mpirun >/dev/null || { echo "ci-mpi: mpirun not found; run scripts/setup-mpi.sh" >&2; exit 1; }
cargo test --features mpi --test cli mpi
cargo test --features mpi -p hpcrs-comm
# The dataset engine on MPI ranks: the `ranks` example checks that every
# kind of pipeline gives on the ranks what one process gives.
cargo build --features mpi -p hpcrs-dataset --example ranks
ranks="${CARGO_TARGET_DIR:-target}/debug/examples/ranks"
for np in 1 2 4; do
    timeout 300 mpirun -np "$np" "$ranks"
done
