"""Backtests from Python: the same engine as the `pyrt` binary, so the
same numbers; and the same fills as backtesting.py under its conventions."""

import json
import os
import subprocess
import warnings
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import py_rt

from conftest import ORCL, ROOT

PYRT = Path(os.environ.get("PYRT_BIN", ROOT / "target" / "debug" / "pyrt"))


@pytest.mark.parametrize("fill", ["close", "next_open"])
def test_matches_the_cli_exactly(orcl, fill, tmp_path):
    if not PYRT.exists():
        pytest.skip(f"pyrt binary not built at {PYRT} (set PYRT_BIN)")
    res = py_rt.Backtest(orcl, "sma_cross", {"fast": 10, "slow": 30}, cash=100_000, fill=fill).run()
    cmd = [str(PYRT), "backtest", "--data", str(ORCL), "--strategy", "sma_cross", "--param", "fast=10",
           "--param", "slow=30", "--cash", "100000", "--fill", fill.replace("_", "-"), "--format", "json"]
    cli = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    assert res.final_equity_exact == Decimal(cli["final_equity_exact"])
    for key in ("num_fills", "num_round_trips", "total_return", "sharpe", "max_drawdown", "win_rate"):
        assert res.stats[key] == pytest.approx(cli[key], rel=1e-12), key
    assert len(res.fills) == cli["num_fills"]


@pytest.mark.parametrize("fill", ["close", "next_open"])
def test_same_fills_as_backtesting_py(orcl, fill):
    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover

    class SmaCross(Strategy):
        def init(self):
            self.fast = self.I(lambda v: pd.Series(v).rolling(10).mean(), self.data.Close)
            self.slow = self.I(lambda v: pd.Series(v).rolling(30).mean(), self.data.Close)

        def next(self):
            if crossover(self.fast, self.slow) and not self.position:
                self.buy()
            elif crossover(self.slow, self.fast) and self.position:
                self.position.close()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = Backtest(orcl, SmaCross, cash=100_000, commission=0, trade_on_close=(fill == "close")).run()
    theirs = stats["_trades"]
    ours = py_rt.Backtest(orcl, "sma_cross", {"fast": 10, "slow": 30}, cash=100_000, fill=fill).run()
    closed = ours.trades
    assert len(closed) == len(theirs)
    assert (closed["entry_time"].dt.normalize().values == theirs["EntryTime"].values).all()
    assert (closed["exit_time"].dt.normalize().values == theirs["ExitTime"].values).all()
    np.testing.assert_array_equal(closed["qty"].to_numpy(), theirs["Size"].to_numpy(dtype=float))
    np.testing.assert_allclose(closed["entry_price"], theirs["EntryPrice"], rtol=1e-12)
    np.testing.assert_allclose(closed["exit_price"], theirs["ExitPrice"], rtol=1e-12)
    assert float(ours.final_equity_exact) == pytest.approx(stats["Equity Final [$]"], rel=1e-9)


def test_result_frames(orcl):
    res = py_rt.Backtest(orcl, "rsi_reversion", fees="bps:5", slippage="bps:2").run(period=14)
    assert isinstance(res.equity.index, pd.DatetimeIndex)
    assert len(res.equity) == len(orcl)  # one point per bar
    assert res.equity.index[0] == orcl.index[0]
    assert res.equity.iloc[-1] == pytest.approx(float(res.final_equity_exact), rel=1e-12)
    assert (res.drawdown <= 0).all() and res.drawdown.min() == pytest.approx(-res.stats["max_drawdown"], rel=1e-9)
    assert list(res.trades.columns[:5]) == ["entry_time", "exit_time", "symbol", "side", "qty"]
    assert (res.trades["exit_time"] >= res.trades["entry_time"]).all()
    assert (res.fills["fee"] > 0).all()  # 5 bp on every fill
    filled = res.orders[res.orders["status"] == "filled"]
    assert set(filled["order_id"]) == set(res.fills["order_id"])
    assert filled["fees"].sum() == pytest.approx(res.fills["fee"].sum())
    # Net P&L of the round trips plus the open position's value is the equity change.
    assert res.trades["net_pnl"].sum() == pytest.approx(res.trades["pnl"].sum() - res.trades["fees"].sum())
    assert "rsi_reversion" in repr(res)


def test_tz_aware_index_and_lowercase_columns(small):
    tz = small.tz_localize("America/New_York")
    tz.columns = [c.upper() for c in tz.columns]
    res = py_rt.Backtest(tz, "sma_cross", {"fast": 3, "slow": 10}).run()
    assert str(res.equity.index.tz) == "America/New_York"
    assert res.equity.index[0] == tz.index[0]
    assert res.stats["num_round_trips"] == 1


def test_releases_the_gil_so_threads_run_backtests_together(orcl):
    from concurrent.futures import ThreadPoolExecutor

    grid = [(f, s) for f in (5, 10) for s in (20, 40)]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda p: py_rt.Backtest(orcl, params={"fast": p[0], "slow": p[1]}).run(), grid))
    serial = [py_rt.Backtest(orcl, params={"fast": f, "slow": s}).run() for f, s in grid]
    assert [r.final_equity_exact for r in results] == [r.final_equity_exact for r in serial]


def test_settings_read_as_the_cli_reads_them(orcl, small):
    # A fraction of notional is the bps spec it names.
    a = py_rt.Backtest(orcl, "sma_cross", fees=0.001).run()
    b = py_rt.Backtest(orcl, "sma_cross", fees="bps:10").run()
    assert a.final_equity_exact == b.final_equity_exact and a.fills["fee"].sum() > 0
    # next-open and next_open are one rule; limit fills take the CLI's rules.
    c = py_rt.Backtest(orcl, "sma_cross", fill="next-open", fees=0.001).run()
    assert c.final_equity_exact == a.final_equity_exact
    with pytest.raises(ValueError, match="invalid limit_fill `sometimes`"):
        py_rt.Backtest(small, "sma_cross", limit_fill="sometimes").run()
    with pytest.raises(ValueError, match="invalid fill `tomorrow`"):
        py_rt.Backtest(small, "sma_cross", fill="tomorrow").run()
    with pytest.raises(TypeError, match="fees must be a spec"):
        py_rt.Backtest(small, "sma_cross", fees=[1]).run()


class RestingBuy(py_rt.Strategy):
    def on_bar(self, ctx, bar):
        if ctx.now == pd.Timestamp("2024-01-05").value:
            ctx.buy(1, limit=124)  # Jan 6's low is exactly 124; Jan 7 trades through it


def test_limit_fill_touch_and_through(small):
    touch = py_rt.Backtest(small, RestingBuy, limit_fill="touch").run()
    through = py_rt.Backtest(small, RestingBuy, limit_fill="through").run()
    assert list(touch.fills["time"]) == [pd.Timestamp("2024-01-06")]
    assert list(through.fills["time"]) == [pd.Timestamp("2024-01-07")]
