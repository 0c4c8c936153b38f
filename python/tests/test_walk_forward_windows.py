"""Walk-forward windows start warm, and what a window held at its end is
closed at the next window's first price (`flat`) or handed on (`carry`),
the cash passed on exactly either way."""

from decimal import Decimal

import pandas as pd
import pytest

import py_rt


class HoldsOne(py_rt.Strategy):
    """Buys one unit whenever it holds none; counts the bars it saw."""

    every = 1

    def on_start(self, ctx):
        self.seen = 0

    def on_bar(self, ctx, bar):
        self.seen += 1
        if ctx.position() == 0 and not ctx.has_open_orders():
            ctx.buy(1)


def bars(n: int = 40) -> pd.DataFrame:
    closes = [100 + i for i in range(n)]
    idx = pd.date_range("2024-01-01", periods=n, freq="D")
    return pd.DataFrame({"open": closes, "high": closes, "low": closes, "close": closes, "volume": 1e6}, index=idx)


def run(**kwargs) -> "py_rt.optimize.WalkForward":
    bt = py_rt.Backtest(bars(), HoldsOne, fees="bps:10", lot_size="1")
    return bt.walk_forward(train=10, test=10, objective="total_return", progress=False, every=[1], **kwargs)


def test_a_warm_window_sees_its_training_bars_and_trades_from_its_first_test_bar():
    warm, cold = run(), run(warm=False)
    first_warm, first_cold = warm.results[0], cold.results[0]
    # Warm: the buy sent on each of the 10 training bars was refused as
    # warming up; the first trade is decided on the test window's first bar.
    assert first_warm.rejections.warming_up == 10 and first_warm.rejections.total == 0
    assert first_cold.rejections.warming_up == 0
    for r in (first_warm, first_cold):
        assert r.equity.index[0] == bars().index[10], "statistics start at the test window"
        assert r.fills["time"].iloc[0] == bars().index[11], "the first buy fills at the next open"


def test_flat_closes_at_the_next_windows_first_open_and_carry_hands_the_position_on():
    flat, carry = run(boundary="flat"), run(boundary="carry")
    assert len(flat.results) == len(carry.results) == 3
    for w in range(1, 3):
        f, c = flat.results[w], carry.results[w]
        start = bars().index[10 + 10 * w]
        sells = f.fills[f.fills["side"] == "sell"]
        assert list(sells["time"]) == [start], "flat: the carried unit is sold at the window's first open"
        assert sells["price"].iloc[0] == bars()["open"].iloc[10 + 10 * w]
        assert (c.fills["side"] == "buy").sum() == 0, "carry: the strategy found its unit and bought none"
        assert c.final_positions["ASSET"][0] == Decimal(1)
    # The cash is passed on exactly: each window starts with the last one's.
    for runs in (flat, carry):
        for before, after in zip(runs.results, runs.results[1:]):
            assert Decimal(str(after.initial_cash)) == Decimal(str(float(before.final_cash_exact)))
    with pytest.raises(ValueError, match="boundary `keep`: use flat"):
        run(boundary="keep")
