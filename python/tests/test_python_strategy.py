"""Strategies written in Python, inside the Rust kernel."""

import collections

import numpy as np
import pytest

import py_rt


class PySmaCross(py_rt.Strategy):
    """sma_cross in Python: the same orders as the built-in one."""

    fast = 10
    slow = 30

    def on_start(self, ctx):
        self.closes = collections.deque(maxlen=self.slow)
        self.prev = None

    def on_bar(self, ctx, bar):
        self.closes.append(bar.close)
        if len(self.closes) < self.slow:
            return
        c = np.array(self.closes)
        diff = c[-self.fast:].sum() / self.fast - c.sum() / self.slow
        prev, self.prev = self.prev, diff
        if prev is None or ctx.has_open_orders():
            return
        if prev < 0 < diff and ctx.position() == 0:
            ctx.buy_notional(min(ctx.equity, ctx.cash))
        elif prev > 0 > diff and ctx.position() > 0:
            ctx.close_position()


@pytest.mark.parametrize("fill", ["close", "next_open"])
def test_python_sma_cross_equals_the_built_in(orcl, fill):
    ours = py_rt.Backtest(orcl, PySmaCross, fill=fill).run()
    built_in = py_rt.Backtest(orcl, "sma_cross", {"fast": 10, "slow": 30}, fill=fill).run()
    assert len(ours.fills) == len(built_in.fills) > 100
    assert (ours.fills["time"].values == built_in.fills["time"].values).all()
    np.testing.assert_allclose(ours.fills["price"], built_in.fills["price"], rtol=0)
    assert ours.final_equity_exact == built_in.final_equity_exact
    assert "PySmaCross" in repr(ours)


def test_callbacks_orders_and_params(small):
    class Recorder(py_rt.Strategy):
        qty = 5

        def on_start(self, ctx):
            self.events = ["start"]

        def on_bar(self, ctx, bar):
            if bar.close == 125 and ctx.position() == 0:
                self.limit_id = ctx.buy(self.qty, limit=bar.close - 50)  # far below: never fills
                ctx.buy(self.qty)
                ctx.set_timer(bar.ts + 3 * 86_400_000_000_000, "later")

        def on_fill(self, ctx, fill):
            self.events.append(("fill", fill.side, fill.qty, fill.price))

        def on_order_update(self, ctx, update):
            self.events.append((update.status, update.order_id))

        def on_timer(self, ctx, name):
            self.events.append(("timer", name, ctx.position()))
            ctx.cancel(self.limit_id)

        def on_stop(self, ctx):
            self.events.append(("stop", ctx.position(), round(ctx.cash, 6)))

    strat = Recorder()
    res = py_rt.Backtest(small, strat).run(qty=3)
    orders = res.orders.set_index("order_id")
    limit = orders.loc[strat.limit_id]
    assert (limit["type"], limit["status"], limit["limit"], limit["filled"]) == ("limit", "cancelled", 75.0, 0.0)
    market = orders.drop(strat.limit_id).iloc[0]
    assert (market["type"], market["status"], market["filled"], market["avg_price"]) == ("market", "filled", 3.0, 124.0)
    ev = strat.events
    assert ev[0] == "start"
    fills = [e for e in ev if e[0] == "fill"]
    assert fills == [("fill", "buy", 3.0, 124.0)]  # next bar's open in the falling leg
    assert ("timer", "later", 3.0) in ev
    assert ("cancelled", strat.limit_id) in ev
    assert ev[-1] == ("stop", 3.0, 100_000 - 3 * 124.0)


def test_exception_propagates_with_the_users_traceback(small):
    class Broken(py_rt.Strategy):
        def on_bar(self, ctx, bar):
            if bar.close < 120:
                raise KeyError("boom at the user's line")

    with pytest.raises(KeyError, match="boom") as info:
        py_rt.Backtest(small, Broken).run()
    assert info.traceback[-1].name == "on_bar"
    # The note names the strategy, the callback and the bar's time; the
    # run up to the exception is on it.
    first_low = small.index[(small["close"] < 120).to_numpy().argmax()]
    assert info.value.__notes__ == [f"raised in Broken.on_bar at {first_low} UTC"]
    partial = info.value.result
    assert partial.equity.index[-1] == first_low and len(partial.equity) < len(small)


def test_a_failing_strategy_leaves_its_partial_result_even_when_it_raises_value_error(small):
    class Trader(py_rt.Strategy):
        def on_bar(self, ctx, bar):
            if ctx.position() == 0:
                ctx.buy(1)
            elif bar.close < 120:
                ctx.buy(-5)  # a ValueError from the engine's argument checks

    with pytest.raises(ValueError, match="qty must be greater than zero") as info:
        py_rt.Backtest(small, Trader).run()
    assert len(info.value.result.fills) == 1


def test_context_outside_a_callback_and_bad_orders(small):
    class Keeper(py_rt.Strategy):
        def on_bar(self, ctx, bar):
            self.ctx = ctx

    k = Keeper()
    py_rt.Backtest(small, k).run()
    with pytest.raises(RuntimeError, match="only valid inside a strategy callback"):
        k.ctx.buy(1)

    class BadQty(py_rt.Strategy):
        def on_bar(self, ctx, bar):
            ctx.buy(-1)

    with pytest.raises(ValueError, match="qty must be greater than zero"):
        py_rt.Backtest(small, BadQty).run()

    class BadSymbol(py_rt.Strategy):
        def on_bar(self, ctx, bar):
            ctx.position("MSFT")

    with pytest.raises(ValueError, match="unknown symbol `MSFT`"):
        py_rt.Backtest(small, BadSymbol).run()
    with pytest.raises(ValueError, match="unknown parameter `n` for strategy PySmaCross; valid parameters: fast, slow"):
        py_rt.Backtest(small, PySmaCross).run(n=3)
