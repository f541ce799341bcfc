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
# The pair that scripts/build-mpi.sh builds: `hpcrs` without MPI hands the
# ranks to `hpcrs-mpi`. Removed afterwards, so that later test runs in this
# target directory see a build without a twin.
scripts/build-mpi.sh --debug
debug="${CARGO_TARGET_DIR:-target}/debug"
trap 'rm -f "$debug/hpcrs-mpi"' EXIT
if ldd "$debug/hpcrs" | grep -q libmpi; then
    echo "ci-mpi: $debug/hpcrs links MPI; build-mpi.sh should have built it without" >&2
    exit 1
fi
hello=$(timeout 60 mpirun -np 2 "$debug/hpcrs" mpi hello | sed 's/ on .*//' | sort)
expected=$(printf 'Hello World! I am process 0 of 2\nHello World! I am process 1 of 2')
if [ "$hello" != "$expected" ]; then
    echo "ci-mpi: mpirun -np 2 hpcrs mpi hello through hpcrs-mpi printed:" >&2
    echo "$hello" >&2
    exit 1
fi
echo "ci-mpi: mpirun -np 2 $debug/hpcrs ran as hpcrs-mpi on both ranks"
