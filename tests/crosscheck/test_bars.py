"""Cross-check: `pyrt bars` against pandas on real Binance trades.

The USD-M BTCUSDT trades recorded on 2024-08-08 (shared/data/hftbacktest/
normalized) become 1-minute and 10-second bars (pandas `resample(...).ohlc()`
with summed volume), 100-trade bars (`groupby(index // 100)`) and 25 BTC
volume bars (a plain running sum). Prices must agree exactly; volumes are
compared as decimals, exactly.
"""

import io
import os
import subprocess
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("PYRT_SHARED_DATA", ROOT.parent / "shared" / "data"))
TRADES = DATA / "hftbacktest" / "normalized" / "usdm_btcusdt_20240808.trades.csv.gz"
PYRT = Path(os.environ.get("PYRT_BIN", ROOT / "target" / "debug" / "pyrt"))

pytestmark = pytest.mark.skipif(not TRADES.exists(), reason=f"shared data not found at {TRADES} (set PYRT_SHARED_DATA)")


def trades():
    df = pd.read_csv(TRADES, dtype={"price": str, "qty": str})
    df["time"] = pd.to_datetime(df["ts_trade_ms"], unit="ms")
    df["px"] = df["price"].map(Decimal)
    df["size"] = df["qty"].map(Decimal)
    return df


def pyrt_bars(rule):
    out = subprocess.run(
        [str(PYRT), "bars", "--trades", str(TRADES), "--rule", rule], check=True, capture_output=True, text=True
    )
    bars = pd.read_csv(io.StringIO(out.stdout), dtype=str)
    return [(r.timestamp, Decimal(r.open), Decimal(r.high), Decimal(r.low), Decimal(r.close), Decimal(r.volume)) for r in bars.itertuples()]


def rows(groups, stamp):
    out = []
    for key, g in groups:
        if len(g) == 0:
            continue
        out.append((stamp(key, g), g["px"].iloc[0], g["px"].max(), g["px"].min(), g["px"].iloc[-1], sum(g["size"])))
    return out


def fmt(ts):
    text = ts.strftime("%Y-%m-%d %H:%M:%S.%f").rstrip("0").rstrip(".")
    return text


@pytest.mark.parametrize("rule,freq", [("1m", "1min"), ("10s", "10s")])
def test_time_bars_match_pandas_resample(rule, freq):
    df = trades()
    expected = rows(df.groupby(df["time"].dt.floor(freq)), lambda key, g: fmt(key))
    got = pyrt_bars(rule)
    assert len(got) == len(expected) > 5
    assert got == expected


def test_tick_bars_match_groupby():
    df = trades().reset_index(drop=True)
    full = len(df) // 100 * 100
    expected = rows(df.iloc[:full].groupby(df.index[:full] // 100), lambda key, g: fmt(g["time"].iloc[0]))
    got = pyrt_bars("tick:100")
    assert len(got) == len(expected) == len(df) // 100
    assert got == expected


def test_volume_bars_match_a_running_sum():
    df = trades()
    expected, start, acc = [], 0, Decimal(0)
    sizes = list(df["size"])
    for i, q in enumerate(sizes):
        acc += q
        if acc >= 25:
            g = df.iloc[start : i + 1]
            expected.append((fmt(g["time"].iloc[0]), g["px"].iloc[0], g["px"].max(), g["px"].min(), g["px"].iloc[-1], acc))
            start, acc = i + 1, Decimal(0)
    got = pyrt_bars("volume:25")
    assert len(got) == len(expected) > 10
    assert got == expected
