"""A 10,000-combination SMA(fast, slow) crossover grid on the ORCL daily
file: py_rt's Backtest.optimize against vectorbt, in one run.

Both sides use the same convention: long only, all in on a cross up and
flat on a cross down, filled at the signal bar's close, whole shares, no
fees. Each side is timed from prices to one Sharpe ratio per combination,
best of N after a warm-up run (which absorbs vectorbt's numba
compilation). The final equities of both engines are compared too.

Run it with benches/grid_vs_vectorbt.sh, which makes the environment
(vectorbt needs its own: see ../shared/deps.md).

    python benches/grid_vs_vectorbt.py [--repeats 3]
"""

import argparse
import os
from pathlib import Path

import numpy as np
import pandas as pd

import py_rt
from timing import best_of

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("PYRT_SHARED_DATA", ROOT.parent / "shared" / "data"))
ORCL = DATA / "backtrader" / "orcl-1995-2014.txt"
FAST = np.arange(5, 105)
SLOW = np.arange(110, 210)


def run_py_rt(df):
    bt = py_rt.Backtest(df, "sma_cross", cash=100_000, fill="close")
    table = bt.optimize(fast=FAST.tolist(), slow=SLOW.tolist())
    return table.set_index(["fast", "slow"])


def run_vectorbt(close):
    import vectorbt as vbt

    fw, sw = np.repeat(FAST, len(SLOW)), np.tile(SLOW, len(FAST))
    fast = vbt.MA.run(close, fw, short_name="fast")
    slow = vbt.MA.run(close, sw, short_name="slow")
    entries = fast.ma_crossed_above(slow)
    exits = fast.ma_crossed_below(slow)
    pf = vbt.Portfolio.from_signals(close, entries.values, exits.values, init_cash=100_000, fees=0.0,
                                    size_granularity=1, freq="1D")
    return pf.sharpe_ratio().values, pf.final_value().values


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    if not ORCL.exists():
        raise SystemExit(f"shared data not found at {ORCL} (set PYRT_SHARED_DATA)")
    df = pd.read_csv(ORCL, index_col="Date", parse_dates=True)[["Open", "High", "Low", "Close", "Volume"]]
    close = df["Close"]
    combos = len(FAST) * len(SLOW)

    run_py_rt(df.iloc[:300])
    run_vectorbt(close.iloc[:300])  # numba compiles here
    t_ours, ours = best_of(args.repeats, lambda: run_py_rt(df))
    t_vbt, (vbt_sharpe, vbt_final) = best_of(args.repeats, lambda: run_vectorbt(close))

    ours = ours.reindex(list(zip(np.repeat(FAST, len(SLOW)), np.tile(SLOW, len(FAST)))))
    same = np.isclose(ours["final_equity"].to_numpy(), vbt_final, rtol=1e-9, atol=1e-6)
    print(f"{len(df)} bars, {combos} combinations, {os.cpu_count()} cores")
    print("| engine | seconds (best of %d) | runs/s | bars/s |" % args.repeats)
    print("|---|---:|---:|---:|")
    for name, t in (("py_rt Backtest.optimize", t_ours), ("vectorbt 1.2 from_signals", t_vbt)):
        print(f"| {name} | {t:.2f} | {combos / t:,.0f} | {combos * len(df) / t / 1e6:,.1f} M |")
    print(f"py_rt is {t_vbt / t_ours:.1f}x vectorbt's speed")
    print(f"final equity agrees (1e-9) on {same.sum()} of {combos} combinations")
    if not same.all():
        i = np.flatnonzero(~same)[0]
        print(f"  first difference: fast={ours.index[i][0]} slow={ours.index[i][1]}: "
              f"py_rt {ours['final_equity'].iloc[i]:.6f} vs vectorbt {vbt_final[i]:.6f}")


if __name__ == "__main__":
    main()
