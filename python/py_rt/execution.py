"""What execution algorithms need from research data.

VWAP parents (``ctx.vwap``) follow an intraday volume profile: the share of
a day's volume in each bucket of the UTC day. :func:`volume_profile` learns
it from historical bars, the same way the Rust ``VolumeProfile::learn``
does: each bar's volume is added to the bucket its timestamp falls in.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._frame import bar_arrays, bar_index, load


def volume_profile(data: Any, bucket_minutes: int = 60) -> list[float]:
    """Shares of a day's volume per ``bucket_minutes`` of the UTC day, from
    bars with a volume column (anything ``Backtest`` accepts).

    >>> profile = py_rt.volume_profile(history, bucket_minutes=30)
    >>> ctx.vwap("buy", 10_000, end=ctx.now + DAY, profile=profile, bucket_minutes=30)
    """
    if not isinstance(bucket_minutes, int) or bucket_minutes <= 0 or 1440 % bucket_minutes:
        raise ValueError(f"bucket_minutes must divide a day (1440 minutes), e.g. 15, 30 or 60; got {bucket_minutes!r}")
    frame = load(data)
    cols = bar_arrays(frame)
    if not isinstance(bar_index(frame), pd.DatetimeIndex):
        raise ValueError("a volume profile needs timestamps: give the bars a DatetimeIndex or a date column")
    volume = cols.get("volume")
    if volume is None:
        raise ValueError("a volume profile needs bars with a volume column")
    minute_of_day = (np.asarray(cols["ts"], dtype=np.int64) // 60_000_000_000) % 1440
    buckets = minute_of_day // bucket_minutes
    sums = np.bincount(buckets, weights=np.asarray(volume, dtype=float), minlength=1440 // bucket_minutes)
    total = sums.sum()
    if not total > 0:
        raise ValueError("a volume profile needs bars with some volume")
    return list(pd.Series(sums / total).astype(float))
