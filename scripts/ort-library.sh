#!/usr/bin/env bash
# Prints the path of ONNX Runtime's library inside .venv's onnxruntime
# wheel: what ORT_DYLIB_PATH names for the Rust side (ort's load-dynamic).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -c 'import glob, onnxruntime, os; print(sorted(glob.glob(os.path.join(os.path.dirname(onnxruntime.__file__), "capi", "libonnxruntime.so*")))[0])'
