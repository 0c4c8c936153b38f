"""The declarative feature engine on DataFrames: the same spec strings and
the same numbers as `pyrt indicators` and as the streaming pipeline a live
strategy runs, so a model trained here sees identical inputs live.

``py_rt.features(df, specs)`` computes columns; ``py_rt.features.catalog()``
lists the named feature set models are trained on (over 200 columns from
over 60 formulas, each with its definition and warm-up);
``py_rt.features.stream(specs)`` runs the same pipeline one bar at a time.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from . import _py_rt
from ._frame import bar_index, float_column, load, timestamps_ns


def feature_names() -> list[str]:
    """Every name the spec language accepts (``sma``, ``rsi``, ``macd``, …)."""
    return list(_py_rt.feature_names())


def features(data: pd.DataFrame, specs: str | Iterable[str]) -> pd.DataFrame:
    """Computes features of OHLCV bars, one column per feature line.

    ``specs`` is a list such as ``["rsi:14", "macd:12:26:9", "bb_pct:20:2",
    "zscore:close:50", "rsi:14@lag3"]`` or the same comma-separated. Columns
    a spec does not read may be absent from ``data``; session ``vwap`` uses
    the index's calendar days (UTC).
    """
    data = load(data)
    text = specs if isinstance(specs, str) else ",".join(specs)
    by_lower = {str(c).lower(): c for c in data.columns}
    n = len(data)
    nan = np.full(n, np.nan)
    cols = {k: float_column(data[by_lower[k]], k) if k in by_lower else nan
            for k in ("open", "high", "low", "close", "volume")}
    ts = timestamps_ns(bar_index(data), n)
    names, columns = _py_rt.feature_columns(text, ts, cols["open"], cols["high"], cols["low"], cols["close"],
                                            cols["volume"])
    # By position, so that a feature asked for twice keeps both columns.
    frame = pd.DataFrame(dict(enumerate(columns)), index=data.index)
    frame.columns = list(names)
    return frame


def catalog() -> pd.DataFrame:
    """The feature catalog, one row per feature, indexed by name.

    The name is a spec, so ``py_rt.features(df, catalog().index)`` computes
    all of it. Columns: ``family`` (returns, volatility, trend, calendar,
    …), ``formula`` (the spec's kind), ``definition``, ``columns`` (the
    output columns: several for ``macd`` or ``bbands``) and ``warm_up``
    (rows ``0..warm_up`` are NaN; row ``warm_up`` is the first value).

    Warm-up rows are NaN, never zero: drop them (``dropna``) or let a
    model that handles missing values see them, but do not fill them.
    """
    rows = _py_rt.feature_catalog()
    frame = pd.DataFrame(rows, columns=["name", "family", "formula", "definition", "columns", "warm_up"])
    return frame.set_index("name")


class FeatureStream:
    """The feature pipeline one bar at a time: what a live strategy or a
    model strategy runs. Values equal :func:`features` on the same bars to
    the bit.

    >>> s = py_rt.features.stream(["rsi:14", "ret:1"])
    >>> row = s.update(ts, open, high, low, close, volume)   # numpy array
    """

    def __init__(self, specs: str | Iterable[str]):
        text = specs if isinstance(specs, str) else ",".join(specs)
        self._inner = _py_rt.FeatureStream(text)
        self.columns: list[str] = list(self._inner.columns)

    def update(self, ts, open: float, high: float, low: float, close: float, volume: float) -> np.ndarray:
        """Feeds one bar; returns one value per column (NaN while warming up).
        ``ts`` is a ``pd.Timestamp`` or Unix nanoseconds."""
        ns = ts.value if isinstance(ts, pd.Timestamp) else int(ts)
        return self._inner.update(ns, float(open), float(high), float(low), float(close), float(volume))

    def run(self, data: pd.DataFrame) -> pd.DataFrame:
        """Feeds every bar of ``data`` in order; the rows as a DataFrame."""
        data = load(data)
        by_lower = {str(c).lower(): c for c in data.columns}
        n = len(data)
        cols = [float_column(data[by_lower[k]], k) if k in by_lower else np.full(n, np.nan)
                for k in ("open", "high", "low", "close", "volume")]
        ts = timestamps_ns(bar_index(data), n)
        rows = [self._inner.update(int(ts[i]), cols[0][i], cols[1][i], cols[2][i], cols[3][i], cols[4][i])
                for i in range(n)]
        return pd.DataFrame(np.vstack(rows) if rows else np.empty((0, len(self.columns))),
                            index=data.index, columns=self.columns)


def stream(specs: str | Iterable[str]) -> FeatureStream:
    """A :class:`FeatureStream` over ``specs`` (a list or comma-separated)."""
    return FeatureStream(specs)


# `py_rt.features` is the function above; the catalog and the streaming
# pipeline hang off it so `py_rt.features.catalog()` reads as one module.
features.catalog = catalog  # type: ignore[attr-defined]
features.stream = stream  # type: ignore[attr-defined]
features.FeatureStream = FeatureStream  # type: ignore[attr-defined]
