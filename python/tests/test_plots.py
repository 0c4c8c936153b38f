"""Figures carry the data they claim to show."""

import numpy as np
import pandas as pd
import pytest

import py_rt

pytest.importorskip("plotly")


def test_result_figure_traces(orcl, tmp_path):
    res = py_rt.Backtest(orcl, "sma_cross").run()
    fig = res.plot(volume=orcl["Volume"])
    names = [t.name for t in fig.data]
    assert names == ["equity", "buy", "sell", "drawdown %", "volume"]
    eq, buys, sells, dd, vol = fig.data
    np.testing.assert_array_equal(eq.y, res.equity.to_numpy())
    assert len(buys.x) == (res.fills["side"] == "buy").sum() and len(sells.x) > 0
    assert np.nanmin(dd.y) == pytest.approx(-100 * res.stats["max_drawdown"], rel=1e-9)
    assert len(vol.y) == len(orcl)
    path = res.to_html(tmp_path / "report.html")
    html = path.read_text()
    assert "sma_cross" in html
    # plotly.js is embedded, not fetched: the file opens offline.
    assert '<script src="http' not in html and len(html) > 1_000_000


def test_heatmap_and_correlation(orcl):
    table = py_rt.Backtest(orcl, "sma_cross").optimize(fast=[5, 10, 20], slow=[30, 40, 50, 60])
    fig = py_rt.plots.heatmap(table, "fast", "slow", "sharpe")
    z = np.asarray(fig.data[0].z)
    assert z.shape == (4, 3)
    best = table.iloc[0]
    assert np.nanmax(z) == best["sharpe"]
    with pytest.raises(ValueError, match="column `sharp` is not in the table"):
        py_rt.plots.heatmap(table, "fast", "slow", "sharp")
    rets = pd.DataFrame({"a": orcl["Close"].pct_change(), "b": orcl["Open"].pct_change()}).dropna()
    corr = py_rt.plots.correlation(rets)
    assert np.asarray(corr.data[0].z)[0, 1] == pytest.approx(rets.corr().iloc[0, 1])
