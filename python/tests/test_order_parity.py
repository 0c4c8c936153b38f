"""A Python strategy has the Rust one's orders: time in force (IOC, FOK,
DAY, GTD), post-only, reduce-only, modify, brackets and OCO. (Post-only
is refused by a venue when it would cross a quote or book; bars carry no
quote, so here only its checks are tested.)"""

import pandas as pd
import pytest

import py_rt

CLOSES = [100, 100, 100, 105, 110, 121, 121, 121]


def bars() -> pd.DataFrame:
    idx = pd.date_range("2024-01-01", periods=len(CLOSES), freq="D")
    return pd.DataFrame({"open": CLOSES, "high": [c + 1 for c in CLOSES], "low": [c - 1 for c in CLOSES],
                         "close": CLOSES, "volume": 1e6}, index=idx)


class Scenario(py_rt.Strategy):
    """Runs `case` on the first bar (and a follow-up on the second)."""

    case = ""

    def on_start(self, ctx):
        self.n = 0

    def on_bar(self, ctx, bar):
        self.n += 1
        c = self.case
        if self.n == 1:
            if c == "ioc":
                ctx.buy(1, limit=50, tif="ioc")
            elif c == "day":
                ctx.buy(1, limit=50, tif="day")
            elif c == "gtd":
                ctx.buy(1, limit=50, tif="gtd", good_till=bar.ts + 3 * 86_400_000_000_000)
            elif c == "reduce_only":
                ctx.sell(1, reduce_only=True)  # nothing to reduce
            elif c == "modify":
                self.id = ctx.buy(1, limit=50)
            elif c == "bracket":
                ctx.bracket("buy", 10, take_profit=120, stop_loss=90)
            elif c == "oco":
                ctx.buy(10)
        elif self.n == 2:
            if c == "modify":
                ctx.modify(self.id, limit=101)
            elif c == "oco":
                ctx.oco("sell", 10, limit=120, stop=90, reduce_only=True)


def orders(case: str) -> pd.DataFrame:
    res = py_rt.Backtest(bars(), Scenario, {"case": case}, account="margin").run()
    return res.orders


@pytest.mark.filterwarnings("ignore::py_rt.RejectedOrdersWarning")
def test_time_in_force_and_reduce_only():
    assert list(orders("ioc")["status"]) == ["cancelled"], "an IOC limit that does not cross ends at once"
    day = orders("day").iloc[0]
    assert day.status == "expired" and day.updated == bars().index[1], "DAY ends with its UTC day"
    gtd = orders("gtd").iloc[0]
    assert gtd.status == "expired" and gtd.updated == bars().index[3]
    assert list(orders("reduce_only")["status"]) in (["rejected"], ["cancelled"])


def test_modify_brackets_and_oco():
    o = orders("modify").iloc[0]
    assert (o.status, o.limit) == ("filled", 101.0), "moved up to the market, it fills"
    b = orders("bracket")
    # The entry, then the take-profit limit (filled at 120 on the 121 bar) and the stop (cancelled).
    assert list(b["type"]) == ["market", "limit", "stop"]
    assert list(b["status"]) == ["filled", "filled", "cancelled"]
    assert b.iloc[1]["avg_price"] >= 120
    oco = orders("oco")
    assert list(oco["status"]) == ["filled", "filled", "cancelled"]


def test_bad_order_options_name_the_argument():
    class Bad(py_rt.Strategy):
        kind = ""

        def on_bar(self, ctx, bar):
            if self.kind == "tif":
                ctx.buy(1, limit=50, tif="forever")
            elif self.kind == "gtd":
                ctx.buy(1, limit=50, tif="gtd")
            elif self.kind == "post_only":
                ctx.buy(1, post_only=True)
            else:
                ctx.modify(1)

    for kind, match in [("tif", "tif `forever`: use gtc, ioc, fok, day or gtd"), ("gtd", "needs good_till="),
                        ("post_only", "post_only=True is for limit orders"), ("modify", "modify needs qty=")]:
        with pytest.raises(ValueError, match=match):
            py_rt.Backtest(bars(), Bad, {"kind": kind}).run()


class Remembers(py_rt.Strategy):
    history = 5

    def on_start(self, ctx):
        self.seen = []

    def on_bar(self, ctx, bar):
        self.seen.append((ctx.history("close", 3).tolist(), ctx.history("time").tolist()[-1]))


def test_history_gives_the_last_bars_oldest_first(small):
    s = Remembers()
    py_rt.Backtest(small, s).run()
    closes = small["close"].astype(float).tolist()
    assert s.seen[0][0] == closes[:1], "fewer at the start of the data"
    assert s.seen[10][0] == closes[8:11]
    assert s.seen[10][1] == small.index[10].value
    assert all(len(c) <= 3 for c, _ in s.seen)


@pytest.mark.parametrize("call, message", [
    (lambda ctx: ctx.history("close", 6), "keeps 5 bars of history and 6 were asked for"),
    (lambda ctx: ctx.history("vwap", 2), "unknown bar field `vwap`"),
])
def test_history_refuses_what_it_does_not_keep(small, call, message):
    class Asks(py_rt.Strategy):
        history = 5

        def on_bar(self, ctx, bar):
            call(ctx)

    with pytest.raises(ValueError, match=message):
        py_rt.Backtest(small, Asks).run()


def test_history_must_be_asked_for(small):
    class Forgot(py_rt.Strategy):
        def on_bar(self, ctx, bar):
            ctx.history("close", 2)

    with pytest.raises(ValueError, match="set the class attribute `history = 2`"):
        py_rt.Backtest(small, Forgot).run()

    class Odd(py_rt.Strategy):
        history = "lots"

    with pytest.raises(ValueError, match="`history` must be a whole number of bars"):
        py_rt.Backtest(small, Odd).run()
