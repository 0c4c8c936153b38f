"""Turning pandas and numpy inputs into the float64/int64 columns the
engine reads, with errors that say which column is wrong and how to fix it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

OHLCV = ("open", "high", "low", "close", "volume")


def load(data: Any) -> pd.DataFrame:
    """Any supported input as a DataFrame: a DataFrame as is; a path to a
    Parquet file (decimal columns become float64, a timestamp column the
    index) or a CSV file; a pyarrow Table; anything with ``to_pandas()``
    (polars); a dict of columns."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, (str, Path)):
        path = Path(data)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file")
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            return _from_arrow(pq.read_table(path))
        return pd.read_csv(path)
    if type(data).__module__.startswith("pyarrow"):
        return _from_arrow(data)
    if hasattr(data, "to_pandas"):
        return data.to_pandas()
    if isinstance(data, Mapping):
        return pd.DataFrame(data)
    raise TypeError(f"data must be a pandas DataFrame, a path, a pyarrow Table or a dict of columns, "
                    f"got {type(data).__name__}")


def _from_arrow(table: Any) -> pd.DataFrame:
    import pyarrow as pa

    # Exact decimals (py_rt's own Parquet files) become floats for pandas;
    # the engine rounds them back to its 1e-9 grid exactly.
    fields = [pa.field(f.name, pa.float64()) if pa.types.is_decimal(f.type) else f for f in table.schema]
    df = table.cast(pa.schema(fields)).to_pandas()
    for name in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[name]):
            return df.set_index(name)
    return df


def float_column(values: Any, name: str) -> np.ndarray:
    """A contiguous float64 copy (or view) of one column."""
    if isinstance(values, (pd.Series, pd.Index)):
        if not (pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)):
            raise TypeError(f"column `{name}` has dtype {values.dtype}; it must be numeric (convert it with pd.to_numeric)")
        values = values.to_numpy(dtype=np.float64, na_value=np.nan)
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"`{name}` must be one-dimensional, got shape {arr.shape}")
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"`{name}` has dtype {arr.dtype}; it must be numeric")
    return np.ascontiguousarray(arr, dtype=np.float64)


def timestamps_ns(index: Any, n: int) -> np.ndarray:
    """Unix nanoseconds (UTC) of a DatetimeIndex; 0..n for any other index,
    which keeps bar order but gives no calendar to annualise with."""
    if isinstance(index, pd.DatetimeIndex):
        if index.tz is not None:
            index = index.tz_convert("UTC").tz_localize(None)
        if index.hasnans:
            raise ValueError("the index has missing timestamps (NaT); drop those rows first")
        return np.ascontiguousarray(index.as_unit("ns").asi8, dtype=np.int64)
    return np.arange(n, dtype=np.int64)


def ohlcv_columns(data: pd.DataFrame) -> dict[str, np.ndarray | None]:
    """The OHLC(V) columns of a frame, matched case-insensitively
    (`Open`, `open`, `OPEN`); volume is optional."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame with open/high/low/close columns, got {type(data).__name__}")
    by_lower: Mapping[str, Any] = {str(c).lower(): c for c in data.columns}
    missing = [c for c in OHLCV[:4] if c not in by_lower]
    if missing:
        raise ValueError(
            f"data has no {', '.join(missing)} column(s); columns are {list(data.columns)} "
            "(names are matched case-insensitively)"
        )
    out: dict[str, np.ndarray | None] = {c: float_column(data[by_lower[c]], c) for c in OHLCV[:4]}
    out["volume"] = float_column(data[by_lower["volume"]], "volume") if "volume" in by_lower else None
    return out


def bar_index(data: pd.DataFrame) -> pd.Index:
    """The frame's time axis: its DatetimeIndex, or a `date`/`datetime`/
    `timestamp` column parsed as one."""
    if isinstance(data.index, pd.DatetimeIndex):
        return data.index
    for c in data.columns:
        if str(c).lower() in ("date", "datetime", "timestamp", "time"):
            return pd.DatetimeIndex(pd.to_datetime(data[c]))
    return data.index


def bar_arrays(data: pd.DataFrame, index: pd.Index | None = None) -> dict[str, np.ndarray | None]:
    """The engine's view of a frame: ``ts`` (Unix ns, from ``index`` or
    :func:`bar_index`) and the OHLC(V) columns as float64, the dict the
    compiled functions take as ``bars``."""
    index = bar_index(data) if index is None else index
    return {"ts": timestamps_ns(index, len(data)), **ohlcv_columns(data)}
