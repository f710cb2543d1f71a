"""Usage page charts: feature adoption against the previous window, and adoption
by two categories as a heatmap."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from metrics import fmt
from render.theme import LEGEND_TOP, PRIMARY, TEXT, safe_label


def plot_adoption(df: pd.DataFrame, *, title: str) -> go.Figure:
    """Return feature adoption as horizontal bars (clickable: customdata = feature) with the
    previous window's rate as a marker and the change in percentage points as text."""
    d = df.sort_values("adoption_rate", ascending=False)
    labels = [safe_label(f) for f in d["feature"]]
    change = [("" if pd.isna(c) else f"{c * 100:+.1f} pp") for c in d["adoption_change"]]
    text = [f"{fmt.value(r, 'fraction')}  {c}".strip()
            for r, c in zip(d["adoption_rate"], change, strict=True)]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=labels, x=d["adoption_rate"], orientation="h", name="this window",
                         customdata=d["feature"].astype(str), text=text,
                         textposition="auto", marker_color=PRIMARY))
    # The marker carries the feature too: a click near it selects the marker, not the bar
    # (a small bar's centre lies close to it), and the drill-down read "feature None".
    fig.add_trace(go.Scatter(y=labels, x=d["adoption_rate_prev"], mode="markers",
                             name="previous window", customdata=d["feature"].astype(str),
                             marker=dict(symbol="line-ns", size=18, color=TEXT,
                                         line=dict(width=3, color=TEXT))))
    fig.update_layout(title=dict(text=safe_label(title)), height=max(320, 30 * len(d) + 130),
                      hovermode="closest", clickmode="event+select", **LEGEND_TOP)
    fig.update_xaxes(title_text="share of active customers using the feature (%)",
                     tickformat=".0%", range=[0, 1.05])
    fig.update_yaxes(title_text="feature", autorange="reversed")
    return fig


def plot_heatmap(df: pd.DataFrame, x: str, y: str, z: str, *, title: str, x_title: str,
                 y_title: str) -> go.Figure:
    """Return a heatmap of `z` (a fraction) for categories x × y, each cell annotated in %,
    labels escaped; a cell's customdata is [raw x, raw y] for drill-down."""
    d = df.copy()
    for c in (x, y):
        d[c] = d[c].astype(object).where(d[c].notna(), "(none)")
    order_y = d.groupby(y)[z].mean().sort_values(ascending=False).index.tolist()
    order_x = sorted(d[x].unique(), key=str)
    grid = d.pivot_table(index=y, columns=x, values=z, aggfunc="first").reindex(
        index=order_y, columns=order_x)
    custom = [[[str(cx), str(cy)] for cx in order_x] for cy in order_y]
    text = [[("—" if pd.isna(v) else f"{v:.0%}") for v in row] for row in grid.to_numpy()]
    fig = go.Figure(go.Heatmap(
        z=grid.to_numpy(), x=[safe_label(v) for v in order_x], y=[safe_label(v) for v in order_y],
        text=text, texttemplate="%{text}", customdata=custom, colorscale="Blues", zmin=0, zmax=1,
        colorbar=dict(title=dict(text="adoption"), tickformat=".0%"),
        hovertemplate="%{y} × %{x}: %{text}<extra></extra>", xgap=2, ygap=2))
    fig.update_layout(title=dict(text=safe_label(title)), height=max(360, 30 * len(order_y) + 140),
                      hovermode="closest")
    fig.update_xaxes(title_text=safe_label(x_title), side="bottom")
    fig.update_yaxes(title_text=safe_label(y_title), autorange="reversed")
    return fig
