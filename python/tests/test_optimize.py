"""Parameter sweeps in Rust: every combination equals a one-off run."""

import pandas as pd
import pytest

import py_rt


def test_grid_rows_equal_one_off_runs(orcl):
    bt = py_rt.Backtest(orcl, "sma_cross", fees="bps:5")
    with pytest.warns(py_rt.SkippedCombinationsWarning, match="2 of 6 parameter combinations were skipped"):
        table = bt.optimize(fast=[5, 10, 40], slow=[20, 30])
    # (40, 20) and (40, 30) are inconsistent: left out, and listed with the reason.
    assert len(table) == 4
    skipped = pd.DataFrame(table.attrs["skipped"])
    assert skipped[["fast", "slow"]].values.tolist() == [[40, 20], [40, 30]]
    assert skipped.reason.str.contains("must be shorter than slow").all()
    assert isinstance(table.start.iloc[0], pd.Timestamp) and table.start.iloc[0] == orcl.index[0]
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


def test_random_search_is_a_seeded_sample_of_the_grid(orcl):
    bt = py_rt.Backtest(orcl, "sma_cross")
    grid = {"fast": list(range(5, 25)), "slow": list(range(30, 60, 5))}
    full = bt.optimize(**grid).set_index(["fast", "slow"])
    sample = bt.optimize(method="random", n_iter=15, seed=4, **grid)
    assert len(sample) == 15
    assert not sample.duplicated(["fast", "slow"]).any()
    for row in sample.itertuples():
        assert row.final_equity == full.loc[(row.fast, row.slow), "final_equity"]
    again = bt.optimize(method="random", n_iter=15, seed=4, **grid)
    assert again[["fast", "slow"]].equals(sample[["fast", "slow"]])
    with pytest.raises(ValueError, match="unknown method `annealing`"):
        bt.optimize(method="annealing", **grid)


def test_walk_forward_chains_out_of_sample_runs(orcl):
    bt = py_rt.Backtest(orcl, "sma_cross", cash=100_000)
    grid = {"fast": [5, 10, 20], "slow": [30, 50]}
    wf = bt.walk_forward(train=1000, test=500, **grid)
    assert len(wf.windows) == (len(orcl) - 1000) // 500
    first = wf.windows.iloc[0]
    # The chosen parameters are the in-sample optimum ...
    best = py_rt.Backtest(orcl.iloc[:1000], "sma_cross").optimize(**grid).iloc[0]
    assert (first["fast"], first["slow"]) == (best["fast"], best["slow"])
    assert first["train_sharpe"] == best["sharpe"]
    # ... traded on the next 500 bars, each step starting from the previous step's equity.
    oos = py_rt.Backtest(orcl.iloc[1000:1500], "sma_cross", cash=100_000).run(fast=int(best["fast"]),
                                                                               slow=int(best["slow"]))
    assert wf.results[0].final_equity_exact == oos.final_equity_exact
    assert wf.results[1].initial_cash == float(oos.final_equity_exact)
    assert wf.equity.index.is_monotonic_increasing
    assert wf.equity.iloc[-1] == pytest.approx(float(wf.results[-1].final_equity_exact))
    assert wf.total_return == pytest.approx(wf.equity.iloc[-1] / wf.equity.iloc[0] - 1)
    anchored = bt.walk_forward(train=1000, test=1000, anchored=True, **grid)
    assert (anchored.windows["train_start"] == orcl.index[0]).all()
    with pytest.raises(ValueError, match="longer than the data"):
        bt.walk_forward(train=5000, test=500, **grid)


@pytest.fixture(scope="module")
def full_grid(request):
    orcl = request.getfixturevalue("orcl")
    bt = py_rt.Backtest(orcl, "sma_cross")
    grid = {"fast": list(range(2, 60)), "slow": list(range(10, 200, 5))}
    return bt, grid, bt.optimize(**grid)


@pytest.mark.parametrize("method", ["genetic", "bayes"])
def test_guided_searches_find_near_optimal_points_within_budget(full_grid, method):
    if method == "bayes":
        pytest.importorskip("optuna")
    bt, grid, full = full_grid
    found = bt.optimize(method=method, n_iter=300, seed=2, **grid)
    assert 0 < len(found) <= 300
    # Every row is a real grid point with the grid's numbers.
    merged = found.merge(full, on=["fast", "slow"], suffixes=("", "_grid"))
    assert len(merged) == len(found)
    assert (merged["final_equity"] == merged["final_equity_grid"]).all()
    # With 300 runs it finds one of the 3 best of the 1,929 valid grid points
    # (300 random draws with the same seed reach only the 6th best).
    assert (full["sharpe"] > found["sharpe"].iloc[0]).sum() <= 2
    again = bt.optimize(method=method, n_iter=300, seed=2, **grid)
    assert again[["fast", "slow"]].equals(found[["fast", "slow"]])


def test_callable_objective(orcl):
    bt = py_rt.Backtest(orcl, "sma_cross")
    # Return per unit of drawdown, but only for strategies that trade enough.
    def objective(s):
        return s["total_return"] / s["max_drawdown"] if s["num_round_trips"] >= 20 else None

    table = bt.optimize(objective, fast=[5, 10, 20, 40], slow=[50, 100, 150])
    assert table["objective"].iloc[0] == pytest.approx(table["total_return"].iloc[0] / table["max_drawdown"].iloc[0])
    ranked = table.dropna(subset=["objective"])
    assert ranked["objective"].is_monotonic_decreasing
    assert (table.loc[table["objective"].isna(), "num_round_trips"] < 20).all()
    assert len(bt.optimize(objective, method="genetic", n_iter=8, fast=[5, 10, 20, 40], slow=[50, 100, 150])) <= 8


def test_ray_backend_gives_the_local_results(orcl):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        bt = py_rt.Backtest(orcl, "sma_cross")
        grid = {"fast": [5, 10, 20, 40], "slow": [30, 50, 100]}
        remote = bt.optimize(backend="ray", **grid)
        local = bt.optimize(**grid)
        pd.testing.assert_frame_equal(remote, local)
    finally:
        ray.shutdown()
    with pytest.raises(ValueError, match="unknown backend `dask`"):
        bt.optimize(backend="dask", **grid)


def test_progress_bar_reports_every_run(orcl, capsys):
    pytest.importorskip("tqdm")
    bt = py_rt.Backtest(orcl, "sma_cross")
    table = bt.optimize(progress=True, fast=list(range(2, 22)), slow=list(range(30, 50)))
    err = capsys.readouterr().err
    assert "backtests" in err and "400/400" in err
    assert len(table) == 400
