"""Charts of a metric over time: one series with its interval, targets and benchmark;
several series of one unit; one line per group. Partial periods look the same on
each."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from metrics import fmt
from render.theme import (
    BAND,
    BENCH,
    LEGEND_TOP,
    MUTED,
    PALETTE,
    PRIMARY,
    TARGET,
    axis_title,
    safe_label,
)


def mark_partial(fig: go.Figure, d: pd.DataFrame, x: str) -> None:
    """Shade the partial period(s) and label them, like the hollow point of plot_trend."""
    if "partial" not in d or not d["partial"].any():
        return
    for p in d.loc[d["partial"], x]:
        # add_vline's own annotation fails on date axes: shape and label separately
        fig.add_shape(type="line", x0=p, x1=p, y0=0, y1=1, yref="paper",
                      line=dict(color=MUTED, dash="dot", width=1))
        fig.add_annotation(x=p, y=1, yref="paper", text="partial", showarrow=False,
                           yanchor="bottom", font=dict(color=MUTED, size=11))


def plot_trend(
    df: pd.DataFrame, y: str, *, title: str, unit: str, ci: tuple[str, str] | None = None,
    targets: pd.DataFrame | None = None, benchmark: tuple[float, float, str] | None = None,
    x: str = "period",
) -> go.Figure:
    """Return a line chart of `y` by period: confidence band, target steps, benchmark band, and
    the partial period drawn hollow with a dotted segment and labelled "partial"."""
    fig = go.Figure()
    d = df.sort_values(x)
    complete = d[~d["partial"]] if "partial" in d else d
    partial = d[d["partial"]] if "partial" in d else d.iloc[0:0]
    if benchmark:
        lo, hi, label = benchmark
        fig.add_hrect(y0=lo, y1=hi, fillcolor=BENCH, line_width=0,
                      annotation_text=safe_label(label), annotation_position="top left")
    if ci and ci[0] in d and d[ci[0]].notna().any():
        band = d.dropna(subset=[ci[0], ci[1]])
        fig.add_trace(go.Scatter(x=band[x], y=band[ci[1]], mode="lines", line_width=0,
                                 showlegend=False, hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=band[x], y=band[ci[0]], mode="lines", line_width=0,
                                 fill="tonexty", fillcolor=BAND, name="95% interval",
                                 hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=complete[x], y=complete[y], mode="lines+markers", name=title,
                             line=dict(color=PRIMARY, width=2.5)))
    if len(partial) and partial[y].notna().any():
        joined = pd.concat([complete.tail(1), partial])
        fig.add_trace(go.Scatter(
            x=joined[x], y=joined[y], mode="lines", line=dict(color=PRIMARY, dash="dot"),
            showlegend=False, hoverinfo="skip"))
        fig.add_trace(go.Scatter(
            x=partial[x], y=partial[y], mode="markers+text", name="partial period",
            marker=dict(symbol="circle-open", size=11, color=PRIMARY, line_width=2),
            text=["partial"] * len(partial), textposition="top center",
            textfont=dict(color=MUTED)))
    if targets is not None and len(targets):
        tx, ty = [], []
        for row in targets.itertuples(index=False):
            tx += [row.period_start, row.period_end, None]
            ty += [row.target, row.target, None]
        fig.add_trace(go.Scatter(x=tx, y=ty, mode="lines", name="target",
                                 line=dict(color=TARGET, dash="dash", width=1.5)))
    fig.update_layout(title=dict(text=safe_label(title)), height=360)
    fig.update_xaxes(title_text="period (start date)")
    fig.update_yaxes(title_text=axis_title(unit), **fmt.d3(unit))
    return fig


def plot_lines(
    df: pd.DataFrame, ys: dict[str, str], *, title: str, unit: str, x: str = "period",
    bands: list[tuple[float, float, str]] | None = None,
    refs: list[tuple[float, str]] | None = None,
) -> go.Figure:
    """Return several series of one unit by period (columns `ys`: column -> legend label), with
    benchmark bands (lo, hi, label), reference lines (y, label) and partial periods dotted."""
    fig = go.Figure()
    d = df.sort_values(x)
    for lo, hi, label in bands or []:
        fig.add_hrect(y0=lo, y1=hi, fillcolor=BENCH, line_width=0, layer="below",
                      annotation_text=safe_label(label), annotation_position="top left",
                      annotation_font_size=11)
    for y, label in refs or []:
        fig.add_hline(y=y, line=dict(color="#10b981", dash="dash", width=1.5),
                      annotation_text=safe_label(label), annotation_position="top right",
                      annotation_font_size=11)
    for i, (col, label) in enumerate(ys.items()):
        color = PALETTE[i % len(PALETTE)]
        done = d[~d["partial"]] if "partial" in d else d
        fig.add_trace(go.Scatter(x=done[x], y=done[col], mode="lines+markers",
                                 name=safe_label(label), line=dict(color=color, width=2.5)))
        part = d[d["partial"]] if "partial" in d else d.iloc[0:0]
        if len(part):
            joined = pd.concat([done.tail(1), part])
            fig.add_trace(go.Scatter(
                x=joined[x], y=joined[col], mode="lines+markers", showlegend=False,
                name=safe_label(f"{label} (partial)"), line=dict(color=color, dash="dot"),
                marker=dict(symbol="circle-open", size=10, color=color)))
    mark_partial(fig, d, x)
    fig.update_layout(title=dict(text=safe_label(title)), height=340, **LEGEND_TOP)
    fig.update_xaxes(title_text="period (start date)")
    fig.update_yaxes(title_text=axis_title(unit), rangemode="tozero",
                     **fmt.d3(unit))
    return fig


def plot_group_lines(df: pd.DataFrame, y: str, group: str, *, title: str, unit: str,
                     x: str = "period") -> go.Figure:
    """Return one line per group (e.g. segment) of `y` by period; partial points hollow."""
    fig = go.Figure()
    d = df.sort_values(x)
    for i, (key, g) in enumerate(d.groupby(d[group].fillna("(none)"), sort=True)):
        color = PALETTE[i % len(PALETTE)]
        symbols = ["circle-open" if p else "circle" for p in g["partial"]]
        fig.add_trace(go.Scatter(x=g[x], y=g[y], mode="lines+markers", name=safe_label(key),
                                 line=dict(color=color, width=2),
                                 marker=dict(symbol=symbols, size=8, color=color)))
    mark_partial(fig, d.drop_duplicates(x), x)
    fig.update_layout(title=dict(text=safe_label(title)), height=340, **LEGEND_TOP)
    fig.update_xaxes(title_text="period (start date)")
    fig.update_yaxes(title_text=axis_title(unit), rangemode="tozero",
                     **fmt.d3(unit))
    return fig
