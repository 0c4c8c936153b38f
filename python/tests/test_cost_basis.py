"""FIFO and LIFO lots beside average cost, through py_rt: the realized P&L
and the lot report of a hand-computed case, exact, and the same equity
whichever basis is chosen."""

from decimal import Decimal

import pandas as pd
import pytest

import py_rt


def bars() -> pd.DataFrame:
    closes = [100, 110, 120, 120, 100, 100]
    idx = pd.date_range("2024-01-01", periods=len(closes), freq="D")
    return pd.DataFrame({"open": closes, "high": closes, "low": closes, "close": closes, "volume": 1e6}, index=idx)


class Steps(py_rt.Strategy):
    """Buy 10, buy 10, sell 15, sell 10 (short 5), buy 5: one per bar, at its close."""

    def on_start(self, ctx):
        self.n = 0

    def on_bar(self, ctx, bar):
        self.n += 1
        step = {1: ("buy", 10), 2: ("buy", 10), 3: ("sell", 15), 4: ("sell", 10), 5: ("buy", 5)}.get(self.n)
        if step:
            getattr(ctx, step[0])(step[1])


def run(basis: str) -> py_rt.Result:
    return py_rt.Backtest(bars(), Steps, fill="close", account="margin", cost_basis=basis).run()


def test_fifo_lots_are_what_a_hand_computes():
    res = run("fifo")
    lots = res.lots
    assert list(lots["side"]) == ["long", "long", "long", "short"]
    assert list(lots["qty"]) == [Decimal(10), Decimal(5), Decimal(5), Decimal(5)]
    assert list(lots["open_price"]) == [Decimal(100), Decimal(110), Decimal(110), Decimal(120)]
    assert list(lots["close_price"]) == [Decimal(120), Decimal(120), Decimal(120), Decimal(100)]
    assert list(lots["pnl"]) == [Decimal(200), Decimal(50), Decimal(50), Decimal(100)]
    assert lots["pnl"].sum() == Decimal(400)
    assert (lots["close_time"] >= lots["open_time"]).all()
    # LIFO closes the newest first: 10 @ 110, then 5 @ 100.
    lifo = run("lifo").lots
    assert list(lifo["open_price"][:2]) == [Decimal(110), Decimal(100)]
    assert list(lifo["pnl"]) == [Decimal(100), Decimal(100), Decimal(100), Decimal(100)]


def test_the_basis_never_changes_equity_and_average_keeps_no_lots():
    results = {b: run(b) for b in ("average", "fifo", "lifo")}
    finals = {b: r.final_equity_exact for b, r in results.items()}
    assert len(set(finals.values())) == 1, finals
    assert finals["fifo"] == Decimal(100_400)
    assert results["average"].lots.empty
    assert list(results["average"].lots.columns) == list(results["fifo"].lots.columns)


def test_an_unknown_basis_names_the_choices():
    with pytest.raises(ValueError, match="cost basis `hifo`: use average, fifo or lifo"):
        run("hifo")
