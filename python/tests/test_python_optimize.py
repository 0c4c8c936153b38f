"""Python strategies searched and walked forward like the built-in ones:
the sweep of a Python SMA cross equals the built-in sma_cross's sweep row
for row, in worker processes, with every search method."""

import pandas as pd
import pytest
from test_python_strategy import PySmaCross

import py_rt


def sma_cross_class():
    """sma_cross in Python, as a class made inside a function (never
    importable by name, as in a notebook): the worker processes must not
    need to import it."""

    class LocalSmaCross(PySmaCross):
        pass

    return LocalSmaCross


GRID = {"fast": [5, 10, 20], "slow": [30, 50]}
SAME = ["final_equity", "total_return", "sharpe", "max_drawdown", "num_fills", "num_round_trips"]


def test_a_python_strategys_grid_equals_the_built_in_grid(orcl):
    ours = py_rt.Backtest(orcl, sma_cross_class()).optimize(**GRID)
    built_in = py_rt.Backtest(orcl, "sma_cross").optimize(**GRID)
    key = ["fast", "slow"]
    ours, built_in = ours.sort_values(key).reset_index(drop=True), built_in.sort_values(key).reset_index(drop=True)
    assert len(ours) == 6
    pd.testing.assert_frame_equal(ours[key + SAME], built_in[key + SAME])


@pytest.mark.parametrize("method", ["random", "genetic"])
def test_every_search_method_takes_a_python_strategy(orcl, method):
    table = py_rt.Backtest(orcl, sma_cross_class()).optimize(method=method, n_iter=4, seed=1, **GRID)
    assert 1 <= len(table) <= 4
    assert table["sharpe"].is_monotonic_decreasing


def test_walk_forward_of_a_python_strategy_equals_the_built_in(orcl, capsys):
    pytest.importorskip("tqdm")
    kwargs = dict(train=1500, test=1000, fast=[5, 20], slow=[30, 50])
    ours = py_rt.Backtest(orcl, sma_cross_class()).walk_forward(progress=True, **kwargs)
    built_in = py_rt.Backtest(orcl, "sma_cross").walk_forward(progress=False, **kwargs)
    assert len(ours.windows) >= 3
    assert ours.windows[["fast", "slow"]].equals(built_in.windows[["fast", "slow"]])
    pd.testing.assert_series_equal(ours.equity, built_in.equity)
    err = capsys.readouterr().err
    n = len(ours.windows)
    assert "walk-forward" in err and f"{n}/{n}" in err


def test_a_failing_run_names_its_parameters_and_an_instance_is_refused(small):
    class FailsWhenFast(py_rt.Strategy):
        fast = 1

        def on_bar(self, ctx, bar):
            if self.fast > 2:
                raise ZeroDivisionError("fast is too fast")

    bt = py_rt.Backtest(small, FailsWhenFast)
    with pytest.raises(ZeroDivisionError, match="fast is too fast") as info:
        bt.optimize(fast=[1, 2, 3])
    assert any("FailsWhenFast(fast=3)" in note for note in getattr(info.value, "__notes__", [])), info.value
    with pytest.raises(TypeError, match=r"needs the strategy's class \(FailsWhenFast\), not an instance"):
        py_rt.Backtest(small, FailsWhenFast()).optimize(fast=[1, 2])
    with pytest.raises(ValueError, match="unknown parameter"):
        bt.optimize(speed=[1, 2])


def test_ray_runs_a_python_strategy_as_the_processes_do(orcl):
    ray = pytest.importorskip("ray")
    import test_python_strategy

    # The class's base lives in a test module Ray's workers cannot import:
    # send it by value, as a notebook's classes are.
    ray.cloudpickle.register_pickle_by_value(test_python_strategy)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        bt = py_rt.Backtest(orcl, sma_cross_class())
        pd.testing.assert_frame_equal(bt.optimize(backend="ray", **GRID), bt.optimize(**GRID))
    finally:
        ray.shutdown()
