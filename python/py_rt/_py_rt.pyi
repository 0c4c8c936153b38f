"""Type stubs of the compiled module (python/src/*.rs). Each #[pyfunction]
registered in python/src/lib.rs has a stub here; tests/test_stubs.py fails
when one is missing."""

from typing import TypedDict

import numpy as np
import numpy.typing as npt

__version__: str

class Settings(TypedDict):
    """The keyword arguments of py_rt.Backtest; money as decimal text."""

    symbol: str
    cash: str
    fill: str
    fees: str
    slippage: str
    tick_size: str
    lot_size: str
    latency_ms: float
    equity_every: str
    account: str
    risk_free: float
    risk_limits: str | None

def run_backtest(
    ts: npt.NDArray[np.int64],
    open: npt.NDArray[np.float64],
    high: npt.NDArray[np.float64],
    low: npt.NDArray[np.float64],
    close: npt.NDArray[np.float64],
    volume: npt.NDArray[np.float64] | None,
    settings: Settings,
    strategy: str,
    params: dict[str, str],
    entries: npt.NDArray[np.bool_] | None = None,
    exits: npt.NDArray[np.bool_] | None = None,
) -> dict:
    """Runs a built-in strategy (or, with strategy "from_signals", the
    entry/exit flags) over one instrument's bars; returns summary_json,
    equity_ts, equity, fills and trades columns."""

def run_sweep(
    ts: npt.NDArray[np.int64],
    open: npt.NDArray[np.float64],
    high: npt.NDArray[np.float64],
    low: npt.NDArray[np.float64],
    close: npt.NDArray[np.float64],
    volume: npt.NDArray[np.float64] | None,
    settings: Settings,
    strategy: str,
    param_sets: list[dict[str, str]],
) -> str:
    """Runs a built-in strategy once per parameter set on every core; JSON
    list of {"stats": {...}} or {"skipped": "why"}."""

def strategy_catalog() -> str:
    """The built-in strategies with their parameters, as JSON."""

def compute_features(
    spec: str,
    ts: npt.NDArray[np.int64],
    open: npt.NDArray[np.float64],
    high: npt.NDArray[np.float64],
    low: npt.NDArray[np.float64],
    close: npt.NDArray[np.float64],
    volume: npt.NDArray[np.float64],
) -> tuple[list[str], npt.NDArray[np.float64]]:
    """Column names and a (rows, columns) matrix of the features of `spec`."""

def feature_names() -> list[str]:
    """Every feature name the spec language accepts."""
