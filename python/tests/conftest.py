import os
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("PYRT_SHARED_DATA", ROOT.parent / "shared" / "data"))
ORCL = DATA / "backtrader" / "orcl-1995-2014.txt"


@pytest.fixture(scope="session")
def orcl() -> pd.DataFrame:
    """Daily ORCL bars 1995-2014 (Yahoo layout) from ../shared/data."""
    if not ORCL.exists():
        pytest.skip(f"shared data not found at {ORCL} (set PYRT_SHARED_DATA)")
    df = pd.read_csv(ORCL, index_col="Date", parse_dates=True)
    return df[["Open", "High", "Low", "Close", "Volume"]]


@pytest.fixture
def small() -> pd.DataFrame:
    """Sixty synthetic daily bars: a fall, a rise, a fall (one cross up and
    one cross down of short moving averages)."""
    idx = pd.date_range("2024-01-01", periods=60, freq="D")
    close = [130 - i for i in range(20)] + [110 + i for i in range(20)] + [130 - i for i in range(20)]
    return pd.DataFrame({"open": close, "high": [c + 1 for c in close], "low": [c - 1 for c in close],
                         "close": close, "volume": 1000.0}, index=idx)
