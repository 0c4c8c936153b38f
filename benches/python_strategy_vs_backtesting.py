"""A strategy written in Python, SMA(10, 30) crossover on the ORCL daily
file: py_rt (Python callbacks in the Rust kernel) against backtesting.py
running the same strategy, then a 1,000-combination sweep of it in py_rt (a 25 × 40 grid).

Both sides: long only, all in on a cross up (whole shares), flat on a cross
down, filled at the next bar's open, no fees; each strategy keeps its own
moving averages the natural way for its framework (backtesting.py's
``self.I`` over the whole series, py_rt's a window of closes bar by bar). The
final equities of both runs are compared. Each side is timed from the
DataFrame to its result, best of N after a warm-up run.

Run it in the test environment (``scripts/setup-python.sh`` installs
backtesting.py, ``pip install ./python`` a release build of py_rt):

    .venv/bin/python benches/python_strategy_vs_backtesting.py [--repeats 5]
"""

import argparse
import os
import time
import warnings
from pathlib import Path

import pandas as pd

os.environ.setdefault("TQDM_DISABLE", "1")  # backtesting.py's per-run progress bar
import py_rt  # noqa: E402
from timing import best_of  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("PYRT_SHARED_DATA", ROOT.parent / "shared" / "data"))
ORCL = DATA / "backtrader" / "orcl-1995-2014.txt"


class SmaCross(py_rt.Strategy):
    """The crossover in Python: the two means of the last closes, bar by bar."""

    fast = 10
    slow = 30

    def on_start(self, ctx):
        self.closes = []
        self.prev = None

    def on_bar(self, ctx, bar):
        c = self.closes
        c.append(bar.close)
        if len(c) < self.slow:
            return
        # Sums afresh each bar: running sums drift by an ulp or two, which
        # flips the sign of a near-tie (a trade backtesting.py does not make).
        diff = sum(c[-self.fast:]) / self.fast - sum(c[-self.slow:]) / self.slow
        prev, self.prev = self.prev, diff
        if prev is None:
            return
        # While an order waits for the next open, a cross is not acted on
        # (backtesting.py sees the position only once the order filled).
        if prev < 0 < diff:
            if ctx.position() == 0 and not ctx.has_open_orders():
                ctx.buy_notional(min(ctx.equity, ctx.cash))
        elif prev > 0 > diff:
            if ctx.position() > 0 and not ctx.has_open_orders():
                ctx.close_position()


def run_backtesting_py(df):
    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover

    class BtSmaCross(Strategy):
        fast = 10
        slow = 30

        def init(self):
            self.f = self.I(lambda v: pd.Series(v).rolling(self.fast).mean(), self.data.Close)
            self.s = self.I(lambda v: pd.Series(v).rolling(self.slow).mean(), self.data.Close)

        def next(self):
            if crossover(self.f, self.s) and not self.position:
                self.buy()
            elif crossover(self.s, self.f) and self.position:
                self.position.close()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Backtest(df, BtSmaCross, cash=100_000, commission=0).run()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    df = pd.read_csv(ORCL, index_col="Date", parse_dates=True)
    bars = len(df)

    ours, theirs = (lambda: py_rt.Backtest(df, SmaCross, cash=100_000).run()), (lambda: run_backtesting_py(df))
    ours(), theirs()  # warm-up
    ours_t, ours = best_of(args.repeats, ours)
    theirs_t, theirs = best_of(args.repeats, theirs)
    print(f"ORCL daily, {bars} bars, SMA(10, 30) crossover written in Python, best of {args.repeats}")
    print(f"  py_rt          {ours_t * 1e3:8.1f} ms  {bars / ours_t / 1e6:6.2f} M bars/s  "
          f"final equity {float(ours.final_equity_exact):,.2f}, {len(ours.trades)} trades")
    print(f"  backtesting.py {theirs_t * 1e3:8.1f} ms  {bars / theirs_t / 1e6:6.2f} M bars/s  "
          f"final equity {theirs['Equity Final [$]']:,.2f}, {theirs['# Trades']} trades")
    print(f"  py_rt is {theirs_t / ours_t:.1f}x faster")

    # The sweep: a 25 × 40 grid, every pair valid (fast < slow): 1,000 runs.
    fasts, slows = list(range(5, 55, 2)), list(range(60, 220, 4))
    bt = py_rt.Backtest(df, SmaCross, cash=100_000)
    t = time.perf_counter()
    table = bt.optimize(fast=fasts, slow=slows, progress=False)
    wall = time.perf_counter() - t
    print(f"sweep of {len(table)} combinations of the Python strategy on {os.cpu_count()} cores "
          f"(forked workers): {wall:.1f} s wall, {len(table) * bars / wall / 1e6:.2f} M bars/s")


if __name__ == "__main__":
    main()
