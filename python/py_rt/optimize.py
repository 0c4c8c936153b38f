"""Parameter search: grid and random search run as one parallel sweep
(or, with ``backend="ray"``, spread over a Ray cluster); genetic and
Bayesian search run a generation or a batch of trials per sweep;
walk-forward optimisation is built on them.

For a built-in strategy a sweep sends every parameter set to the engine at
once; the engine runs them on all cores with the GIL released and returns
only statistics. A :class:`py_rt.Strategy` subclass holds the GIL in its
callbacks, so its parameter sets run in worker processes instead (forked,
one per core: the class need not be importable, a notebook's works too),
or as Ray tasks; each returns the same statistics.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import warnings
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import numpy as np
import pandas as pd

from . import _py_rt
from ._frame import bar_arrays

if TYPE_CHECKING:
    from .backtest import Backtest, Result


class SkippedCombinationsWarning(UserWarning):
    """Some parameter combinations of a search were refused by the strategy
    as inconsistent (e.g. ``fast >= slow``); ``table.attrs["skipped"]``
    lists them with the reason (``pd.DataFrame(table.attrs["skipped"])``)."""


def _values(grid: Mapping[str, Iterable[Any]]) -> tuple[list[str], list[list]]:
    if not grid:
        raise ValueError("give at least one parameter to vary, e.g. optimize(fast=range(5, 30))")
    names = list(grid)
    values = [list(v) for v in grid.values()]
    for name, vals in zip(names, values):
        if not vals:
            raise ValueError(f"parameter `{name}` has no values to try")
    return names, values


def _decode(flat: int, values: list[list]) -> tuple:
    """The combination at a flat index of the grid (mixed radix)."""
    combo = []
    for vals in reversed(values):
        flat, i = divmod(int(flat), len(vals))
        combo.append(vals[i])
    return tuple(reversed(combo))


class _Evaluator:
    """Runs parameter sets as Rust sweeps, remembering every result so a
    search that proposes the same point twice pays once."""

    def __init__(self, bt: "Backtest", names: list[str], objective: Any, maximize: bool, progress: bool | None,
                 backend: str = "local"):
        from .backtest import _param_text

        self.bt, self.names, self.objective, self.maximize = bt, names, objective, maximize
        self.python = not isinstance(bt.strategy, str)
        if self.python and not isinstance(bt.strategy, type):
            raise TypeError(f"optimize needs the strategy's class ({type(bt.strategy).__name__}), not an instance: "
                            "each parameter set runs on a fresh one")
        # Built-in strategies take their parameters as text; Python ones as values.
        self.fixed = dict(bt.params) if self.python else {k: _param_text(k, v) for k, v in bt.params.items()}
        if self.python:
            frames = bt.universe.values() if bt.universe is not None else [bt.data]
            self.bars: Any = [bar_arrays(f) for f in frames]
        else:
            bt._one_instrument(f"the built-in strategy `{bt.strategy}`")
            self.bars = bar_arrays(bt.data)
        self.cache: dict[tuple, dict | None] = {}
        # Combinations the strategy refused as inconsistent, and why.
        self.skipped: dict[tuple, str] = {}
        self.progress = progress
        if backend not in ("local", "ray"):
            raise ValueError(f"unknown backend `{backend}`; use local or ray")
        if self.python:
            self.sweep = _ray_python_sweep if backend == "ray" else _python_sweep
        else:
            self.sweep = _ray_sweep if backend == "ray" else _py_rt.run_sweep

    def __call__(self, combos: list[tuple]) -> list[dict | None]:
        from .backtest import _param_text, _with_index_label

        todo = list(dict.fromkeys(c for c in combos if c not in self.cache))
        bar = None
        if todo and (self.progress or (self.progress is None and len(todo) >= 2000)):
            try:
                from tqdm.auto import tqdm
                bar = tqdm(total=len(todo), desc="backtests", unit="run", disable=None if self.progress is None else False)
            except ImportError:
                bar = None
        # With a progress bar, sweep in chunks (each still parallel) to report between them.
        step = max(64, len(todo) // 50) if bar is not None else max(len(todo), 1)
        for i in range(0, len(todo), step):
            chunk = todo[i:i + step]
            if self.python:
                sets = [{**self.fixed, **dict(zip(self.names, combo))} for combo in chunk]
            else:
                sets = [{**self.fixed, **{k: _param_text(k, v) for k, v in zip(self.names, combo)}} for combo in chunk]
            try:
                raw = self.sweep(self.bars, self.bt._settings(), self.bt.strategy, sets)
            except ValueError as e:
                if bar is not None:
                    bar.close()
                raise ValueError(_with_index_label(str(e), self.bt.data.index)) from None
            for combo, out in zip(chunk, json.loads(raw)):
                self.cache[combo] = out.get("stats")
                if "skipped" in out:
                    self.skipped[combo] = out["skipped"]
            if bar is not None:
                bar.update(len(chunk))
        if bar is not None:
            bar.close()
        return [self.cache[c] for c in combos]

    def score(self, stats: dict | None) -> float:
        """The objective, signed so that larger is better; -inf when missing."""
        if stats is None:
            return -np.inf
        if callable(self.objective):
            v = self.objective(stats)
        elif self.objective in stats:
            v = stats[self.objective]
        else:
            raise ValueError(f"unknown objective `{self.objective}`; choose one of {list(stats)} or pass a callable")
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return -np.inf
        return float(v) if self.maximize else -float(v)

    def skipped_rows(self) -> list[dict]:
        """The refused combinations: their parameters and the reason (plain
        records, so pandas can compare and carry them through merges)."""
        return [{**dict(zip(self.names, combo)), "reason": why} for combo, why in self.skipped.items()]

    def table(self) -> pd.DataFrame:
        rows = [{**dict(zip(self.names, combo)), **stats} for combo, stats in self.cache.items() if stats]
        if not rows:
            example = next(iter(self.skipped.values()), "")
            raise ValueError(f"every combination was refused as inconsistent ({len(self.skipped)} of them); check "
                             f"the ranges (e.g. fast < slow); first reason: {example}")
        if self.skipped:
            combo, why = next(iter(self.skipped.items()))
            shown = ", ".join(f"{k}={v}" for k, v in zip(self.names, combo))
            warnings.warn(f"{len(self.skipped)} of {len(self.cache)} parameter combinations were skipped as "
                          f"inconsistent (first: {shown}: {why}); they are listed in table.attrs['skipped']",
                          SkippedCombinationsWarning, stacklevel=4)
        table = pd.DataFrame(rows)
        tz = getattr(self.bt.data.index, "tz", None)
        for key in ("start", "end"):  # Unix ns → the bars' own time zone, as in Result.stats
            if key in table:
                times = pd.to_datetime(table[key].astype("int64"), unit="ns", utc=True)
                table[key] = times.dt.tz_convert(tz) if tz is not None else times.dt.tz_localize(None)
        self.score(rows[0])  # checks the objective's name
        key = self.objective
        if callable(key):
            key = "objective"
            table[key] = [self.objective(stats) for stats in (self.cache[tuple(r[n] for n in self.names)]
                                                               for r in rows)]
        table = table.sort_values(key, ascending=not self.maximize, na_position="last", kind="stable",
                                  ignore_index=True)
        table.attrs["skipped"] = self.skipped_rows()
        return table


# Each kind of Ray task, made remote once per process.
_RAY_TASKS: dict[str, Any] = {}


def _ray_chunks(name: str, task: Any, bars: dict, settings: dict, strategy: Any, sets: list) -> list:
    """Runs ``task(bars, settings, strategy, chunk)`` as Ray tasks: the bars
    go to the object store once, the parameter sets in chunks (four per
    cluster CPU). Returns the chunks' answers in order. Connects to a local
    Ray instance when ``ray.init`` was not called first."""
    try:
        import ray
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("backend='ray' needs ray: pip install ray") from e
    if not ray.is_initialized():
        ray.init()
    if name not in _RAY_TASKS:
        _RAY_TASKS[name] = ray.remote(task)
    remote = _RAY_TASKS[name]
    bars_ref = ray.put(bars)
    n_chunks = max(1, min(len(sets), 4 * int(ray.cluster_resources().get("CPU", 1))))
    size = -(-len(sets) // n_chunks)
    return ray.get([remote.remote(bars_ref, settings, strategy, sets[i:i + size]) for i in range(0, len(sets), size)])


def _sweep_task(bars, settings, strategy, chunk):
    from py_rt import _py_rt as engine

    return engine.run_sweep(bars, settings, strategy, chunk)


def _ray_sweep(bars, settings, strategy, sets) -> str:
    """`run_sweep` spread over a Ray cluster, each task running its chunk
    with the engine's own parallel sweep."""
    parts = _ray_chunks("sweep", _sweep_task, bars, settings, strategy, sets)
    return json.dumps([row for part in parts for row in json.loads(part)])


# A Python strategy's sweep, as the forked workers see it: set before the
# pool starts, so nothing but an index list crosses to a worker and the
# class is never pickled.
_PY_JOB: tuple | None = None


def _python_stats(bars: list[dict], settings: dict, cls: type, params: Mapping[str, Any]) -> str:
    """One parameter set of a Python strategy: the run's statistics, as
    `run_sweep` returns them (a JSON row)."""
    from .strategy import instantiate, overridden_hooks

    obj = instantiate(cls, params)
    try:
        member = {"strategy": obj, "hooks": overridden_hooks(obj), "capital": None, "symbols": None}
        raw = _py_rt.run_python_strategy(bars, settings, [member])
    except Exception as e:
        e.add_note(f"while running {cls.__name__}({', '.join(f'{k}={v!r}' for k, v in params.items())})")
        raise
    stats = json.loads(raw["summary_json"])
    for extra in ("final_equity_exact", "final_cash_exact", "final_positions", "events", "symbols", "rejections",
                  "executions"):
        stats.pop(extra, None)
    return json.dumps({"stats": stats})


def _python_chunk(indices: list[int]) -> list[str]:
    bars, settings, cls, sets = _PY_JOB
    return [_python_stats(bars, settings, cls, sets[i]) for i in indices]


def _python_sweep(bars: list[dict], settings: dict, cls: type, sets: list[dict]) -> str:
    """Runs a Python strategy's parameter sets on every core, in forked
    worker processes (inline for one set, or where fork is unavailable)."""
    global _PY_JOB
    import multiprocessing

    workers = min(len(sets), os.cpu_count() or 1)
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return "[" + ",".join(_python_stats(bars, settings, cls, p) for p in sets) + "]"
    _PY_JOB = (bars, settings, cls, sets)
    try:
        chunks = [list(range(i, len(sets), workers)) for i in range(workers)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads: the workers use none
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                parts = pool.map(_python_chunk, chunks)
    finally:
        _PY_JOB = None
    rows: list[str] = [""] * len(sets)
    for chunk, part in zip(chunks, parts):
        for i, row in zip(chunk, part):
            rows[i] = row
    return "[" + ",".join(rows) + "]"


def _python_task(bars, settings, cls, chunk):
    from py_rt.optimize import _python_stats

    return [_python_stats(bars, settings, cls, p) for p in chunk]


def _ray_python_sweep(bars: list[dict], settings: dict, cls: type, sets: list[dict]) -> str:
    """A Python strategy's parameter sets as Ray tasks (the class travels
    with cloudpickle, so one defined in a notebook works)."""
    parts = _ray_chunks("python", _python_task, bars, settings, cls, sets)
    return "[" + ",".join(row for part in parts for row in part) + "]"


def search(bt: "Backtest", objective: Any, maximize: bool, method: str, n_iter: int, seed: int | None,
           grid: Mapping[str, Iterable[Any]], progress: bool | None = None, backend: str = "local") -> pd.DataFrame:
    """See :meth:`py_rt.Backtest.optimize`."""
    names, values = _values(grid)
    total = int(np.prod([len(v) for v in values]))
    if method not in ("grid", "random", "genetic", "bayes"):
        raise ValueError(f"unknown method `{method}`; use grid, random, genetic or bayes")
    if method != "grid" and n_iter < 1:
        raise ValueError(f"n_iter must be at least 1, got {n_iter}")
    ev = _Evaluator(bt, names, objective, maximize, progress, backend)
    if method == "grid":
        ev(list(itertools.product(*values)))
    elif method == "random":
        picks = np.random.default_rng(seed).choice(total, size=min(n_iter, total), replace=False)
        ev([_decode(p, values) for p in picks])
    elif method == "genetic":
        _genetic(ev, values, min(n_iter, total), seed)
    else:
        _bayes(ev, names, values, n_iter, seed, maximize)
    return ev.table()


def _genetic(ev: _Evaluator, values: list[list], budget: int, seed: int | None) -> None:
    """A generational genetic algorithm over the grid's index space: elitism,
    tournament selection, uniform crossover, and mutation by small steps
    along each (ordered) parameter axis. Each generation is one parallel
    sweep; stops when ``budget`` distinct points have run or the population
    stops producing new ones."""
    rng = np.random.default_rng(seed)
    dims = [len(v) for v in values]
    size = int(min(max(8, budget // 5), budget))
    pop = [tuple(int(rng.integers(d)) for d in dims) for _ in range(size)]
    to_combo = lambda ind: tuple(v[i] for v, i in zip(values, ind))  # noqa: E731
    stale = 0
    while len(ev.cache) < budget and stale < 5:
        before = len(ev.cache)
        fresh = [ind for ind in dict.fromkeys(pop) if to_combo(ind) not in ev.cache]
        ev([to_combo(ind) for ind in fresh[:budget - len(ev.cache)]])
        scored = sorted(((ev.score(ev.cache.get(to_combo(ind))), ind) for ind in dict.fromkeys(pop)
                         if to_combo(ind) in ev.cache), key=lambda t: t[0], reverse=True)
        stale = stale + 1 if len(ev.cache) == before else 0
        if not scored:
            break
        elite = [ind for _, ind in scored[:2]]

        def pick():
            k = rng.choice(len(scored), size=min(3, len(scored)), replace=False)
            return scored[min(k)][1]  # scored is best-first

        children = list(elite)
        while len(children) < size:
            a, b = pick(), pick()
            child = [a[j] if rng.random() < 0.5 else b[j] for j in range(len(dims))]
            for j, d in enumerate(dims):
                if rng.random() < 1.0 / len(dims):
                    child[j] = int(np.clip(child[j] + rng.integers(-2, 3), 0, d - 1))
            children.append(tuple(child))
        pop = children


def _bayes(ev: _Evaluator, names: list[str], values: list[list], n_iter: int, seed: int | None,
           maximize: bool) -> None:
    """Bayesian optimisation with optuna's TPE sampler over each parameter's
    index (so ranges stay ordered), asking a batch of trials per parallel
    sweep. Inconsistent combinations are told to optuna as failed trials."""
    try:
        import optuna
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("method='bayes' needs optuna: pip install optuna") from e
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    batch = max(4, 2 * (os.cpu_count() or 1))
    done = 0
    while done < n_iter:
        trials = [study.ask() for _ in range(min(batch, n_iter - done))]
        combos = [tuple(v[t.suggest_int(n, 0, len(v) - 1)] for n, v in zip(names, values)) for t in trials]
        for trial, stats in zip(trials, ev(combos)):
            score = ev.score(stats)
            if np.isfinite(score):
                study.tell(trial, score)
            else:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
        done += len(trials)


@dataclasses.dataclass
class WalkForward:
    """The outcome of a walk-forward optimisation.

    * ``windows``: one row per step: train and test periods, the chosen
      parameters, the in-sample objective and the out-of-sample statistics;
    * ``results``: the out-of-sample :class:`py_rt.Result` of each step;
    * ``equity``: the out-of-sample equity curves chained into one, starting
      from the backtest's cash (each step takes over the cash and position
      the one before ended with; see ``boundary``).
    """

    windows: pd.DataFrame
    results: list
    equity: pd.Series

    @property
    def total_return(self) -> float:
        """Out-of-sample return over all steps."""
        return float(self.equity.iloc[-1] / self.equity.iloc[0] - 1.0)


def walk_forward(bt: "Backtest", train: int, test: int, objective: str, maximize: bool, anchored: bool,
                 grid: Mapping[str, Iterable[Any]], progress: bool | None = None,
                 backend: str = "local", warm: bool = True, boundary: str = "flat") -> WalkForward:
    """See :meth:`py_rt.Backtest.walk_forward`."""
    from ._frame import bar_index, timestamps_ns

    if boundary not in ("flat", "carry"):
        raise ValueError(f"boundary `{boundary}`: use flat (close what the window before held, at this window's "
                         "first price) or carry (hold it on)")
    n = len(bt.data)
    if train < 2 or test < 2:
        raise ValueError(f"train and test must each be at least 2 bars, got {train} and {test}")
    if train + test > n:
        raise ValueError(f"train + test ({train + test} bars) is longer than the data ({n} bars)")
    rows, results, curves = [], [], []
    cash, carry = str(bt.cash), None
    starts = range(train, n - test + 1, test)
    bar = None
    if progress is not False:
        try:
            from tqdm.auto import tqdm

            # disable=None: drawn only in a terminal or notebook, unless asked.
            bar = tqdm(total=len(starts), desc="walk-forward", unit="window", disable=None if progress is None else False)
        except ImportError:
            bar = None
    for test_start in starts:
        train_from = 0 if anchored else test_start - train
        ins = dataclasses.replace(bt, data=bt.data.iloc[train_from:test_start])
        table = ins.optimize(objective, maximize, progress=False, backend=backend, **grid)
        best = {k: table.iloc[0][k] for k in grid}
        best = {k: (int(v) if float(v).is_integer() else float(v)) for k, v in best.items()}
        # Each step starts with what the previous one ended with, exactly:
        # its cash, and its position (closed at this window's first price
        # under `flat`, held under `carry`). Warm, the strategy first sees
        # the training window's bars, trading from the test window's first.
        first = train_from if warm else test_start
        window = bt.data.iloc[first:test_start + test]
        trade_from = int(timestamps_ns(bar_index(window), len(window))[test_start - first])
        oos = dataclasses.replace(bt, data=window, cash=cash, _trade_from=trade_from, _carry=carry,
                                  _close_carried=boundary == "flat")
        res: Result = oos.run(**best)
        results.append(res)
        curves.append(res.equity)
        cash = str(res.final_cash_exact)
        held = [(str(q), str(v)) for q, v in res.final_positions.values()]
        carry = held[0] if held else None
        idx = bt.data.index
        rows.append({"train_start": idx[train_from], "train_end": idx[test_start - 1],
                     "test_start": idx[test_start], "test_end": idx[test_start + test - 1], **best,
                     f"train_{objective}": table.iloc[0][objective], "test_return": res.stats["total_return"],
                     f"test_{objective}": res.stats.get(objective), "test_fills": res.stats["num_fills"]})
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return WalkForward(pd.DataFrame(rows), results, pd.concat(curves).rename("equity"))
