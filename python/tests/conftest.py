import os
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("PYRT_SHARED_DATA", ROOT.parent / "shared" / "data"))
ORCL = DATA / "backtrader" / "orcl-1995-2014.txt"
PYRT = Path(os.environ.get("PYRT_BIN", ROOT / "target" / "debug" / "pyrt"))
CAPTURE = DATA / "hftbacktest" / "raw" / "spot_btcusdt_20240808.gz"


def pyrt_key():
    """The local venue's account: Binance's documentation example (public)."""
    return "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"


def pyrt_secret():
    return "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"


@contextmanager
def running_venue(*extra):
    """`pyrt venue` on a free port; yields its http:// URL."""
    if not PYRT.exists():
        pytest.skip(f"pyrt binary not built at {PYRT} (set PYRT_BIN)")
    args = [str(PYRT), "venue", "--listen", "127.0.0.1:0", "--step-ms", "20", *extra]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "listening on http://" in line, f"venue did not start: {line!r}"
        yield "http://" + line.strip().split("http://")[1]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(params=["synthetic", "replay"])
def venue(request):
    extra = []
    if request.param == "replay":
        if not CAPTURE.exists():
            pytest.skip(f"recording not found at {CAPTURE} (set PYRT_SHARED_DATA)")
        extra = ["--replay", str(CAPTURE), "--speed", "20"]
    with running_venue(*extra) as url:
        yield url


@pytest.fixture
def synthetic_venue():
    with running_venue() as url:
        yield url


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
