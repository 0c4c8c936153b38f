"""Crash and resume: a paper session killed with SIGKILL mid-trade, then
resumed under the same run id (`resume=True`), takes over exactly what
the venue says its run holds: the position its trades add up to and its
open orders. Nothing is lost or counted twice, over two crashes in a row.

The expected state is computed independently from the venue's own records
through python-binance (`get_all_orders`, `get_my_trades`), not from
anything py_rt kept.
"""

import decimal
import random
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import py_rt

from conftest import pyrt_key, pyrt_secret

RUN = "crashy"


class Churn(py_rt.Strategy):
    """Buys when flat, sells what it holds on the next bar; on its first bar
    rests a buy far below the market, which only a restart's adoption can
    cancel once the process is killed."""

    qty = 0.001

    def on_start(self, ctx):
        self.bars = 0

    def on_bar(self, ctx, bar):
        self.bars += 1
        if self.bars == 1:
            ctx.buy(self.qty, limit=round(bar.close * 0.5, 2))
        elif ctx.position() < self.qty / 2:
            ctx.buy(self.qty)
        else:
            ctx.close_position()


SCRIPT = """
    import sys
    sys.path.insert(0, sys.argv[3])
    import py_rt
    from test_resume import Churn

    class Loud(Churn):
        # Says each bar, so the test knows when to kill it.
        def on_bar(self, ctx, bar):
            super().on_bar(ctx, bar)
            print("BAR", self.bars, flush=True)

    venue, resume = sys.argv[1], sys.argv[2] == "resume"
    py_rt.Paper(Loud, venue=venue, bar="tick:2", run_id="%s", resume=resume).run()
""" % RUN


def venue_client(url):
    from binance.client import Client

    client = Client(pyrt_key(), pyrt_secret(), ping=False)
    client.API_URL = f"{url}/api"
    return client


def run_books(url):
    """The run's position and open orders, from the venue's records alone."""
    client = venue_client(url)
    orders = {o["orderId"]: o for o in client.get_all_orders(symbol="BTCUSDT", limit=1000)
              if o["clientOrderId"].startswith(f"{RUN}-")}
    position = decimal.Decimal(0)
    trades = [t for t in client.get_my_trades(symbol="BTCUSDT", limit=1000) if t["orderId"] in orders]
    for t in trades:
        qty = decimal.Decimal(t["qty"])
        if t["isBuyer"]:
            position += qty - (decimal.Decimal(t["commission"]) if t["commissionAsset"] == "BTC" else 0)
        else:
            position -= qty
    open_ids = sorted(o["clientOrderId"] for o in orders.values() if o["status"] in ("NEW", "PARTIALLY_FILLED"))
    return position, open_ids, len(orders), len(trades)


def crash(url, mode, rng):
    """Runs the churning session and kills it (SIGKILL) a random while after its third bar."""
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(SCRIPT), url, mode, str(Path(__file__).parent)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stdout:
            if line.strip() == "BAR 3":
                break
        else:
            pytest.fail(f"the session ended before its third bar: {proc.stderr.read()}")
        time.sleep(rng.uniform(0.0, 1.5))
        proc.kill()
        proc.wait(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == -9


class Watcher(py_rt.Strategy):
    """Trades nothing; notes what it took over."""

    def on_start(self, ctx):
        self.seen = None

    def on_bar(self, ctx, bar):
        if self.seen is None:
            self.seen = (ctx.position(), ctx.open_orders())


def test_a_killed_session_resumes_with_exactly_what_the_venue_holds(synthetic_venue):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    crash(synthetic_venue, "fresh", rng)
    # The second session resumes the first and is killed in turn.
    crash(synthetic_venue, "resume", rng)
    position, open_ids, orders, trades = run_books(synthetic_venue)
    assert len(open_ids) == 2, f"each session left its resting buy (seed {seed})"
    assert trades > 0

    watcher = Watcher()
    report = py_rt.Paper(watcher, venue=synthetic_venue, bar="tick:2", run_id=RUN, resume=True).run(duration=3)
    resumed = report.resumed
    assert resumed is not None, report
    assert resumed["position"] == position, f"seed {seed}: {report}"
    assert resumed["orders"] == orders and resumed["trades"] == trades, f"seed {seed}: {report}"
    assert resumed["open_orders"] == 2 and not resumed["problems"], report
    # The strategy sees the position and the orders as its own.
    held, working = watcher.seen
    assert held == pytest.approx(float(position), abs=1e-12)
    assert sorted(o["client_id"] for o in working) == open_ids
    assert all(o["kind"] == "limit" and o["side"] == "buy" for o in working)
    # On stop the adopted orders were cancelled at the venue, under the
    # names the killed sessions gave them; the position is what it was.
    after, still_open, _, _ = run_books(synthetic_venue)
    assert still_open == [] and after == position, f"seed {seed}"
    assert report.position == position
    assert report.open_orders == 0
    assert "resumed" in str(report)


def test_resuming_a_run_with_no_history_starts_flat(synthetic_venue):
    report = py_rt.Paper(Watcher(), venue=synthetic_venue, bar="tick:2", run_id="newrun", resume=True).run(
        duration=2)
    assert report.resumed == {"orders": 0, "trades": 0, "position": 0, "cost": 0, "open_orders": 0,
                              "problems": []}
    assert report.position == 0


def test_a_resumed_session_replays_exactly_with_what_it_took_over(synthetic_venue, tmp_path):
    crash(synthetic_venue, "fresh", random.Random(3))
    position, open_ids, _, _ = run_books(synthetic_venue)
    path = tmp_path / "resumed.jsonl"
    report = py_rt.Paper(Churn, venue=synthetic_venue, bar="tick:2", run_id=RUN, resume=True, record=path).run(
        duration=4)
    assert report.resumed["position"] == position and report.resumed["open_orders"] == len(open_ids) == 1
    d = py_rt.divergence(path, Churn)
    # The replay starts from the same adoption: without it the replayed
    # kernel would number its orders from 1 (the adopted order holds id 1
    # here) and hold none of the carried position.
    adoption = d.header["adoption"]
    assert [o["client_id"] for o in adoption["orders"]] == open_ids
    assert d.identical, d.differences
    assert d.replay["recorded_decisions"] == report.orders - 1, "every order but the adopted one was decided here"
    a = d.attribution
    assert sum((a[k] for k in ["fees", "latency", "slippage", "queue_position", "path"]), decimal.Decimal(0)) == a[
        "total"]
