"""Portfolio construction feeding the multi-asset backtest.

>>> w = py_rt.research.target_weights(prices, method="hrp", lookback=252, every="ME")
>>> py_rt.Backtest(universe, py_rt.research.Rebalance, {"weights": w}).run()

Three methods, each on the returns of a trailing window that ends at the
rebalance date (nothing later is read):

* ``"mean_variance"``: the maximum-Sharpe portfolio (PyPortfolioOpt's
  ``EfficientFrontier``) under weight bounds, long only by default;
* ``"risk_parity"``: weights whose risk contributions are equal
  (Spinu's convex formulation, solved with SciPy);
* ``"hrp"``: López de Prado's hierarchical risk parity (PyPortfolioOpt's
  ``HRPOpt``).

:class:`Rebalance` is a py_rt strategy that sends ``ctx.rebalance`` with
the weights of each date on that date's bar (sells first), so the orders
fill at the next open like any other decision made on a close.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..strategy import Strategy

__all__ = ["Rebalance", "hrp", "mean_variance", "risk_parity", "target_weights"]


def _returns(prices: pd.DataFrame) -> pd.DataFrame:
    return prices.astype(float).pct_change().dropna(how="all")


def mean_variance(returns: pd.DataFrame, max_weight: float = 1.0, min_weight: float = 0.0,
                  risk_free: float = 0.0, periods_per_year: int = 252) -> pd.Series:
    """The maximum-Sharpe weights under ``min_weight ≤ w ≤ max_weight``,
    summing to 1 (sample mean and covariance, annualised)."""
    from pypfopt import EfficientFrontier, expected_returns, risk_models

    mu = expected_returns.mean_historical_return(returns, returns_data=True, frequency=periods_per_year)
    cov = risk_models.sample_cov(returns, returns_data=True, frequency=periods_per_year)
    ef = EfficientFrontier(mu, cov, weight_bounds=(min_weight, max_weight))
    if (mu <= risk_free).all():
        # No asset beats the risk-free rate: max Sharpe is undefined; hold
        # the minimum-variance portfolio instead.
        ef.min_volatility()
    else:
        ef.max_sharpe(risk_free_rate=risk_free)
    # The solver leaves ±1e-8 where a bound binds; a cash account reads a
    # -3e-8 weight as a short. Snap those to the bound and renormalise.
    w = pd.Series(ef.clean_weights(cutoff=1e-6, rounding=None)).reindex(returns.columns).fillna(0.0)
    w = w.clip(min_weight, max_weight)
    return w / w.sum()


def risk_parity(returns: pd.DataFrame, tol: float = 1e-12, max_iter: int = 100) -> pd.Series:
    """Equal risk contributions: minimises the convex ``½ yᵀΣy − Σ ln yᵢ``
    by damped Newton steps, then ``w = y / Σy``; every asset's
    ``wᵢ(Σw)ᵢ`` is then the same (to ``tol``, relative)."""
    cov = returns.cov().to_numpy()
    # Scale to unit average variance: the weights do not change, and the
    # Newton steps work on numbers near 1 instead of 1e-4.
    cov = cov / np.mean(np.diag(cov))
    y = 1.0 / np.sqrt(np.diag(cov))
    for _ in range(max_iter):
        grad = cov @ y - 1.0 / y
        if np.max(np.abs(grad * y)) < tol:
            break
        step = np.linalg.solve(cov + np.diag(1.0 / y ** 2), grad)
        t = 1.0
        while np.any(y - t * step <= 0):
            t /= 2
        y = y - t * step
    else:
        raise RuntimeError(f"risk parity did not converge in {max_iter} Newton steps (is the covariance singular?)")
    return pd.Series(y / y.sum(), index=returns.columns)


def hrp(returns: pd.DataFrame) -> pd.Series:
    """Hierarchical risk parity weights (single linkage on correlation distance)."""
    from pypfopt import HRPOpt

    return pd.Series(HRPOpt(returns).optimize()).reindex(returns.columns)


METHODS = {"mean_variance": mean_variance, "risk_parity": risk_parity, "hrp": hrp}


def target_weights(prices: pd.DataFrame, method: str = "hrp", lookback: int = 252, every: str = "ME",
                   **kwargs) -> pd.DataFrame:
    """Weights at each rebalance date (the last bar of each ``every``
    period: ``"ME"`` month end, ``"W"`` week, …), each from the
    ``lookback`` returns ending at that date. Dates before a full window
    have none. Returns a frame of dates × assets."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {sorted(METHODS)}")
    prices = prices.sort_index()
    rets = _returns(prices)
    dates = prices.index.to_series().groupby(pd.Grouper(freq=every)).last().dropna()
    rows = {}
    for d in dates:
        window = rets.loc[:d].iloc[-lookback:]
        if len(window) < lookback:
            continue
        rows[d] = METHODS[method](window, **kwargs)
    if not rows:
        raise ValueError(f"no rebalance date has {lookback} returns before it; shorten lookback or give more data")
    return pd.DataFrame(rows).T.rename_axis("time")


class Rebalance(Strategy):
    """Holds the target weights of ``weights`` (dates × symbols): on each
    date's bars it rebalances to that row; between dates it holds."""

    weights: pd.DataFrame = None  # type: ignore[assignment]

    def on_start(self, ctx):
        if self.weights is None:
            raise ValueError("Rebalance needs weights: py_rt.Backtest(data, Rebalance, {'weights': frame})")
        w = self.weights.copy()
        w.index = pd.DatetimeIndex(w.index)
        if w.index.tz is not None:
            w.index = w.index.tz_convert("UTC").tz_localize(None)
        self._rows = {int(t.value): row.dropna().to_dict() for t, row in w.iterrows()}

    def on_bars(self, ctx, bars):
        row = self._rows.get(int(next(iter(bars.values())).ts))
        if row is not None:
            ctx.rebalance(row)
