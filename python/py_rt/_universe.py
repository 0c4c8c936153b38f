"""Several instruments' bars for one backtest: a dict of frames, or one
long frame with a symbol column or index level, split into one frame per
symbol and put on a calendar by a stated rule.

Calendars (``Backtest(calendar=...)``):

* ``"union"`` (the default): every bar of every symbol is replayed in time
  order. A symbol with no bar at some time simply has none then: no bar is
  invented or carried forward, its last price stays its mark, and an order
  for it waits for its next bar. ``on_bars`` receives the symbols that
  have a bar at that time.
* ``"intersection"``: only the times every symbol has a bar at; the other
  bars are dropped (counted in the warning this emits).
* ``"strict"``: the calendars must be identical; a difference is an error
  naming the symbol and the first time it lacks or has in excess.
"""

from __future__ import annotations

import warnings
from typing import Any, Mapping

import pandas as pd

from ._frame import bar_index, load

CALENDARS = ("union", "intersection", "strict")
_SYMBOL_NAMES = ("symbol", "ticker", "asset", "instrument")


def is_universe(data: Any) -> bool:
    """Whether `data` holds several instruments (a dict of frames, or a
    long frame with a symbol column or index level)."""
    if isinstance(data, Mapping) and data and all(
            isinstance(v, pd.DataFrame) or hasattr(v, "to_pandas") or isinstance(v, str) for v in data.values()):
        return True
    return isinstance(data, pd.DataFrame) and _symbol_key(data) is not None


def _symbol_key(frame: pd.DataFrame) -> tuple[str, Any] | None:
    if isinstance(frame.index, pd.MultiIndex):
        for name in frame.index.names:
            if str(name).lower() in _SYMBOL_NAMES:
                return ("level", name)
    for col in frame.columns:
        if str(col).lower() in _SYMBOL_NAMES:
            return ("column", col)
    return None


def split(data: Any, calendar: str) -> dict[str, pd.DataFrame]:
    """One frame per symbol (in the order given, or sorted for a long
    frame), each indexed by its times, on the `calendar` rule."""
    if calendar not in CALENDARS:
        raise ValueError(f"calendar `{calendar}`: expected one of {', '.join(map(repr, CALENDARS))}")
    if isinstance(data, Mapping):
        frames = {}
        for symbol, frame in data.items():
            if not isinstance(symbol, str) or not symbol:
                raise TypeError(f"symbols must be non-empty strings, got {symbol!r}")
            frames[symbol] = _timed(load(frame), symbol)
    else:
        frames = _from_long(data)
    if not frames:
        raise ValueError("no instruments: the data is empty")
    return _aligned(frames, calendar)


def _from_long(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    kind, key = _symbol_key(frame)
    if kind == "level":
        time_levels = [n for n in frame.index.names if n != key]
        if len(time_levels) != 1:
            raise ValueError(f"a long frame's index must have two levels, time and {key}; it has {frame.index.names}")
        frame = frame.reset_index(level=key)
    frames = {}
    for symbol, part in frame.groupby(key, sort=True):
        frames[str(symbol)] = _timed(part.drop(columns=[key]), str(symbol))
    return frames


def _timed(frame: pd.DataFrame, symbol: str) -> pd.DataFrame:
    """`frame` indexed by its times, checked to be in order."""
    index = bar_index(frame)
    if not isinstance(index, pd.DatetimeIndex):
        raise ValueError(f"{symbol}: several instruments need times to be put in one order; give a DatetimeIndex "
                         "or a date/timestamp column")
    frame = frame.set_axis(index, axis=0)
    if not frame.index.is_monotonic_increasing or frame.index.has_duplicates:
        raise ValueError(f"{symbol}: times must be increasing and unique (sort the frame, drop duplicates)")
    return frame


def _aligned(frames: dict[str, pd.DataFrame], calendar: str) -> dict[str, pd.DataFrame]:
    zones = {str(f.index.tz) for f in frames.values()}
    if len(zones) > 1:
        raise ValueError(f"the symbols' times are in different time zones ({', '.join(sorted(zones))}); "
                         "convert them to one (e.g. .tz_convert('UTC'))")
    if calendar == "union" or len(frames) == 1:
        return frames
    common = None
    for frame in frames.values():
        common = frame.index if common is None else common.intersection(frame.index)
    if calendar == "strict":
        for symbol, frame in frames.items():
            if not frame.index.equals(common):
                extra = frame.index.difference(common)
                other = next(s for s, f in frames.items() if extra[0] not in f.index) if len(extra) else None
                raise ValueError(f"calendars differ: {symbol} has a bar at {extra[0]} that {other} lacks "
                                 f"({len(extra)} such bars); use calendar=\"intersection\" to keep the common "
                                 "times or calendar=\"union\" to trade each symbol on its own bars")
        return frames
    dropped = {s: len(f) - len(common) for s, f in frames.items() if len(f) != len(common)}
    if dropped:
        listed = ", ".join(f"{s} {n}" for s, n in dropped.items())
        warnings.warn(f"calendar=\"intersection\" dropped bars outside the common times: {listed}", stacklevel=4)
    return {s: f.loc[common] for s, f in frames.items()}
