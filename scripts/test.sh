#!/usr/bin/env bash
# Runs every test: the Rust workspace (unit, integration, property tests),
# then the Python package's suite and the cross-checks against reference
# engines (backtesting.py, TA-Lib).
#
# Sets up what it needs on first use: a virtual environment in .venv with
# the pinned packages of tests/requirements.txt. Reads shared data from
# ../shared/data (or $PYRT_SHARED_DATA); tests that need it skip with a
# message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo test (workspace)"
# The Python extension is a cdylib for an interpreter to load; pytest tests it below.
cargo test --workspace --locked --exclude pyrt-python

echo "== cargo build (the pyrt binary the cross-checks drive)"
cargo build --locked -p pyrt-cli
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
export PYRT_BIN="$target_dir/debug/pyrt"

echo "== python environment"
scripts/setup-python.sh

echo "== python package (release build of the extension)"
PATH="$PWD/.venv/bin:$PATH" .venv/bin/pip install --quiet --no-build-isolation ./python

echo "== python tests: the py_rt package, the cross-checks, the local venue with real Binance clients"
.venv/bin/python -m pytest python/tests tests/crosscheck tests/venue -q -rs
