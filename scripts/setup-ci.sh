#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine: the system MPI and
# libclang (scripts/setup-mpi.sh) and a Python virtual environment, outside the
# repository, with numpy for the .npy round-trip tests and the peers, and
# numexpr for the expression engine's constant-typing comparison.
# Prints the interpreter to use; .ci/run exports it as $PYTHON.
# Usage: PYTHON=$(scripts/setup-ci.sh | tail -n 1)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-mpi.sh >&2

venv="${HPCRS_VENV:-$HOME/.cache/hpcrs-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check numpy numexpr >&2
echo "$venv/bin/python"
