#!/usr/bin/env bash
# Makes .venv-hft (hftbacktest with its own numba/numpy pins), builds
# `pyrt-bench` in release mode, and runs benches/l2_vs_hftbacktest.py.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
[ -x .venv-hft/bin/python ] || "$python" -m venv .venv-hft
.venv-hft/bin/python -m pip install --quiet hftbacktest==2.4.4
cargo build --release --locked -p pyrt-bench
exec .venv-hft/bin/python benches/l2_vs_hftbacktest.py "$@"
