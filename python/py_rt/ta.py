"""Indicators on numpy arrays and pandas Series, computed by the Rust
indicator library: TA-Lib's numbers (same warm-up, same seeding) to 1e-9.

Each function returns what it was given: a Series with the input's index
for a Series, a numpy array otherwise; indicators with several lines
(``macd``, ``bbands``, ``stoch``, …) return a tuple in TA-Lib's order.
Warm-up values are NaN. NaN or infinite inputs raise ``ValueError``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import _py_rt
from ._frame import float_column


def _run(spec: str, name: str, *, series: Any = None, high: Any = None, low: Any = None, close: Any = None,
         volume: Any = None, open: Any = None) -> Any:
    inputs = {"open": open, "high": high, "low": low, "close": close, "volume": volume}
    if series is not None:
        inputs["close"] = series
    given = {k: float_column(v, k) for k, v in inputs.items() if v is not None}
    lengths = {len(v) for v in given.values()}
    if len(lengths) != 1:
        raise ValueError(f"{name}: inputs differ in length: " + ", ".join(f"{k}={len(v)}" for k, v in given.items()))
    filler = next(iter(given.values()))
    cols = {k: given.get(k, filler) for k in inputs}
    _, columns = _py_rt.feature_columns(spec, None, cols["open"], cols["high"], cols["low"], cols["close"],
                                        cols["volume"])
    template = next((v for v in (series, close, high, open, volume, low) if isinstance(v, pd.Series)), None)
    outs = [pd.Series(col, index=template.index, name=f"{name}") if template is not None else col for col in columns]
    return outs[0] if len(outs) == 1 else tuple(outs)


def _spec(name: str, *args: float) -> str:
    return ":".join([name, *(repr(float(a)) if isinstance(a, float) else str(int(a)) for a in args)])


# Single-series indicators: f(series, ...)

def sma(series: Any, period: int = 30) -> Any:
    """Simple moving average."""
    return _run(_spec("sma", period), "sma", series=series)


def ema(series: Any, period: int = 30) -> Any:
    """Exponential moving average, seeded with the SMA of the first `period` values."""
    return _run(_spec("ema", period), "ema", series=series)


def wma(series: Any, period: int = 30) -> Any:
    """Linearly weighted moving average."""
    return _run(_spec("wma", period), "wma", series=series)


def dema(series: Any, period: int = 30) -> Any:
    """Double exponential moving average."""
    return _run(_spec("dema", period), "dema", series=series)


def tema(series: Any, period: int = 30) -> Any:
    """Triple exponential moving average."""
    return _run(_spec("tema", period), "tema", series=series)


def trima(series: Any, period: int = 30) -> Any:
    """Triangular moving average."""
    return _run(_spec("trima", period), "trima", series=series)


def kama(series: Any, period: int = 30) -> Any:
    """Kaufman adaptive moving average."""
    return _run(_spec("kama", period), "kama", series=series)


def t3(series: Any, period: int = 5, vfactor: float = 0.7) -> Any:
    """Tillson T3 moving average."""
    return _run(_spec("t3", period, float(vfactor)), "t3", series=series)


def rsi(series: Any, period: int = 14) -> Any:
    """Wilder's relative strength index."""
    return _run(_spec("rsi", period), "rsi", series=series)


def mom(series: Any, period: int = 10) -> Any:
    """Momentum: value minus the value `period` bars ago."""
    return _run(_spec("mom", period), "mom", series=series)


def roc(series: Any, period: int = 10) -> Any:
    """Rate of change in percent."""
    return _run(_spec("roc", period), "roc", series=series)


def ppo(series: Any, fast: int = 12, slow: int = 26) -> Any:
    """Percentage price oscillator (SMA-based, as TA-Lib's default)."""
    return _run(_spec("ppo", fast, slow), "ppo", series=series)


def trix(series: Any, period: int = 30) -> Any:
    """One-bar rate of change of a triple EMA."""
    return _run(_spec("trix", period), "trix", series=series)


def macd(series: Any, fast: int = 12, slow: int = 26, signal: int = 9) -> Any:
    """MACD: (macd, signal, hist)."""
    return _run(_spec("macd", fast, slow, signal), "macd", series=series)


def stddev(series: Any, period: int = 5, nbdev: float = 1.0) -> Any:
    """Rolling population standard deviation times `nbdev`."""
    return _run(_spec("stddev", period, float(nbdev)), "stddev", series=series)


def bbands(series: Any, period: int = 5, nbdev: float = 2.0) -> Any:
    """Bollinger Bands: (upper, middle, lower)."""
    return _run(_spec("bbands", period, float(nbdev)), "bbands", series=series)


def bb_pct(series: Any, period: int = 20, nbdev: float = 2.0) -> Any:
    """Bollinger %B: where the value sits between the bands (0 lower, 1 upper)."""
    return _run(_spec("bb_pct", period, float(nbdev)), "bb_pct", series=series)


def bb_width(series: Any, period: int = 20, nbdev: float = 2.0) -> Any:
    """Bollinger bandwidth: (upper − lower) / middle."""
    return _run(_spec("bb_width", period, float(nbdev)), "bb_width", series=series)


def stochrsi(series: Any, period: int = 14, fastk: int = 5, fastd: int = 3) -> Any:
    """Stochastic RSI: (k, d)."""
    return _run(_spec("stochrsi", period, fastk, fastd), "stochrsi", series=series)


def zscore(series: Any, period: int = 20) -> Any:
    """Rolling z-score against the window's mean and population deviation."""
    return _run(_spec("zscore", period), "zscore", series=series)


def linreg_slope(series: Any, period: int = 14) -> Any:
    """Slope of the least-squares line over the window."""
    return _run(_spec("linreg_slope", period), "linreg_slope", series=series)


def log_return(series: Any, period: int = 1) -> Any:
    """Log return over `period` bars."""
    return _run(_spec("ret", period), "ret", series=series)


def realized_vol(series: Any, period: int = 20) -> Any:
    """Rolling standard deviation of one-bar log returns (not annualised)."""
    return _run(_spec("rvol", period), "rvol", series=series)


def correl(x: Any, y: Any, period: int = 30) -> Any:
    """Rolling Pearson correlation of two series."""
    return _run(_spec("correl:high:low", period), "correl", high=x, low=y)


def beta(x: Any, y: Any, period: int = 5) -> Any:
    """Rolling beta of `x`'s returns on `y`'s (TA-Lib's BETA)."""
    return _run(_spec("beta:high:low", period), "beta", high=x, low=y)


# Bar indicators: f(high, low, close[, volume], ...)

def trange(high: Any, low: Any, close: Any) -> Any:
    """True range."""
    return _run("trange", "trange", high=high, low=low, close=close)


def atr(high: Any, low: Any, close: Any, period: int = 14) -> Any:
    """Average true range (Wilder smoothing)."""
    return _run(_spec("atr", period), "atr", high=high, low=low, close=close)


def natr(high: Any, low: Any, close: Any, period: int = 14) -> Any:
    """ATR as a percentage of the close."""
    return _run(_spec("natr", period), "natr", high=high, low=low, close=close)


def willr(high: Any, low: Any, close: Any, period: int = 14) -> Any:
    """Williams %R."""
    return _run(_spec("willr", period), "willr", high=high, low=low, close=close)


def cci(high: Any, low: Any, close: Any, period: int = 14) -> Any:
    """Commodity channel index."""
    return _run(_spec("cci", period), "cci", high=high, low=low, close=close)


def mfi(high: Any, low: Any, close: Any, volume: Any, period: int = 14) -> Any:
    """Money flow index."""
    return _run(_spec("mfi", period), "mfi", high=high, low=low, close=close, volume=volume)


def stoch(high: Any, low: Any, close: Any, fastk: int = 5, slowk: int = 3, slowd: int = 3) -> Any:
    """Slow stochastic: (k, d)."""
    return _run(_spec("stoch", fastk, slowk, slowd), "stoch", high=high, low=low, close=close)


def stochf(high: Any, low: Any, close: Any, fastk: int = 5, fastd: int = 3) -> Any:
    """Fast stochastic: (k, d)."""
    return _run(_spec("stochf", fastk, fastd), "stochf", high=high, low=low, close=close)


def aroon(high: Any, low: Any, period: int = 14) -> Any:
    """Aroon: (down, up)."""
    return _run(_spec("aroon", period), "aroon", high=high, low=low)


def aroonosc(high: Any, low: Any, period: int = 14) -> Any:
    """Aroon oscillator: up − down."""
    return _run(_spec("aroonosc", period), "aroonosc", high=high, low=low)


def adx(high: Any, low: Any, close: Any, period: int = 14) -> Any:
    """Average directional index."""
    return _run(_spec("adx", period), "adx", high=high, low=low, close=close)


def plus_di(high: Any, low: Any, close: Any, period: int = 14) -> Any:
    """+DI."""
    return _run(_spec("plus_di", period), "plus_di", high=high, low=low, close=close)


def minus_di(high: Any, low: Any, close: Any, period: int = 14) -> Any:
    """−DI."""
    return _run(_spec("minus_di", period), "minus_di", high=high, low=low, close=close)


def dx(high: Any, low: Any, close: Any, period: int = 14) -> Any:
    """Directional movement index."""
    return _run(_spec("dx", period), "dx", high=high, low=low, close=close)


def obv(close: Any, volume: Any) -> Any:
    """On-balance volume."""
    return _run("obv", "obv", close=close, volume=volume)


def ad(high: Any, low: Any, close: Any, volume: Any) -> Any:
    """Chaikin accumulation/distribution line."""
    return _run("ad", "ad", high=high, low=low, close=close, volume=volume)


def adosc(high: Any, low: Any, close: Any, volume: Any, fast: int = 3, slow: int = 10) -> Any:
    """Chaikin oscillator."""
    return _run(_spec("adosc", fast, slow), "adosc", high=high, low=low, close=close, volume=volume)


def ultosc(high: Any, low: Any, close: Any, p1: int = 7, p2: int = 14, p3: int = 28) -> Any:
    """Ultimate oscillator."""
    return _run(_spec("ultosc", p1, p2, p3), "ultosc", high=high, low=low, close=close)


def volume_ratio(volume: Any, period: int = 20) -> Any:
    """Volume over its SMA."""
    return _run(_spec("volume_ratio", period), "volume_ratio", volume=volume, close=volume)


def sar(high: Any, low: Any, acceleration: float = 0.02, maximum: float = 0.2) -> Any:
    """Parabolic SAR."""
    return _run(_spec("sar", float(acceleration), float(maximum)), "sar", high=high, low=low)


def keltner(high: Any, low: Any, close: Any, period: int = 20, multiplier: float = 2.0) -> Any:
    """Keltner channels: (upper, middle, lower): EMA of the close ± multiplier × ATR."""
    return _run(_spec("keltner", period, float(multiplier)), "keltner", high=high, low=low, close=close)


def donchian(high: Any, low: Any, period: int = 20) -> Any:
    """Donchian channels: (upper, middle, lower)."""
    return _run(_spec("donchian", period), "donchian", high=high, low=low)


def rolling_vwap(high: Any, low: Any, close: Any, volume: Any, period: int = 20) -> Any:
    """Volume-weighted average of the typical price over the last `period` bars."""
    return _run(_spec("rvwap", period), "rvwap", high=high, low=low, close=close, volume=volume)
