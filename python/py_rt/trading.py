"""Paper and live trading: the strategy that backtests, on live data.

>>> paper = py_rt.Paper(MyStrategy, {"n": 20}, symbol="BTCUSDT", bar="tick:100")
>>> report = paper.run(duration=600)        # blocks; Ctrl-C stops it cleanly
>>> print(report)                           # engine books beside the venue's

or, from a notebook, in the background:

>>> paper.start()
>>> paper.status()                          # bars, orders, fills, cash, position, …
>>> paper.stop(); report = paper.wait()

A session runs the Rust node on its own thread: market data from the
venue's WebSocket feed becomes bars, the strategy's callbacks run with the
GIL held only for their own duration, orders go out over REST and come
back on the user-data stream. ``Paper`` defaults to the local venue
(``pyrt venue``, which listens on http://127.0.0.1:8765 with a public
example account); ``Live`` needs a real venue, keys, TLS and risk limits.

Every way a session ends goes through the node's stop: open orders are
cancelled (unless ``keep_open=True``) and the venue's last answers
awaited. That holds for ``stop()``, the duration running out, Ctrl-C and
an exception in a strategy callback, which is then re-raised with its
traceback and the session's report attached as ``exc.session_report``.
"""

from __future__ import annotations

import atexit
import decimal
import json
import os
import threading
import warnings
import weakref
from typing import Any, Mapping

import pandas as pd

from . import _py_rt
from .backtest import RejectedOrdersWarning, _param_text, _rejections
from .strategy import Strategy, instantiate, overridden_hooks

__all__ = ["Live", "Paper", "SessionReport"]

# Sessions still running at interpreter exit are stopped (orders cancelled)
# and waited for, so nothing is left working because a script ended.
_running: "weakref.WeakSet[Paper]" = weakref.WeakSet()
_EXIT_WAIT_S = 30.0


class SessionReport:
    """What a session did: the engine's books beside the venue's balances.

    Money and quantities are :class:`decimal.Decimal`, exact as the engine
    and the venue hold them. ``str(report)`` is the table ``pyrt paper``
    prints; ``to_dict()`` the plain values.
    """

    def __init__(self, raw: dict, table: str) -> None:
        self._raw = raw
        self._table = table
        self.symbol: str = raw["symbol"]
        self.strategy: str = raw["strategy"]
        self.bars: int = raw["bars"]
        self.orders: int = raw["orders"]
        self.open_orders: int = raw["open_orders"]
        self.fills: int = raw["fills"]
        self.rejections = _rejections(raw["rejections"], "UTC")
        engine, venue = raw["engine"], raw["venue"]
        self.position = decimal.Decimal(engine["position"])
        self.cash = decimal.Decimal(engine["cash"])
        self.fees = decimal.Decimal(engine["fees"])
        self.equity = decimal.Decimal(engine["equity"])
        self.venue_balances = pd.DataFrame(
            {"start": [decimal.Decimal(venue["base_start"]), decimal.Decimal(venue["quote_start"])],
             "end": [decimal.Decimal(venue["base"]), decimal.Decimal(venue["quote"])]},
            index=pd.Index(["base", "quote"], name="asset"))
        self.feed_problems: list[str] = raw["feed_problems"]
        self.account_problems: list[str] = raw["account_problems"]
        self.reconciled_reports: int = raw["reconciled_reports"]
        self.unexplained: list[str] = raw["unexplained"]
        self.late_trades: int = raw["late_trades"]
        resumed = raw.get("resumed")
        #: What the session took over from earlier sessions of its run
        #: (``resume=True``): orders and trades found, the carried position
        #: and its cost (Decimals), open orders adopted, problems.
        self.resumed: dict | None = None if resumed is None else {
            **resumed, "position": decimal.Decimal(resumed["position"]), "cost": decimal.Decimal(resumed["cost"])}

    def to_dict(self) -> dict:
        return json.loads(json.dumps(self._raw))

    def __str__(self) -> str:
        return self._table

    def __repr__(self) -> str:
        return (f"<py_rt.SessionReport {self.symbol} {self.strategy}: {self.bars} bars, {self.orders} orders, "
                f"{self.fills} fills, position {self.position}, equity {self.equity}>")


class Paper:
    """Paper trading: a strategy on a venue's live market data, with orders
    sent to a venue that fills them without real money (by default the
    local ``pyrt venue``, trading its public example account).

    ``strategy`` is a built-in strategy's name (see :func:`py_rt.strategies`)
    or a :class:`py_rt.Strategy` subclass or instance, exactly as for
    :class:`py_rt.Backtest`; ``params`` set its parameters. ``bar`` is the
    rule that turns live trades into the strategy's bars: ``"1s"``,
    ``"1m"``, ``"tick:100"``, ``"volume:10"``.

    ``venue`` is the REST base URL, ``ws`` the market streams (default: the
    venue's URL with ``ws://``), ``user_ws`` the WebSocket API for the
    account stream (default: ``<ws>/ws-api/v3``), ``ca_file`` extra
    certificate authorities to trust. Keys: ``api_key`` and ``secret``, or
    ``BINANCE_API_KEY``/``BINANCE_API_SECRET``, or the local venue's example
    account. ``risk_limits`` is the text of a risk-limits TOML file or a
    path to one; every order passes them. Client order ids are
    ``<run_id>-<session>-<order id>``: the run id names the node across
    restarts, the session part keeps a restart from reusing an id.
    ``keep_open=True`` leaves open orders working when the session stops.
    ``record`` writes the session's event stream to a new file (JSON
    lines), which :func:`py_rt.divergence` replays and compares with a
    backtest. ``resume=True`` takes over what earlier sessions of the same
    ``run_id`` left at the venue (after a crash, a restart or
    ``keep_open``): the position their trades add up to, at its cost, and
    their open orders, which the strategy finds in ``ctx.open_orders()``
    and the report in ``report.resumed``.
    """

    _live = False

    def __init__(self, strategy: str | type[Strategy] | Strategy = "sma_cross",
                 params: Mapping[str, Any] | None = None, *, symbol: str = "BTCUSDT", bar: str = "1m",
                 venue: str = "http://127.0.0.1:8765", ws: str | None = None, user_ws: str | None = None,
                 ca_file: str | os.PathLike | None = None, api_key: str | None = None, secret: str | None = None,
                 risk_limits: str | os.PathLike | None = None, run_id: str = "pyrt", keep_open: bool = False,
                 record: str | os.PathLike | None = None, resume: bool = False) -> None:
        self.strategy = strategy
        self.params = dict(params or {})
        self._settings = {
            "live": self._live, "venue": venue, "ws": ws, "user_ws": user_ws,
            "ca_file": os.fspath(ca_file) if ca_file is not None else None, "symbol": symbol, "bar": bar,
            "api_key": api_key, "secret": secret, "risk_limits": _risk_text(risk_limits), "run_id": run_id,
            "keep_open": bool(keep_open), "record": os.fspath(record) if record is not None else None,
            "resume": bool(resume),
        }
        self.symbol = symbol
        self._session: Any = None
        self._report: SessionReport | None = None
        self._lock = threading.Lock()
        # Checks the settings now, so a mistake shows before the first run.
        self._new_session(None)

    def __repr__(self) -> str:
        name = self.strategy if isinstance(self.strategy, str) else getattr(
            self.strategy, "__name__", type(self.strategy).__name__)
        state = "running" if self.running else "idle"
        return f"<py_rt.{type(self).__name__} {name} on {self.symbol} at {self._settings['venue']}: {state}>"

    def _new_session(self, duration: float | None) -> Any:
        settings = {**self._settings, "duration_s": None if duration is None else float(duration)}
        if isinstance(self.strategy, str):
            params = {k: _param_text(k, v) for k, v in self.params.items()}
            return _py_rt.Session(settings, self.strategy, params, [])
        obj = instantiate(self.strategy, self.params)
        # The parameters as text describe the strategy in a recording.
        return _py_rt.Session(settings, obj, {k: str(v) for k, v in self.params.items()}, overridden_hooks(obj))

    @property
    def running(self) -> bool:
        """Whether a session is trading now."""
        return self._session is not None and not self._session.wait(0)

    def start(self, duration: float | None = None) -> "Paper":
        """Starts trading in the background and returns at once; the
        session stops after ``duration`` seconds (default: when
        :meth:`stop` is called). Check on it with :meth:`status`."""
        with self._lock:
            if self.running:
                raise RuntimeError("this session is already trading; stop() it first")
            session = self._new_session(duration)
            session.start()
            self._session, self._report = session, None
            _running.add(self)
        return self

    def stop(self) -> None:
        """Asks the session to stop: it cancels open orders (unless
        ``keep_open``) and finishes; :meth:`wait` returns its report."""
        if self._session is not None:
            self._session.stop()

    def wait(self, timeout: float | None = None) -> SessionReport | None:
        """Waits for the session to finish (at most ``timeout`` seconds) and
        returns its report, or None if it is still running. Ctrl-C while
        waiting stops the session cleanly and returns its report."""
        if self._session is None:
            raise RuntimeError("nothing to wait for: start() or run() a session first")
        if self._report is not None:
            return self._report
        try:
            step = 0.2 if timeout is None else min(0.2, timeout)
            waited = 0.0
            while not self._session.wait(step):
                waited += step
                if timeout is not None and waited >= timeout:
                    return None
        except KeyboardInterrupt:
            # Stop the session, not just this wait: cancel its orders and
            # collect the report. A second Ctrl-C leaves the stop to run
            # in the background (and at exit).
            self._session.stop()
            while not self._session.wait(0.2):
                pass
        return self._finish()

    def run(self, duration: float | None = None) -> SessionReport:
        """Trades until ``duration`` seconds have passed (default: until
        Ctrl-C) and returns the session's report."""
        self.start(duration)
        report = self.wait()
        assert report is not None
        return report

    def status(self) -> dict:
        """The running session's state: sequence number and time of its last
        event, market events and bars seen, last price, orders submitted,
        rejected and open, fills, position, cash and equity (Decimals; None
        before the first fill), and the trading state."""
        if self._session is None:
            raise RuntimeError("no session yet: start() or run() one")
        raw = json.loads(self._session.status_json())
        money = lambda v: None if v is None else decimal.Decimal(v)  # noqa: E731
        return {
            "running": self.running,
            "seq": raw["seq"],
            "time": pd.Timestamp(raw["ts"], unit="ns", tz="UTC") if raw["ts"] else None,
            "market_events": raw["market_events"],
            "bars": raw["bars"],
            "last_price": money(raw["last_price"].get("0")),
            "orders_submitted": raw["orders_submitted"],
            "orders_rejected": raw["orders_rejected"],
            "last_rejection": raw["last_rejection"],
            "open_orders": list(raw["open_orders"]),
            "fills": raw["fills"],
            "position": money(raw["positions"].get("0", "0")),
            "cash": money(raw["cash"]),
            "equity": money(raw["equity"]),
            "trading_state": raw["trading_state"],
        }

    @property
    def report(self) -> SessionReport | None:
        """The last finished session's report."""
        return self._report

    def _finish(self) -> SessionReport:
        _running.discard(self)
        raw, table, error = self._session.result()
        report = SessionReport(json.loads(raw), table)
        self._report = report
        if error is not None:
            error.add_note(f"py_rt: the {type(self).__name__} session stopped on this exception "
                           f"({'open orders left working' if self._settings['keep_open'] else 'open orders cancelled'}); "
                           "its report is this exception's .session_report")
            error.session_report = report
            raise error
        if report.rejections:
            warnings.warn(f"{report.rejections.describe()}; see report.rejections", RejectedOrdersWarning,
                          stacklevel=3)
        return report


class Live(Paper):
    """Live trading with real orders and real money.

    Like :class:`Paper`, with what real money needs: ``venue`` and ``ws``
    must be given (e.g. ``https://api.binance.com`` and
    ``wss://stream.binance.com:9443``) and be encrypted unless on loopback;
    keys come from ``api_key``/``secret`` or ``BINANCE_API_KEY``/
    ``BINANCE_API_SECRET`` and must be set; ``risk_limits`` are required
    and must cap every order (``[order_limits] max_quantity`` or
    ``max_notional``). Keys are never logged or shown in errors.
    """

    _live = True

    def __init__(self, strategy: str | type[Strategy] | Strategy = "sma_cross",
                 params: Mapping[str, Any] | None = None, *, venue: str, ws: str, **kwargs: Any) -> None:
        super().__init__(strategy, params, venue=venue, ws=ws, **kwargs)


def _risk_text(risk: str | os.PathLike | None) -> str | None:
    """Risk limits as TOML text: a path is read; a string holding `=` is the text itself."""
    if risk is None:
        return None
    if isinstance(risk, os.PathLike) or "=" not in risk:
        path = os.fspath(risk)
        try:
            with open(path, encoding="utf-8") as f:
                return f.read()
        except OSError as e:
            raise ValueError(f"risk_limits: cannot read {path}: {e.strerror} (pass a path to a TOML file, "
                             "or the TOML text itself)") from None
    return risk


@atexit.register
def _stop_running_sessions() -> None:
    for session in list(_running):
        session.stop()
    for session in list(_running):
        if session._session is not None:
            session._session.wait(_EXIT_WAIT_S)
