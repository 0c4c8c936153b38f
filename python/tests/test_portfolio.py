"""Several instruments in one account from Python: a dict or long frame,
calendars, on_bars, target orders and rebalancing; cross-checked against
vectorbt on a monthly equal-weight rebalance of three real daily series."""

import warnings

import numpy as np
import pandas as pd
import pytest

import py_rt
from conftest import DATA

FILES = {"ORCL": "orcl-1995-2014.txt", "NVDA": "nvda-1999-2014.txt", "YHOO": "yhoo-1996-2014.txt"}


@pytest.fixture(scope="module")
def three() -> dict[str, pd.DataFrame]:
    """ORCL, NVDA and YHOO daily over their common span (identical calendars)."""
    paths = {s: DATA / "backtrader" / f for s, f in FILES.items()}
    missing = [str(p) for p in paths.values() if not p.exists()]
    if missing:
        pytest.skip(f"daily series not found: {missing} (set PYRT_SHARED_DATA)")
    frames = {s: pd.read_csv(p, parse_dates=["Date"], index_col="Date") for s, p in paths.items()}
    start = max(f.index[0] for f in frames.values())
    end = min(f.index[-1] for f in frames.values())
    return {s: f.loc[start:end, ["Open", "High", "Low", "Close", "Volume"]] for s, f in frames.items()}


class MonthlyEqualWeight(py_rt.Strategy):
    """On each month's first bars, every symbol to `weight` of equity."""

    weight = 0.3

    def on_start(self, ctx):
        self.month = None

    def on_bars(self, ctx, bars):
        month = pd.Timestamp(ctx.now).to_period("M")
        if month != self.month:
            self.month = month
            ctx.rebalance({s: self.weight for s in bars})


def vectorbt_rebalance(three: dict[str, pd.DataFrame], weight: float, fees: float, cash: float):
    """The same rebalance in vectorbt: decided on the month's first close,
    filled at the next open, sized from the value at that close."""
    vbt = pytest.importorskip("vectorbt")
    opens = pd.DataFrame({s: f["Open"] for s, f in three.items()})
    closes = pd.DataFrame({s: f["Close"] for s, f in three.items()})
    months = opens.index.to_period("M")
    first_of_month = np.r_[True, months[1:] != months[:-1]]
    size = pd.DataFrame(np.nan, index=opens.index, columns=opens.columns)
    # The order decided on day i executes on day i + 1.
    exec_rows = np.flatnonzero(first_of_month) + 1
    exec_rows = exec_rows[exec_rows < len(size)]
    size.iloc[exec_rows] = weight
    return vbt.Portfolio.from_orders(
        closes, size=size, size_type="targetpercent", price=opens,
        val_price=-np.inf,  # the previous close: the decision's prices
        fees=fees, size_granularity=1, cash_sharing=True, group_by=True, call_seq="auto", init_cash=cash,
        freq="1D",
    )


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # vectorbt on pandas 3.1
def test_monthly_rebalance_equals_vectorbt(three):
    cash, weight = 100_000, 0.3
    bt = py_rt.Backtest(three, MonthlyEqualWeight, cash=cash, fees="bps:10", account="margin", calendar="strict",
                        params={"weight": weight})
    result = bt.run()
    assert not result.rejections, result.rejections.describe()
    pf = vectorbt_rebalance(three, weight, fees=0.001, cash=cash)

    # Every fill: the same day, symbol, size and price.
    orders = pf.orders.records_readable
    theirs = pd.DataFrame({
        "time": pd.DatetimeIndex(orders["Timestamp"]).as_unit("ns"), "symbol": orders["Column"],
        "qty": orders["Size"].astype(float), "price": orders["Price"].astype(float),
    }).sort_values(["time", "symbol"], ignore_index=True)
    ours = result.fills[["time", "symbol", "qty", "price"]].sort_values(["time", "symbol"], ignore_index=True)
    ours["time"] = pd.DatetimeIndex(ours["time"]).as_unit("ns")
    assert len(ours) > 500, "about 190 months × 3 symbols"
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False, rtol=1e-12)
    # And the money: fees and final equity to a relative 1e-9.
    assert result.fills["fee"].sum() == pytest.approx(orders["Fees"].sum(), rel=1e-9)
    final = float(pf.value().iloc[-1])
    assert float(result.final_equity_exact) == pytest.approx(final, rel=1e-9)
    assert result.equity.iloc[-1] == pytest.approx(final, rel=1e-9)


def test_a_long_frame_and_a_dict_are_the_same_run(three):
    long = pd.concat({s: f for s, f in three.items()}, names=["symbol", "date"]).swaplevel().sort_index()
    a = py_rt.Backtest(three, MonthlyEqualWeight, account="margin").run()
    b = py_rt.Backtest(long, MonthlyEqualWeight, account="margin").run()
    assert a.final_equity_exact == b.final_equity_exact
    assert set(a.fills["symbol"]) == set(three)
    # A symbol column works as well as an index level.
    c = py_rt.Backtest(long.reset_index(level="symbol"), MonthlyEqualWeight, account="margin").run()
    assert c.final_equity_exact == a.final_equity_exact


def _calendar_pair():
    days = pd.date_range("2024-01-01", periods=6, freq="D")
    bar = lambda p: {"open": p, "high": p, "low": p, "close": p}  # noqa: E731
    a = pd.DataFrame([bar(100.0 + i) for i in range(6)], index=days)
    b = pd.DataFrame([bar(50.0) for _ in range(5)], index=days.delete(2))  # B has no bar on day 3
    return {"A": a, "B": b}


class Records(py_rt.Strategy):
    def on_start(self, ctx):
        self.seen = []

    def on_bars(self, ctx, bars):
        self.seen.append(sorted(bars))


def test_calendars_union_intersection_and_strict():
    pair = _calendar_pair()
    s = Records()
    py_rt.Backtest(pair, s).run()
    assert [len(x) for x in s.seen] == [2, 2, 1, 2, 2, 2], "union: day 3 has A only"
    s = Records()
    with pytest.warns(UserWarning, match="dropped bars outside the common times: A 1"):
        py_rt.Backtest(pair, s, calendar="intersection").run()
    assert len(s.seen) == 5 and all(x == ["A", "B"] for x in s.seen)
    with pytest.raises(ValueError, match="calendars differ: A has a bar at 2024-01-03 00:00:00 that B lacks"):
        py_rt.Backtest(pair, Records, calendar="strict")
    with pytest.raises(ValueError, match="calendar `weekly`"):
        py_rt.Backtest(pair, Records, calendar="weekly")


class Targets(py_rt.Strategy):
    orders = ()

    def on_bars(self, ctx, bars):
        if ctx.now == pd.Timestamp("2024-01-02").value:
            for method, symbol, amount in self.orders:
                getattr(ctx, method)(symbol, amount)


def test_target_value_and_quantity_reach_their_targets():
    pair = _calendar_pair()
    orders = [("order_target_value", "A", 1_000.0), ("order_target_quantity", "B", 7)]
    result = py_rt.Backtest(pair, Targets, params={"orders": orders}).run()
    # Day 2's close: A at 101, so 1,000 of it is 9 shares (rounded down).
    assert result.final_positions["A"][0] == 9 and result.final_positions["B"][0] == 7
    assert list(result.fills["symbol"]) == ["A", "B"]
    assert list(result.orders["symbol"]) == ["A", "B"]


@pytest.mark.parametrize("orders, account, message", [
    ([("rebalance", {"A": 0.6, "B": 0.6}, None)], "cash",
     "absolute sum is 1.2, over a cash account's limit of 1"),
    ([("order_target_percent", "A", -0.1)], "cash", "a cash account cannot go short"),
    ([("order_target_percent", "MSFT", 0.1)], "cash", r'unknown symbol `MSFT`; instruments are \["A", "B"\]'),
    ([("order_target_percent", "A", float("nan"))], "margin", "weight must be a finite fraction"),
])
def test_bad_targets_name_what_is_wrong(orders, account, message):
    class Bad(py_rt.Strategy):
        def on_bars(self, ctx, bars):
            for method, *args in orders:
                getattr(ctx, method)(*[a for a in args if a is not None])

    with pytest.raises(ValueError, match=message):
        py_rt.Backtest(_calendar_pair(), Bad, account=account).run()


def test_margin_leverage_limit_comes_from_the_risk_limits():
    class Levered(py_rt.Strategy):
        def on_bars(self, ctx, bars):
            ctx.rebalance({"A": 1.5, "B": 1.0})

    limits = "[margin]\nmax_leverage = 2.0\n"
    with pytest.raises(ValueError, match="over the risk limits' margin.max_leverage of 2"):
        py_rt.Backtest(_calendar_pair(), Levered, account="margin", risk_limits=limits).run()
    # Without a limit a margin account takes it.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        py_rt.Backtest(_calendar_pair(), Levered, account="margin").run()


def test_built_in_strategies_and_walk_forward_say_they_take_one_instrument(three):
    with pytest.raises(ValueError, match="the built-in strategy `sma_cross`.*takes one instrument; this backtest has 3"):
        py_rt.Backtest(three, "sma_cross").run()
    with pytest.raises(ValueError, match="walk_forward takes one instrument"):
        py_rt.Backtest(three, MonthlyEqualWeight).walk_forward(train=500, test=250, weight=[0.2, 0.3])


class HoldAll(py_rt.Strategy):
    """Buys its symbols in equal parts of 95 % of its equity once."""

    def on_bars(self, ctx, bars):
        if not ctx.positions():
            for s in ctx.symbols:
                ctx.order_target_percent(s, 0.95 / len(ctx.symbols))


def test_each_strategy_trades_its_allocation_as_if_alone(three):
    common = {"account": "margin", "fees": "bps:10"}
    run = py_rt.Backtest(three, [
        py_rt.Allocation(MonthlyEqualWeight, 0.5, params={"weight": 0.3}, name="rebalance"),
        py_rt.Allocation(HoldAll, 0.3, symbols=["NVDA"], name="nvda"),
    ], cash=100_000, **common).run()
    alone = {
        "rebalance": py_rt.Backtest(three, MonthlyEqualWeight, cash=50_000, params={"weight": 0.3}, **common).run(),
        "nvda": py_rt.Backtest({"NVDA": three["NVDA"]}, HoldAll, cash=30_000, **common).run(),
    }
    table = run.strategies
    assert list(table.index) == ["rebalance", "nvda", "account"]
    for name, result in alone.items():
        assert table.loc[name, "final_equity_exact"] == result.final_equity_exact, name
        assert table.loc[name, "sharpe"] == pytest.approx(result.stats["sharpe"], rel=1e-12)
        pd.testing.assert_series_equal(run.strategy_equity[name], result.equity, check_names=False)
    # The account is the sleeves plus the 20 % never allocated.
    assert run.final_equity_exact == sum(r.final_equity_exact for r in alone.values()) + 20_000
    assert table.loc["account", "final_equity_exact"] == run.final_equity_exact
    assert set(run.fills.loc[run.fills["symbol"] == "NVDA", "order_id"]) >= set(
        run.orders.loc[run.orders["symbol"] == "NVDA", "order_id"].iloc[:1])


class Spender(py_rt.Strategy):
    def on_bars(self, ctx, bars):
        if ctx.now == pd.Timestamp("2024-01-01").value:
            self.cash = ctx.cash
            ctx.buy(60, symbol="A")  # 60 × 100 = 6,000: more than its 5,000


def test_a_cash_account_holds_each_strategy_to_its_allocation():
    s = Spender()
    with pytest.warns(py_rt.RejectedOrdersWarning, match="INSUFFICIENT_CASH"):
        r = py_rt.Backtest(_calendar_pair(), [py_rt.Allocation(s, 0.5)], cash=10_000).run()
    assert s.cash == 5_000
    assert "the strategy's allocation has 5000.00" in r.orders["reason"].iloc[0]


@pytest.mark.parametrize("spec, message", [
    ([py_rt.Allocation(Records, 0.7), py_rt.Allocation(HoldAll, 0.4)], "add up to 1.1 of the cash"),
    ([py_rt.Allocation(Records, 0.5), py_rt.Allocation(Records, 0.5)], "two strategies are named Records"),
    ([py_rt.Allocation(Records, 0)], r"share must be a fraction of the cash in \(0, 1\]"),
    ([py_rt.Allocation("sma_cross", 0.5)], "allocations take py_rt.Strategy subclasses"),
    ([{"strategy": Records, "allocation": 0.5, "weight": 1}], "expected keys strategy, allocation"),
    ([py_rt.Allocation(HoldAll, 0.5, symbols=["MSFT"])], "a strategy's symbol `MSFT` is not in the data"),
])
def test_bad_allocations_name_what_is_wrong(spec, message):
    with pytest.raises((ValueError, TypeError), match=message):
        py_rt.Backtest(_calendar_pair(), spec).run()


def test_the_seeds_configuration_form_and_symbol_limits():
    class Trespasser(py_rt.Strategy):
        def on_bars(self, ctx, bars):
            assert set(bars) == {"B"}
            ctx.buy(1, symbol="A")

    spec = [{"id": "b-only", "strategy": Trespasser, "allocation": 0.5, "symbols": ["B"], "parameters": {}}]
    with pytest.raises(ValueError, match=r"this strategy trades \[\"B\"\], not A"):
        py_rt.Backtest(_calendar_pair(), spec).run()
