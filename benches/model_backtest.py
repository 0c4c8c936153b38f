"""End-to-end speed of a backtest with a model on: the whole feature
catalog (209 features, 225 columns) computed streaming on each bar, a
200-tree LightGBM asked through ONNX Runtime, and the kernel's orders and
fills, on BTC-PERP minute bars. The same bars with the built-in sma_cross
give the kernel's cost alone.

    .venv/bin/python benches/model_backtest.py [--repeats 3]
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

import py_rt
from timing import best_of

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("PYRT_SHARED_DATA", ROOT.parent / "shared" / "data"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    path = DATA / "nautilus_trader" / "btc-perp-20211231-20220201_1m.csv.gz"
    if not path.exists():
        sys.exit(f"shared data not found at {path} (set PYRT_SHARED_DATA)")
    df = pd.read_csv(path, index_col="timestamp", parse_dates=True)
    names = list(py_rt.features.catalog().index)
    X = py_rt.features(df, names)
    y = (df["close"].shift(-10) > df["close"]).astype(int)
    train = X.join(y.rename("y")).dropna().iloc[: len(df) // 2]
    model = lgb.LGBMClassifier(n_estimators=200, num_leaves=15, verbose=-1)
    model.fit(train[X.columns].to_numpy(np.float32), train["y"])
    card = py_rt.ml.export(model, Path(tempfile.mkdtemp()) / "btc", names, train[X.columns])
    settings = dict(cash=1_000_000, lot_size=0.001, tick_size=0.1)
    t_model, res = best_of(args.repeats, lambda: py_rt.Backtest(
        df, "model", {"card": card.path, "enter": 0.52, "exit": 0.48}, **settings).run())
    t_sma, _ = best_of(args.repeats, lambda: py_rt.Backtest(df, "sma_cross", **settings).run())
    t_feat, _ = best_of(args.repeats, lambda: py_rt.features(df, names))
    n = len(df)
    print(f"{n} BTC-PERP minute bars; {len(names)} features ({X.shape[1]} columns), 200-tree LightGBM")
    print(f"backtest with the model   {t_model * 1e3:8.0f} ms  {n / t_model:10.0f} bars/s  "
          f"({len(res.fills)} fills)")
    print(f"backtest, sma_cross       {t_sma * 1e3:8.0f} ms  {n / t_sma:10.0f} bars/s")
    print(f"features in batch         {t_feat * 1e3:8.0f} ms  {n / t_feat:10.0f} bars/s")
    print(f"per bar with the model: {(t_model - t_sma) / n * 1e6:.1f} us above the kernel's own cost")


if __name__ == "__main__":
    main()
