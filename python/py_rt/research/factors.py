"""Factor analysis: does a cross-sectional signal predict returns?

>>> fa = py_rt.research.factor_analysis(factor, prices, periods=(1, 5, 10), quantiles=5)
>>> fa.ic_summary          # mean IC, its standard deviation, IR and t-statistic per horizon
>>> fa.quantile_returns    # mean forward return of each factor quintile
>>> fa.turnover            # share of each quantile's names replaced from one date to the next

``factor`` and ``prices`` are wide frames (dates × assets). The factor at
date ``t`` is compared with the forward return from ``t``'s close to the
close ``p`` bars later, so a factor built from data up to ``t`` is
judged on what happened after it. The information coefficient is the
Spearman rank correlation across assets on each date, as alphalens
computes it (a test checks the two agree).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

__all__ = ["FactorAnalysis", "factor_analysis", "synthetic_universe"]


@dataclasses.dataclass
class FactorAnalysis:
    ic: pd.DataFrame
    ic_summary: pd.DataFrame
    quantile_returns: pd.DataFrame
    spread: pd.Series
    turnover: pd.DataFrame
    quantiles: pd.DataFrame


def _wide(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a DataFrame of dates × assets")
    return frame.sort_index().astype(float)


def factor_analysis(factor: pd.DataFrame, prices: pd.DataFrame, periods=(1, 5, 10), quantiles: int = 5
                    ) -> FactorAnalysis:
    """Information coefficient, quantile returns, top-minus-bottom spread
    and turnover of ``factor`` against ``prices`` (see the module doc)."""
    factor, prices = _wide(factor, "factor"), _wide(prices, "prices")
    missing = sorted(set(factor.columns) - set(prices.columns))
    if missing:
        raise ValueError(f"assets with a factor but no prices: {missing[:5]}")
    prices = prices[factor.columns].reindex(factor.index.union(prices.index))
    if quantiles < 2:
        raise ValueError(f"quantiles must be at least 2, got {quantiles}")
    forward = {p: (prices.shift(-p) / prices - 1).reindex(factor.index) for p in periods}
    # Quantiles per date by rank (ties by order), 1 = lowest factor.
    ranks = factor.rank(axis=1, method="first")
    counts = factor.notna().sum(axis=1)
    q = np.ceil(ranks.div(counts, axis=0) * quantiles).clip(1, quantiles)
    ic, qret = {}, {}
    for p, fwd in forward.items():
        valid = factor.notna() & fwd.notna()
        f = factor.where(valid).rank(axis=1)
        r = fwd.where(valid).rank(axis=1)
        fc = f.sub(f.mean(axis=1), axis=0)
        rc = r.sub(r.mean(axis=1), axis=0)
        corr = (fc * rc).sum(axis=1) / np.sqrt((fc ** 2).sum(axis=1) * (rc ** 2).sum(axis=1))
        ic[f"{p}D"] = corr.where(valid.sum(axis=1) >= 3)
        stacked = pd.DataFrame({"q": q.where(valid).stack(), "r": fwd.where(valid).stack()}).dropna()
        qret[f"{p}D"] = stacked.groupby("q")["r"].mean()
    ic = pd.DataFrame(ic).dropna(how="all")
    n = ic.count()
    summary = pd.DataFrame({"mean_ic": ic.mean(), "std_ic": ic.std(), "ir": ic.mean() / ic.std(),
                            "t_stat": ic.mean() / ic.std() * np.sqrt(n), "dates": n})
    quantile_returns = pd.DataFrame(qret)
    quantile_returns.index = quantile_returns.index.astype(int).rename("quantile")
    spread = quantile_returns.loc[quantiles] - quantile_returns.loc[1]
    turnover = {}
    for k in range(1, quantiles + 1):
        members = q == k
        prev = members.shift(1, fill_value=False)
        changed = (members & ~prev).sum(axis=1) / members.sum(axis=1).replace(0, np.nan)
        turnover[k] = changed.iloc[1:]
    return FactorAnalysis(ic, summary, quantile_returns, spread.rename("top_minus_bottom"),
                          pd.DataFrame(turnover), q)


def synthetic_universe(n_assets: int = 50, n_days: int = 750, strength: float = 0.1, seed: int = 0,
                       start: str = "2020-01-01") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Prices of ``n_assets`` and two factors, one planted and one noise.

    Each asset's daily return is a common market move plus noise plus
    ``strength`` × its *planted* factor value (scaled to the return's
    volatility) from the day before, so the planted factor predicts the
    next day's cross-section with an information coefficient of about
    ``strength``. Returns ``(prices, factors)`` where ``factors`` has
    columns level 0 ``planted`` and ``noise`` (dates × assets each).
    """
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(start, periods=n_days)
    assets = [f"A{i:02d}" for i in range(n_assets)]
    vol = 0.02
    planted = rng.standard_normal((n_days, n_assets))
    noise = rng.standard_normal((n_days, n_assets))
    market = rng.normal(0.0003, 0.01, (n_days, 1))
    idio = rng.normal(0, vol, (n_days, n_assets))
    signal = np.vstack([np.zeros((1, n_assets)), planted[:-1]]) * strength * vol
    returns = market + idio + signal
    prices = pd.DataFrame(100 * np.exp(np.cumsum(np.log1p(returns), axis=0)), index=dates, columns=assets)
    factors = pd.concat({"planted": pd.DataFrame(planted, index=dates, columns=assets),
                         "noise": pd.DataFrame(noise, index=dates, columns=assets)}, axis=1)
    return prices, factors
