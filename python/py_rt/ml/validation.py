"""Cross-validation that respects time: purged K-fold with an embargo,
combinatorial purged CV, and a walk-forward training loop.

Labels look ahead (a label at ``t`` ends at ``t1[t]``), so an ordinary
K-fold leaks: a training label whose window overlaps the test fold has
seen test bars. *Purging* drops every training sample whose label window
``[t, t1[t]]`` overlaps the test fold's span; the *embargo* also drops
training samples that start within a few bars after the test fold, whose
features (built from recent bars) overlap the test labels' outcomes.

The splitters follow scikit-learn's protocol (``split`` yields integer
positions, ``get_n_splits``), so they plug into ``cross_val_score`` and
``GridSearchCV``; they need the labels' ``t1`` at construction.
"""

from __future__ import annotations

import itertools
import math
from typing import Callable, Iterator

import numpy as np
import pandas as pd

__all__ = ["PurgedKFold", "CombinatorialPurgedKFold", "walk_forward", "purge"]


def _spans(t1: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each label's first and last bar position on ``t1``'s own index."""
    if not isinstance(t1, pd.Series):
        raise TypeError(f"t1 must be a Series of label end times on the samples' index, got {type(t1).__name__}")
    if t1.isna().any():
        at = t1.index[t1.isna().to_numpy()][0]
        raise ValueError(f"t1 is missing at {at}: drop the samples without a label before cross-validating")
    if not t1.index.is_monotonic_increasing:
        raise ValueError("t1's index must be in time order")
    starts = np.arange(len(t1))
    # A label may end after the last sample (its outcome bar is not a
    # sample itself): searchsorted places it past the end.
    ends = t1.index.searchsorted(pd.Index(t1.to_numpy()), side="right") - 1
    if (ends < starts).any():
        at = t1.index[np.flatnonzero(ends < starts)[0]]
        raise ValueError(f"t1 at {at} is before the sample itself; a label ends at or after its bar")
    return starts, ends


def purge(t1: pd.Series, test: np.ndarray, embargo: int = 0) -> np.ndarray:
    """Positions of the samples that may train against ``test``: those whose
    label window does not overlap any test block, and that do not start
    within ``embargo`` samples after the end of one.

    ``test`` is a set of positions, possibly several separate blocks
    (combinatorial CV); each block is purged on its own.
    """
    return _purge(*_spans(t1), test, embargo)


def _purge(starts: np.ndarray, ends: np.ndarray, test: np.ndarray, embargo: int) -> np.ndarray:
    """:func:`purge` on the label spans :func:`_spans` found (the splitters
    find them once, not once a fold)."""
    keep = np.ones(len(starts), dtype=bool)
    keep[test] = False
    test = np.sort(np.asarray(test))
    if len(test) == 0:
        return np.flatnonzero(keep)
    breaks = np.flatnonzero(np.diff(test) > 1)
    for block in np.split(test, breaks + 1):
        lo, hi = block[0], block[-1]
        # The block covers bars lo .. the last bar any of its labels reads.
        block_end = max(hi, int(ends[block].max()))
        overlaps = (starts <= block_end) & (ends >= lo)
        keep &= ~overlaps
        if embargo:
            keep[block_end + 1: block_end + 1 + embargo] = False
    return np.flatnonzero(keep)


def _embargo_bars(embargo: float | int, n: int) -> int:
    if isinstance(embargo, float) and 0 <= embargo < 1:
        return int(math.ceil(embargo * n))
    if isinstance(embargo, (int, np.integer)) and embargo >= 0:
        return int(embargo)
    raise ValueError(f"embargo is a fraction of the samples in [0, 1) or a whole number of samples, got {embargo!r}")


class PurgedKFold:
    """K contiguous folds in time order; each fold tests once against the
    rest, purged of overlapping labels and embargoed after the fold.

    >>> cv = PurgedKFold(labels["t1"], n_splits=5, embargo=0.01)
    >>> for train, test in cv.split(X): ...
    """

    def __init__(self, t1: pd.Series, n_splits: int = 5, embargo: float | int = 0.0):
        self._spans = _spans(t1)
        if n_splits < 2 or n_splits > len(t1):
            raise ValueError(f"n_splits must be from 2 to the number of samples ({len(t1)}), got {n_splits}")
        self.t1 = t1
        self.n_splits = n_splits
        self.embargo = _embargo_bars(embargo, len(t1))

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        return self.n_splits

    def split(self, X=None, y=None, groups=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        if X is not None and len(X) != len(self.t1):
            raise ValueError(f"X has {len(X)} rows but t1 has {len(self.t1)}; give t1 for exactly the samples of X")
        for test in np.array_split(np.arange(len(self.t1)), self.n_splits):
            yield _purge(*self._spans, test, self.embargo), test


class CombinatorialPurgedKFold:
    """Combinatorial purged cross-validation: the samples in ``n_groups``
    contiguous groups, and every choice of ``n_test_groups`` of them as the
    test set, purged and embargoed around each test group.

    That gives ``C(N, k)`` splits and ``C(N, k)·k/N`` complete backtest
    paths (:meth:`paths`): each path is a sequence of out-of-sample
    predictions covering every sample once, so a strategy is judged on a
    distribution of Sharpe ratios instead of one walk-forward path.
    """

    def __init__(self, t1: pd.Series, n_groups: int = 6, n_test_groups: int = 2, embargo: float | int = 0.0):
        self._spans = _spans(t1)
        if not 1 <= n_test_groups < n_groups <= len(t1):
            raise ValueError(f"need 1 <= n_test_groups < n_groups <= samples ({len(t1)}); "
                             f"got n_groups={n_groups}, n_test_groups={n_test_groups}")
        self.t1 = t1
        self.n_groups = n_groups
        self.n_test_groups = n_test_groups
        self.embargo = _embargo_bars(embargo, len(t1))
        self.groups = np.array_split(np.arange(len(t1)), n_groups)
        self.combinations = list(itertools.combinations(range(n_groups), n_test_groups))

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        return len(self.combinations)

    def split(self, X=None, y=None, groups=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        if X is not None and len(X) != len(self.t1):
            raise ValueError(f"X has {len(X)} rows but t1 has {len(self.t1)}; give t1 for exactly the samples of X")
        for combo in self.combinations:
            test = np.concatenate([self.groups[g] for g in combo])
            yield _purge(*self._spans, test, self.embargo), test

    def paths(self) -> list[list[tuple[int, int]]]:
        """The backtest paths: each a list, one per group in time order, of
        ``(split number, group)`` saying which split's test predictions
        cover that group on this path."""
        n_paths = len(self.combinations) * self.n_test_groups // self.n_groups
        used = {g: 0 for g in range(self.n_groups)}
        paths: list[list[tuple[int, int]]] = [[] for _ in range(n_paths)]
        for split, combo in enumerate(self.combinations):
            for g in combo:
                paths[used[g]].append((split, g))
                used[g] += 1
        return [sorted(p, key=lambda sg: sg[1]) for p in paths]


def walk_forward(fit: Callable, X: pd.DataFrame, y: pd.Series, t1: pd.Series, train: int, test: int,
                 step: int | None = None, embargo: int = 0, expanding: bool = False,
                 sample_weight: pd.Series | None = None) -> tuple[pd.Series, list]:
    """Trains on a window, predicts the next ``test`` samples, moves on.

    ``fit(X_train, y_train, sample_weight)`` returns a fitted model with
    ``predict`` (or ``predict_proba``, whose class-1 column is used). Each
    training window is purged against the test window that follows it
    (labels ending inside it are dropped) and ``embargo`` is kept between.
    Returns the out-of-sample predictions (one per tested sample, NaN
    where none) and the fitted models in order.
    """
    n = len(X)
    if not (len(y) == len(t1) == n):
        raise ValueError(f"X, y and t1 must have the same rows; got {n}, {len(y)}, {len(t1)}")
    if train < 1 or test < 1 or train + test > n:
        raise ValueError(f"train ({train}) and test ({test}) windows must fit in the {n} samples")
    step = step or test
    spans = _spans(t1)
    predictions = pd.Series(np.nan, index=X.index, name="prediction")
    models = []
    start = 0
    while start + train < n:
        test_idx = np.arange(start + train, min(start + train + test, n))
        window = np.arange(0 if expanding else start, start + train)
        allowed = _purge(*spans, test_idx, embargo)
        fit_idx = np.intersect1d(window, allowed)
        # The embargo before the test window: drop its last `embargo` samples too.
        if embargo:
            fit_idx = fit_idx[fit_idx < test_idx[0] - embargo]
        if len(fit_idx) == 0:
            raise ValueError(f"the training window before sample {test_idx[0]} is empty after purging; "
                             "make it longer than the label horizon plus the embargo")
        weights = None if sample_weight is None else sample_weight.iloc[fit_idx].to_numpy()
        model = fit(X.iloc[fit_idx], y.iloc[fit_idx], weights)
        rows = X.iloc[test_idx]
        if hasattr(model, "predict_proba"):
            p = np.asarray(model.predict_proba(rows))[:, -1]
        else:
            p = np.asarray(model.predict(rows), dtype=float)
        predictions.iloc[test_idx] = p
        models.append(model)
        start += step
    return predictions, models
