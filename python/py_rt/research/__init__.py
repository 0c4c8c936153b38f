"""Research tools around the backtest: market regimes (HMM), factor
analysis, portfolio construction and performance attribution.

>>> reg = py_rt.research.fit_regimes(df["Close"])                  # regimes.stats, regimes.filtered
>>> fa = py_rt.research.factor_analysis(factor, prices)           # IC, quantile returns, turnover
>>> w = py_rt.research.target_weights(prices, method="hrp")       # -> py_rt.research.Rebalance
>>> py_rt.research.by_instrument(result, data)                    # where the P&L came from

These need the ``[research]`` extra (hmmlearn, PyPortfolioOpt, SciPy).
"""

from . import attribution
from .attribution import by_factor, by_instrument, by_strategy
from .factors import FactorAnalysis, factor_analysis, synthetic_universe
from .portfolio import Rebalance, hrp, mean_variance, risk_parity, target_weights
from .regimes import Regimes, fit_regimes

__all__ = ["FactorAnalysis", "Rebalance", "Regimes", "attribution", "by_factor", "by_instrument", "by_strategy",
           "factor_analysis", "fit_regimes", "hrp", "mean_variance", "risk_parity", "synthetic_universe",
           "target_weights"]
