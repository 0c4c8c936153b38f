"""Backtests of the built-in strategies, run entirely in the Rust engine."""

from __future__ import annotations

import decimal
import functools
import json
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from . import _py_rt
from ._frame import bar_arrays, bar_index, load
from ._universe import is_universe, split
from .allocation import Allocation, allocations, members
from .strategy import Strategy, instantiate, overridden_hooks

if TYPE_CHECKING:
    from .optimize import WalkForward


def strategies() -> pd.DataFrame:
    """The built-in strategies: one row per parameter, with its default,
    minimum and meaning."""
    rows = []
    for info in json.loads(_py_rt.strategy_catalog()):
        for p in info["params"]:
            rows.append({"strategy": info["name"], "param": p["name"], "default": p["default"],
                         "integer": p["integer"], "min": p["min"], "help": p["help"]})
    return pd.DataFrame(rows)


def _money(value: Any, name: str) -> str:
    """A number as an exact decimal string (floats through their shortest
    repr, so 0.1 stays 0.1)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, decimal.Decimal, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number or a decimal string, got {type(value).__name__}")
    text = repr(float(value)) if isinstance(value, (float, np.floating)) else str(value)
    return text


def _fees(fees: Any) -> str:
    """Fees as the engine's text form: a spec string as is (``"bps:10"``),
    a number as a fraction of each fill's notional (``0.001`` is 10 bps,
    as vectorbt's ``fees`` and backtesting.py's ``commission``)."""
    if isinstance(fees, str):
        return fees
    if isinstance(fees, bool) or not isinstance(fees, (int, float, decimal.Decimal, np.integer, np.floating)):
        raise TypeError(f"fees must be a spec such as \"bps:10\" or a fraction such as 0.001, got {fees!r}")
    bps = decimal.Decimal(repr(float(fees))) * 10_000
    return f"bps:{bps.normalize():f}"


def _param_text(name: str, value: Any) -> str:
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, bool) or not isinstance(value, (int, float, str, np.integer, np.floating)):
        raise TypeError(f"parameter `{name}` must be a number, got {type(value).__name__}")
    return str(value)


class RejectedOrdersWarning(UserWarning):
    """A backtest ran, but some of its orders were refused (see ``Result.rejections``)."""


class RejectedOrdersError(ValueError):
    """A ``strict=True`` backtest had rejected orders. ``result`` holds the
    run's results all the same, to see what happened."""

    def __init__(self, message: str, result: "Result"):
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class Rejections:
    """The orders a run refused: ``total``, ``by_code`` (a Series: how many
    per reason code, e.g. ``INSUFFICIENT_CASH``, ``MAX_ORDER_NOTIONAL``,
    ``VENUE_REJECTED``) and ``examples`` (the first few of each code:
    order_id, time, code, reason). Every rejected order also has a row in
    ``Result.orders`` with its reason. False when nothing was refused.
    ``warming_up`` counts orders sent during a walk-forward window's
    warm-up, refused by design and not in ``total``."""

    total: int
    by_code: pd.Series
    examples: pd.DataFrame
    warming_up: int = 0

    def __bool__(self) -> bool:
        return self.total > 0

    def describe(self) -> str:
        """One line: the count by code and the first rejection."""
        if not self:
            return "no orders rejected"
        counts = ", ".join(f"{code} {n}" for code, n in self.by_code.items())
        first = self.examples.iloc[0]
        plural = "" if self.total == 1 else "s"
        return (f"{self.total} order{plural} rejected ({counts}); first: order {first.order_id} "
                f"at {first.time}: {first.reason}")

    def __repr__(self) -> str:
        return f"<py_rt.Rejections {self.describe()}>"


def _rejections(raw: dict, tz: Any) -> Rejections:
    examples = raw.get("examples", [])
    by_code = pd.Series(raw.get("by_code", {}), name="rejections", dtype="int64")
    frame = pd.DataFrame({
        "order_id": pd.Series([e["order_id"] for e in examples], dtype="int64"),
        "time": _times(np.array([e["ts"] for e in examples], dtype="int64"), tz),
        "code": pd.Series([e["code"] for e in examples], dtype=object),
        "reason": pd.Series([e["reason"] for e in examples], dtype=object),
    })
    return Rejections(int(raw.get("total", 0)), by_code, frame, int(raw.get("warming_up", 0)))


@dataclass
class Backtest:
    """One strategy, one simulated venue, one instrument or several.

    ``strategy`` is a built-in strategy's name (run entirely in Rust; see
    :func:`strategies`) or a :class:`py_rt.Strategy` subclass or instance
    (Python callbacks inside the Rust kernel); or a list of
    :class:`py_rt.Allocation` (several strategies, each with a share of the
    cash, reported apart and together: see :mod:`py_rt.allocation`).

    ``data`` is a DataFrame with open/high/low/close (and optionally volume)
    columns, matched case-insensitively, indexed by time (a DatetimeIndex,
    or a ``date``/``timestamp`` column); or a path to a Parquet or CSV file,
    a pyarrow Table, a polars frame or a dict of columns with the same.

    Several instruments share one account: give a dict of such frames
    (``{"ORCL": orcl, "NVDA": nvda}``) or one long frame with a ``symbol``
    column or index level. ``calendar`` says how their times are put
    together: ``"union"`` (each symbol's own bars in one time order, no bar
    invented), ``"intersection"`` (only the times all have) or ``"strict"``
    (differing calendars are an error). A :class:`py_rt.Strategy` trades
    them (``ctx.order_target_percent(symbol, weight)``, ``ctx.rebalance``,
    ``on_bars`` for every bar of one time at once); the built-in
    strategies trade one instrument.

    ``fill="next_open"`` fills an order decided on bar *t* at bar *t+1*'s
    open; ``fill="close"`` at bar *t*'s close (backtesting.py's
    ``trade_on_close``). ``limit_fill="touch"`` fills a resting limit when
    the market reaches its price, ``"through"`` only when it trades
    through it. ``fees`` is a fraction of each fill's notional (``0.001``)
    or, with ``slippage``, the CLI's forms:
    ``"bps:10"``, ``"bps:-1/5"``, ``"per-unit:0.005,min=1"``, ``"fixed:1"``;
    ``"bps:5"``, ``"spread-bps:10"``, ``"sqrt:0.1,cap=0.1"``.
    ``risk_limits`` is the text of a risk-limits TOML file.

    ``round_prices=True`` puts every order's limit and stop prices on the
    ``tick_size`` grid the careful way (limits never more aggressive than
    asked, stops never firing earlier) instead of refusing them; or round
    one price with ``ctx.round_price(price, side, stop=...)``.

    ``cost_basis`` says which lots a sale closes: ``"average"`` (one
    average price, the default), ``"fifo"`` (oldest first) or ``"lifo"``
    (newest first). It splits the P&L between realized and open (equity is
    the same); under FIFO and LIFO ``Result.lots`` lists every piece of a
    lot a sale closed, exactly.

    Refused orders never pass silently: a run with rejections warns
    (:class:`RejectedOrdersWarning`, naming the count and the first reason)
    and reports them in ``Result.rejections``; ``strict=True`` raises
    :class:`RejectedOrdersError` instead (with the results attached).
    """

    data: pd.DataFrame
    strategy: str | type[Strategy] | Strategy | list[Allocation] = "sma_cross"
    params: Mapping[str, Any] = field(default_factory=dict)
    cash: float | int | str | decimal.Decimal = 100_000
    fill: str = "next_open"
    fees: str | float = "none"
    slippage: str = "none"
    limit_fill: str = "touch"
    symbol: str = "ASSET"
    tick_size: str | float = "0.000001"
    lot_size: str | float = "1"
    latency_ms: float = 0.0
    equity_every: str = "bar"
    account: str = "cash"
    risk_free: float = 0.0
    risk_limits: str | None = None
    strict: bool = False
    round_prices: bool = False
    cost_basis: str = "average"
    calendar: str = "union"
    # A walk-forward window's (see py_rt.optimize.walk_forward): trading
    # starts at _trade_from (Unix ns), the bars before warm up; _carry
    # (quantity, value as decimal text) arrives then, closed at once with
    # _close_carried.
    _trade_from: int | None = field(default=None, repr=False)
    _carry: tuple[str, str] | None = field(default=None, repr=False)
    _close_carried: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        self._names: list[str] = []
        #: The instruments' frames by symbol, for a run of several; None for one.
        self.universe: dict[str, pd.DataFrame] | None = None
        if is_universe(self.data):
            self.universe = split(self.data, self.calendar)
            self.data = next(iter(self.universe.values()))
        else:
            self.data = load(self.data)

    def _one_instrument(self, what: str) -> None:
        if self.universe is not None and len(self.universe) > 1:
            raise ValueError(f"{what} takes one instrument; this backtest has {len(self.universe)} "
                             f"({', '.join(self.universe)})")

    def _attach_partial(self, e: BaseException, index: pd.Index, params: Mapping[str, Any]) -> None:
        """A strategy's exception carries the run up to it as ``e.result``."""
        raw = getattr(e, "_py_rt_partial", None)
        if raw is not None:
            del e._py_rt_partial
            e.result = Result(raw, tz=getattr(index, "tz", None), strategy=self._name(), params=params,
                              initial_cash=self.initial_cash(), names=self._names)

    def _members(self, params: Mapping[str, Any]) -> list[dict]:
        """The Python strategies of a run, as the engine takes them."""
        if isinstance(self.strategy, (list, tuple)):
            if params:
                raise ValueError("a run of several strategies takes each one's parameters in its Allocation, "
                                 f"not {sorted(params)}")
            members_, self._names = members(allocations(self.strategy), _money(self.cash, "cash"))
            return members_
        obj = instantiate(self.strategy, params)
        self._names = []
        return [{"strategy": obj, "hooks": overridden_hooks(obj), "capital": None, "symbols": None}]

    def _name(self) -> str:
        if isinstance(self.strategy, str):
            return self.strategy
        if isinstance(self.strategy, (list, tuple)):
            return " + ".join(self._names)
        return getattr(self.strategy, "__name__", type(self.strategy).__name__)

    def _symbols(self) -> list[str]:
        return list(self.universe) if self.universe is not None else [self.symbol]

    def initial_cash(self) -> float:
        """The starting cash as a float (for statistics)."""
        return float(_money(self.cash, "cash"))

    def _settings(self) -> dict:
        return {
            "symbols": self._symbols(), "cash": _money(self.cash, "cash"), "fill": self.fill,
            "limit_fill": self.limit_fill, "fees": _fees(self.fees),
            "slippage": self.slippage, "tick_size": _money(self.tick_size, "tick_size"),
            "lot_size": _money(self.lot_size, "lot_size"), "latency_ms": float(self.latency_ms),
            "equity_every": self.equity_every, "account": self.account, "risk_free": float(self.risk_free),
            "risk_limits": self.risk_limits, "round_prices": bool(self.round_prices),
            "cost_basis": self.cost_basis, "trade_from": self._trade_from, "carry": self._carry,
            "close_carried": bool(self._close_carried),
        }

    def optimize(self, objective: str | Callable[[dict], float] = "sharpe", maximize: bool = True, *, method: str = "grid",
                 n_iter: int = 100, seed: int | None = 0, progress: bool | None = None,
                 backend: str = "local", **grid: Iterable[Any]) -> pd.DataFrame:
        """Runs the strategy for the combinations of the parameter values in
        ``grid`` (e.g. ``fast=range(5, 50), slow=range(20, 200, 5)``) on
        every core with the GIL released, and returns one row per
        combination: its parameters and statistics, best ``objective`` first.
        A :class:`py_rt.Strategy` subclass (its class, not an instance) is
        searched the same way, its runs spread over forked worker processes
        (or Ray tasks with ``backend="ray"``); an exception in one names
        the parameters it ran with.

        ``method="grid"`` tries every combination; ``method="random"`` a
        seeded sample of ``n_iter`` of them (without repeats);
        ``method="genetic"`` a genetic algorithm and ``method="bayes"``
        optuna's TPE sampler, each spending at most ``n_iter`` backtests
        (every generation or batch of trials is one parallel sweep). The
        table holds every combination that ran. ``progress`` shows a tqdm
        bar (default: on sweeps of 2,000 runs or more, in a terminal or
        notebook). ``backend="ray"`` spreads each sweep over a Ray cluster
        (call ``ray.init(address=...)`` first; a local one otherwise). Parameters not
        in ``grid`` come from ``params``. Combinations the strategy refuses
        as inconsistent (``fast >= slow``) are left out; a misspelt parameter
        name raises before anything runs. ``objective`` is any statistic
        (``sharpe``, ``sortino``, ``calmar``, ``total_return``,
        ``max_drawdown`` with ``maximize=False``, …) or a callable taking a
        run's statistics as a dict and returning a number (its values go in
        an ``objective`` column).
        """
        from .optimize import search

        if isinstance(self.strategy, (list, tuple)):
            raise ValueError("optimize searches one strategy's parameters; run it on a Backtest of that strategy")
        return search(self, objective, maximize, method, n_iter, seed, grid, progress, backend)

    def walk_forward(self, train: int, test: int, objective: str = "sharpe", maximize: bool = True, *,
                     anchored: bool = False, warm: bool = True, boundary: str = "flat",
                     progress: bool | None = None, backend: str = "local",
                     **grid: Iterable[Any]) -> "WalkForward":
        """Walk-forward optimisation: optimise on ``train`` bars, trade the
        best parameters on the next ``test`` bars, slide by ``test``, repeat.
        ``anchored=True`` grows the training window from the start instead
        of sliding it. Built-in and Python strategies alike; ``backend`` as
        for :meth:`optimize`.

        ``warm=True`` (the default) starts each test window warm: the
        strategy first sees the training window's bars, so its indicators
        are ready at the test window's first bar; orders it sends before
        then are refused as warming up (``result.rejections.warming_up``),
        and statistics start at the test window. ``warm=False`` starts it
        cold, at its first bar.

        ``boundary`` says what happens to a position held when a window
        ends: ``"flat"`` (the default) closes it at the next window's first
        price (its open, on bars) with a real order that pays fees;
        ``"carry"`` hands it to the next window's strategy, valued at its
        last mark. Either way the next window starts with the exact cash
        the last one ended with.

        ``progress`` shows a tqdm bar over the windows (default: in a
        terminal or notebook; ``False`` never). Returns a
        :class:`py_rt.optimize.WalkForward`."""
        from .optimize import walk_forward

        self._one_instrument("walk_forward")
        return walk_forward(self, train, test, objective, maximize, anchored, grid, progress, backend, warm,
                            boundary)

    def run(self, **params: Any) -> "Result":
        """Runs the backtest; keyword arguments override ``params``."""
        return self._run({**self.params, **params}, None, None)

    def _run(self, merged: Mapping[str, Any], entries: np.ndarray | None, exits: np.ndarray | None) -> "Result":
        index = bar_index(self.data)
        frames = list(self.universe.values()) if self.universe is not None else [self.data]
        try:
            if isinstance(self.strategy, str):
                self._one_instrument(f"the built-in strategy `{self.strategy}` (write a py_rt.Strategy to trade several)")
                raw = _py_rt.run_backtest(bar_arrays(self.data, index), self._settings(), self.strategy,
                                          {k: _param_text(k, v) for k, v in merged.items()}, entries, exits)
            else:
                bars = [bar_arrays(f) for f in frames]
                raw = _py_rt.run_python_strategy(bars, self._settings(), self._members(merged))
        except ValueError as e:
            if hasattr(e, "_py_rt_partial"):
                self._attach_partial(e, index, merged)
                raise
            raise ValueError(_with_index_label(str(e), self.data.index)) from None
        except Exception as e:
            self._attach_partial(e, index, merged)
            raise
        result = Result(raw, tz=getattr(index, "tz", None), strategy=self._name(), params=merged,
                        initial_cash=self.initial_cash(), names=self._names)
        if result._rejections_raw.get("total", 0):
            message = result.rejections.describe()
            if self.strict:
                raise RejectedOrdersError(f"{message} (strict=True: a rejected order is an error; "
                                          "the results are in this exception's .result)", result)
            warnings.warn(f"{message}; see result.rejections (strict=True makes this an error)",
                          RejectedOrdersWarning, stacklevel=3)
        return result


def _with_index_label(message: str, index: pd.Index) -> str:
    """Adds the pandas index label to an engine error that names a row."""
    m = re.match(r"row (\d+): ", message)
    if m is None:
        return message
    pos = int(m.group(1)) - 1
    if 0 <= pos < len(index):
        return f"{message} [index label {index[pos]!r}, position {pos}]"
    return message


def _times(ns: np.ndarray, tz: Any) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(np.asarray(ns, dtype="datetime64[ns]"))
    return idx.tz_localize("UTC").tz_convert(tz) if tz is not None else idx


class Result:
    """What a backtest produced, as pandas.

    * ``stats`` — a Series: final_equity, total_return, sharpe, max_drawdown,
      num_fills, num_round_trips, … (the keys of ``pyrt backtest --format json``);
    * ``equity`` — the equity curve, a Series indexed by time;
    * ``trades`` — one row per round trip (entry, exit, P&L, MAE/MFE, duration);
    * ``fills`` — one row per fill;
    * ``lots`` — under ``cost_basis="fifo"`` or ``"lifo"``, one row per
      piece of a lot a sale closed: side (long/short), qty, open and close
      time, order id and price, and its realized P&L before fees
      (quantities, prices and P&L as exact :class:`decimal.Decimal`);
    * ``orders`` — one row per order: what was asked (type, qty or notional,
      limit/stop) and what became of it (status, filled, average price,
      fees, rejection or cancellation reason);
    * ``rejections`` — the refused orders counted by reason code, with the
      first examples (:class:`Rejections`; also ``stats["num_rejected"]``);
    * ``executions`` — one row per parent order of a Python strategy
      (``ctx.twap``/``vwap``/``pov``/``iceberg``): status, executed quantity,
      average price, arrival price, the market's VWAP over its life, the
      shortfall against each in basis points (positive is a cost), and
      participation;
    * ``final_equity_exact`` — the exact final equity as a ``decimal.Decimal``;
    * ``strategies`` and ``strategy_equity`` — in a run of several
      strategies (:class:`py_rt.Allocation`), one row per strategy and one
      for the whole account (capital, exact final equity, return, Sharpe,
      drawdown, fills, …), and their equity curves side by side.
    """

    def __init__(self, raw: dict, tz: Any, strategy: str, params: Mapping[str, Any], initial_cash: float,
                 names: list[str] | None = None):
        summary = json.loads(raw["summary_json"])
        # The frames are built when first read: for a short run, building
        # them all costs more than the run itself.
        self._raw, self._tz, self._names = raw, tz, names or []
        self._sleeve_rows = summary.pop("strategies", [])
        self._executions_raw = summary.pop("executions", [])
        self._rejections_raw = summary.pop("rejections", {})
        self.initial_cash = float(initial_cash)
        self.final_equity_exact = decimal.Decimal(summary.pop("final_equity_exact"))
        #: The exact cash at the end, and each open position's quantity and
        #: value at its last mark ({symbol: (qty, value)}, Decimals).
        self.final_cash_exact = decimal.Decimal(summary.pop("final_cash_exact"))
        self.final_positions = {p["symbol"]: (decimal.Decimal(p["qty"]), decimal.Decimal(p["value"]))
                                for p in summary.pop("final_positions", [])}
        self.strategy = strategy
        self.params = dict(params)
        self._summary = dict(summary)
        for key in ("start", "end"):  # Unix ns → the bars' own time zone
            summary[key] = _times(np.array([summary[key]], dtype="int64"), tz)[0]
        self.stats = pd.Series(summary, name="stats", dtype=object)
        self.equity = pd.Series(raw["equity"], index=_times(raw["equity_ts"], tz), name="equity")

    @functools.cached_property
    def executions(self) -> pd.DataFrame:
        return _executions(self._executions_raw, self._tz)

    @functools.cached_property
    def rejections(self) -> Rejections:
        return _rejections(self._rejections_raw, self._tz)

    @functools.cached_property
    def _sleeves(self) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
        return _sleeves(self._sleeve_rows, self._raw.get("sleeve_equity", []), self._names, self._summary,
                        self.equity, self._tz, self.final_equity_exact)

    @property
    def strategies(self) -> pd.DataFrame | None:
        return self._sleeves[0]

    @property
    def strategy_equity(self) -> pd.DataFrame | None:
        return self._sleeves[1]

    @functools.cached_property
    def fills(self) -> pd.DataFrame:
        f, tz = self._raw["fills"], self._tz
        return pd.DataFrame({
            "time": _times(f["ts"], tz), "symbol": f["symbol"], "order_id": f["order_id"], "side": f["side"],
            "price": f["price"], "qty": f["qty"], "fee": f["fee"], "liquidity": f["liquidity"],
        })

    @functools.cached_property
    def orders(self) -> pd.DataFrame:
        o, tz = self._raw["orders"], self._tz
        return pd.DataFrame({
            "order_id": o["order_id"], "symbol": o["symbol"], "submitted": _times(o["submitted_ts"], tz),
            "updated": _times(o["updated_ts"], tz), "side": o["side"], "type": o["type"], "qty": o["qty"],
            "notional": o["notional"], "limit": o["limit"], "stop": o["stop"], "status": o["status"],
            "filled": o["filled"], "avg_price": o["avg_price"], "fees": o["fees"], "reason": o["reason"],
        })

    @functools.cached_property
    def lots(self) -> pd.DataFrame:
        lots, tz = self._raw["lots"], self._tz
        dec = lambda col: [decimal.Decimal(v) for v in lots[col]]  # noqa: E731
        return pd.DataFrame({
            "symbol": lots["symbol"], "side": lots["side"], "qty": dec("qty"),
            "open_time": _times(lots["open_ts"], tz), "open_order_id": lots["open_order_id"],
            "open_price": dec("open_price"), "close_time": _times(lots["close_ts"], tz),
            "close_order_id": lots["close_order_id"], "close_price": dec("close_price"), "pnl": dec("pnl"),
        })

    @functools.cached_property
    def trades(self) -> pd.DataFrame:
        t, tz = self._raw["trades"], self._tz
        entry, exit_ = _times(t["entry_ts"], tz), _times(t["exit_ts"], tz)
        return pd.DataFrame({
            "entry_time": entry, "exit_time": exit_, "symbol": t["symbol"], "side": t["side"], "qty": t["qty"],
            "entry_price": t["entry_price"], "exit_price": t["exit_price"], "pnl": t["pnl"], "fees": t["fees"],
            "net_pnl": t["net_pnl"], "return_pct": t["return_pct"], "mae": t["mae"], "mfe": t["mfe"],
            "duration": exit_ - entry,
        })

    @property
    def returns(self) -> pd.Series:
        """Period returns of ``equity``, the first from the starting cash
        (the series the engine's Sharpe, Sortino and VaR are computed on)."""
        prev = self.equity.shift(1)
        prev.iloc[0] = self.initial_cash
        return (self.equity / prev - 1.0).rename("returns")

    @property
    def drawdown(self) -> pd.Series:
        """Fractional drawdown from the running peak of ``equity`` (≤ 0)."""
        return (self.equity / self.equity.cummax() - 1.0).rename("drawdown")

    def plot(self, volume: pd.Series | None = None, title: str | None = None) -> Any:
        """An interactive plotly figure: equity with buy/sell markers,
        drawdown, and volume when given."""
        from .plots import result_figure

        return result_figure(self, volume=volume, title=title)

    def to_html(self, path: str | Path, volume: pd.Series | None = None) -> Path:
        """Writes :meth:`plot` to a self-contained HTML file (plotly.js
        embedded: it opens offline), creating its folder, and returns its path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.plot(volume=volume).write_html(path, include_plotlyjs=True, full_html=True)
        return path

    def __repr__(self) -> str:
        s = self.stats
        return (f"<py_rt.Result {self.strategy} {self.params}: final_equity={s['final_equity']:.2f} "
                f"total_return={s['total_return']:.4f} sharpe={s['sharpe']} fills={s['num_fills']}>")


def _sleeves(rows: list[dict], curves: list, names: list[str], account: dict, equity: pd.Series, tz: Any,
             final_exact: decimal.Decimal) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """Each strategy's report and curve beside the account's (None for a
    run of one strategy)."""
    if not rows:
        return None, None
    keys = ["final_equity", "total_return", "annual_return", "sharpe", "sortino", "max_drawdown", "num_fills",
            "num_round_trips", "win_rate", "num_rejected"]
    table = []
    for name, row in zip(names, rows):
        table.append({"strategy": name, "capital": decimal.Decimal(row["capital"]),
                      "final_equity_exact": decimal.Decimal(row["final_equity_exact"]),
                      **{k: row.get(k) for k in keys}})
    table.append({"strategy": "account", "capital": decimal.Decimal(repr(account["initial_equity"])),
                  "final_equity_exact": final_exact, **{k: account.get(k) for k in keys}})
    frame = pd.DataFrame(table).set_index("strategy")
    curves_ = pd.DataFrame({name: pd.Series(e, index=_times(ts, tz)) for name, (ts, e) in zip(names, curves)})
    curves_["account"] = equity
    return frame, curves_


_EXECUTION_COLUMNS = ["parent", "algo", "side", "status", "qty", "executed", "avg_price", "arrival_price",
                      "interval_vwap", "shortfall_arrival_bps", "shortfall_vwap_bps", "participation", "children",
                      "fees", "started", "finished", "reason"]


def _executions(rows: list[dict], tz: Any) -> pd.DataFrame:
    """The parents of a run as a DataFrame (exact decimals as floats)."""
    frame = pd.DataFrame(rows, columns=_EXECUTION_COLUMNS)
    for col in ("qty", "executed", "avg_price", "arrival_price", "fees"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    for col in ("started", "finished"):
        ns = pd.to_numeric(frame[col], errors="coerce").astype("Int64").to_numpy(dtype="int64", na_value=0)
        times = _times(ns, tz)
        frame[col] = times.where(frame[col].notna().to_numpy())
    return frame


def _flags(flags: Any, name: str, index: pd.Index) -> np.ndarray:
    if isinstance(flags, pd.Series):
        if not flags.index.equals(index):
            raise ValueError(f"{name} is indexed differently from the prices; align it first "
                             f"(e.g. {name}.reindex(prices.index, fill_value=False))")
        flags = flags.to_numpy()
    arr = np.asarray(flags)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.dtype != np.bool_:
        raise TypeError(f"{name} must be boolean, got dtype {arr.dtype} (compare or cast with .astype(bool))")
    if len(arr) != len(index):
        raise ValueError(f"{name} has {len(arr)} values but there are {len(index)} bars")
    return np.ascontiguousarray(arr)


def from_signals(prices: Any, entries: Any, exits: Any, *, cash: float | int | str | decimal.Decimal = 100_000,
                 fill: str = "close", fees: str = "none", slippage: str = "none", symbol: str = "ASSET",
                 tick_size: str | float = "0.000001", lot_size: str | float = "1", equity_every: str = "bar",
                 risk_free: float = 0.0, risk_limits: str | None = None, strict: bool = False) -> Result:
    """Simulates long-only trading from precomputed boolean signals through
    the same venue and accounting as every other backtest.

    ``prices`` is a DataFrame with open/high/low/close columns, or a Series
    (or array) of prices used as all four. On an entry while flat the whole
    cash buys whole lots (``lot_size``); on an exit while long the position
    closes. A bar flagged both ways does nothing. ``fill="close"`` (the
    default, vectorbt's convention) fills at the signal bar's close;
    ``fill="next_open"`` at the next bar's open.
    """
    if isinstance(prices, pd.DataFrame):
        data = prices
    else:
        series = prices if isinstance(prices, pd.Series) else pd.Series(np.asarray(prices))
        data = pd.DataFrame({"open": series, "high": series, "low": series, "close": series}, index=series.index)
    bt = Backtest(data, "from_signals", cash=cash, fill=fill, fees=fees, slippage=slippage, symbol=symbol,
                  tick_size=tick_size, lot_size=lot_size, equity_every=equity_every, risk_free=risk_free,
                  risk_limits=risk_limits, strict=strict)
    return bt._run({}, _flags(entries, "entries", data.index), _flags(exits, "exits", data.index))
