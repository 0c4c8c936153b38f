"""A cash account sells what it holds through py_rt (every order type, at
100 %, 60 % and 100 % + 1 of the position), and refused orders never pass
silently: a warning, a summary on the result, and an error under strict."""

import warnings

import pandas as pd
import pytest

import py_rt


def bars() -> pd.DataFrame:
    """Flat at 10, then one wide bar (7 to 13) that reaches every exit below."""
    idx = pd.date_range("2024-01-01", periods=4, freq="D")
    return pd.DataFrame({"open": [10, 10, 10, 10], "high": [10.5, 10.5, 13, 10.5], "low": [9.5, 9.5, 7, 9.5],
                         "close": [10, 10, 10, 10], "volume": 1e6}, index=idx)


SELLS = {
    "market": {},
    "limit": {"limit": 12.0},
    "stop": {"stop": 9.0},
    "stop_limit": {"stop": 9.0, "limit": 8.0},
    "trailing": {"trail": 1.0},
    "trailing_bps": {"trail_bps": 1000},
}


class BuyThenSell(py_rt.Strategy):
    """Buys 100 on the first bar, sells `qty` with `kwargs` on the second."""

    qty = 100.0
    kwargs: dict = {}

    def on_start(self, ctx):
        self.n = 0
        self.sell_id = None

    def on_bar(self, ctx, bar):
        if self.n == 0:
            ctx.buy(100)
        elif self.n == 1:
            assert ctx.position() == 100
            self.sell_id = ctx.sell(self.qty, **self.kwargs)
        self.n += 1


def run(qty, kwargs, **settings):
    return py_rt.Backtest(bars(), BuyThenSell, cash=10_000, **settings).run(qty=qty, kwargs=kwargs)


@pytest.mark.parametrize("kind", SELLS)
@pytest.mark.parametrize("qty, left", [(100, 0), (60, 40)])
def test_a_cash_account_sells_all_or_part_of_its_position(kind, qty, left):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no rejection warning may appear
        res = run(qty, SELLS[kind])
    sell = res.orders.iloc[1]
    assert (sell.side, sell.status, sell.filled) == ("sell", "filled", qty), sell.reason
    assert not res.rejections and res.stats["num_rejected"] == 0
    sold = res.fills[res.fills.side == "sell"].qty.sum()
    assert (sold, 100 - sold) == (qty, left)


@pytest.mark.parametrize("kind", SELLS)
def test_a_cash_account_may_not_sell_more_than_it_holds(kind):
    with pytest.warns(py_rt.RejectedOrdersWarning, match=r"1 order rejected \(INSUFFICIENT_POSITION 1\)"):
        res = run(101, SELLS[kind])
    sell = res.orders.iloc[1]
    assert sell.status == "rejected"
    assert "holds 100 with 0 already offered" in sell.reason
    assert res.stats["num_rejected"] == 1
    assert res.rejections.total == 1 and res.rejections.by_code.to_dict() == {"INSUFFICIENT_POSITION": 1}
    ex = res.rejections.examples.iloc[0]
    assert (ex.order_id, ex.code) == (sell.order_id, "INSUFFICIENT_POSITION")
    assert ex.time == pd.Timestamp("2024-01-02"), "the time is a timestamp in the bars' zone"


def test_strict_turns_a_rejection_into_an_error_with_the_results_attached():
    with pytest.raises(py_rt.RejectedOrdersError, match="INSUFFICIENT_POSITION") as err:
        run(101, {}, strict=True)
    assert err.value.result.rejections.total == 1
    assert err.value.result.fills.qty.tolist() == [100], "the buy still happened"
    assert isinstance(err.value, ValueError)


def test_the_warning_points_at_the_callers_line():
    with pytest.warns(py_rt.RejectedOrdersWarning) as caught:
        run(101, {})
    assert caught[0].filename == __file__


def test_a_run_without_rejections_says_so():
    res = run(100, {})
    assert not res.rejections
    assert res.rejections.describe() == "no orders rejected"
    assert res.rejections.examples.empty and res.rejections.by_code.empty


def test_trailing_arguments_are_checked():
    for kwargs, match in [({"trail": 1.0, "trail_bps": 5}, "not both"), ({"trail": 1.0, "limit": 9.0}, "takes no limit"),
                          ({"trail_bps": 0}, "greater than zero"), ({"trail": -1.0}, "above zero")]:
        with pytest.raises(ValueError, match=match):
            run(100, kwargs)


def test_stats_start_and_end_are_timestamps(small):
    res = py_rt.Backtest(small, "sma_cross", {"fast": 3, "slow": 8}).run()
    assert res.stats["start"] == small.index[0] and res.stats["end"] == small.index[-1]
    utc = small.tz_localize("UTC").tz_convert("America/New_York")
    res = py_rt.Backtest(utc, "sma_cross", {"fast": 3, "slow": 8}).run()
    assert res.stats["start"] == utc.index[0] and str(res.stats["start"].tz) == "America/New_York"


class FloatStop(py_rt.Strategy):
    """Buys, then protects with a stop computed in floating point."""

    use_helper = False

    def on_start(self, ctx):
        self.n = 0

    def on_bar(self, ctx, bar):
        if self.n == 0:
            ctx.buy(100)
        elif self.n == 1:
            stop = bar.close * 0.9 + 1e-9  # 9.000000001: off the 0.000001 grid
            if self.use_helper:
                stop = ctx.round_price(stop, "sell", stop=True)
                assert stop == 9.0, stop
                assert ctx.round_price(9.0000001, "buy") == 9.0 and ctx.round_price(9.0000001, "sell") == 9.000001
            ctx.sell(100, stop=stop)
        self.n += 1


def test_prices_computed_in_floating_point_are_rounded_on_request():
    with pytest.warns(py_rt.RejectedOrdersWarning, match="INSTRUMENT_RULES"):
        res = py_rt.Backtest(bars(), FloatStop, cash=10_000).run()
    assert "not a multiple of the tick size" in res.orders.reason.iloc[1]
    # The setting rounds on submit: a sell stop rounds down (fires no earlier than asked).
    res = py_rt.Backtest(bars(), FloatStop, cash=10_000, round_prices=True).run()
    assert not res.rejections and res.orders.stop.iloc[1] == 9.0 and res.orders.status.iloc[1] == "filled"
    # Or round one price with the helper.
    res = py_rt.Backtest(bars(), FloatStop, cash=10_000).run(use_helper=True)
    assert not res.rejections and res.orders.stop.iloc[1] == 9.0
