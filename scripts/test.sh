#!/usr/bin/env bash
# Runs every test: the Rust workspace (unit, integration, property tests),
# then the Python package's suite and the cross-checks against reference
# engines (backtesting.py, TA-Lib).
#
# Sets up what it needs on first use: a virtual environment in .venv with
# the pinned packages of tests/requirements.txt (ONNX Runtime's library for
# the Rust ml tests among them). Reads shared data from
# ../shared/data (or $PYRT_SHARED_DATA); tests that need it skip with a
# message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== python environment"
# First: the Rust tests of the ml crate load ONNX Runtime's library from
# the onnxruntime wheel it installs (ort's load-dynamic; nothing downloaded
# at build time), so none of them skips on a fresh machine.
scripts/setup-python.sh
ORT_DYLIB_PATH="$(scripts/ort-library.sh)"
export ORT_DYLIB_PATH

echo "== cargo test (workspace)"
# The Python extension is a cdylib for an interpreter to load; pytest tests it below.
cargo test --workspace --locked --exclude pyrt-python

echo "== cargo build (the pyrt binary the cross-checks drive)"
cargo build --locked -p pyrt-cli
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
export PYRT_BIN="$target_dir/debug/pyrt"

echo "== python package: the release wheel (manylinux), installed into .venv"
# The wheel a user would install; test_packaging.py installs it again into
# a fresh environment with no Rust toolchain on the PATH.
rm -rf "$target_dir/wheels"
PATH="$PWD/.venv/bin:$PATH" .venv/bin/maturin build --quiet --release --locked -m python/Cargo.toml -o "$target_dir/wheels"
wheel=$(ls "$target_dir"/wheels/py_rt-*.whl)
.venv/bin/pip install --quiet --force-reinstall --no-deps "$wheel"
export PYRT_WHEEL="$wheel"

echo "== python tests: the py_rt package, the cross-checks, the local venue with real Binance clients"
.venv/bin/python -m pytest python/tests tests/crosscheck tests/venue -q -rs
