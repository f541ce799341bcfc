#!/usr/bin/env bash
# Makes the Python virtual environment that the comparisons with numpy and numexpr
# use, outside the repository: numpy, and numexpr at the release whose answers the
# expression engine's tests record (crates/expr/tests/numexpr_constants.tsv) and
# whose test suite is its yardstick (scripts/numexpr-yardstick/). Prints the
# interpreter to use.
# Usage: PYTHON=$(scripts/setup-venv.sh | tail -n 1)
set -euo pipefail

venv="${HPCRS_VENV:-$HOME/.cache/hpcrs-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check numpy 'numexpr==2.14.*' >&2
echo "$venv/bin/python"
