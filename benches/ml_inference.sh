#!/usr/bin/env bash
# Inference latency of a 200-tree LightGBM in the signal path: trains it on
# seven return and volatility features of ORCL in .venv (scripts/setup-python.sh makes it), exports it
# with onnxmltools, and times it one row at a time in a release build of
# pyrt-bench, through the onnxruntime wheel's library.
#
#     benches/ml_inference.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-python.sh
mkdir -p out
.venv/bin/python - <<'PY'
import numpy as np, pandas as pd, lightgbm as lgb, onnxmltools, os
from onnxmltools.convert.common.data_types import FloatTensorType
data = os.environ.get("PYRT_SHARED_DATA", "../shared/data")
df = pd.read_csv(f"{data}/backtrader/orcl-1995-2014.txt", index_col="Date", parse_dates=True)
c = df["Close"]
x = pd.DataFrame({f"ret_{n}": c.pct_change(n) for n in (1, 5, 20, 60)} |
                 {f"vol_{n}": c.pct_change().rolling(n).std() for n in (10, 20, 60)}).dropna()
y = df["Close"].pct_change().shift(-1).reindex(x.index).fillna(0)
m = lgb.LGBMRegressor(n_estimators=200, num_leaves=15, verbose=-1).fit(x.to_numpy(np.float32), y)
onx = onnxmltools.convert_lightgbm(m, initial_types=[("x", FloatTensorType([None, x.shape[1]]))])
open("out/lgbm200.onnx", "wb").write(onx.SerializeToString())
PY
ORT_DYLIB_PATH="$(scripts/ort-library.sh)"
export ORT_DYLIB_PATH
cargo build --release --locked -p pyrt-bench
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
exec "$target_dir/release/pyrt-bench" ml --model out/lgbm200.onnx --rows "${1:-100000}"
