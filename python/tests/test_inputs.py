"""Every supported input gives the same backtest as a DataFrame."""

from decimal import Decimal

import pytest

import py_rt
from conftest import ORCL


def test_csv_path_parquet_arrow_and_dict_inputs(orcl, tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    want = py_rt.Backtest(orcl, "sma_cross").run().final_equity_exact

    assert py_rt.Backtest(ORCL, "sma_cross").run().final_equity_exact == want
    assert py_rt.Backtest(str(ORCL), "sma_cross").run().final_equity_exact == want

    # Exact decimals, as py_rt writes them, with a timestamp column.
    dec = pa.decimal128(18, 6)
    table = pa.table({
        "ts": pa.array(orcl.index.as_unit("ns")),
        **{c.lower(): pa.array([Decimal(f"{v:.6f}") for v in orcl[c]], type=dec)
           for c in ("Open", "High", "Low", "Close")},
        "volume": pa.array(orcl["Volume"].astype(float)),
    })
    path = tmp_path / "orcl.parquet"
    pq.write_table(table, path)
    assert py_rt.Backtest(path, "sma_cross").run().final_equity_exact == want
    assert py_rt.Backtest(table, "sma_cross").run().final_equity_exact == want

    as_dict = {"date": orcl.index, **{c: orcl[c].to_numpy() for c in orcl.columns}}
    assert py_rt.Backtest(as_dict, "sma_cross").run().final_equity_exact == want
    feats = py_rt.features(path, ["rsi:14"])
    assert feats.shape == (len(orcl), 1)


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="no_such.parquet: no such file"):
        py_rt.Backtest("no_such.parquet")
