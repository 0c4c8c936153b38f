"""py_rt: backtests, indicators and features on pandas and numpy, run by
the py_rt Rust engine.

>>> import py_rt
>>> result = py_rt.Backtest(df, "sma_cross", {"fast": 10, "slow": 30}).run()
>>> result.stats["sharpe"], result.equity, result.trades
>>> py_rt.from_signals(df["Close"], entries, exits, fees="bps:10")
>>> py_rt.ta.rsi(df["Close"], 14)
>>> py_rt.features(df, ["rsi:14", "macd:12:26:9", "bb_pct:20:2"])
>>> py_rt.Paper(MyStrategy, symbol="BTCUSDT", bar="tick:100", record="s.jsonl").run(duration=600)
>>> py_rt.divergence("s.jsonl", MyStrategy)   # the same decisions on replay? the backtest vs live
"""

from . import analysis, ml, plots, research, ta
from .allocation import Allocation
from ._py_rt import __version__
from .backtest import (Backtest, RejectedOrdersError, RejectedOrdersWarning, Rejections, Result, from_signals,
                       strategies)
from .features import feature_names, features
from .optimize import SkippedCombinationsWarning
from .execution import volume_profile
from .strategy import AlgoUpdate, Bar, BookDelta, Context, Fill, OrderUpdate, Quote, Strategy, Trade
from .recording import DivergenceReport, divergence
from .trading import Live, Paper, SessionReport

__all__ = ["Allocation", "AlgoUpdate", "Backtest", "Bar", "BookDelta", "Quote", "Trade", "Context", "DivergenceReport", "Fill", "Live", "OrderUpdate", "Paper", "RejectedOrdersError",
           "RejectedOrdersWarning", "Rejections", "Result", "SessionReport", "SkippedCombinationsWarning", "Strategy", "__version__", "divergence", "feature_names", "features", "from_signals", "analysis", "ml", "plots", "research", "strategies", "ta", "volume_profile"]
