#!/usr/bin/env bash
# Makes .venv-bench (vectorbt with its own pins, plus py_rt built in
# release mode) and runs benches/grid_vs_vectorbt.py in it.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
[ -x .venv-bench/bin/python ] || "$python" -m venv .venv-bench
.venv-bench/bin/python -m pip install --quiet vectorbt==1.2.0 pandas==3.1.1 numpy==2.4.6 maturin==1.16.0
PATH="$PWD/.venv-bench/bin:$PATH" .venv-bench/bin/pip install --quiet --no-build-isolation ./python
exec .venv-bench/bin/python benches/grid_vs_vectorbt.py "$@"
