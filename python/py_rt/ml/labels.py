"""Labels for supervised learning on bars, and the weights that correct for
their overlap (López de Prado, *Advances in Financial Machine Learning*,
ch. 3–4).

Every label says when it ends: the ``t1`` column is the time of the last
bar it looked at. Purged cross-validation (:mod:`py_rt.ml.validation`)
reads ``t1`` to keep a training label from seeing a test bar.

A label at bar ``t`` uses the close at ``t`` (the price the position would
be opened at, decided on that bar's close) and bars after it, never before:
features at ``t`` see up to ``t``, labels from ``t`` on. Rows whose
horizon runs past the data get no label (NaN), except where a barrier was
touched before the data ends, which is a complete outcome.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["fixed_horizon", "triple_barrier", "meta_labels", "uniqueness", "concurrency"]


def _close(data) -> pd.Series:
    if isinstance(data, pd.DataFrame):
        by_lower = {str(c).lower(): c for c in data.columns}
        if "close" not in by_lower:
            raise ValueError(f"labels need a close column; the frame has {list(data.columns)}")
        data = data[by_lower["close"]]
    if not isinstance(data, pd.Series):
        raise TypeError(f"labels need a Series of closes or a frame with a close column, got {type(data).__name__}")
    close = data.astype(float)
    if close.isna().any():
        at = close.index[close.isna().to_numpy()][0]
        raise ValueError(f"close is missing (NaN) at {at}; drop or fill those bars first")
    if (close <= 0).any():
        at = close.index[(close <= 0).to_numpy()][0]
        raise ValueError(f"close is {close[at]} at {at}; labels need positive prices")
    return close


def _times(index: pd.Index, positions: np.ndarray) -> pd.Series:
    """The index's values at ``positions`` (−1: none, NaT/NaN), on the index."""
    return pd.Series(index.take(np.maximum(positions, 0)), index=index).where(positions >= 0)


def _check_horizon(horizon: int, n: int) -> int:
    if not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise ValueError(f"horizon must be a whole number of bars, at least 1; got {horizon!r}")
    if horizon >= n:
        raise ValueError(f"the label horizon ({horizon} bars) is longer than the data ({n} bars): no bar can be "
                         f"labelled; use a shorter horizon or more data")
    return int(horizon)


def fixed_horizon(data, horizon: int, threshold: float = 0.0) -> pd.DataFrame:
    """The return over the next ``horizon`` bars and its sign.

    Returns a frame on ``data``'s index with ``ret`` (``close[t+h] /
    close[t] − 1``), ``label`` (1 above ``threshold``, −1 below
    ``−threshold``, 0 between) and ``t1`` (the time of bar ``t+h``). The
    last ``horizon`` rows have no label (NaN, ``t1`` NaT).
    """
    close = _close(data)
    h = _check_horizon(horizon, len(close))
    if threshold < 0:
        raise ValueError(f"threshold must be at least 0, got {threshold}")
    c = close.to_numpy()
    ret = np.full(len(c), np.nan)
    ret[:-h] = c[h:] / c[:-h] - 1.0
    label = np.where(np.isnan(ret), np.nan, np.where(ret > threshold, 1.0, np.where(ret < -threshold, -1.0, 0.0)))
    end = np.arange(len(c)) + h
    t1 = _times(close.index, np.where(end < len(c), end, -1))
    return pd.DataFrame({"ret": ret, "label": label, "t1": t1}, index=close.index)


def triple_barrier(data, horizon: int, upper: float | None = 2.0, lower: float | None = 2.0,
                   volatility: pd.Series | float | None = None, side: pd.Series | None = None,
                   vertical: str = "sign") -> pd.DataFrame:
    """The triple-barrier label of each bar: which of a profit-taking
    barrier, a stop-loss barrier and a time limit the price reaches first.

    From each bar ``t``, the return path ``close[k] / close[t] − 1`` for
    ``k`` in ``t+1 … t+horizon`` (times ``side`` when given, so barriers
    are in the bet's direction) is compared with ``+upper·vol[t]`` and
    ``−lower·vol[t]``. ``vol`` is ``volatility``: a Series (e.g. the
    rolling standard deviation of returns, known at ``t``), a number, or
    by default the 20-bar standard deviation of one-bar returns scaled by
    ``√horizon``. ``upper`` or ``lower`` ``None`` disables that barrier.

    Returns ``t1`` (the bar the label ends on), ``ret`` (the return there),
    ``barrier`` (``"upper"``, ``"lower"`` or ``"vertical"``) and ``label``:
    1 at the upper barrier, −1 at the lower, and at the time limit the
    return's sign (``vertical="sign"``) or 0 (``vertical="zero"``). Bars
    with no volatility yet, or whose horizon runs past the data before a
    barrier is touched, have no label.
    """
    close = _close(data)
    n = len(close)
    h = _check_horizon(horizon, n)
    if vertical not in ("sign", "zero"):
        raise ValueError(f"vertical must be 'sign' or 'zero', got {vertical!r}")
    for name, b in (("upper", upper), ("lower", lower)):
        if b is not None and not b > 0:
            raise ValueError(f"{name} barrier must be a positive multiple of the volatility (or None), got {b}")
    c = close.to_numpy()
    if volatility is None:
        vol = close.pct_change().rolling(20).std().to_numpy() * np.sqrt(h)
    elif isinstance(volatility, pd.Series):
        vol = volatility.reindex(close.index).to_numpy(float)
    else:
        vol = np.full(n, float(volatility))
    if side is not None:
        s = side.reindex(close.index).to_numpy(float)
        if np.any(~np.isin(s[~np.isnan(s)], (-1.0, 1.0))):
            raise ValueError("side must be 1 (long), -1 (short) or NaN (no bet)")
    else:
        s = np.ones(n)

    # Forward paths as one [bars, horizon] matrix; past the data is NaN.
    padded = np.concatenate([c, np.full(h, np.nan)])
    paths = np.lib.stride_tricks.sliding_window_view(padded[1:], h)[:n] / c[:, None] - 1.0
    paths = paths * s[:, None]
    up = paths >= (upper * vol)[:, None] if upper is not None else np.zeros_like(paths, dtype=bool)
    down = paths <= (-lower * vol)[:, None] if lower is not None else np.zeros_like(paths, dtype=bool)
    first_up = np.where(up.any(axis=1), up.argmax(axis=1), h)
    first_down = np.where(down.any(axis=1), down.argmax(axis=1), h)
    hit = np.minimum(first_up, first_down)
    complete = np.arange(n) + h < n

    label = np.full(n, np.nan)
    ret = np.full(n, np.nan)
    end = np.full(n, -1)
    barrier = np.full(n, None, dtype=object)
    usable = ~np.isnan(vol) & ~np.isnan(s)
    touched = usable & (hit < h)
    rows = np.flatnonzero(touched)
    k = hit[rows]
    ret[rows] = paths[rows, k]
    end[rows] = rows + 1 + k
    is_up = first_up[rows] <= first_down[rows]
    label[rows] = np.where(is_up, 1.0, -1.0)
    barrier[rows] = np.where(is_up, "upper", "lower")
    timed = usable & ~touched & complete
    rows = np.flatnonzero(timed)
    ret[rows] = paths[rows, h - 1]
    end[rows] = rows + h
    label[rows] = np.sign(ret[rows]) if vertical == "sign" else 0.0
    barrier[rows] = "vertical"

    t1 = _times(close.index, end)
    return pd.DataFrame({"t1": t1, "ret": ret, "barrier": barrier, "label": label}, index=close.index)


def meta_labels(side: pd.Series, barriers: pd.DataFrame) -> pd.Series:
    """Meta-labels for a primary model's bets: 1 where the bet ``side``
    (1 long, −1 short) made money by the label's end, 0 where it did not,
    NaN where there was no bet or no label.

    ``barriers`` is :func:`triple_barrier` run *with* ``side``, so its
    barriers and returns are already in the bet's direction; a secondary
    model trained on these learns when to trust the primary one (and how
    much to bet), not which way.
    """
    if "ret" not in barriers:
        raise ValueError("barriers must be triple_barrier's (or fixed_horizon's) output, with a ret column")
    s = side.reindex(barriers.index)
    ret = barriers["ret"]
    out = pd.Series(np.where(ret > 0, 1.0, 0.0), index=barriers.index, name="meta_label")
    return out.where(s.notna() & (s != 0) & ret.notna())


def _timeline(t1: pd.Series, bars: pd.Index | None) -> pd.Index:
    """The bars labels are counted on: ``bars`` (the data's index) when
    given, else every time a label starts or ends at."""
    if bars is not None:
        return pd.Index(bars)
    ends = pd.Index(t1.dropna().to_numpy()).astype(t1.index.dtype)
    return t1.index.append(ends).unique().sort_values()


def _positions(t1: pd.Series, timeline: pd.Index) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each label's start and end positions on ``timeline``, and which have one."""
    valid = t1.notna().to_numpy()
    starts = timeline.get_indexer(t1.index)
    ends = np.full(len(t1), -1)
    ends[valid] = timeline.get_indexer(pd.Index(t1[valid].to_numpy()).astype(timeline.dtype))
    if (starts < 0).any() or (ends[valid] < 0).any():
        raise ValueError("label starts (the index) and ends (t1) must be times of the bars; pass bars=data.index")
    return starts, ends, valid


def concurrency(t1: pd.Series, bars: pd.Index | None = None) -> pd.Series:
    """How many labels span each bar: label ``i`` spans the bars from its
    start (its index) to ``t1[i]``, both included. Counted on ``bars`` (the
    data's index), or on the times labels start and end at."""
    timeline = _timeline(t1, bars)
    starts, ends, valid = _positions(t1, timeline)
    delta = np.zeros(len(timeline) + 1)
    np.add.at(delta, starts[valid], 1)
    np.add.at(delta, ends[valid] + 1, -1)
    return pd.Series(np.cumsum(delta)[:-1], index=timeline, name="concurrency")


def uniqueness(t1: pd.Series, bars: pd.Index | None = None) -> pd.Series:
    """Average uniqueness of each label: the mean over the bars it spans of
    ``1 / concurrency``. Labels that overlap many others carry less
    independent information; use these as sample weights (scaled as you
    like). Works on a subset of the labels (say, without the zeros): pass
    ``bars=data.index`` to count on every bar. NaN for rows without a label."""
    timeline = _timeline(t1, bars)
    conc = concurrency(t1, timeline)
    starts, ends, valid = _positions(t1, timeline)
    inv = np.concatenate([[0.0], np.cumsum(1.0 / np.maximum(conc.to_numpy(), 1.0))])
    out = np.full(len(t1), np.nan)
    s, e = starts[valid], ends[valid]
    out[valid] = (inv[e + 1] - inv[s]) / (e - s + 1)
    return pd.Series(out, index=t1.index, name="uniqueness")
