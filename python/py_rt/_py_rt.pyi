"""Type stubs of the compiled module (python/src/*.rs). Each #[pyfunction]
registered in python/src/lib.rs has a stub here; tests/test_stubs.py fails
when one is missing."""

from typing import Any, Callable, Sequence, TypedDict

import numpy as np
import numpy.typing as npt

__version__: str

class BarArrays(TypedDict):
    """One instrument's bars: Unix-ns timestamps and float64 columns."""

    ts: npt.NDArray[np.int64]
    open: npt.NDArray[np.float64]
    high: npt.NDArray[np.float64]
    low: npt.NDArray[np.float64]
    close: npt.NDArray[np.float64]
    volume: npt.NDArray[np.float64] | None

class Settings(TypedDict):
    """The keyword arguments of py_rt.Backtest; money as decimal text."""

    symbols: list[str]
    cash: str
    fill: str
    limit_fill: str
    fees: str
    slippage: str
    tick_size: str
    lot_size: str
    latency_ms: float
    equity_every: str
    account: str
    risk_free: float
    risk_limits: str | None
    round_prices: bool

def run_backtest(
    bars: BarArrays,
    settings: Settings,
    strategy: str,
    params: dict[str, str],
    entries: npt.NDArray[np.bool_] | None = None,
    exits: npt.NDArray[np.bool_] | None = None,
) -> dict:
    """Runs a built-in strategy (or, with strategy "from_signals", the
    entry/exit flags) over one instrument's bars; returns summary_json,
    equity_ts, equity, fills and trades columns."""

def run_sweep(
    bars: BarArrays,
    settings: Settings,
    strategy: str,
    param_sets: list[dict[str, str]],
) -> str:
    """Runs a built-in strategy once per parameter set on every core; JSON
    list of {"stats": {...}} or {"skipped": "why"}."""

class SessionSettings(TypedDict):
    """The keyword arguments of py_rt.Paper / py_rt.Live."""

    live: bool
    venue: str
    ws: str | None
    user_ws: str | None
    ca_file: str | None
    symbol: str
    bar: str
    api_key: str | None
    secret: str | None
    risk_limits: str | None
    run_id: str
    keep_open: bool
    duration_s: float | None
    record: str | None
    resume: bool

class Session:
    """One paper or live session on its own thread (py_rt.Paper wraps it)."""

    def __init__(self, settings: SessionSettings, strategy: str | object, params: dict[str, str],
                 hooks: list[str]) -> None: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def wait(self, timeout: float | None = None) -> bool: ...
    def status_json(self) -> str: ...
    def result(self) -> tuple[str, str, BaseException | None]: ...

def divergence_report(
    path: str,
    factory: Callable[[str, dict[str, str]], tuple[object, list[str]]] | None = None,
    fees: str | None = None,
    round_trip_ms: float | None = None,
) -> tuple[str, str, str]:
    """A recorded session replayed and backtested: (header JSON, report
    JSON, report table). `factory(name, params)` makes a fresh Python
    strategy and names its callbacks; without it the recording must name a
    built-in strategy."""

class Member(TypedDict):
    """One Python strategy of a run: the instance, the callbacks it
    overrides, its capital (decimal text; None: the whole account) and the
    symbols it trades (None: all)."""

    strategy: object
    hooks: list[str]
    capital: str | None
    symbols: list[str] | None

def run_python_strategy(
    bars: list[BarArrays],
    settings: Settings,
    strategies: list[Member],
) -> dict:
    """Runs py_rt.Strategy instances inside the kernel, in one account,
    over one bar table per symbol of the settings (merged in time order).
    Returns the same columns as run_backtest, with `sleeve_equity` (one
    curve per strategy with capital) and `strategies` in the summary."""

class Context:
    """What a strategy can do and see; valid during one callback only."""

    @property
    def now(self) -> int:
        """The engine clock, in Unix nanoseconds."""
    @property
    def cash(self) -> float:
        """Free cash."""
    @property
    def equity(self) -> float:
        """Cash plus the marked value of every position."""
    def position(self, symbol: str | None = None) -> float:
        """Signed position quantity (negative when short)."""
    def history(self, field: str = "close", n: int | None = None,
                symbol: str | None = None) -> npt.NDArray[np.float64]:
        """The last `n` values of a bar field (open/high/low/close/volume/time), oldest first; the strategy's
        class attribute `history` says how many bars are kept."""
    def book_top(self, symbol: str | None = None) -> tuple[float | None, float | None, float | None, float | None]:
        """(bid, bid_qty, ask, ask_qty) of the book built from the symbol's book changes."""
    def positions(self) -> dict[str, float]:
        """Every non-zero position, by symbol."""
    def price(self, symbol: str | None = None) -> float | None:
        """The instrument's last price, or None before its first."""
    @property
    def symbols(self) -> list[str]:
        """The run's symbols, in the order given."""
    def order_target_percent(self, symbol: str, weight: float, *, limit: float | None = None) -> int | None:
        """Moves the position to `weight` × equity at the last price: the difference from what is held
        and asked for, rounded toward zero to whole lots; None when nothing to trade."""
    def order_target_value(self, symbol: str, value: float, *, limit: float | None = None) -> int | None:
        """Moves the position to `value` (signed) at the last price (see order_target_percent)."""
    def order_target_quantity(self, symbol: str, qty: float, *, limit: float | None = None) -> int | None:
        """Moves the position to `qty` (signed) (see order_target_percent)."""
    def rebalance(self, weights: dict[str, float]) -> dict[str, int]:
        """Moves each symbol to its weight from one equity and set of prices, sales first; weights over the
        account's leverage limit raise ValueError. Returns the order ids by symbol."""
    def buy(self, qty: float, *, limit: float | None = None, stop: float | None = None,
            trail: float | None = None, trail_bps: int | None = None, symbol: str | None = None,
            tif: str = "gtc", good_till: int | None = None, post_only: bool = False,
            reduce_only: bool = False) -> int:
        """Buys `qty` (market, limit, stop, stop-limit, or a trailing stop `trail` away in price or
        `trail_bps` in basis points); `tif` gtc/ioc/fok/day/gtd (with `good_till`, Unix ns),
        `post_only`, `reduce_only`; returns the order id."""
    def sell(self, qty: float, *, limit: float | None = None, stop: float | None = None,
             trail: float | None = None, trail_bps: int | None = None, symbol: str | None = None,
             tif: str = "gtc", good_till: int | None = None, post_only: bool = False,
             reduce_only: bool = False) -> int:
        """Sells `qty` (see buy)."""
    def round_price(self, price: float, side: str, *, stop: bool = False, symbol: str | None = None) -> float:
        """`price` on the tick grid: limits never more aggressive than asked, stops never firing earlier."""
    def buy_notional(self, amount: float, *, symbol: str | None = None) -> int:
        """Buys as many whole lots as `amount` pays for at the fill price."""
    def close_position(self, symbol: str | None = None) -> int | None:
        """Flattens the position with a reduce-only market order; None when flat."""
    def modify(self, order_id: int, *, qty: float | None = None, limit: float | None = None,
               stop: float | None = None) -> None:
        """Changes a working order's total quantity, limit price and/or stop trigger."""
    def bracket(self, side: str, qty: float, *, take_profit: float, stop_loss: float,
                limit: float | None = None, symbol: str | None = None) -> int:
        """An entry, then a reduce-only take-profit and stop-loss as one-cancels-the-other; the entry's id."""
    def oco(self, side: str, qty: float, *, limit: float, stop: float, symbol: str | None = None,
            reduce_only: bool = False) -> tuple[int, int]:
        """A limit and a stop, the first fill of either cancelling the other; their ids, limit first."""
    def cancel(self, order_id: int) -> None:
        """Cancels one order."""
    def cancel_all(self, symbol: str | None = None) -> None:
        """Cancels every working order on the instrument."""
    def has_open_orders(self, symbol: str | None = None) -> bool:
        """Whether any order on the instrument is working (or just sent)."""
    def open_orders(self, symbol: str | None = None) -> list[dict[str, Any]]:
        """This strategy's working orders, oldest first: order_id, symbol,
        side, kind, qty, filled, price, trigger, status, client_id."""
    def set_timer(self, at: int, name: str) -> None:
        """Calls on_timer(ctx, name) at `at` (Unix ns), if the data gets there."""
    def twap(self, side: str, qty: float, *, end: int, slices: int = 10, jitter: float = 0.0, seed: int = 0,
             start: int | None = None, limit: float | None = None, max_slippage: float | None = None,
             complete: bool = False, symbol: str | None = None) -> int:
        """Works `qty` in `slices` equal child orders until `end` (Unix ns); returns the parent id."""
    def vwap(self, side: str, qty: float, *, end: int, profile: Sequence[float], bucket_minutes: int = 60,
             start: int | None = None, limit: float | None = None, max_slippage: float | None = None,
             complete: bool = False, symbol: str | None = None) -> int:
        """Works `qty` along a volume profile (one weight per bucket of the UTC day) until `end`."""
    def pov(self, side: str, qty: float, *, rate: float, min_child: float, max_child: float | None = None,
            end: int | None = None, start: int | None = None, limit: float | None = None,
            max_slippage: float | None = None, complete: bool = False, symbol: str | None = None) -> int:
        """Works `qty` at `rate` of the market's traded volume, until done or `end`."""
    def iceberg(self, side: str, qty: float, *, display: float, price: float, end: int | None = None,
                start: int | None = None, symbol: str | None = None) -> int:
        """Works `qty` as a limit at `price`, showing at most `display` at a time."""
    def cancel_algo(self, parent_id: int) -> None:
        """Stops a parent order; its open children are cancelled."""
    def algo(self, parent_id: int) -> dict[str, Any] | None:
        """A parent's status, executed quantity, average price and shortfall against arrival and VWAP."""

class Bar:
    """One bar, as a strategy sees it."""

    symbol: str
    ts: int
    open: float
    high: float
    low: float
    close: float
    volume: float

class Trade:
    """One trade print (on_trade)."""

    symbol: str
    ts: int
    price: float
    qty: float
    aggressor: str | None

class Quote:
    """The top of a book (on_quote)."""

    symbol: str
    ts: int
    bid: float
    bid_qty: float
    ask: float
    ask_qty: float

class BookDelta:
    """One change of a price level (on_book_delta)."""

    symbol: str
    ts: int
    action: str
    side: str
    price: float
    qty: float
    last: bool

class Fill:
    """One fill of one of the strategy's orders."""

    order_id: int
    side: str
    price: float
    qty: float
    fee: float
    ts: int

class AlgoUpdate:
    """A change in one of the strategy's parent orders (status or executed quantity)."""

    parent_id: int
    status: str
    executed: float
    remaining: float
    ts: int
    reason: str | None

class OrderUpdate:
    """A change of state of one of the strategy's orders."""

    order_id: int
    status: str
    ts: int
    reason: str | None

def strategy_catalog() -> str:
    """The built-in strategies with their parameters, as JSON."""

def feature_columns(
    spec: str,
    ts: npt.NDArray[np.int64] | None,
    open: npt.NDArray[np.float64],
    high: npt.NDArray[np.float64],
    low: npt.NDArray[np.float64],
    close: npt.NDArray[np.float64],
    volume: npt.NDArray[np.float64],
) -> tuple[list[str], list[npt.NDArray[np.float64]]]:
    """Column names and one array per column of the features of `spec`; `ts` only for calendar features."""

def feature_names() -> list[str]:
    """Every feature name the spec language accepts."""

def feature_catalog() -> list[tuple[str, str, str, str, list[str], int]]:
    """The feature catalog: (name, family, formula, definition, columns, warm_up) per entry."""

def feature_warm_up(spec: str) -> int:
    """Rows before every feature of `spec` has a value."""

def register_onnx_library(library: str) -> None:
    """Names the ONNX Runtime library a model strategy opens when ORT_DYLIB_PATH is not set (not loaded now)."""

class FeatureStream:
    """The feature pipeline one bar at a time, as a live strategy runs it."""

    def __init__(self, spec: str) -> None: ...
    @property
    def columns(self) -> list[str]: ...
    def update(
        self, ts: int, open: float, high: float, low: float, close: float, volume: float
    ) -> npt.NDArray[np.float64]: ...

def onnx_predict(path: str, rows: npt.NDArray[np.float32], library: str) -> npt.NDArray[np.float32]:
    """Predicts every row with the ONNX model at `path`, one row at a time, through the ONNX Runtime library
    at `library` (see py_rt.ml)."""
