"""Parameter sweeps in Rust: every combination equals a one-off run."""

import pytest

import py_rt


def test_grid_rows_equal_one_off_runs(orcl):
    bt = py_rt.Backtest(orcl, "sma_cross", fees="bps:5")
    table = bt.optimize(fast=[5, 10, 40], slow=[20, 30])
    # (40, 20) and (40, 30) are inconsistent and left out.
    assert len(table) == 4
    assert table["sharpe"].is_monotonic_decreasing
    for row in table.itertuples():
        one = bt.run(fast=row.fast, slow=row.slow)
        assert row.final_equity == pytest.approx(float(one.final_equity_exact), rel=1e-12)
        assert row.num_fills == one.stats["num_fills"]
        assert row.sharpe == pytest.approx(one.stats["sharpe"], rel=1e-12)


def test_objective_direction_and_fixed_params(orcl):
    bt = py_rt.Backtest(orcl, "rsi_reversion", {"upper": 75})
    table = bt.optimize(objective="max_drawdown", maximize=False, period=[7, 14], lower=[20, 30])
    assert table["max_drawdown"].is_monotonic_increasing
    assert set(zip(table["period"], table["lower"])) == {(7, 20), (7, 30), (14, 20), (14, 30)}


def test_sweep_errors(small):
    bt = py_rt.Backtest(small)
    with pytest.raises(ValueError, match="unknown parameter `fsat`"):
        bt.optimize(fsat=[1, 2])
    with pytest.raises(ValueError, match="unknown objective `sharp`"):
        bt.optimize(objective="sharp", fast=[3], slow=[10])
    with pytest.raises(ValueError, match="every combination was refused"):
        bt.optimize(fast=[30], slow=[10])
    with pytest.raises(ValueError, match="give at least one parameter"):
        bt.optimize()
