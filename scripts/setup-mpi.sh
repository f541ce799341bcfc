#!/usr/bin/env bash
# Installs what `cargo build --features mpi` needs: MPICH (the MPI library, mpicc
# and mpirun) and libclang (rsmpi generates its bindings with bindgen).
# Idempotent and quiet: installs only the packages that are missing. Runs as
# root directly, or through sudo otherwise.
#
# Why MPICH and not Open MPI: Open MPI's mpirun refuses to run as root without
# extra flags (--allow-run-as-root), which CI containers usually are; MPICH
# runs as any user and oversubscribes (more ranks than cores) without flags.
set -euo pipefail

packages=(mpich libmpich-dev libclang-dev pkg-config)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "setup-mpi: already installed: ${packages[*]}"
else
    if [ "$(id -u)" -eq 0 ]; then
        SUDO=()
    elif command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "setup-mpi: need root or sudo to install: ${missing[*]}" >&2
        exit 1
    fi
    echo "setup-mpi: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -qq >/dev/null
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Report what the build will find, and fail loudly if something is still off.
for tool in mpicc mpirun; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "setup-mpi: $tool not found on PATH after install" >&2
        exit 1
    fi
done
echo "setup-mpi: $(mpirun --version 2>&1 | head -n 1)"
echo "setup-mpi: build with: scripts/build-mpi.sh (or cargo build --release --features mpi)"
echo "setup-mpi: run with:   mpirun -np 4 target/release/hpcrs mpi hello"
