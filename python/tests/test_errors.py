"""Bad input gives a Python exception that says what and where; the
interpreter never crashes."""

import numpy as np
import pandas as pd
import pytest

import py_rt


def test_nan_price_names_row_column_and_index_label(small):
    small = small.astype(float)
    small.iloc[7, small.columns.get_loc("close")] = np.nan
    with pytest.raises(ValueError, match=r"row 8: field `close`: NaN .*index label Timestamp\('2024-01-08"):
        py_rt.Backtest(small).run()


def test_unsorted_and_duplicate_timestamps(small):
    with pytest.raises(ValueError, match=r"row 2: field `timestamp`: timestamp is earlier.*sort the rows"):
        py_rt.Backtest(small.iloc[::-1]).run()
    dup = pd.concat([small.iloc[:5], small.iloc[4:]])
    with pytest.raises(ValueError, match=r"row 6: field `timestamp`: duplicate timestamp"):
        py_rt.Backtest(dup).run()


def test_negative_price_and_broken_bar(small):
    bad = small.astype(float)
    bad.iloc[3, bad.columns.get_loc("low")] = -1.0
    with pytest.raises(ValueError, match=r"row 4: field `low`: price -1 must be greater than zero"):
        py_rt.Backtest(bad).run()
    bad = small.astype(float)
    bad.iloc[3, bad.columns.get_loc("high")] = 1.0
    with pytest.raises(ValueError, match=r"row 4: field `high`: high 1 is below low"):
        py_rt.Backtest(bad).run()


def test_wrong_dtype_and_missing_columns(small):
    bad = small.astype({"close": str})
    with pytest.raises(TypeError, match=r"column `close` has dtype .*pd.to_numeric"):
        py_rt.Backtest(bad).run()
    with pytest.raises(ValueError, match=r"data has no high column"):
        py_rt.Backtest(small.drop(columns="high")).run()
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        py_rt.Backtest(small.to_numpy()).run()


def test_unknown_strategy_parameter_and_settings(small):
    with pytest.raises(ValueError, match="unknown strategy `nope`; available: sma_cross"):
        py_rt.Backtest(small, "nope").run()
    with pytest.raises(ValueError, match="unknown parameter `fsat` for strategy sma_cross; valid parameters: fast, slow"):
        py_rt.Backtest(small).run(fsat=3)
    with pytest.raises(ValueError, match="fast .* must be shorter than slow"):
        py_rt.Backtest(small).run(fast=40, slow=30)
    with pytest.raises(ValueError, match="invalid fees `bps:x`: expected none"):
        py_rt.Backtest(small, fees="bps:x").run()
    with pytest.raises(ValueError, match="invalid slippage `sqrt:-1`"):
        py_rt.Backtest(small, slippage="sqrt:-1").run()
    with pytest.raises(ValueError, match="invalid fill `tomorrow`: unknown variant `tomorrow`, expected one of `next-open`, `next_open`, `close`"):
        py_rt.Backtest(small, fill="tomorrow").run()
    with pytest.raises(ValueError, match="cash must be greater than zero"):
        py_rt.Backtest(small, cash=-5).run()
    with pytest.raises(TypeError, match="parameter `fast` must be a number"):
        py_rt.Backtest(small).run(fast=[1])
    with pytest.raises(ValueError, match=r"(?s)risk_limits: .*unknown field `max_quantty`, expected one of `max_quantity`"):
        py_rt.Backtest(small, risk_limits="[order_limits]\nmax_quantty = 5\n").run()


def test_bad_indicator_input():
    with pytest.raises(ValueError, match="features need finite numbers"):
        py_rt.ta.sma(np.array([1.0, np.nan, 3.0]), 2)
    with pytest.raises(ValueError, match="inputs differ in length"):
        py_rt.ta.atr(np.ones(5), np.ones(4), np.ones(5))
    with pytest.raises(ValueError, match="unknown feature `rsx` in `rsx:14`; valid names: sma, ema"):
        py_rt.features(pd.DataFrame({"close": [1.0, 2.0]}), ["rsx:14"])
    with pytest.raises(ValueError, match="must be one-dimensional"):
        py_rt.ta.rsi(np.ones((3, 3)))


def test_risk_limits_deny_orders(small):
    # Orders above 10 units are refused, so the all-in entry never fills.
    with pytest.warns(py_rt.RejectedOrdersWarning, match="MAX_ORDER_QUANTITY"):
        res = py_rt.Backtest(small, params={"fast": 3, "slow": 10},
                             risk_limits="[order_limits]\nmax_quantity = 10\n").run()
    assert res.stats["num_fills"] == 0 and res.stats["num_rejected"] == 1
    assert res.final_equity_exact == 100_000


def test_every_setting_is_checked(small):
    cases = [
        ({"equity_every": "week"}, ValueError, 'equity_every `week`: expected "bar" or "day"'),
        ({"account": "futures"}, ValueError, "invalid account `futures`: unknown variant `futures`, expected `cash` or `margin`"),
        ({"latency_ms": -1.0}, ValueError, "latency_ms must be a non-negative number"),
        ({"tick_size": "0"}, ValueError, "tick_size and lot_size must be greater than zero"),
        ({"lot_size": "abc"}, ValueError, "lot_size `abc`"),
        ({"cash": [1]}, TypeError, "cash must be a number or a decimal string"),
    ]
    for kwargs, exc, message in cases:
        with pytest.raises(exc, match=message):
            py_rt.Backtest(small, **kwargs).run()


def test_bad_orders_from_a_python_strategy(small):
    for call, message in [
        (lambda ctx, bar: ctx.buy(1, limit=-5.0), "limit must be a price above zero, got -5"),
        (lambda ctx, bar: ctx.sell(1, stop=float("nan")), "stop must be a price above zero"),
        (lambda ctx, bar: ctx.buy_notional(0.0), "amount must be above zero, got 0"),
    ]:
        strategy = type("Bad", (py_rt.Strategy,), {"on_bar": lambda self, ctx, bar, call=call: call(ctx, bar)})
        with pytest.raises(ValueError, match=message):
            py_rt.Backtest(small, strategy).run()


def test_bad_analysis_arguments(small):
    from py_rt import analysis

    r = np.random.default_rng(0).normal(0, 0.01, 50)
    with pytest.raises(ValueError, match="window must be at least 2"):
        analysis.rolling_sharpe(r, 1)
    with pytest.raises(ValueError, match="need more than 60 values, got 50"):
        analysis.autocorrelation(r, 60)
    with pytest.raises(ValueError, match="monte_carlo needs horizon >= 1 and n_sims >= 100"):
        analysis.var(r, method="monte_carlo", n_sims=10)
    with pytest.raises(ValueError, match="need at least two returns"):
        analysis.var([0.01])
    with pytest.raises(ValueError, match="train and test must each be at least 2 bars"):
        py_rt.Backtest(small).walk_forward(train=1, test=10, fast=[3], slow=[10])
