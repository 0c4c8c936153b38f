"""py_rt.Paper and py_rt.Live: the strategy that backtests, trading on the
local venue (`pyrt venue` on a free loopback port) through the node.

Each session is checked against the venue itself: the engine's position
and the venue's base balance move by the same amount, every fill the
strategy saw is one the venue made, and a session that ends (stop, time,
Ctrl-C, an exception in a callback) leaves no order working.
"""

import decimal
import os
import signal
import subprocess
import sys
import textwrap
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

import py_rt

from conftest import PYRT, pyrt_key, pyrt_secret


class RoundTrip(py_rt.Strategy):
    """Buys `qty` on the first bar, sells what it holds on the `hold`-th; records what it saw."""

    qty = 0.001
    hold = 3

    def on_start(self, ctx):
        self.bars, self.fills, self.updates, self.sold = 0, [], [], False

    def on_bar(self, ctx, bar):
        self.bars += 1
        if self.bars == 1:
            ctx.buy(self.qty)
        # The buy's fill comes back from the venue when it comes: on fast
        # data that can be bars later.
        elif self.bars >= self.hold and ctx.position() > 0 and not self.sold:
            self.sold = True
            # What it holds, not `qty`: the venue took the buy's commission
            # in BTC, and a cash account cannot sell what it does not have.
            # close_position sells the whole lots of it.
            ctx.close_position()

    def on_fill(self, ctx, fill):
        self.fills.append((fill.side, fill.qty))

    def on_order_update(self, ctx, update):
        self.updates.append(update.status)


def books_agree(report):
    """The engine's position is what the venue's base balance gained."""
    gained = report.venue_balances.loc["base", "end"] - report.venue_balances.loc["base", "start"]
    assert report.position == gained, report
    assert report.open_orders == 0, report


def test_a_python_strategy_trades_on_the_node(venue):
    strategy = RoundTrip()
    report = py_rt.Paper(strategy, venue=venue, bar="tick:5").run(duration=6)
    assert isinstance(report, py_rt.SessionReport)
    assert report.strategy == "RoundTrip" and report.symbol == "BTCUSDT"
    assert strategy.bars >= strategy.hold, f"only {strategy.bars} bars in 6 s"
    assert [side for side, _ in strategy.fills] == ["buy", "sell"]
    # 0.001 bought, 0.000999 received (0.1 % fee in BTC), 0.00099 sold: the
    # lots of 0.00001 in it; 0.000009 of dust stays.
    assert strategy.fills[0][1] == pytest.approx(0.001) and strategy.fills[1][1] == pytest.approx(0.00099)
    assert report.fills == 2 and report.orders == 2 and not report.rejections
    assert "accepted" in strategy.updates and "filled" in strategy.updates
    books_agree(report)
    assert report.position == decimal.Decimal("0.000009")
    assert isinstance(report.cash, decimal.Decimal)
    assert "engine position" in str(report) and "venue base" in str(report)


def test_status_is_readable_while_it_trades_and_stop_ends_it(synthetic_venue):
    paper = py_rt.Paper(RoundTrip, {"hold": 1_000_000}, venue=synthetic_venue, bar="tick:3")
    paper.start()
    try:
        deadline = time.monotonic() + 20
        status = paper.status()
        while (status["fills"] < 1 or status["bars"] < 3) and time.monotonic() < deadline:
            time.sleep(0.1)
            status = paper.status()
        assert paper.running and status["running"]
        assert status["fills"] == 1 and status["orders_submitted"] == 1 and status["open_orders"] == []
        assert status["position"] > 0 and status["cash"] < 100_000 and status["equity"] > 0
        assert status["last_price"] > 0 and status["market_events"] >= status["bars"] >= 3
        assert status["trading_state"] == "active" and status["time"].tz is not None
        with pytest.raises(RuntimeError, match="already trading"):
            paper.start()
    finally:
        paper.stop()
    report = paper.wait(timeout=30)
    assert report is not None and not paper.running
    assert report.fills == 1 and report.position == status["position"]
    books_agree_position = report.venue_balances.loc["base", "end"] - report.venue_balances.loc["base", "start"]
    assert books_agree_position == report.position
    assert paper.report is report
    # A finished Paper starts again, with a fresh strategy instance.
    again = paper.run(duration=2)
    assert again is not report and paper.report is again


def test_builtin_strategies_trade_by_name(synthetic_venue):
    report = py_rt.Paper("sma_cross", {"fast": 2, "slow": 4}, venue=synthetic_venue, bar="tick:2").run(duration=5)
    assert report.strategy == "sma_cross" and report.bars >= 4
    books_agree(report)


class Explodes(py_rt.Strategy):
    """Leaves a limit order resting far below the market, then raises."""

    def on_start(self, ctx):
        self.bars = 0

    def on_bar(self, ctx, bar):
        self.bars += 1
        if self.bars == 1:
            ctx.buy(0.001, limit=round(bar.close * 0.5, 2))
        elif self.bars == 3:
            raise ZeroDivisionError("the strategy's own bug")


def test_an_exception_in_a_callback_stops_the_session_and_cancels_its_orders(synthetic_venue):
    paper = py_rt.Paper(Explodes, venue=synthetic_venue, bar="tick:2")
    with pytest.raises(ZeroDivisionError, match="the strategy's own bug") as caught:
        paper.run(duration=30)
    exc = caught.value
    assert any("open orders cancelled" in note for note in exc.__notes__)
    report = exc.session_report
    assert report.orders == 1 and report.open_orders == 0, str(report)
    # The traceback points at the strategy's line.
    assert any(frame.name == "on_bar" for frame in __import__("traceback").extract_tb(exc.__traceback__))
    # The order is gone at the venue too: its quote balance is whole again.
    quote = report.venue_balances.loc["quote"]
    assert quote["end"] == quote["start"]


SCRIPT = """
import sys, time, py_rt

class Rest(py_rt.Strategy):
    def on_start(self, ctx):
        self.sent = False
    def on_bar(self, ctx, bar):
        if not self.sent:
            self.sent = True
            ctx.buy(0.001, limit=round(bar.close * 0.5, 2))

paper = py_rt.Paper(Rest, venue=sys.argv[1], bar="tick:2")
paper.start()
while paper.status()["open_orders"] == []:
    time.sleep(0.05)
print("TRADING", flush=True)
if sys.argv[2] == "exit":
    sys.stdin.readline()
    sys.exit(3)  # leaves without stopping: the exit hook must
report = paper.wait()
print(report, flush=True)
print("OPEN", report.open_orders, flush=True)
"""


def venue_open_orders(url):
    from binance.client import Client

    client = Client(pyrt_key(), pyrt_secret(), ping=False)
    client.API_URL = f"{url}/api"
    return client.get_open_orders(symbol="BTCUSDT")


def session_script(tmp_path, venue, mode):
    script = tmp_path / "session.py"
    script.write_text(textwrap.dedent(SCRIPT))
    proc = subprocess.Popen([sys.executable, str(script), venue, mode], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "TRADING", proc.stderr.read()
    assert len(venue_open_orders(venue)) == 1
    return proc


def test_ctrl_c_stops_the_session_cleanly(synthetic_venue, tmp_path):
    proc = session_script(tmp_path, synthetic_venue, "wait")
    try:
        time.sleep(0.5)  # into paper.wait()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "OPEN 0" in out and "orders             1 (0 still open)" in out, out
    assert venue_open_orders(synthetic_venue) == []


def test_a_script_that_ends_without_stopping_still_cancels_its_orders(synthetic_venue, tmp_path):
    proc = session_script(tmp_path, synthetic_venue, "exit")
    try:
        out, err = proc.communicate("\n", timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 3, err
    assert venue_open_orders(synthetic_venue) == []


class KeepsContext(py_rt.Strategy):
    def on_bar(self, ctx, bar):
        self.ctx = ctx


def test_a_context_kept_past_its_callback_refuses_to_act(synthetic_venue):
    strategy = KeepsContext()
    py_rt.Paper(strategy, venue=synthetic_venue, bar="tick:2").run(duration=1.5)
    with pytest.raises(RuntimeError, match="belongs to the thread that runs the strategy"):
        strategy.ctx.buy(1)


def test_bad_settings_fail_before_anything_is_sent(monkeypatch, tmp_path):
    monkeypatch.delenv("BINANCE_API_KEY", raising=False)
    monkeypatch.delenv("BINANCE_API_SECRET", raising=False)
    with pytest.raises(ValueError, match="BINANCE_API_KEY is not set"):
        py_rt.Live(venue="https://api.binance.com", ws="wss://stream.binance.com:9443",
                   risk_limits="[order_limits]\nmax_notional = 100\n")
    keys = {"api_key": "k3y-value", "secret": "s3cret-value"}
    with pytest.raises(ValueError, match="venue= `http://api.binance.com` is not encrypted") as caught:
        py_rt.Live(venue="http://api.binance.com", ws="wss://b", **keys)
    assert "k3y-value" not in str(caught.value) and "s3cret-value" not in str(caught.value)
    with pytest.raises(ValueError, match="needs risk limits"):
        py_rt.Live(venue="https://a", ws="wss://b", **keys)
    with pytest.raises(ValueError, match="cap no single order"):
        py_rt.Live(venue="https://a", ws="wss://b", risk_limits="[position_limits]\nmax_quantity = 1\n", **keys)
    live = py_rt.Live(venue="https://a", ws="wss://b", risk_limits="[order_limits]\nmax_quantity = 0.01\n", **keys)
    assert "k3y-value" not in repr(live)
    with pytest.raises(ValueError, match="run_id= `a-b`"):
        py_rt.Paper(run_id="a-b")
    with pytest.raises(ValueError, match="bar `7q`"):
        py_rt.Paper(bar="7q")
    with pytest.raises(ValueError, match="unknown parameter `nope`"):
        py_rt.Paper(RoundTrip, {"nope": 1})
    with pytest.raises(ValueError, match="give both api_key= and secret="):
        py_rt.Paper(api_key="x")
    with pytest.raises(ValueError, match=r"risk_limits: cannot read .*missing\.toml"):
        py_rt.Paper(risk_limits=tmp_path / "missing.toml")
    with pytest.raises(ValueError, match="duration"):
        py_rt.Paper().start(duration=-1)


def test_an_unreachable_venue_is_a_clear_error():
    paper = py_rt.Paper(venue="http://127.0.0.1:9")
    with pytest.raises(RuntimeError, match="cannot reach the venue at http://127.0.0.1:9"):
        paper.run(duration=1)


class RestsOne(py_rt.Strategy):
    def on_start(self, ctx):
        self.sent = False

    def on_bar(self, ctx, bar):
        if not self.sent:
            self.sent = True
            ctx.buy(0.001, limit=round(bar.close * 0.5, 2))


def test_a_restarted_run_never_reuses_a_client_order_id(synthetic_venue):
    # Two sessions of one run id, each leaving an order working: before
    # session ids both were `pyrt-1`, and the venue refused the second.
    for _ in range(2):
        report = py_rt.Paper(RestsOne, venue=synthetic_venue, bar="tick:2", keep_open=True).run(duration=1.5)
        assert report.open_orders == 1 and not report.rejections, str(report)
    ids = sorted(o["clientOrderId"] for o in venue_open_orders(synthetic_venue))
    assert len(ids) == 2 and ids[0] != ids[1], ids
    assert all(i.startswith("pyrt-") and i.endswith("-1") for i in ids), ids


class Prints(py_rt.Strategy):
    """Sees every print of the feed and the bars built from them."""

    history = 10

    def on_start(self, ctx):
        self.prints, self.bars, self.closes = [], [], []

    def on_trade(self, ctx, trade):
        self.prints.append(trade.price)

    def on_bar(self, ctx, bar):
        # The bar is built from the prints the strategy has just seen.
        self.bars.append((bar.close, self.prints[-1]))
        self.closes = ctx.history("close", 3).tolist()


def test_trade_callbacks_and_history_in_a_paper_session(synthetic_venue):
    s = Prints()
    py_rt.Paper(s, venue=synthetic_venue, bar="tick:5").run(duration=3)
    assert len(s.bars) >= 2, f"only {len(s.bars)} bars in 3 s"
    assert len(s.prints) >= 5 * len(s.bars)
    assert all(close == last_print for close, last_print in s.bars)
    assert s.closes == [c for c, _ in s.bars][-3:]
