"""Analysis helpers: the same numbers as the engine's report and as
statsmodels, and sensible Monte Carlo distributions."""

import numpy as np
import pandas as pd
import pytest

import py_rt
from py_rt import analysis


@pytest.fixture(scope="module")
def result(request):
    orcl = request.getfixturevalue("orcl")
    return py_rt.Backtest(orcl, "sma_cross", {"fast": 10, "slow": 30}).run()


def test_var_matches_the_engine_report(result):
    assert analysis.var(result) == pytest.approx(result.stats["var_95_historical"], rel=1e-12)
    assert analysis.cvar(result) == pytest.approx(result.stats["cvar_95_historical"], rel=1e-12)
    assert analysis.var(result, method="parametric") == pytest.approx(result.stats["var_95_parametric"], rel=1e-12)
    assert analysis.cvar(result, method="parametric") == pytest.approx(result.stats["cvar_95_parametric"], rel=1e-12)


def test_var_methods_on_a_known_distribution():
    r = np.random.default_rng(3).normal(0.0, 0.01, 200_000)
    z95 = 1.6448536269514722
    assert analysis.var(r, method="parametric") == pytest.approx(z95 * 0.01, rel=1e-2)
    assert analysis.var(r) == pytest.approx(z95 * 0.01, rel=2e-2)
    mc = analysis.var(r, method="monte_carlo", n_sims=50_000)
    assert mc == pytest.approx(z95 * 0.01, rel=3e-2)
    # Ten periods of i.i.d. returns: about sqrt(10) times the one-period VaR.
    assert analysis.var(r, method="monte_carlo", horizon=10, n_sims=50_000) == pytest.approx(
        z95 * 0.01 * np.sqrt(10), rel=5e-2)
    assert analysis.cvar(r) > analysis.var(r)
    with pytest.raises(ValueError, match="unknown method `gaussian`"):
        analysis.var(r, method="gaussian")
    with pytest.raises(ValueError, match="level must be in"):
        analysis.var(r, level=95)


def test_beta_alpha_recovers_a_linear_relation():
    idx = pd.date_range("2020-01-01", periods=500, freq="D")
    b = pd.Series(np.random.default_rng(1).normal(0, 0.01, 500), index=idx)
    r = 1.5 * b + 0.0002
    beta, alpha = analysis.beta_alpha(r, b)
    assert beta == pytest.approx(1.5, rel=1e-12)
    assert alpha == pytest.approx(0.0002 * 252, rel=1e-9)
    with pytest.raises(ValueError, match="share only 0 timestamps"):
        analysis.beta_alpha(r, b.set_axis(b.index + pd.Timedelta(days=1000)))


def test_rolling_sharpe_and_acf_match_references(result):
    import statsmodels.tsa.stattools as st

    rs = analysis.rolling_sharpe(result, 63)
    r = result.returns
    by_hand = r.iloc[-63:].mean() / r.iloc[-63:].std() * np.sqrt(252)
    assert rs.iloc[-1] == pytest.approx(by_hand, rel=1e-9)
    acf = analysis.autocorrelation(r, 10)
    np.testing.assert_allclose(acf.to_numpy(), st.acf(r.to_numpy(), nlags=10, fft=False)[1:], rtol=1e-9, atol=1e-12)


def test_adf_separates_a_random_walk_from_noise():
    rng = np.random.default_rng(7)
    assert analysis.adf(rng.normal(size=2000))["pvalue"] < 0.01
    assert analysis.adf(np.cumsum(rng.normal(size=2000)))["pvalue"] > 0.05


def test_bootstrap_of_trades(result):
    sims = analysis.bootstrap_trades(result, n_sims=2000)
    assert len(sims) == 2000
    assert (sims["max_drawdown"] >= 0).all() and (sims["max_drawdown"] < 1).all()
    # Resampling with replacement spreads the outcomes around the realised multiple.
    realised = np.prod(1 + result.trades["return_pct"].to_numpy())
    assert sims["final_multiple"].min() < realised < sims["final_multiple"].max()
    with pytest.raises(ValueError, match="at least two trades"):
        analysis.bootstrap_trades([0.1])
