"""Interactive plotly figures of backtests and sweeps.

plotly is imported on first use, so the package works without it; the
figures are plain ``plotly.graph_objects.Figure`` objects (show them in
Jupyter, or ``write_html`` them for a self-contained file).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .backtest import Result


def _plotly():
    try:
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("plots need plotly: pip install plotly") from e
    return go, make_subplots


def result_figure(result: "Result", volume: pd.Series | None = None, title: str | None = None):
    """Equity with buy/sell markers, drawdown below it, and volume when
    given (a Series on the bars' index)."""
    go, make_subplots = _plotly()
    rows = 3 if volume is not None else 2
    heights = [0.6, 0.2, 0.2] if rows == 3 else [0.7, 0.3]
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.03, row_heights=heights)
    eq = result.equity
    fig.add_trace(go.Scatter(x=eq.index, y=eq.values, name="equity", line={"width": 1.5}), row=1, col=1)
    fills = result.fills
    at_fill = eq.reindex(fills["time"], method="ffill").to_numpy() if len(fills) else np.array([])
    for side, symbol, color in (("buy", "triangle-up", "#2ca02c"), ("sell", "triangle-down", "#d62728")):
        mask = (fills["side"] == side).to_numpy()
        fig.add_trace(go.Scatter(
            x=fills["time"][mask], y=at_fill[mask], mode="markers", name=side,
            marker={"symbol": symbol, "size": 9, "color": color},
            text=[f"{q:g} @ {p:g}" for q, p in zip(fills["qty"][mask], fills["price"][mask])],
            hovertemplate="%{x}<br>" + side + " %{text}<extra></extra>"), row=1, col=1)
    dd = result.drawdown
    fig.add_trace(go.Scatter(x=dd.index, y=dd.values * 100, name="drawdown %", fill="tozeroy",
                             line={"color": "#d62728", "width": 1}), row=2, col=1)
    if volume is not None:
        fig.add_trace(go.Bar(x=volume.index, y=volume.values, name="volume", marker_color="#7f7f7f"), row=3, col=1)
    s = result.stats
    fig.update_layout(
        title=title or f"{result.strategy} {result.params}: return {s['total_return']:.1%}, "
                       f"Sharpe {s['sharpe'] if s['sharpe'] is None else round(s['sharpe'], 2)}, "
                       f"max DD {s['max_drawdown']:.1%}",
        hovermode="x unified", height=250 * rows + 100, legend={"orientation": "h"})
    fig.update_yaxes(title_text="equity", row=1, col=1)
    fig.update_yaxes(title_text="drawdown %", row=2, col=1)
    return fig


def heatmap(table: pd.DataFrame, x: str, y: str, value: str = "sharpe", title: str | None = None):
    """Parameter sensitivity of a 2-D sweep (``Backtest.optimize`` output):
    ``value`` over the grid of ``x`` and ``y``; cells the sweep skipped are
    blank."""
    go, _ = _plotly()
    for col in (x, y, value):
        if col not in table.columns:
            raise ValueError(f"column `{col}` is not in the table; columns are {list(table.columns)}")
    grid = table.pivot_table(index=y, columns=x, values=value, aggfunc="first")
    fig = go.Figure(go.Heatmap(z=grid.values, x=grid.columns, y=grid.index, colorscale="RdYlGn",
                               colorbar={"title": value}))
    fig.update_layout(title=title or f"{value} by {x} and {y}", xaxis_title=x, yaxis_title=y)
    return fig


def correlation(data: pd.DataFrame, title: str = "correlation"):
    """Correlation matrix of the columns of ``data`` (e.g. returns of several
    strategies or assets) as an annotated heatmap."""
    go, _ = _plotly()
    corr = data.corr()
    fig = go.Figure(go.Heatmap(z=corr.values, x=corr.columns, y=corr.index, zmin=-1, zmax=1,
                               colorscale="RdBu", text=np.round(corr.values, 2), texttemplate="%{text}"))
    fig.update_layout(title=title)
    return fig
