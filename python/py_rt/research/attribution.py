"""Performance attribution of a backtest: where the P&L came from.

* :func:`by_instrument`: each instrument's P&L over time, from the run's
  fills (cash paid and received, fees) and the closes it was marked at;
  the columns add up to the account's equity minus its starting cash.
* :func:`by_strategy`: each strategy's P&L in a run of several
  (:class:`py_rt.Allocation`), from its sleeve's equity.
* :func:`by_factor`: the run's returns regressed on factor returns
  (say the market, or a factor's top-minus-bottom portfolio): exposure
  (beta) to each, the return each explains, and the alpha left over.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["by_factor", "by_instrument", "by_strategy"]


def _closes(data, symbols) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame) and not isinstance(data.columns, pd.MultiIndex):
        cols = {str(c).lower(): c for c in data.columns}
        if "close" in cols and len(symbols) == 1:
            return pd.DataFrame({symbols[0]: data[cols["close"]].astype(float)})
        return data.astype(float)
    if isinstance(data, dict):
        out = {}
        for s, frame in data.items():
            cols = {str(c).lower(): c for c in frame.columns}
            out[s] = frame[cols["close"]].astype(float)
        return pd.DataFrame(out)
    raise TypeError("data must be the backtest's data: a frame of bars, a dict of frames, or closes by symbol")


def by_instrument(result, data) -> pd.DataFrame:
    """P&L by instrument at every bar time (dates × symbols): the position
    marked at the close plus the cash its fills moved, fees included."""
    fills = result.fills
    symbols = sorted(fills["symbol"].unique()) if len(fills) else []
    closes = _closes(data, symbols or ["ASSET"]).sort_index()
    if closes.index.tz is None and getattr(result.equity.index, "tz", None) is not None:
        closes.index = closes.index.tz_localize(result.equity.index.tz)
    out = {}
    for s in symbols:
        f = fills[fills["symbol"] == s]
        sign = np.where(f["side"] == "buy", 1.0, -1.0)
        qty = pd.Series(sign * f["qty"].to_numpy(float), index=pd.DatetimeIndex(f["time"]))
        cash = pd.Series(-sign * f["qty"].to_numpy(float) * f["price"].to_numpy(float) - f["fee"].to_numpy(float),
                         index=qty.index)
        col = s if s in closes else closes.columns[0]
        grid = closes.index
        position = qty.groupby(level=0).sum().reindex(grid, fill_value=0.0).cumsum()
        flows = cash.groupby(level=0).sum().reindex(grid, fill_value=0.0).cumsum()
        out[s] = position * closes[col].ffill() + flows
    return pd.DataFrame(out, index=closes.index)


def by_strategy(result) -> pd.DataFrame:
    """P&L of each strategy's sleeve over time (dates × strategies)."""
    eq = result.strategy_equity
    if eq is None:
        raise ValueError("the run has one strategy; by_strategy attributes runs of several (py_rt.Allocation)")
    eq = eq.drop(columns="account", errors="ignore")
    capital = result.strategies["capital"]
    return eq.sub(capital.reindex(eq.columns).astype(float), axis=1)


def by_factor(returns: pd.Series, factors: pd.DataFrame, periods_per_year: float = 252) -> pd.DataFrame:
    """Least-squares exposure of ``returns`` to each factor's returns, with
    t-statistics, and the return each explains over the span
    (exposure × the factor's total return); the ``alpha`` row holds the
    intercept (annualised) and what is left unexplained."""
    joined = pd.concat([returns.rename("__y"), factors], axis=1, join="inner").dropna()
    if len(joined) <= factors.shape[1] + 2:
        raise ValueError(f"{len(joined)} common dates for {factors.shape[1]} factors: too few to regress")
    y = joined.pop("__y").to_numpy()
    X = np.column_stack([np.ones(len(joined)), joined.to_numpy()])
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ coef
    dof = len(y) - X.shape[1]
    se = np.sqrt(np.diag(np.linalg.inv(X.T @ X)) * (resid @ resid) / dof)
    explained = coef[1:] * joined.to_numpy().sum(axis=0)
    rows = {name: {"exposure": b, "t_stat": b / s, "contribution": c}
            for name, b, s, c in zip(joined.columns, coef[1:], se[1:], explained)}
    rows["alpha"] = {"exposure": coef[0] * periods_per_year, "t_stat": coef[0] / se[0],
                     "contribution": y.sum() - explained.sum()}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.attrs["r_squared"] = 1 - (resid @ resid) / ((y - y.mean()) @ (y - y.mean()))
    return frame
