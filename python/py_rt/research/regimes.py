"""Market regimes from a Gaussian hidden Markov model (hmmlearn).

>>> reg = py_rt.research.fit_regimes(df["Close"], n_regimes=2, train=slice(None, "2004"))
>>> reg.stats                     # per-regime return, volatility, Sharpe, time share, duration
>>> reg.filtered                  # P(regime | bars up to t): usable in a strategy at t

The model is fitted on one-bar log returns and their rolling volatility.
Regimes are numbered by volatility, calmest first, so ``0`` means the same
thing on every fit. Two sets of probabilities come out:

* ``smoothed``: from the whole sample (forward-backward). Right for
  describing history, wrong for trading: it uses the future.
* ``filtered``: the forward recursion only, from bars up to ``t``. The
  regime a strategy may act on at ``t`` is ``filtered.idxmax(axis=1)``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

__all__ = ["Regimes", "fit_regimes"]


@dataclasses.dataclass
class Regimes:
    """A fitted regime model and what it says about the data."""

    model: object
    observations: pd.DataFrame
    smoothed: pd.DataFrame
    filtered: pd.DataFrame
    stats: pd.DataFrame

    @property
    def regime(self) -> pd.Series:
        """The regime known at each bar (from ``filtered``: no look-ahead)."""
        return self.filtered.idxmax(axis=1).rename("regime")


def _observations(close: pd.Series, vol_window: int) -> pd.DataFrame:
    r = np.log(close).diff()
    return pd.DataFrame({"ret": r, "vol": r.rolling(vol_window).std()}).dropna()


def _log_emissions(model, X: np.ndarray) -> np.ndarray:
    """log N(x | mean_k, cov_k) for every row and state."""
    from scipy.stats import multivariate_normal

    return np.column_stack([multivariate_normal(model.means_[k], model.covars_[k], allow_singular=True).logpdf(X)
                            for k in range(model.n_components)])


def _forward(model, X: np.ndarray) -> np.ndarray:
    """Filtered state probabilities: P(s_t | x_1..x_t), normalised each step."""
    log_b = _log_emissions(model, X)
    out = np.empty_like(log_b)
    prior = model.startprob_
    for t in range(len(X)):
        b = np.exp(log_b[t] - log_b[t].max())
        post = prior * b
        post /= post.sum()
        out[t] = post
        prior = post @ model.transmat_
    return out


def fit_regimes(close: pd.Series, n_regimes: int = 2, vol_window: int = 20, train: slice | None = None,
                periods_per_year: float = 252, seed: int = 0, n_iter: int = 200) -> Regimes:
    """Fits a Gaussian HMM with ``n_regimes`` states to ``close``'s log
    returns and ``vol_window``-bar volatility. ``train`` (a slice of the
    index, e.g. ``slice(None, "2009")``) fits on part of the data and
    applies the model to all of it; the filtered probabilities outside the
    training span are then true out-of-sample."""
    from hmmlearn.hmm import GaussianHMM

    if not isinstance(close, pd.Series):
        raise TypeError("fit_regimes takes a Series of closes")
    obs = _observations(close.astype(float), vol_window)
    fit_on = obs.loc[train] if train is not None else obs
    if len(fit_on) < 10 * n_regimes:
        raise ValueError(f"{len(fit_on)} observations to fit {n_regimes} regimes: give more data "
                         f"(after the {vol_window}-bar volatility warm-up)")
    model = GaussianHMM(n_components=n_regimes, covariance_type="full", n_iter=n_iter, random_state=seed)
    model.fit(fit_on.to_numpy())
    # Number the states by volatility, calmest first.
    order = np.argsort([model.covars_[k][0, 0] for k in range(n_regimes)])
    model.startprob_ = model.startprob_[order]
    model.transmat_ = model.transmat_[np.ix_(order, order)]
    model.means_ = model.means_[order]
    model.covars_ = model.covars_[order]
    X = obs.to_numpy()
    smoothed = pd.DataFrame(model.predict_proba(X), index=obs.index)
    filtered = pd.DataFrame(_forward(model, X), index=obs.index)
    return Regimes(model, obs, smoothed, filtered, _stats(obs["ret"], filtered.idxmax(axis=1), periods_per_year))


def _stats(ret: pd.Series, regime: pd.Series, periods_per_year: float) -> pd.DataFrame:
    rows = {}
    runs = (regime != regime.shift()).cumsum()
    for k in sorted(regime.unique()):
        r = ret[regime == k]
        durations = runs[regime == k].value_counts()
        vol = r.std() * np.sqrt(periods_per_year)
        rows[k] = {
            "bars": len(r),
            "share": len(r) / len(ret),
            "mean_return": r.mean() * periods_per_year,
            "volatility": vol,
            "sharpe": r.mean() * periods_per_year / vol if vol > 0 else np.nan,
            "mean_duration": durations.mean(),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "regime"
    return frame
