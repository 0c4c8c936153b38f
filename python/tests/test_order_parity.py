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
