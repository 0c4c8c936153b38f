"""Research tools: HMM regimes find planted volatility regimes without
look-ahead; factor analysis finds a planted factor on a 50-asset universe
(and agrees with alphalens); portfolio construction feeds the multi-asset
backtest; attribution adds up to the account."""

import numpy as np
import pandas as pd
import pytest

import py_rt
from py_rt import research

pytest.importorskip("hmmlearn")
pytest.importorskip("pypfopt")

from conftest import DATA  # noqa: E402


def regime_prices(seed=0):
    """Alternating calm (0.5 %) and wild (3 %) stretches of daily returns."""
    rng = np.random.default_rng(seed)
    truth, rets = [], []
    for block in range(8):
        wild = block % 2 == 1
        n = 150 if wild else 250
        rets.append(rng.normal(0.0003, 0.03 if wild else 0.005, n))
        truth += [int(wild)] * n
    idx = pd.bdate_range("2010-01-01", periods=len(truth))
    close = pd.Series(100 * np.exp(np.cumsum(np.concatenate(rets))), index=idx)
    return close, pd.Series(truth, index=idx)


def test_regimes_are_found_and_ordered_by_volatility():
    close, truth = regime_prices()
    reg = research.fit_regimes(close, n_regimes=2)
    known = reg.regime
    accuracy = (known == truth.reindex(known.index)).mean()
    assert accuracy > 0.95, accuracy
    assert reg.stats.loc[1, "volatility"] > 4 * reg.stats.loc[0, "volatility"]
    assert reg.stats["share"].sum() == pytest.approx(1.0)
    assert reg.stats["mean_duration"].min() > 20


def test_filtered_regimes_use_no_later_bar():
    close, _ = regime_prices(1)
    train = slice(None, close.index[1000])
    full = research.fit_regimes(close, train=train)
    cut = research.fit_regimes(close.iloc[:1200], train=train)
    common = cut.filtered.index
    np.testing.assert_allclose(cut.filtered.to_numpy(), full.filtered.loc[common].to_numpy(), atol=1e-12)
    # The smoothed probabilities do look ahead: they differ near the cut.
    assert not np.array_equal(cut.smoothed.to_numpy()[-5:], full.smoothed.loc[common].to_numpy()[-5:])


def test_a_regime_filtered_strategy_trades_only_in_the_calm_regime(orcl):
    reg = research.fit_regimes(orcl["Close"], train=slice(None, "2004"))
    calm = reg.regime.eq(0)

    class CalmSma(py_rt.Strategy):
        history = 50

        def on_bar(self, ctx, bar):
            t = pd.Timestamp(bar.ts)
            closes = ctx.history("close", 50)
            if len(closes) < 50:
                return
            held = ctx.position("ASSET") > 0
            if held and not calm.get(t, False):
                ctx.close_position("ASSET")
            elif not held and calm.get(t, False) and closes[-10:].mean() > closes.mean():
                ctx.order_target_percent("ASSET", 0.95)

    res = py_rt.Backtest(orcl, CalmSma).run()
    buys = res.fills[res.fills["side"] == "buy"]
    assert len(buys) > 10
    decided = [orcl.index[orcl.index.get_loc(t) - 1] for t in buys["time"]]
    assert all(calm[d] for d in decided), "a buy was decided outside the calm regime"


def test_factor_analysis_finds_the_planted_factor_and_not_the_noise():
    prices, factors = research.synthetic_universe(n_assets=50, n_days=750, strength=0.15, seed=3)
    planted = research.factor_analysis(factors["planted"], prices, periods=(1, 5))
    noise = research.factor_analysis(factors["noise"], prices, periods=(1, 5))
    assert planted.ic_summary.loc["1D", "mean_ic"] > 0.08
    assert planted.ic_summary.loc["1D", "t_stat"] > 8
    assert abs(noise.ic_summary.loc["1D", "t_stat"]) < 3
    q = planted.quantile_returns["1D"]
    assert list(q.index) == [1, 2, 3, 4, 5] and q.is_monotonic_increasing
    assert planted.spread["1D"] > 0.002
    # A daily random factor replaces most of each quantile every day.
    assert planted.turnover.mean().between(0.6, 0.95).all()


def test_the_information_coefficient_agrees_with_alphalens():
    al = pytest.importorskip("alphalens")
    prices, factors = research.synthetic_universe(n_assets=50, n_days=300, seed=5)
    ours = research.factor_analysis(factors["planted"], prices, periods=(1, 5)).ic
    stacked = factors["planted"].stack()
    stacked.index.names = ["date", "asset"]
    clean = al.utils.get_clean_factor_and_forward_returns(stacked, prices, periods=(1, 5), quantiles=5,
                                                          max_loss=1.0)
    theirs = al.performance.factor_information_coefficient(clean)
    common = theirs.index.intersection(ours.index)
    assert len(common) > 250
    np.testing.assert_allclose(ours.loc[common].to_numpy(), theirs.loc[common].to_numpy(), atol=1e-9)


def test_risk_parity_equalises_risk_and_methods_respect_their_bounds():
    prices, _ = research.synthetic_universe(n_assets=8, n_days=400, seed=2)
    rets = prices.pct_change().dropna()
    w = research.risk_parity(rets)
    cov = rets.cov().to_numpy()
    contrib = w.to_numpy() * (cov @ w.to_numpy())
    np.testing.assert_allclose(contrib / contrib.sum(), 1 / 8, atol=1e-6)
    mv = research.mean_variance(rets, max_weight=0.3)
    assert mv.sum() == pytest.approx(1.0) and mv.max() <= 0.3 + 1e-9 and mv.min() >= -1e-9
    h = research.hrp(rets)
    assert h.sum() == pytest.approx(1.0) and (h > 0).all()


def test_target_weights_read_only_the_past():
    prices, _ = research.synthetic_universe(n_assets=6, n_days=500, seed=4)
    w = research.target_weights(prices, "risk_parity", lookback=120, every="ME")
    d = w.index[3]
    changed = prices.copy()
    changed.loc[changed.index > d] *= 1.5
    again = research.target_weights(changed, "risk_parity", lookback=120, every="ME")
    pd.testing.assert_series_equal(w.loc[d], again.loc[d])
    with pytest.raises(ValueError, match="unknown method"):
        research.target_weights(prices, "equal")


@pytest.fixture(scope="module")
def stocks():
    files = {"ORCL": "orcl-1995-2014.txt", "NVDA": "nvda-1999-2014.txt", "YHOO": "yhoo-1996-2014.txt"}
    out = {}
    for sym, name in files.items():
        path = DATA / "backtrader" / name
        if not path.exists():
            pytest.skip(f"shared data not found at {path} (set PYRT_SHARED_DATA)")
        out[sym] = pd.read_csv(path, index_col=0, parse_dates=True).loc["2005":"2009"]
    return out


@pytest.mark.parametrize("method", ["hrp", "risk_parity", "mean_variance"])
def test_constructed_weights_drive_the_multi_asset_backtest(stocks, method):
    closes = pd.DataFrame({s: f["Close"] for s, f in stocks.items()})
    w = research.target_weights(closes, method, lookback=120, every="ME") * 0.95
    # A margin account: in a cash account a rebalance's buys are checked
    # against cash before its sales (decided on the same close) have filled.
    res = py_rt.Backtest(stocks, research.Rebalance, {"weights": w}, calendar="intersection",
                         account="margin", strict=True).run()
    assert len(res.fills) >= len(w)
    pnl = research.by_instrument(res, stocks)
    equity = res.equity.reindex(pnl.index).ffill()
    # Each instrument's P&L adds up to the account's.
    np.testing.assert_allclose(pnl.sum(axis=1).to_numpy(), (equity - 100_000).to_numpy(), rtol=1e-9, atol=1e-6)


def test_attribution_by_strategy_and_by_factor(stocks):
    class Hold(py_rt.Strategy):
        def on_bar(self, ctx, bar):
            if ctx.position(bar.symbol) == 0 and not ctx.open_orders():
                ctx.order_target_percent(bar.symbol, 0.9)

    res = py_rt.Backtest(stocks, [py_rt.Allocation(Hold, 0.5, symbols=["ORCL"], name="orcl"),
                                  py_rt.Allocation(Hold, 0.5, symbols=["NVDA"], name="nvda")],
                         calendar="intersection").run()
    by = research.by_strategy(res)
    assert list(by.columns) == ["orcl", "nvda"]
    assert by.iloc[-1].sum() == pytest.approx(float(res.final_equity_exact) - 100_000, rel=1e-9)
    # Factor exposures are recovered from returns built on them.
    rng = np.random.default_rng(0)
    idx = pd.bdate_range("2020-01-01", periods=500)
    f = pd.DataFrame(rng.normal(0, 0.01, (500, 2)), index=idx, columns=["market", "value"])
    r = 0.0002 + 0.8 * f["market"] - 0.3 * f["value"] + rng.normal(0, 0.002, 500)
    table = research.by_factor(pd.Series(r, index=idx), f)
    assert table.loc["market", "exposure"] == pytest.approx(0.8, abs=0.03)
    assert table.loc["value", "exposure"] == pytest.approx(-0.3, abs=0.03)
    assert table["contribution"].sum() == pytest.approx(r.sum())
    assert table.attrs["r_squared"] > 0.9


def test_bad_research_input_says_what_to_do(stocks):
    close, _ = regime_prices()
    with pytest.raises(ValueError, match="observations to fit 2 regimes"):
        research.fit_regimes(close.iloc[:30])
    prices, factors = research.synthetic_universe(n_assets=5, n_days=50)
    with pytest.raises(ValueError, match=r"assets with a factor but no prices: \['A04'\]"):
        research.factor_analysis(factors["planted"], prices.drop(columns="A04"))
    with pytest.raises(ValueError, match="quantiles must be at least 2"):
        research.factor_analysis(factors["planted"], prices, quantiles=1)
    with pytest.raises(ValueError, match="no rebalance date has 500 returns"):
        research.target_weights(prices, "hrp", lookback=500)
    with pytest.raises(ValueError, match="Rebalance needs weights"):
        py_rt.Backtest(stocks, research.Rebalance, calendar="intersection").run()
    single = py_rt.Backtest(stocks["ORCL"], "sma_cross").run()
    with pytest.raises(ValueError, match="the run has one strategy"):
        research.by_strategy(single)
    idx = pd.bdate_range("2020-01-01", periods=4)
    with pytest.raises(ValueError, match="4 common dates for 2 factors"):
        research.by_factor(pd.Series(0.01, index=idx), pd.DataFrame({"a": 0.0, "b": 1.0}, index=idx))
