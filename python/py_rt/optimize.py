"""Parameter search over built-in strategies: grid and random search run
as one parallel sweep in Rust; walk-forward optimisation built on them.

A sweep sends every parameter set to the engine at once; the engine runs
them on all cores with the GIL released and returns only statistics.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import numpy as np
import pandas as pd

from . import _py_rt
from ._frame import bar_index, ohlcv_columns, timestamps_ns

if TYPE_CHECKING:
    from .backtest import Backtest, Result


def _combos(grid: Mapping[str, Iterable[Any]], method: str, n_iter: int, seed: int | None) -> tuple[list, list]:
    if not grid:
        raise ValueError("give at least one parameter to vary, e.g. optimize(fast=range(5, 30))")
    names = list(grid)
    values = [list(v) for v in grid.values()]
    for name, vals in zip(names, values):
        if not vals:
            raise ValueError(f"parameter `{name}` has no values to try")
    total = int(np.prod([len(v) for v in values]))
    if method == "grid":
        return names, list(itertools.product(*values))
    if method == "random":
        if n_iter < 1:
            raise ValueError(f"n_iter must be at least 1, got {n_iter}")
        rng = np.random.default_rng(seed)
        picks = rng.choice(total, size=min(n_iter, total), replace=False)
        # Decode each flat index into one value per parameter (mixed radix).
        combos = []
        for flat in picks:
            combo = []
            for vals in reversed(values):
                flat, i = divmod(int(flat), len(vals))
                combo.append(vals[i])
            combos.append(tuple(reversed(combo)))
        return names, combos
    raise ValueError(f"unknown method `{method}`; use grid or random")


def search(bt: "Backtest", objective: str, maximize: bool, method: str, n_iter: int, seed: int | None,
           grid: Mapping[str, Iterable[Any]]) -> pd.DataFrame:
    """See :meth:`py_rt.Backtest.optimize`."""
    from .backtest import _param_text, _with_index_label

    if not isinstance(bt.strategy, str):
        raise TypeError("optimize runs built-in strategies in Rust; for a Python strategy, loop over run()")
    names, combos = _combos(grid, method, n_iter, seed)
    fixed = {k: _param_text(k, v) for k, v in bt.params.items()}
    sets = [{**fixed, **{k: _param_text(k, v) for k, v in zip(names, combo)}} for combo in combos]
    cols = ohlcv_columns(bt.data)
    ts = timestamps_ns(bar_index(bt.data), len(bt.data))
    try:
        raw = _py_rt.run_sweep(ts, cols["open"], cols["high"], cols["low"], cols["close"], cols["volume"],
                               bt._settings(), bt.strategy, sets)
    except ValueError as e:
        raise ValueError(_with_index_label(str(e), bt.data.index)) from None
    rows = [{**dict(zip(names, combo)), **out["stats"]} for combo, out in zip(combos, json.loads(raw))
            if "stats" in out]
    if not rows:
        raise ValueError("every combination was refused as inconsistent; check the ranges (e.g. fast < slow)")
    table = pd.DataFrame(rows)
    if objective not in table.columns:
        raise ValueError(f"unknown objective `{objective}`; choose one of {list(table.columns[len(names):])}")
    return table.sort_values(objective, ascending=not maximize, na_position="last", kind="stable",
                             ignore_index=True)


@dataclasses.dataclass
class WalkForward:
    """The outcome of a walk-forward optimisation.

    * ``windows``: one row per step: train and test periods, the chosen
      parameters, the in-sample objective and the out-of-sample statistics;
    * ``results``: the out-of-sample :class:`py_rt.Result` of each step;
    * ``equity``: the out-of-sample equity curves chained into one, starting
      from the backtest's cash (each step starts flat, with the indicators
      warming up inside its test window).
    """

    windows: pd.DataFrame
    results: list
    equity: pd.Series

    @property
    def total_return(self) -> float:
        """Out-of-sample return over all steps."""
        return float(self.equity.iloc[-1] / self.equity.iloc[0] - 1.0)


def walk_forward(bt: "Backtest", train: int, test: int, objective: str, maximize: bool, anchored: bool,
                 grid: Mapping[str, Iterable[Any]]) -> WalkForward:
    """See :meth:`py_rt.Backtest.walk_forward`."""
    n = len(bt.data)
    if train < 2 or test < 2:
        raise ValueError(f"train and test must each be at least 2 bars, got {train} and {test}")
    if train + test > n:
        raise ValueError(f"train + test ({train + test} bars) is longer than the data ({n} bars)")
    rows, results, curves = [], [], []
    cash = str(bt.cash)
    for test_start in range(train, n - test + 1, test):
        train_from = 0 if anchored else test_start - train
        ins = dataclasses.replace(bt, data=bt.data.iloc[train_from:test_start])
        table = ins.optimize(objective, maximize, **grid)
        best = {k: table.iloc[0][k] for k in grid}
        best = {k: (int(v) if float(v).is_integer() else float(v)) for k, v in best.items()}
        # Each step starts with what the previous one ended with, exactly.
        oos = dataclasses.replace(bt, data=bt.data.iloc[test_start:test_start + test], cash=cash)
        res: Result = oos.run(**best)
        results.append(res)
        curves.append(res.equity)
        cash = str(res.final_equity_exact)
        idx = bt.data.index
        rows.append({"train_start": idx[train_from], "train_end": idx[test_start - 1],
                     "test_start": idx[test_start], "test_end": idx[test_start + test - 1], **best,
                     f"train_{objective}": table.iloc[0][objective], "test_return": res.stats["total_return"],
                     f"test_{objective}": res.stats.get(objective), "test_fills": res.stats["num_fills"]})
    return WalkForward(pd.DataFrame(rows), results, pd.concat(curves).rename("equity"))
