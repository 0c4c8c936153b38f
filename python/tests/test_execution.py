"""Execution algorithms from Python strategies: parents handed to the
kernel's desk, their children, updates and the executions table, on real
BTC minute bars (shared/data)."""

import numpy as np
import pandas as pd
import pytest

import py_rt
from conftest import DATA

BTC = DATA / "nautilus_trader" / "btc-perp-20211231-20220201_1m.csv.gz"
MINUTE = 60 * 10**9


@pytest.fixture(scope="module")
def btc() -> pd.DataFrame:
    """One month of BTC perpetual one-minute bars."""
    if not BTC.exists():
        pytest.skip(f"shared data not found at {BTC} (set PYRT_SHARED_DATA)")
    return pd.read_csv(BTC, index_col="timestamp", parse_dates=True)


class Parents(py_rt.Strategy):
    """Sends `orders` (a list of (method, args, kwargs)) on the first bar."""

    orders = ()

    def on_start(self, ctx):
        self.ids, self.updates, self.fills, self.summaries = [], [], [], {}

    def on_bar(self, ctx, bar):
        if not self.ids:
            for method, args, kwargs in self.orders:
                kwargs = {k: (v(ctx) if callable(v) else v) for k, v in kwargs.items()}
                self.ids.append(getattr(ctx, method)(*args, **kwargs))
        for pid in self.ids:
            self.summaries[pid] = ctx.algo(pid)

    def on_algo_update(self, ctx, update):
        self.updates.append(update)

    def on_fill(self, ctx, fill):
        self.fills.append(fill)


def run(data, orders, **settings):
    strategy = Parents()
    strategy.orders = orders
    result = py_rt.Backtest(data, strategy, cash=10**12, account="margin", tick_size="0.1", **settings).run()
    return strategy, result


def test_twap_in_twelve_slices_with_the_executions_table(btc):
    day = btc.loc["2022-01-20 13:00":"2022-01-20 16:00"]
    end = lambda ctx: ctx.now + 60 * MINUTE  # noqa: E731
    s, result = run(day, [("twap", ("buy", 120), {"end": end, "slices": 12})])
    assert [f.qty for f in s.fills] == [10.0] * 12
    gaps = np.diff([f.ts for f in s.fills])
    assert (gaps == 5 * MINUTE).all()
    assert s.updates[-1].status == "completed" and s.updates[-1].remaining == 0
    row = result.executions.iloc[0]
    assert (row["algo"], row["side"], row["status"], row["executed"], row["children"]) == ("twap", "buy", "completed", 120.0, 12)
    fills = result.fills["price"].to_numpy()
    assert row["avg_price"] == pytest.approx(fills.mean(), rel=1e-12)
    assert row["shortfall_arrival_bps"] == pytest.approx((fills.mean() / row["arrival_price"] - 1) * 1e4, rel=1e-9)
    assert row["started"] == day.index[0] and row["finished"] > row["started"]
    assert list(result.executions.columns)[:4] == ["parent", "algo", "side", "status"]
    assert "executions" not in result.stats.index


def test_vwap_follows_a_profile_learned_in_pandas(btc):
    history = btc.loc[:"2022-01-21"]
    profile = py_rt.volume_profile(history, bucket_minutes=60)
    assert len(profile) == 24 and sum(profile) == pytest.approx(1.0)
    # The same shares as summing volume by hour of day in pandas.
    by_hour = history["volume"].groupby(history.index.hour).sum()
    np.testing.assert_allclose(profile, (by_hour / by_hour.sum()).to_numpy(), rtol=1e-12)
    day = btc.loc["2022-01-24 23:00":"2022-01-26 01:00"]
    start = int(pd.Timestamp("2022-01-25").value)
    s, result = run(day, [("vwap", ("sell", 2_400), {"start": start, "end": start + 1440 * MINUTE, "profile": profile})])
    row = result.executions.iloc[0]
    assert row["status"] == "completed" and row["children"] == 24
    done = pd.Series([f.qty for f in s.fills], index=pd.to_datetime([f.ts for f in s.fills]))
    hourly = done.groupby(done.index.hour).sum().reindex(range(24), fill_value=0)
    assert np.abs(np.cumsum(hourly) - np.cumsum(profile) * 2_400).max() <= 1.0
    assert abs(row["shortfall_vwap_bps"]) < 25


def test_pov_and_iceberg_bounds(btc):
    day = btc.loc["2022-01-26 11:00":"2022-01-26 14:00"]
    start = int(pd.Timestamp("2022-01-26 12:00").value)
    price = float(np.floor(day.loc["2022-01-26 11:59", "close"] + 30))
    orders = [
        ("pov", ("buy", 10**9), {"rate": 0.02, "min_child": 1_000, "start": start, "end": start + 60 * MINUTE}),
        ("iceberg", ("sell", 100_000), {"display": 20_000, "price": price, "start": start}),
    ]
    s, result = run(day, orders)
    pov, ice = result.executions.iloc[0], result.executions.iloc[1]
    assert pov["status"] == "expired" and 0.018 < pov["participation"] <= 0.02
    ice_orders = result.orders[result.orders["limit"] == price]
    assert (ice_orders["qty"] <= 20_000).all() and len(ice_orders) >= 1
    assert ice["executed"] == ice_orders["filled"].sum()
    assert s.summaries[s.ids[1]]["algo"] == "iceberg"


def test_bad_parent_arguments_raise_in_the_call(small):
    def attempt(method, args, kwargs):
        class Bad(py_rt.Strategy):
            def on_bar(self, ctx, bar):
                getattr(ctx, method)(*args, **kwargs)

        with pytest.raises(ValueError) as err:
            py_rt.Backtest(small, Bad).run()
        return str(err.value)

    far = 2 * 10**18
    assert "side must be \"buy\" or \"sell\"" in attempt("twap", ("hold", 10), {"end": far})
    assert "qty must be greater than zero" in attempt("twap", ("buy", 0), {"end": far})
    assert "qty 1.5 is not a multiple" in attempt("twap", ("buy", 1.5), {"end": far})
    assert "jitter must be 0 to 1" in attempt("twap", ("buy", 10), {"end": far, "jitter": 2.0})
    assert "jitter" in attempt("twap", ("buy", 10), {"end": far, "jitter": float("nan")})
    assert "window is empty" in attempt("twap", ("buy", 10), {"end": 0})
    assert "rate must be above 0, at most 1" in attempt("pov", ("buy", 10), {"rate": 1.5, "min_child": 1})
    assert "display 20 is larger than the whole quantity 10" in attempt("iceberg", ("buy", 10), {"display": 20, "price": 100})
    assert "does not divide a day" in attempt("vwap", ("buy", 10), {"end": far, "profile": [1.0], "bucket_minutes": 7})
    assert "has 3 weights" in attempt("vwap", ("buy", 10), {"end": far, "profile": [1.0] * 3})
    with pytest.raises(ValueError, match="bucket_minutes must divide a day"):
        py_rt.volume_profile(small, bucket_minutes=7)
    with pytest.raises(ValueError, match="needs timestamps"):
        py_rt.volume_profile(small.reset_index(drop=True))


def test_cancel_algo_and_the_update_it_brings(small):
    class CancelsAtOnce(py_rt.Strategy):
        def on_start(self, ctx):
            self.updates = []
            self.pid = None

        def on_bar(self, ctx, bar):
            if self.pid is None:
                self.pid = ctx.iceberg("buy", 50, display=5, price=1.0)
                assert ctx.algo(self.pid) is None  # taken when the callback returns
            elif ctx.algo(self.pid)["status"] == "working":
                ctx.cancel_algo(self.pid)

        def on_algo_update(self, ctx, update):
            self.updates.append((update.status, update.reason))

    s = CancelsAtOnce()
    result = py_rt.Backtest(small, s).run()
    assert s.updates == [("working", None), ("cancelled", "cancelled by its strategy")]
    assert result.executions.iloc[0]["status"] == "cancelled"
    assert result.orders["status"].tolist() == ["cancelled"]
