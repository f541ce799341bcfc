#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine: the system MPI and
# libclang (scripts/setup-mpi.sh) and a Python virtual environment, outside the
# repository (scripts/setup-venv.sh), with numpy for the .npy round-trip tests and
# the peers, and numexpr for the expression engine's comparisons with it.
# Prints the interpreter to use; .ci/run exports it as $PYTHON.
# Usage: PYTHON=$(scripts/setup-ci.sh | tail -n 1)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-mpi.sh >&2

scripts/setup-venv.sh
