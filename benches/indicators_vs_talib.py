"""py_rt's indicators against TA-Lib on the same arrays, in one run.

Generates 1M one-minute GBM bars (seeded), writes them as raw f64 arrays,
lets `pyrt-bench indicators --input` time every indicator through its
feature pipeline in batch mode, times the matching TA-Lib batch call on the same
arrays (best of N), and prints a Markdown table.

    python benches/indicators_vs_talib.py [--bars 1000000] [--repeats 5]
"""

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import talib

ROOT = Path(__file__).resolve().parents[1]
PYRT = Path(os.environ.get("PYRT_BENCH_BIN", ROOT / "target" / "release" / "pyrt-bench"))


def talib_calls(h, l, c, v):
    return {
        "sma:30": lambda: talib.SMA(c, 30),
        "ema:30": lambda: talib.EMA(c, 30),
        "wma:30": lambda: talib.WMA(c, 30),
        "dema:30": lambda: talib.DEMA(c, 30),
        "tema:30": lambda: talib.TEMA(c, 30),
        "trima:30": lambda: talib.TRIMA(c, 30),
        "kama:30": lambda: talib.KAMA(c, 30),
        "t3:5:0.7": lambda: talib.T3(c, 5, 0.7),
        "rsi:14": lambda: talib.RSI(c, 14),
        "macd:12:26:9": lambda: talib.MACD(c, 12, 26, 9),
        "ppo:12:26": lambda: talib.PPO(c, 12, 26, 0),
        "trix:30": lambda: talib.TRIX(c, 30),
        "mom:10": lambda: talib.MOM(c, 10),
        "roc:10": lambda: talib.ROC(c, 10),
        "stddev:5:1": lambda: talib.STDDEV(c, 5, 1),
        "bbands:20:2": lambda: talib.BBANDS(c, 20, 2, 2, 0),
        "stochrsi:14:5:3": lambda: talib.STOCHRSI(c, 14, 5, 3, 0),
        "linreg_slope:14": lambda: talib.LINEARREG_SLOPE(c, 14),
        "trange": lambda: talib.TRANGE(h, l, c),
        "atr:14": lambda: talib.ATR(h, l, c, 14),
        "natr:14": lambda: talib.NATR(h, l, c, 14),
        "willr:14": lambda: talib.WILLR(h, l, c, 14),
        "cci:14": lambda: talib.CCI(h, l, c, 14),
        "mfi:14": lambda: talib.MFI(h, l, c, v, 14),
        "stoch:5:3:3": lambda: talib.STOCH(h, l, c, 5, 3, 0, 3, 0),
        "stochf:5:3": lambda: talib.STOCHF(h, l, c, 5, 3, 0),
        "aroon:14": lambda: talib.AROON(h, l, 14),
        "aroonosc:14": lambda: talib.AROONOSC(h, l, 14),
        "adx:14": lambda: talib.ADX(h, l, c, 14),
        "plus_di:14": lambda: talib.PLUS_DI(h, l, c, 14),
        "minus_di:14": lambda: talib.MINUS_DI(h, l, c, 14),
        "dx:14": lambda: talib.DX(h, l, c, 14),
        "sar:0.02:0.2": lambda: talib.SAR(h, l, 0.02, 0.2),
        "obv": lambda: talib.OBV(c, v),
        "ad": lambda: talib.AD(h, l, c, v),
        "adosc:3:10": lambda: talib.ADOSC(h, l, c, v, 3, 10),
        "ultosc:7:14:28": lambda: talib.ULTOSC(h, l, c, 7, 14, 28),
        "correl:high:low:30": lambda: talib.CORREL(h, l, 30),
        "beta:high:low:5": lambda: talib.BETA(h, l, 5),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(42)
    n = args.bars
    c = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.3 / np.sqrt(525_960), n)))
    h = c * (1.0 + np.abs(rng.normal(0.0, 0.0005, n)))
    l = c * (1.0 - np.abs(rng.normal(0.0, 0.0005, n)))
    v = rng.lognormal(13.0, 0.5, n)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bars.f64"
        np.concatenate([h, l, c, v]).astype("<f8").tofile(path)
        out = subprocess.run(
            [str(PYRT), "indicators", "--input", str(path), "--repeats", str(args.repeats), "--format", "json"],
            check=True, capture_output=True, text=True,
        )
    ours = {t["spec"]: t["ns_per_bar"] for t in json.loads(out.stdout)["pipeline"]}
    # glibc hands a freed block of 8 MB or more back to the OS until a
    # larger one has been freed once; after that it keeps up to 32 MB of
    # heap. In a process that never freed one (a fresh Jupyter kernel),
    # TA-Lib's multi-output calls (MACD, PPO, BBANDS) pay for fresh pages
    # on every call and run at half speed. The 32 MB array written above
    # already has that effect; freeing one here makes it deliberate, so
    # the table times the arithmetic. pyrt's process reuses its output
    # memory too (`perf stat` counts no page faults per repeat).
    scratch = np.ones(4_000_000)
    del scratch
    calls = talib_calls(h, l, c, v)
    print(f"{n:,} bars, best of {args.repeats}; ns per bar (lower is better)\n")
    print("| indicator | py_rt batch | TA-Lib batch | TA-Lib / py_rt |")
    print("|---|---:|---:|---:|")
    for spec, ns in ours.items():
        best = float("inf")
        for _ in range(args.repeats):
            start = time.perf_counter()
            calls[spec]()
            best = min(best, time.perf_counter() - start)
        theirs = best * 1e9 / n
        print(f"| {spec} | {ns:.2f} | {theirs:.2f} | {theirs / ns:.2f}x |")


if __name__ == "__main__":
    main()
