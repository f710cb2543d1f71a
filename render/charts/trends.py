"""Charts of a metric over time: one series with its interval, targets and benchmark;
several series of one unit; one line per group. Partial periods, the period axis and count
axes are drawn by render.charts.periods, the same on each."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from render.charts import periods, spans
from render.theme import (
    BAND,
    BENCH,
    LEGEND_TOP,
    PALETTE,
    PRIMARY,
    TARGET,
    safe_label,
)


def mark_partial(fig: go.Figure, d: pd.DataFrame, x: str) -> None:
    """Mark the partial period(s) with a dotted line and their note (render.charts.periods)."""
    periods.mark(fig, d, x)


def add_targets(fig: go.Figure, targets: pd.DataFrame | None, name: str = "target") -> None:
    """Draw the team's targets (period_start, period_end, target rows) as dashed steps, one
    step per target period, in the legend as `name`; nothing without targets."""
    if targets is None or not len(targets):
        return
    tx: list = []
    ty: list = []
    for row in targets.itertuples(index=False):
        tx += [row.period_start, row.period_end, None]
        ty += [row.target, row.target, None]
    fig.add_trace(go.Scatter(x=tx, y=ty, mode="lines", name=safe_label(name),
                             line=dict(color=TARGET, dash="dash", width=1.5)))


def plot_trend(
    df: pd.DataFrame, y: str, *, title: str, unit: str, ci: tuple[str, str] | None = None,
    targets: pd.DataFrame | None = None, benchmark: tuple[float, float, str] | None = None,
    x: str = "period",
) -> go.Figure:
    """Return a line chart of `y` by period: confidence band, target steps, benchmark band;
    the complete periods are the line, a partial period a separate hollow point ("so far: N of
    M days")."""
    fig = go.Figure()
    d = df.sort_values(x)
    complete, _partial = periods.split(d)
    if benchmark:
        lo, hi, label = benchmark
        spans.band(fig, lo, hi, fillcolor=BENCH, label=safe_label(label))
    if ci and ci[0] in d and d[ci[0]].notna().any():
        # the band of the complete periods only: a partial period's interval is not joined on
        band = complete.dropna(subset=[ci[0], ci[1]])
        fig.add_trace(go.Scatter(x=band[x], y=band[ci[1]], mode="lines", line_width=0,
                                 showlegend=False, hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=band[x], y=band[ci[0]], mode="lines", line_width=0,
                                 fill="tonexty", fillcolor=BAND, name="95% interval",
                                 hoverinfo="skip"))
    periods.add_series(fig, d, x, y, name=safe_label(title), color=PRIMARY, unit=unit)
    add_targets(fig, targets)
    mark_partial(fig, d, x)
    fig.update_layout(title=dict(text=safe_label(title)), height=360)
    periods.period_axis(fig, d, x)
    periods.value_axis(fig, unit, d[y])
    return fig


def plot_lines(
    df: pd.DataFrame, ys: dict[str, str], *, title: str, unit: str, x: str = "period",
    bands: list[tuple[float, float, str]] | None = None,
    refs: list[tuple[float, str]] | None = None, targets: pd.DataFrame | None = None,
    target_name: str = "target",
) -> go.Figure:
    """Return several series of one unit by period (columns `ys`: column -> legend label), with
    benchmark bands (lo, hi, label), reference lines (y, label) and the team's target steps
    (`targets`, as in plot_trend; legend `target_name`); partial periods hollow and apart."""
    fig = go.Figure()
    d = df.sort_values(x)
    for lo, hi, label in bands or []:
        spans.band(fig, lo, hi, fillcolor=BENCH, layer="below", label=safe_label(label),
                   font=dict(size=11))
    for y, label in refs or []:
        spans.rule(fig, y, line=dict(color="#10b981", dash="dash", width=1.5),
                   label=safe_label(label), position="top right", font=dict(size=11))
    for i, (col, label) in enumerate(ys.items()):
        periods.add_series(fig, d, x, col, name=safe_label(label), unit=unit,
                           color=PALETTE[i % len(PALETTE)], first=i == 0)
    add_targets(fig, targets, target_name)
    mark_partial(fig, d, x)
    fig.update_layout(title=dict(text=safe_label(title)), height=340, **LEGEND_TOP)
    _room_for_the_legend(fig)
    periods.period_axis(fig, d, x)
    values = d[list(ys)].to_numpy().ravel()
    if targets is not None and len(targets):  # the axis reaches the target line too
        values = np.concatenate([values.astype(float), targets["target"].to_numpy(float)])
    periods.value_axis(fig, unit, values, tozero=True)
    return fig


def plot_group_lines(df: pd.DataFrame, y: str, group: str, *, title: str, unit: str,
                     x: str = "period") -> go.Figure:
    """Return one line per group (e.g. segment) of `y` by period; partial points hollow and
    apart from the lines."""
    fig = go.Figure()
    d = df.sort_values(x)
    for i, (key, g) in enumerate(d.groupby(d[group].fillna("(none)"), sort=True)):
        periods.add_series(fig, g, x, y, name=safe_label(key), unit=unit, width=2,
                           color=PALETTE[i % len(PALETTE)], first=i == 0)
    mark_partial(fig, d.drop_duplicates(x), x)
    fig.update_layout(title=dict(text=safe_label(title)), height=340, **LEGEND_TOP)
    _room_for_the_legend(fig)
    periods.period_axis(fig, d, x)
    periods.value_axis(fig, unit, d[y], tozero=True)
    return fig


def _room_for_the_legend(fig: go.Figure) -> None:
    """Give a legend of more than four entries, which wraps onto a second row above the plot
    in a half-width chart, the top margin it needs to stay clear of the title (it ran over
    the title of Support's first response chart: median, p90, mean, target, partial)."""
    shown = sum(1 for t in fig.data if t.showlegend is not False)
    if shown > 4:
        fig.update_layout(margin=dict(t=110))
