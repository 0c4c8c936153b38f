"""Strategies written in Python, run by the Rust kernel.

Subclass :class:`Strategy` and override the callbacks you need; the engine
calls them with a :class:`Context` (valid during that call only) and the
event. Class attributes are parameters: ``Backtest(df, MyStrategy).run(n=20)``
sets ``n`` on a fresh instance, and a name the class does not define is an
error, as with the built-in strategies.

>>> class Breakout(py_rt.Strategy):
...     n = 20
...     def on_start(self, ctx):
...         self.highs = collections.deque(maxlen=self.n)
...     def on_bar(self, ctx, bar):
...         if len(self.highs) == self.n and bar.close > max(self.highs) and ctx.position() == 0:
...             ctx.buy_notional(ctx.cash)
...         elif ctx.position() > 0 and bar.close < min(self.highs):
...             ctx.close_position()
...         self.highs.append(bar.high)

Bar history: set the class attribute ``history = 200`` (bars kept per
symbol) and read ``ctx.history("close", 50)``, a numpy array oldest first,
ready for ``py_rt.ta`` (``py_rt.ta.rsi(ctx.history("close", 50), 14)[-1]``).

Large orders can be worked by execution algorithms instead of sent whole:
``ctx.twap("buy", 5_000, end=ctx.now + 3_600 * 10**9, slices=12)``,
``ctx.vwap(..., profile=py_rt.volume_profile(history))``, ``ctx.pov(...)``
and ``ctx.iceberg(...)`` return a parent id; the children are ordinary
orders (they reach ``on_fill``), and ``Result.executions`` reports each
parent's shortfall against its arrival price and the market's VWAP.

Several instruments (``Backtest({"ORCL": orcl, "NVDA": nvda}, ...)``) share
one account; ``on_bars`` sees every bar of one time at once, and target
orders size positions from equity::

    class EqualWeight(py_rt.Strategy):
        def on_bars(self, ctx, bars):
            if len(bars) == len(ctx.symbols):
                ctx.rebalance({s: 0.3 for s in bars})

Orders decided on a bar fill by the venue's rules (``fill="next_open"``:
at the next bar's open), exactly as for the built-in strategies. An
exception in a callback stops the run and propagates with its traceback, a
note naming the strategy, the callback and the time, and ``e.result``: the
run's :class:`py_rt.Result` up to the exception.
"""

from __future__ import annotations

from ._py_rt import AlgoUpdate, Bar, BookDelta, Context, Fill, OrderUpdate, Quote, Trade

HOOKS = ("on_start", "on_bar", "on_bars", "on_trade", "on_quote", "on_book_delta", "on_fill", "on_order_update", "on_algo_update", "on_timer", "on_stop")


class Strategy:
    """Base class of Python strategies; every callback does nothing by default."""

    def on_start(self, ctx: Context) -> None:
        """Called once before the first bar."""

    def on_bar(self, ctx: Context, bar: Bar) -> None:
        """Called on each closed bar."""

    def on_bars(self, ctx: Context, bars: dict[str, Bar]) -> None:
        """Called once per time with every bar of that time, by symbol,
        after each has been seen by ``on_bar``: the place for decisions
        across instruments (``ctx.rebalance``), made on that time's closes.
        Under ``calendar="union"`` a symbol without a bar at that time is
        not in ``bars``."""

    def on_trade(self, ctx: Context, trade: Trade) -> None:
        """Called on each trade print of a trade feed (paper and live sessions, trade data)."""

    def on_quote(self, ctx: Context, quote: Quote) -> None:
        """Called on each change of the top of a book (quote data)."""

    def on_book_delta(self, ctx: Context, delta: BookDelta) -> None:
        """Called on each change of a price level (order-book data); ``ctx.book_top(symbol)``
        reads the book once ``delta.last`` says a venue message is complete."""

    def on_fill(self, ctx: Context, fill: Fill) -> None:
        """Called on each fill of one of this strategy's orders."""

    def on_order_update(self, ctx: Context, update: OrderUpdate) -> None:
        """Called when one of this strategy's orders changes state (accepted, rejected, cancelled, …)."""

    def on_algo_update(self, ctx: Context, update: AlgoUpdate) -> None:
        """Called when one of this strategy's parent orders (``ctx.twap``, ``vwap``, ``pov``, ``iceberg``)
        changes status or executes more; a refused parent arrives here as ``"failed"`` with its reason."""

    def on_timer(self, ctx: Context, name: str) -> None:
        """Called when a timer set with ``ctx.set_timer`` fires."""

    def on_stop(self, ctx: Context) -> None:
        """Called once after the last bar."""


def overridden_hooks(strategy: Strategy) -> list[str]:
    """The callbacks a strategy defines itself (the others are not called)."""
    cls = type(strategy)
    return [h for h in HOOKS if getattr(cls, h) is not getattr(Strategy, h)]


def instantiate(strategy: type[Strategy] | Strategy, params: dict) -> Strategy:
    """A fresh instance (for a class) with `params` set as attributes."""
    obj = strategy() if isinstance(strategy, type) else strategy
    for name, value in params.items():
        if not hasattr(type(obj), name):
            known = sorted(k for k, v in vars(type(obj)).items() if not k.startswith("_") and not callable(v))
            raise ValueError(f"unknown parameter `{name}` for strategy {type(obj).__name__}; "
                             f"valid parameters: {', '.join(known) or '(none: define class attributes)'}")
        setattr(obj, name, value)
    return obj
