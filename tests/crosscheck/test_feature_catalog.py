"""Cross-check: every feature of the catalog, computed bar by bar by the
Rust streaming pipeline, against an independent reference written here
with numpy, pandas, scipy and TA-Lib (not the Rust kernels behind
`py_rt.features`), on real data from ../shared/data.

Warm-up rows must be NaN in both and start where the catalog says; every
value must agree to 1e-9, relative to the value or, for values near zero,
to the column's typical magnitude.
"""

import math
import os
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import py_rt

talib = pytest.importorskip("talib")
stats = pytest.importorskip("scipy.stats")

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("PYRT_SHARED_DATA", ROOT.parent / "shared" / "data"))
FILES = {
    "orcl_daily": DATA / "backtrader" / "orcl-1995-2014.txt",
    "btc_perp_1min": DATA / "nautilus_trader" / "btc-perp-20211231-20220201_1m.csv.gz",
}


def load(path: Path) -> pd.DataFrame:
    if not path.exists():
        pytest.skip(f"shared data not found at {path} (set PYRT_SHARED_DATA)")
    raw = pd.read_csv(path)
    raw.columns = [c.lower() for c in raw.columns]
    time = raw["date"] if "date" in raw else raw["timestamp"]
    frame = raw[["open", "high", "low", "close", "volume"]].astype(float)
    frame.index = pd.DatetimeIndex(pd.to_datetime(time), name="time")
    return frame


# --- the reference ------------------------------------------------------------


def shift(x, n):
    out = np.full(len(x), np.nan)
    if n < len(x):
        out[n:] = x[: len(x) - n]
    return out


def rolling(x, n):
    return pd.Series(x).rolling(n)


def log_returns(x):
    r = np.full(len(x), np.nan)
    r[1:] = np.log(x[1:] / x[:-1])
    return r


def moment(x, n, kind):
    r = log_returns(x)
    out = np.full(len(x), np.nan)
    if len(x) <= n:
        return out
    windows = np.lib.stride_tricks.sliding_window_view(r[1:], n)
    flat = windows.var(axis=1) == 0
    with np.errstate(all="ignore"):
        if kind == "skew":
            v = stats.skew(windows, axis=1, bias=False)
        else:
            v = stats.kurtosis(windows, axis=1, bias=False, fisher=True)
    out[n:] = np.where(flat, 0.0, v)
    return out


def ratio_or(num, den, fallback):
    with np.errstate(all="ignore"):
        return np.where(den == 0, fallback, num / den)


def vwap(h, l, c, v, index, n=None):
    tp = (h + l + c) / 3
    if n is None:
        day = pd.Series(index.normalize())
        pv = pd.Series(tp * v).groupby(day.values).cumsum().to_numpy()
        vol = pd.Series(v).groupby(day.values).cumsum().to_numpy()
    else:
        pv = rolling(tp * v, n).sum().to_numpy()
        vol = rolling(v, n).sum().to_numpy()
    return np.where(vol == 0, tp, pv / np.where(vol == 0, 1, vol))


def source(name, bars):
    o, h, l, c, v = bars
    return {"open": o, "high": h, "low": l, "close": c, "volume": v, "hl2": (h + l) / 2}[name]


def reference(kind, sources, args, bars, index):
    """The lines of one feature kind, computed independently."""
    o, h, l, c, v = bars
    x = source(sources[0], bars) if sources else c
    n = int(args[0]) if args and float(args[0]).is_integer() else None
    ln2 = math.log(2)
    simple = {
        "sma": lambda: talib.SMA(x, n), "ema": lambda: talib.EMA(x, n), "wma": lambda: talib.WMA(x, n),
        "dema": lambda: talib.DEMA(x, n), "tema": lambda: talib.TEMA(x, n), "trima": lambda: talib.TRIMA(x, n),
        "rsi": lambda: talib.RSI(x, n), "mom": lambda: talib.MOM(x, n), "roc": lambda: talib.ROC(x, n),
        "trix": lambda: talib.TRIX(x, n), "kama": lambda: talib.KAMA(x, n),
        "linreg_slope": lambda: talib.LINEARREG_SLOPE(x, n),
        "ppo": lambda: talib.PPO(x, int(args[0]), int(args[1]), 0),
        "stddev": lambda: talib.STDDEV(x, n, args[1]),
        "t3": lambda: talib.T3(x, n, args[1]),
        "trange": lambda: talib.TRANGE(h, l, c), "atr": lambda: talib.ATR(h, l, c, n),
        "natr": lambda: talib.NATR(h, l, c, n), "willr": lambda: talib.WILLR(h, l, c, n),
        "cci": lambda: talib.CCI(h, l, c, n), "mfi": lambda: talib.MFI(h, l, c, v, n),
        "aroonosc": lambda: talib.AROONOSC(h, l, n), "adx": lambda: talib.ADX(h, l, c, n),
        "plus_di": lambda: talib.PLUS_DI(h, l, c, n), "minus_di": lambda: talib.MINUS_DI(h, l, c, n),
        "dx": lambda: talib.DX(h, l, c, n), "obv": lambda: talib.OBV(c, v), "ad": lambda: talib.AD(h, l, c, v),
        "adosc": lambda: talib.ADOSC(h, l, c, v, int(args[0]), int(args[1])),
        "ultosc": lambda: talib.ULTOSC(h, l, c, int(args[0]), int(args[1]), int(args[2])),
        "sar": lambda: talib.SAR(h, l, args[0], args[1]),
        "correl": lambda: talib.CORREL(x, source(sources[1], bars), n),
        "beta": lambda: talib.BETA(x, source(sources[1], bars), n),
        "zscore": lambda: ratio_or(x - talib.SMA(x, n), talib.STDDEV(x, n, 1), 0.0),
        "ret": lambda: np.log(x / shift(x, n)),
        "rvol": lambda: np.sqrt(rolling(log_returns(x) ** 2, n).sum().to_numpy()),
        "rank": lambda: rolling(x, n).rank(pct=True).to_numpy(),
        "skew": lambda: moment(x, n, "skew"),
        "kurt": lambda: moment(x, n, "kurt"),
        "efficiency": lambda: ratio_or(np.abs(x - shift(x, n)),
                                       rolling(np.abs(np.diff(x, prepend=np.nan)), n).sum().to_numpy(), 0.0),
        "up_frac": lambda: np.where(np.arange(len(x)) < n, np.nan,
                                    rolling((np.diff(x, prepend=np.inf) > 0).astype(float), n).mean().to_numpy()),
        "ma_dist": lambda: ratio_or(x, talib.SMA(x, n), 1.0) - 1.0,
        "ema_dist": lambda: ratio_or(x, talib.EMA(x, n), 1.0) - 1.0,
        "volume_ratio": lambda: ratio_or(v, rolling(v, n).mean().to_numpy(), 0.0),
        "hl_range": lambda: rolling((h - l) / c, n).mean().to_numpy(),
        "parkinson": lambda: np.sqrt(rolling(np.log(h / l) ** 2 / (4 * ln2), n).mean().to_numpy()),
        "garman_klass": lambda: np.sqrt(np.maximum(rolling(
            0.5 * np.log(h / l) ** 2 - (2 * ln2 - 1) * np.log(c / o) ** 2, n).mean().to_numpy(), 0.0)),
        "hh_dist": lambda: c / rolling(h, n).max().to_numpy() - 1,
        "ll_dist": lambda: c / rolling(l, n).min().to_numpy() - 1,
        "clv": lambda: ratio_or((c - l) - (h - c), h - l, 0.0),
        "body": lambda: ratio_or(c - o, h - l, 0.0),
        "upper_shadow": lambda: ratio_or(h - np.maximum(o, c), h - l, 0.0),
        "lower_shadow": lambda: ratio_or(np.minimum(o, c) - l, h - l, 0.0),
        "gap": lambda: o / shift(c, 1) - 1,
        "dow": lambda: index.day_of_week.to_numpy(float), "dom": lambda: index.day.to_numpy(float),
        "month": lambda: index.month.to_numpy(float), "hour": lambda: index.hour.to_numpy(float),
        "minute": lambda: index.minute.to_numpy(float),
        "tod": lambda: (index.hour * 60 + index.minute).to_numpy(float),
        "vwap": lambda: vwap(h, l, c, v, index), "rvwap": lambda: vwap(h, l, c, v, index, n),
    }
    if kind in simple:
        return [np.asarray(simple[kind](), dtype=float)]
    if kind == "macd":
        return list(talib.MACD(x, int(args[0]), int(args[1]), int(args[2])))
    if kind == "bbands":
        return list(talib.BBANDS(x, n, args[1], args[1], 0))
    if kind in ("bb_pct", "bb_width"):
        up, mid, lo = talib.BBANDS(x, n, args[1], args[1], 0)
        if kind == "bb_pct":
            return [ratio_or(x - lo, up - lo, 0.5)]
        return [ratio_or(up - lo, mid, 0.0)]
    if kind == "stochrsi":
        return list(talib.STOCHRSI(x, int(args[0]), int(args[1]), int(args[2]), 0))
    if kind == "stoch":
        return list(talib.STOCH(h, l, c, int(args[0]), int(args[1]), 0, int(args[2]), 0))
    if kind == "stochf":
        return list(talib.STOCHF(h, l, c, int(args[0]), int(args[1]), 0))
    if kind == "aroon":
        return list(talib.AROON(h, l, n))
    if kind == "keltner":
        atr = talib.ATR(h, l, c, n)
        mid = np.where(np.isnan(atr), np.nan, talib.EMA(c, n))  # the lines start together
        return [mid + args[1] * atr, mid, mid - args[1] * atr]
    if kind == "donchian":
        hi = rolling(h, n).max().to_numpy()
        lo = rolling(l, n).min().to_numpy()
        return [hi, (hi + lo) / 2, lo]
    raise AssertionError(f"no reference for `{kind}`: add one before adding it to the catalog")


SOURCES = {"open", "high", "low", "close", "volume", "hl2", "hlc3", "ohlc4"}


def parse(name):
    """(kind, sources, args, lag, diff) of a catalog name."""
    body, _, shift_text = name.partition("@")
    kind, *rest = body.split(":")
    sources = [p for p in rest if p in SOURCES]
    args = [float(p) for p in rest if p not in SOURCES]
    m = re.fullmatch(r"(lag|diff)(\d+)", shift_text) if shift_text else None
    return kind, sources, args, int(m.group(2)) if m else 0, bool(m and m.group(1) == "diff")


def expected(name, bars, index):
    kind, sources, args, lag, diff = parse(name)
    if not args:
        args = None
    defaults = {"hl_range": [1.0], "sar": [0.02, 0.2]}
    lines = reference(kind, sources, args or defaults.get(kind, []), bars, index)
    if lag:
        lines = [line - shift(line, lag) if diff else shift(line, lag) for line in lines]
    return lines


# --- the test -----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FILES))
def test_streaming_catalog_equals_the_reference(name):
    data = load(FILES[name])
    cat = py_rt.features.catalog()
    assert len(cat) >= 200 and cat["formula"].nunique() >= 40, (len(cat), cat["formula"].nunique())
    streamed = py_rt.features.stream(cat.index).run(data)
    bars = tuple(data[k].to_numpy(float) for k in ("open", "high", "low", "close", "volume"))
    failures, checked = [], 0
    for feature, entry in cat.iterrows():
        want_lines = expected(feature, bars, data.index)
        assert len(want_lines) == len(entry["columns"]), feature
        for col, want in zip(entry["columns"], want_lines):
            got = streamed[col].to_numpy()
            first = int(np.argmax(~np.isnan(got)))
            if first != entry["warm_up"]:
                failures.append(f"{col}: first value at row {first}, the catalog says {entry['warm_up']}")
            if not np.array_equal(np.isnan(got), np.isnan(want)):
                bad = int(np.flatnonzero(np.isnan(got) != np.isnan(want))[0])
                failures.append(f"{col}: NaN differs at row {bad} (py_rt {got[bad]}, reference {want[bad]})")
                continue
            mask = ~np.isnan(want)
            scale = max(float(np.mean(np.abs(want[mask]))) if mask.any() else 1.0, 1e-300)
            err = np.abs(got[mask] - want[mask]) / np.maximum(np.abs(want[mask]), scale)
            if err.size and err.max() > 1e-9:
                i = int(np.argmax(err))
                row = int(np.flatnonzero(mask)[i])
                failures.append(f"{col}: relative error {err.max():.3g} at row {row} "
                                f"(py_rt {got[row]!r}, reference {want[row]!r})")
            checked += 1
    print(f"{name}: {checked} catalog columns agree with the reference", file=sys.stderr)
    assert not failures, "\n".join(failures)


def test_batch_equals_streaming_to_the_bit():
    data = load(FILES["orcl_daily"]).iloc[:1500]
    names = list(py_rt.features.catalog().index)
    batch = py_rt.features(data, names)
    streamed = py_rt.features.stream(names).run(data)
    assert list(batch.columns) == list(streamed.columns)
    same = batch.to_numpy().view(np.uint64) == streamed.to_numpy().view(np.uint64)
    assert same.all(), f"{batch.columns[np.flatnonzero(~same.all(axis=0))[0]]} differs"


def test_no_feature_reads_a_later_bar():
    # Row t computed on the bars up to t equals row t computed on all of
    # them: nothing after a feature's timestamp reaches it.
    data = load(FILES["orcl_daily"]).iloc[:800]
    names = list(py_rt.features.catalog().index)
    full = py_rt.features(data, names).to_numpy()
    for cut in (1, 2, 30, 251, 252, 600, 799):
        part = py_rt.features(data.iloc[:cut], names).to_numpy()
        row, want = part[-1], full[cut - 1]
        same = (row.view(np.uint64) == want.view(np.uint64))
        assert same.all(), f"cut {cut}: {names and np.flatnonzero(~same)[:5]} differ"
