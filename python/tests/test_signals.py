"""from_signals: flags computed with pandas, executed by the engine."""

import numpy as np
import pandas as pd
import pytest

import py_rt


def sma_cross_flags(close, fast=10, slow=30):
    """Strict crosses, as backtesting.py's `crossover`: below then above."""
    f, s = close.rolling(fast).mean(), close.rolling(slow).mean()
    fp, sp = f.shift(1), s.shift(1)
    return (fp < sp) & (f > s), (fp > sp) & (f < s)


@pytest.mark.parametrize("fill", ["close", "next_open"])
def test_pandas_flags_reproduce_the_built_in_strategy(orcl, fill):
    entries, exits = sma_cross_flags(orcl["Close"])
    ours = py_rt.from_signals(orcl, entries, exits, fill=fill)
    built_in = py_rt.Backtest(orcl, "sma_cross", {"fast": 10, "slow": 30}, fill=fill).run()
    assert ours.final_equity_exact == built_in.final_equity_exact
    pd.testing.assert_frame_equal(ours.fills, built_in.fills)
    assert ours.stats["num_round_trips"] > 50


def test_series_prices_fractional_lots_and_fees():
    close = pd.Series([10.0, 11.0, 12.0, 11.0, 13.0], index=pd.date_range("2024-01-01", periods=5))
    entries = pd.Series([True, False, False, True, False], index=close.index)
    exits = pd.Series([False, False, True, False, False], index=close.index)
    res = py_rt.from_signals(close, entries, exits, cash=1000, lot_size="0.001", fees="bps:10")
    f = res.fills
    assert list(f["side"]) == ["buy", "sell", "buy"]
    assert list(f["price"]) == [10.0, 12.0, 11.0]
    # All in at the close with 10 bp taker fees, in whole 0.001 lots.
    assert f["qty"].iloc[0] == pytest.approx(99.9, abs=1e-9)
    assert f["fee"].iloc[0] == pytest.approx(99.9 * 10 * 0.001)
    assert res.stats["num_round_trips"] == 1


def test_conflicting_flags_do_nothing():
    close = np.array([10.0, 11.0, 12.0])
    res = py_rt.from_signals(close, np.array([True, True, False]), np.array([True, False, False]))
    assert list(res.fills["price"]) == [11.0]


def test_bad_flags():
    close = pd.Series([1.0, 2.0, 3.0], index=pd.date_range("2024-01-01", periods=3))
    ok = pd.Series([False] * 3, index=close.index)
    with pytest.raises(ValueError, match="entries is indexed differently from the prices"):
        py_rt.from_signals(close, ok.reset_index(drop=True), ok)
    with pytest.raises(TypeError, match="exits must be boolean, got dtype int64"):
        py_rt.from_signals(close, ok, np.array([0, 1, 0]))
    with pytest.raises(ValueError, match="exits has 2 values but there are 3 bars"):
        py_rt.from_signals(close, ok, np.array([False, True]))
