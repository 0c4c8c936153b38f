#!/usr/bin/env bash
# Runs every test: the Rust workspace (unit, integration, property tests),
# then the Python cross-checks against reference engines.
#
# Sets up what it needs on first use: a virtual environment in .venv with
# the pinned packages of tests/requirements.txt. Reads shared data from
# ../shared/data (or $PYRT_SHARED_DATA); tests that need it skip with a
# message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo test (workspace)"
cargo test --workspace --locked

echo "== cargo build (the pyrt binary the cross-checks drive)"
cargo build --locked -p pyrt-cli
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
export PYRT_BIN="$target_dir/debug/pyrt"

echo "== python environment"
scripts/setup-python.sh

echo "== python cross-checks"
.venv/bin/python -m pytest tests/crosscheck -q -rs
