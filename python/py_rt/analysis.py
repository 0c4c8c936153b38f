"""Risk and performance analysis on return series and backtest results.

Everything here is statistics on floats (pandas/numpy); the accounting that
produced the equity curve is exact in the engine. Conventions:

* VaR and CVaR are positive loss fractions at confidence ``level``
  (0.95: the loss exceeded on 5 % of periods). Historical VaR uses numpy's
  linear quantile, as the engine's report does, so ``var(r)`` equals
  ``result.stats["var_95_historical"]``.
* Annualisation uses ``periods_per_year`` (252 for daily bars).
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd


def _returns(x: Any) -> np.ndarray:
    r = np.asarray(x.returns if hasattr(x, "returns") else x, dtype=np.float64)
    r = r[~np.isnan(r)]
    if r.ndim != 1 or len(r) < 2:
        raise ValueError(f"need at least two returns, got {len(r)}")
    if not np.isfinite(r).all():
        raise ValueError("returns contain infinite values")
    return r


def _check_level(level: float) -> None:
    if not 0.5 <= level < 1:
        raise ValueError(f"level must be in [0.5, 1), got {level}")


def var(returns: Any, level: float = 0.95, method: str = "historical", *, horizon: int = 1,
        n_sims: int = 100_000, seed: int | None = 0) -> float:
    """Value at risk of a return series (or a :class:`Result`).

    ``method``: ``"historical"`` (empirical quantile), ``"parametric"``
    (normal with the sample mean and standard deviation) or
    ``"monte_carlo"`` (``n_sims`` paths of ``horizon`` returns bootstrapped
    from the history and compounded; seeded).
    """
    return _var_cvar(returns, level, method, horizon, n_sims, seed)[0]


def cvar(returns: Any, level: float = 0.95, method: str = "historical", *, horizon: int = 1,
         n_sims: int = 100_000, seed: int | None = 0) -> float:
    """Conditional VaR (expected shortfall): the mean loss beyond VaR."""
    return _var_cvar(returns, level, method, horizon, n_sims, seed)[1]


def _tail(r: np.ndarray, level: float) -> tuple[float, float]:
    q = np.quantile(r, 1 - level)
    return float(-q), float(-r[r <= q].mean())


def _var_cvar(returns, level, method, horizon, n_sims, seed):
    _check_level(level)
    r = _returns(returns)
    if method == "historical":
        return _tail(r, level)
    if method == "parametric":
        m, s = r.mean(), r.std(ddof=1)
        z = NormalDist().inv_cdf(level)
        return float(-(m - z * s)), float(-(m - NormalDist().pdf(z) / (1 - level) * s))
    if method == "monte_carlo":
        if horizon < 1 or n_sims < 100:
            raise ValueError("monte_carlo needs horizon >= 1 and n_sims >= 100")
        rng = np.random.default_rng(seed)
        paths = rng.choice(r, size=(n_sims, horizon), replace=True)
        return _tail(np.prod(1 + paths, axis=1) - 1, level)
    raise ValueError(f"unknown method `{method}`; use historical, parametric or monte_carlo")


def beta_alpha(returns: Any, benchmark: pd.Series, periods_per_year: float = 252) -> tuple[float, float]:
    """Beta of ``returns`` on ``benchmark`` returns, and Jensen's alpha,
    annualised. Both are aligned on their index (inner join)."""
    r = returns.returns if hasattr(returns, "returns") else returns
    if not isinstance(r, pd.Series) or not isinstance(benchmark, pd.Series):
        raise TypeError("returns and benchmark must be pandas Series indexed by time")
    both = pd.concat([r.rename("r"), benchmark.rename("b")], axis=1, join="inner").dropna()
    if len(both) < 3:
        raise ValueError(f"returns and benchmark share only {len(both)} timestamps; align their indexes")
    cov = np.cov(both["r"], both["b"], ddof=1)
    beta = cov[0, 1] / cov[1, 1]
    alpha = (both["r"].mean() - beta * both["b"].mean()) * periods_per_year
    return float(beta), float(alpha)


def rolling_sharpe(returns: Any, window: int, periods_per_year: float = 252) -> pd.Series:
    """Annualised Sharpe ratio over a rolling window (risk-free rate 0)."""
    r = returns.returns if hasattr(returns, "returns") else pd.Series(returns)
    if window < 2:
        raise ValueError("window must be at least 2")
    roll = r.rolling(window)
    return (roll.mean() / roll.std(ddof=1) * np.sqrt(periods_per_year)).rename("rolling_sharpe")


def bootstrap_trades(result: Any, n_sims: int = 10_000, seed: int | None = 0) -> pd.DataFrame:
    """Monte Carlo of the trade sequence: resamples the round trips' returns
    with replacement (same count), compounds each sequence, and returns one
    row per simulation with ``final_multiple`` (ending / starting equity)
    and ``max_drawdown``. ``.describe()`` or ``.quantile([.05, .5, .95])``
    gives the outcome distribution."""
    trade_returns = np.asarray(result.trades["return_pct"] if hasattr(result, "trades") else result, dtype=float)
    if len(trade_returns) < 2:
        raise ValueError(f"need at least two trades, got {len(trade_returns)}")
    rng = np.random.default_rng(seed)
    paths = np.cumprod(1 + rng.choice(trade_returns, size=(n_sims, len(trade_returns))), axis=1)
    peaks = np.maximum.accumulate(np.maximum(paths, 1.0), axis=1)
    return pd.DataFrame({"final_multiple": paths[:, -1], "max_drawdown": (1 - paths / peaks).max(axis=1)})


def autocorrelation(series: Any, lags: int = 20) -> pd.Series:
    """Sample autocorrelation at lags 1..``lags`` (the estimator of
    statsmodels' ``acf``: demeaned, divided by the lag-0 autocovariance)."""
    x = np.asarray(series, dtype=float)
    x = x[~np.isnan(x)] - np.nanmean(x)
    if len(x) <= lags:
        raise ValueError(f"need more than {lags} values, got {len(x)}")
    denom = np.dot(x, x)
    return pd.Series([np.dot(x[:-k], x[k:]) / denom for k in range(1, lags + 1)],
                     index=pd.RangeIndex(1, lags + 1, name="lag"), name="acf")


def adf(series: Any, regression: str = "c", autolag: str | None = "AIC") -> dict:
    """Augmented Dickey-Fuller test (statsmodels' ``adfuller``): a p-value
    below 0.05 rejects a unit root, i.e. the series looks stationary."""
    try:
        from statsmodels.tsa.stattools import adfuller
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("adf needs statsmodels: pip install statsmodels") from e
    x = np.asarray(series, dtype=float)
    x = x[~np.isnan(x)]
    stat, pvalue, lags, nobs, crit, _ = adfuller(x, regression=regression, autolag=autolag, result_object=False)
    return {"statistic": float(stat), "pvalue": float(pvalue), "lags": int(lags), "nobs": int(nobs),
            "critical_values": {k: float(v) for k, v in crit.items()}}
