"""py_rt.divergence: a recorded paper session replayed and backtested.

Each session trades the local venue (`pyrt venue` on a free loopback port)
with `record=`; the report must replay the strategy's decisions exactly
when the strategy is deterministic, catch it when it is not, and explain
every difference between the backtest and what the venue did.
"""

import decimal
import json
import random

import pandas as pd
import pytest

import py_rt


class Flip(py_rt.Strategy):
    """Buys on every `every`-th bar when flat, sells what it holds on the next one.

    Flat is under half an order: a buy's fee, paid in the coin, leaves dust
    below a lot that cannot be sold."""

    every = 3
    qty = 0.001

    def on_start(self, ctx):
        self.bars = 0

    def on_bar(self, ctx, bar):
        self.bars += 1
        flat = ctx.position() < self.qty / 2
        if self.bars % self.every == 0 and flat:
            ctx.buy(self.qty)
        elif self.bars % self.every == 1 and not flat:
            ctx.close_position()


class Coin(Flip):
    """Flip, but whether it trades is a coin toss: not deterministic."""

    def on_bar(self, ctx, bar):
        self.bars += 1
        if random.random() < 0.5:
            ctx.buy(self.qty) if ctx.position() < self.qty / 2 else ctx.close_position()


def record(venue, strategy, tmp_path, name="session.jsonl", params=None, duration=6):
    path = tmp_path / name
    report = py_rt.Paper(strategy, params, venue=venue, bar="tick:3", record=path).run(duration=duration)
    assert path.exists()
    return path, report


def test_a_recorded_python_session_replays_exactly_and_every_difference_is_explained(venue, tmp_path):
    path, session = record(venue, Flip, tmp_path)
    assert session.orders >= 2, f"only {session.orders} orders in 6 s"
    report = py_rt.divergence(path, Flip)
    assert isinstance(report, py_rt.DivergenceReport)
    assert report.identical, report.differences
    assert report.replay["recorded_decisions"] == report.replay["replayed_decisions"] == session.orders
    assert report.header["strategy"] == {"name": "Flip", "params": {}, "kind": "python"}
    # The live side is the session: its orders, fills and fees.
    assert report.books.loc["orders", "live"] == session.orders
    assert report.books.loc["fills", "live"] == session.fills
    assert report.books.loc["fees", "live"] == session.fees
    assert report.fees.startswith("bps:")
    # Every order is a row; a row that differs names why.
    assert len(report.orders) >= session.orders
    for order_id, row in report.orders.iterrows():
        # After the runs part (an order one run sent and the other did not),
        # the same order id can carry different requests: that is `path`.
        differs = (row.live_filled != row.backtest_filled or row.live_price != row.backtest_price
                   or row.live_fees != row.backtest_fees or not row.same_request)
        assert bool(row.categories) == differs, repr((order_id, row.to_dict()))
    # The attribution adds up, exactly.
    a = report.attribution
    parts = sum((a[k] for k in ["fees", "latency", "slippage", "queue_position", "path"]), decimal.Decimal(0))
    assert parts == a["total"]
    assert a["total"] == report.books.loc["pnl", "live"] - report.books.loc["pnl", "backtest"]
    assert all(isinstance(v, decimal.Decimal) for v in a)
    assert "replay             identical" in str(report) and "P&L difference" in str(report)
    # The node took the venue's depth stream, so the backtest walks the book.
    assert json.loads(json.dumps(report.to_dict()))["realism"]["venue"] == "book"
    # The backtest replayed the round trip the session measured: each sent
    # order's submission to the venue's first answer (an order the kernel
    # refused itself never travelled).
    lat = report.latency
    filled_orders = sum(1 for o in report.orders.itertuples() if o.live_filled > 0)
    assert lat["source"] == "measured" and filled_orders <= lat["samples"] <= session.orders, (lat, filled_orders)
    assert 0 < lat["p50_ns"] <= lat["p90_ns"] <= lat["max_ns"], lat
    assert lat["order_latency_ns"] + lat["response_latency_ns"] == lat["p50_ns"]
    assert "round trip" in str(report)


def test_a_strategy_that_is_not_deterministic_is_caught(synthetic_venue, tmp_path):
    random.seed(1)
    path, session = record(synthetic_venue, Coin, tmp_path)
    assert session.orders >= 2
    random.seed(2)
    report = py_rt.divergence(path, Coin)
    assert not report.identical
    first = report.differences[0]
    assert first["recorded"] != first["replayed"]
    assert "DIFFERS" in str(report)


def test_recorded_parameters_come_back_with_their_types(synthetic_venue, tmp_path):
    path, session = record(synthetic_venue, Flip, tmp_path, params={"every": 2, "qty": 0.002})
    assert session.orders >= 2
    report = py_rt.divergence(path, Flip)
    assert report.header["strategy"]["params"] == {"every": "2", "qty": "0.002"}
    assert report.identical, report.differences
    # Other parameters are another strategy: the replay says so.
    assert not py_rt.divergence(path, Flip, {"every": 5, "qty": 0.002}).identical


def test_a_builtin_strategys_recording_needs_no_strategy(synthetic_venue, tmp_path):
    path, session = record(synthetic_venue, "sma_cross", tmp_path, params={"fast": 2, "slow": 4})
    report = py_rt.divergence(path)
    assert report.header["strategy"]["name"] == "sma_cross"
    assert report.identical, report.differences
    assert report.books.loc["orders", "live"] == session.orders
    assert isinstance(report.orders, pd.DataFrame)


class Raises(Flip):
    def on_bar(self, ctx, bar):
        raise KeyError("only in the replay")


def test_mistakes_get_clear_errors(synthetic_venue, tmp_path):
    path, _ = record(synthetic_venue, Flip, tmp_path, duration=3)
    with pytest.raises(ValueError, match=r"recorded with the Python strategy `Flip`: pass it"):
        py_rt.divergence(path)
    with pytest.raises(ValueError, match=r"recorded with strategy `Flip`, not `Coin`"):
        py_rt.divergence(path, Coin)
    with pytest.raises(ValueError, match=r"pass the strategy's class \(Flip\), not an instance"):
        py_rt.divergence(path, Flip())
    with pytest.raises(ValueError, match=r"unknown parameter `speed`"):
        py_rt.divergence(path, Flip, {"speed": 1})
    with pytest.raises(ValueError, match=r"fees"):
        py_rt.divergence(path, Flip, fees="bps:-99999")
    with pytest.raises(ValueError, match=r"round_trip_ms must be between 0 and 86400000"):
        py_rt.divergence(path, Flip, round_trip_ms=-1)
    given = py_rt.divergence(path, Flip, round_trip_ms=2.5).latency
    assert (given["source"], given["order_latency_ns"], given["response_latency_ns"]) == ("given", 1_250_000, 1_250_000)
    # The strategy's own exception, not a report.
    with pytest.raises(ValueError, match="recorded with strategy `Flip`, not `Raises`"):
        py_rt.divergence(path, Raises)
    bad = tmp_path / "not-a-recording.jsonl"
    bad.write_text('{"hello": 1}\n')
    with pytest.raises(ValueError, match=r"not-a-recording.jsonl.*line 1"):
        py_rt.divergence(bad)
    with pytest.raises(ValueError, match=r"missing.jsonl"):
        py_rt.divergence(tmp_path / "missing.jsonl")


def test_a_strategy_that_raises_in_the_replay_raises_its_own_exception(synthetic_venue, tmp_path):
    path, _ = record(synthetic_venue, Flip, tmp_path, duration=3)
    # Same name, different code: what a user sees after editing the class.
    Broken = type("Flip", (Raises,), {})
    with pytest.raises(KeyError, match="only in the replay"):
        py_rt.divergence(path, Broken)
