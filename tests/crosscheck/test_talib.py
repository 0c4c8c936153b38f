"""Cross-check: py_rt's indicators against TA-Lib on real market data.

`pyrt indicators` computes every TA-Lib-equivalent feature over a bar
file; TA-Lib (the C library in the `ta-lib` wheel) computes the same on the
same numbers. The warm-up (NaN) positions must be identical and every value
must agree to 1e-9, relative to the value or to the column's typical
magnitude for values near zero (a MACD histogram crossing zero).
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

talib = pytest.importorskip("talib")

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("PYRT_SHARED_DATA", ROOT.parent / "shared" / "data"))
PYRT = Path(os.environ.get("PYRT_BIN", ROOT / "target" / "debug" / "pyrt"))

FILES = {
    "orcl_daily": DATA / "backtrader" / "orcl-1995-2014.txt",
    "eurostoxx_1min": DATA / "backtrader" / "2006-01-02-volume-min-001.txt.gz",
    "btc_perp_1min": DATA / "nautilus_trader" / "btc-perp-20211231-20220201_1m.csv.gz",
}


def references(o, h, l, c, v):
    """spec -> list of TA-Lib output arrays (one per column of the spec)."""
    one = lambda x: [x]  # noqa: E731
    return {
        "sma:30": one(talib.SMA(c, 30)),
        "sma:5": one(talib.SMA(c, 5)),
        "ema:30": one(talib.EMA(c, 30)),
        "ema:12": one(talib.EMA(c, 12)),
        "wma:30": one(talib.WMA(c, 30)),
        "dema:30": one(talib.DEMA(c, 30)),
        "tema:30": one(talib.TEMA(c, 30)),
        "trima:30": one(talib.TRIMA(c, 30)),
        "trima:15": one(talib.TRIMA(c, 15)),
        "rsi:14": one(talib.RSI(c, 14)),
        "mom:10": one(talib.MOM(c, 10)),
        "roc:10": one(talib.ROC(c, 10)),
        "trix:30": one(talib.TRIX(c, 30)),
        "ppo:12:26": one(talib.PPO(c, 12, 26, 0)),
        "macd:12:26:9": list(talib.MACD(c, 12, 26, 9)),
        "stddev:5:1": one(talib.STDDEV(c, 5, 1)),
        "bbands:20:2": list(talib.BBANDS(c, 20, 2, 2, 0)),
        "stochrsi:14:5:3": list(talib.STOCHRSI(c, 14, 5, 3, 0)),
        "linreg_slope:14": one(talib.LINEARREG_SLOPE(c, 14)),
        "trange": one(talib.TRANGE(h, l, c)),
        "atr:14": one(talib.ATR(h, l, c, 14)),
        "natr:14": one(talib.NATR(h, l, c, 14)),
        "willr:14": one(talib.WILLR(h, l, c, 14)),
        "cci:14": one(talib.CCI(h, l, c, 14)),
        "mfi:14": one(talib.MFI(h, l, c, v, 14)),
        "stoch:5:3:3": list(talib.STOCH(h, l, c, 5, 3, 0, 3, 0)),
        "stochf:5:3": list(talib.STOCHF(h, l, c, 5, 3, 0)),
        "aroon:14": list(talib.AROON(h, l, 14)),
        "aroonosc:14": one(talib.AROONOSC(h, l, 14)),
        "adx:14": one(talib.ADX(h, l, c, 14)),
        "plus_di:14": one(talib.PLUS_DI(h, l, c, 14)),
        "minus_di:14": one(talib.MINUS_DI(h, l, c, 14)),
        "dx:14": one(talib.DX(h, l, c, 14)),
        "obv": one(talib.OBV(c, v)),
        "ad": one(talib.AD(h, l, c, v)),
        "adosc:3:10": one(talib.ADOSC(h, l, c, v, 3, 10)),
        "ultosc:7:14:28": one(talib.ULTOSC(h, l, c, 7, 14, 28)),
        "kama:30": one(talib.KAMA(c, 30)),
        "kama:10": one(talib.KAMA(c, 10)),
        "t3:5:0.7": one(talib.T3(c, 5, 0.7)),
        "sar:0.02:0.2": one(talib.SAR(h, l, 0.02, 0.2)),
        "correl:high:low:30": one(talib.CORREL(h, l, 30)),
        "beta:high:low:5": one(talib.BETA(h, l, 5)),
    }


def run_pyrt(path: Path, specs, out: Path) -> pd.DataFrame:
    subprocess.run(
        [str(PYRT), "indicators", "--data", str(path), "--spec", ",".join(specs), "--out", str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    return pd.read_csv(out)


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_indicator_matches_ta_lib(name, tmp_path):
    path = FILES[name]
    if not path.exists():
        pytest.skip(f"shared data not found at {path} (set PYRT_SHARED_DATA)")
    ours_bars = run_pyrt(path, ["sma:1", "sma:high:1", "sma:low:1", "sma:open:1", "sma:volume:1"], tmp_path / "bars.csv")
    # TA-Lib gets exactly the floats py_rt computed on (its own parse of the file).
    c, h, l, o, v = (ours_bars[k].to_numpy(dtype=float) for k in ["sma:1", "sma:high:1", "sma:low:1", "sma:open:1", "sma:volume:1"])
    refs = references(o, h, l, c, v)
    ours = run_pyrt(path, list(refs), tmp_path / "features.csv")
    checked = 0
    failures = []
    for spec, outputs in refs.items():
        cols = [col for col in ours.columns if col == spec or col.startswith(spec + ".")]
        assert len(cols) == len(outputs), f"{spec}: columns {cols}"
        for col, want in zip(cols, outputs):
            got = ours[col].to_numpy(dtype=float)
            if not np.array_equal(np.isnan(got), np.isnan(want)):
                first_ours = int(np.argmax(~np.isnan(got)))
                first_ta = int(np.argmax(~np.isnan(want)))
                failures.append(f"{col}: warm-up differs (py_rt first value at {first_ours}, TA-Lib at {first_ta})")
                continue
            mask = ~np.isnan(want)
            scale = max(np.mean(np.abs(want[mask])) if mask.any() else 1.0, 1e-300)
            err = np.abs(got[mask] - want[mask]) / np.maximum(np.abs(want[mask]), scale)
            worst = float(err.max()) if err.size else 0.0
            if worst > 1e-9:
                i = int(np.argmax(err))
                failures.append(f"{col}: max relative error {worst:.3g} at row {np.flatnonzero(mask)[i]}")
            checked += 1
    print(f"{name}: {checked} columns agree with TA-Lib", file=sys.stderr)
    assert not failures, "\n".join(failures)
