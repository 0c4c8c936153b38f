"""The declarative feature engine on DataFrames: the same spec strings and
the same numbers as `pyrt indicators` and as the streaming pipeline a live
strategy runs, so a model trained here sees identical inputs live."""

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
