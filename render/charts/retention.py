"""Retention charts: cohort retention heatmap and Kaplan–Meier survival
curves."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from render.charts import spans
from render.theme import LEGEND_TOP, MUTED, PALETTE, TEXT, safe_label


def plot_cohorts(df: pd.DataFrame, z: str, *, title: str) -> go.Figure:
    """Return a cohort heatmap: one row per cohort month (labelled with its size), one column
    per month since the cohort (k), cells = `z` in %; partial cells grey; a cell's customdata is
    [cohort ISO date, k] for drill-down."""
    d = df.copy()
    d["cohort"] = d["cohort"].astype(str)
    sizes = d.groupby("cohort")["cohort_size"].first()
    rows = sorted(sizes.index)
    ks = sorted(d["period_number"].unique())
    full = d.pivot_table(index="cohort", columns="period_number", values=z, aggfunc="first")
    full = full.reindex(index=rows, columns=ks)
    d["partial_f"] = d["partial"].astype(float)
    part = d.pivot_table(index="cohort", columns="period_number", values="partial_f",
                         aggfunc="first").reindex(index=rows, columns=ks)
    is_part = part.to_numpy(dtype=float) > 0.5  # NaN (no cell) compares False
    vals = full.to_numpy(dtype=float)
    ylab = [f"{r[:7]} (n={int(sizes[r]):,})" for r in rows]
    custom = [[[r, int(k)] for k in ks] for r in rows]
    text = [["" if math.isnan(v) else f"{v:.0%}" for v in row] for row in vals]
    main = vals.copy()
    main[is_part] = float("nan")
    grey = vals.copy()
    grey[~is_part] = float("nan")
    fig = go.Figure()
    # each trace labels only its own cells (two labels on one cell would overprint)
    text_main = [[t if not p else "" for t, p in zip(row, prow, strict=True)]
                 for row, prow in zip(text, is_part, strict=True)]
    text_grey = [[t if p else "" for t, p in zip(row, prow, strict=True)]
                 for row, prow in zip(text, is_part, strict=True)]
    fig.add_trace(go.Heatmap(
        z=main, x=ks, y=ylab, text=text_main, texttemplate="%{text}", hoverinfo="skip",
        colorscale="Blues", zmin=0, zmax=max(1.0, float(pd.Series(vals.ravel()).max() or 1)),
        colorbar=dict(title=dict(text="retained"), tickformat=".0%"), xgap=1, ygap=1))
    fig.add_trace(go.Heatmap(
        z=grey, x=ks, y=ylab, text=text_grey, texttemplate="%{text}", hoverinfo="skip",
        colorscale=[[0, "#e2e8f0"], [1, "#e2e8f0"]], showscale=False, xgap=1, ygap=1))
    # Heatmap cells cannot be selected in Plotly: an invisible marker on each cell carries the
    # click (customdata = [cohort, k]) and the hover.
    cx, cy, cd, ct = [], [], [], []
    for i in range(len(rows)):
        for j, k in enumerate(ks):
            if not math.isnan(vals[i, j]):
                cx.append(k)
                cy.append(ylab[i])
                cd.append(custom[i][j])
                ct.append(text[i][j] + (" (partial month)" if is_part[i, j] else ""))
    fig.add_trace(go.Scatter(
        x=cx, y=cy, mode="markers", customdata=cd, text=ct, showlegend=False,
        marker=dict(symbol="square", size=22, opacity=0.01, color=TEXT),
        hovertemplate="cohort %{y}, month %{x}: %{text}<extra></extra>"))
    fig.update_layout(title=dict(text=safe_label(title)), height=max(360, 26 * len(rows) + 140),
                      hovermode="closest", clickmode="event+select")
    fig.update_xaxes(title_text="months since the cohort month (k; grey = partial month)",
                     dtick=1)
    fig.update_yaxes(title_text="cohort (first active month, size)", autorange="reversed")
    return fig


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r}, {g}, {b}, {alpha})"


def plot_survival(df: pd.DataFrame, group: str | None, *, title: str) -> go.Figure:
    """Return Kaplan–Meier step curves (one per group when `group` is given) with their 95%
    bands, the 50% line, and the median of each curve marked."""
    fig = go.Figure()
    keys = [None] if not group else sorted(df[group].astype(object).where(
        df[group].notna(), "(none)").unique(), key=str)
    for i, key in enumerate(keys):
        g = df if key is None else df[df[group].astype(object).where(
            df[group].notna(), "(none)") == key]
        g = g.sort_values("time_days")
        color = PALETTE[i % len(PALETTE)]
        name = "all customers" if key is None else safe_label(key)
        fig.add_trace(go.Scatter(x=g["time_days"], y=g["ci_high"], mode="lines", line_width=0,
                                 line_shape="hv", showlegend=False, hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=g["time_days"], y=g["ci_low"], mode="lines", line_width=0,
                                 line_shape="hv", fill="tonexty",
                                 fillcolor=_rgba(color, 0.12), showlegend=False,
                                 hoverinfo="skip"))
        fig.add_trace(go.Scatter(
            x=g["time_days"], y=g["survival"], mode="lines", line_shape="hv", name=name,
            line=dict(color=color, width=2.5), customdata=g[["at_risk"]].to_numpy(),
            hovertemplate=f"{name}: %{{y:.1%}} at day %{{x}} (%{{customdata[0]}} at risk)"
                          "<extra></extra>"))
        hit = g[g["survival"] <= 0.5]
        if len(hit):
            fig.add_trace(go.Scatter(x=[hit["time_days"].iloc[0]], y=[0.5], mode="markers",
                                     marker=dict(color=color, size=10, symbol="x"),
                                     name=f"median {name}", showlegend=False,
                                     hovertemplate=f"median {name}: day %{{x}}<extra></extra>"))
    spans.rule(fig, 0.5, line=dict(color=MUTED, dash="dot", width=1), label="50% (median)",
               position="bottom left", font=dict(size=11))
    fig.update_layout(title=dict(text=safe_label(title)), height=420, hovermode="closest",
                      **LEGEND_TOP)
    fig.update_xaxes(title_text="days since signup")
    fig.update_yaxes(title_text="share still a customer (%)", tickformat=".0%",
                     range=[0, 1.02])
    return fig
