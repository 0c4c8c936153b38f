"""Recorded sessions: can the backtest be trusted?

A paper or live session run with ``record=`` (``py_rt.Paper(...,
record="session.jsonl")``, or ``pyrt paper --record``) writes the
kernel's event stream: the market data it saw, the venue's answers, the
operator's actions. :func:`divergence` answers two questions from it:

* **replay**: fed the recorded inputs, does the same strategy make exactly
  the same decisions? If not, the strategy (or the engine) is not
  deterministic: it reads the wall clock, draws random numbers, or keeps
  state between runs, and no backtest of it can be trusted.
* **realism**: the backtester on the recorded market data against what
  really happened, order by order, with the P&L difference attributed to
  fees, latency, slippage, queue position and path (the runs holding
  different positions after an earlier difference).

>>> paper = py_rt.Paper(MyStrategy, {"n": 20}, bar="tick:100", record="s.jsonl")
>>> paper.run(duration=600)
>>> report = py_rt.divergence("s.jsonl", MyStrategy)
>>> report.identical, report.attribution, report.orders
"""

from __future__ import annotations

import decimal
import json
import os
from typing import Any, Mapping

import pandas as pd

from . import _py_rt
from .strategy import Strategy, instantiate, overridden_hooks

__all__ = ["DivergenceReport", "divergence"]

_CATEGORIES = ["fees", "latency", "slippage", "queue_position", "path"]


def _money(v: Any) -> decimal.Decimal | None:
    return None if v is None else decimal.Decimal(str(v))


class DivergenceReport:
    """The replay and realism answers for one recording.

    ``identical``: the replay made the recorded decisions. ``differences``:
    where it did not (decision index, recorded, replayed). ``books``: live
    beside backtest (orders, fills, filled quantity, fees, P&L, position).
    ``orders``: one row per order id, live beside backtest, with the
    categories that explain a difference and the order's part of the P&L
    difference. ``attribution``: the P&L difference (live minus backtest)
    by cause, summing to ``attribution["total"]``. ``latency``: the order
    round trips the recording measured (``p50_ns``, ``p90_ns``, ``max_ns``,
    ``samples``) and what the backtest used (``order_latency_ns``,
    ``response_latency_ns``, ``source``). Money and quantities are
    :class:`decimal.Decimal`. ``str(report)`` is the table ``pyrt
    divergence`` prints.
    """

    def __init__(self, header: dict, raw: dict, table: str) -> None:
        self._raw = raw
        self._table = table
        self.header = header
        replay, realism = raw["replay"], raw["realism"]
        self.identical: bool = not replay["differences"] and (
            replay["recorded_decisions"] == replay["replayed_decisions"])
        self.replay = {k: v for k, v in replay.items() if k != "differences"}
        self.differences: list[dict] = replay["differences"]
        self.venue: str = realism["venue"]
        self.fees: str = realism["fees"]
        self.latency: dict = realism["latency"]
        self.books = pd.DataFrame({
            side: {k: (_money(v) if k in ("filled_qty", "fees", "pnl", "position") else v)
                   for k, v in realism[side].items()}
            for side in ("live", "backtest")})
        self.attribution = pd.Series({k: _money(v) for k, v in realism["attribution"].items()},
                                     name="live - backtest", dtype=object)
        rows = []
        for o in realism["orders"]:
            row = dict(o)
            for k in ("live_filled", "backtest_filled", "live_price", "backtest_price", "live_fees",
                      "backtest_fees", "pnl_effect"):
                row[k] = _money(o[k])
            delay = o["fill_delay_ns"]
            row["fill_delay"] = pd.NaT if delay is None else pd.Timedelta(delay, unit="ns")
            del row["fill_delay_ns"]
            row["categories"] = ",".join(o["categories"])
            rows.append(row)
        columns = ["order_id", "side", "kind", "live_status", "backtest_status", "backtest_reason", "live_filled",
                   "backtest_filled", "live_price", "backtest_price", "live_fees", "backtest_fees", "fill_delay",
                   "same_request", "categories", "pnl_effect"]
        self.orders = pd.DataFrame(rows, columns=columns).set_index("order_id")

    def to_dict(self) -> dict:
        return json.loads(json.dumps(self._raw))

    def __str__(self) -> str:
        return self._table

    def __repr__(self) -> str:
        total = self.attribution["total"]
        return (f"<py_rt.DivergenceReport {self.header['strategy']['name']}: replay "
                f"{'identical' if self.identical else 'DIFFERS'}, {len(self.orders)} orders, "
                f"P&L difference {total}>")


def divergence(recording: str | os.PathLike, strategy: type[Strategy] | Strategy | None = None,
               params: Mapping[str, Any] | None = None, *, fees: str | None = None,
               round_trip_ms: float | None = None) -> DivergenceReport:
    """Replays a recorded session and backtests its market data.

    ``strategy``: for a session that traded a built-in strategy, nothing
    (the recording names it and its parameters); for a Python strategy, its
    class (a fresh instance is made for the replay and another for the
    backtest, with ``params`` or, when not given, the recorded parameters
    converted to the types of the class's attributes). ``fees``: the
    backtest's fee spec (``"bps:10"``); by default the rate the live fills
    paid. ``round_trip_ms``: the backtest's order round trip, split evenly
    between the way to the venue and the answer; by default the median the
    recording measured (``report.realism["latency"]`` shows both; 0 for
    none).
    """
    path = os.fspath(recording)
    if strategy is None:
        if params is not None:
            raise ValueError("params= are for a Python strategy; a built-in one's come from the recording")
        factory = None
    else:
        if isinstance(strategy, str):
            raise ValueError(f"strategy `{strategy}`: a built-in strategy comes from the recording; "
                             "call divergence(path) without it")
        if not isinstance(strategy, type):
            # An instance carries state from its session; the replay needs
            # the strategy as it started.
            raise ValueError(f"pass the strategy's class ({type(strategy).__name__}), not an instance: the "
                             "replay and the backtest each need a fresh one")
        if not issubclass(strategy, Strategy):
            raise TypeError(f"{strategy.__name__} is not a py_rt.Strategy subclass")

        def factory(name: str, recorded: dict[str, str]) -> tuple[Strategy, list[str]]:
            if name != strategy.__name__:
                raise ValueError(f"{path} was recorded with strategy `{name}`, not `{strategy.__name__}`")
            given = dict(params) if params is not None else _typed(strategy, recorded)
            obj = instantiate(strategy, given)
            return obj, overridden_hooks(obj)

    header, raw, table = _py_rt.divergence_report(path, factory, fees, round_trip_ms)
    return DivergenceReport(json.loads(header), json.loads(raw), table)


def _typed(cls: type, recorded: dict[str, str]) -> dict[str, Any]:
    """Recorded parameters (text) as the class's attribute types."""
    out: dict[str, Any] = {}
    for name, text in recorded.items():
        default = getattr(cls, name, None)
        if isinstance(default, bool):
            if text not in ("True", "False"):
                raise ValueError(f"recorded parameter {name}={text!r} is not a bool; pass params=")
            out[name] = text == "True"
        elif isinstance(default, (int, float, str)):
            try:
                out[name] = type(default)(text)
            except ValueError:
                raise ValueError(f"recorded parameter {name}={text!r} is not a {type(default).__name__} "
                                 "as the class's default is; pass params=") from None
        else:
            raise ValueError(f"recorded parameter {name}={text!r}: the class's default is not a number or "
                             "text, so the value cannot be restored; pass params=")
    return out
