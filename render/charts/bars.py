"""Bar charts of a value by category: plain or grouped, and clickable with benchmark
bands."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from metrics import fmt
from render.charts import spans
from render.theme import BENCH, PALETTE, PRIMARY, axis_title, safe_label


def plot_bars(df: pd.DataFrame, x: str, y: str, *, title: str, unit: str,
              color: str | None = None) -> go.Figure:
    """Return a bar chart of `y` by `x` (category labels escaped)."""
    d = df.copy()
    d[x] = d[x].map(safe_label)
    fig = go.Figure()
    if color and color in d:
        for i, (key, grp) in enumerate(d.groupby(color, sort=True)):
            fig.add_trace(go.Bar(x=grp[x], y=grp[y], name=safe_label(key),
                                 marker_color=PALETTE[i % len(PALETTE)]))
        fig.update_layout(barmode="group")
    else:
        fig.add_trace(go.Bar(x=d[x], y=d[y], marker_color=PRIMARY, name=title))
    fig.update_layout(title=dict(text=safe_label(title)), height=320)
    fig.update_yaxes(title_text=axis_title(unit), **fmt.d3(unit))
    fig.update_xaxes(title_text=safe_label(x))
    return fig


def plot_category_bars(
    df: pd.DataFrame, x: str, y: str, *, title: str, unit: str, x_title: str,
    bands: list[tuple[float, float, str]] | None = None, text: list[str] | None = None,
    horizontal: bool = False,
) -> go.Figure:
    """Return clickable bars of `y` by category `x` (labels escaped; customdata = the raw
    category), with benchmark bands (lo, hi, label) and optional text on the bars."""
    d = df.copy()
    raw = d[x].astype(object).where(d[x].notna(), None)
    labels = [safe_label("(none)" if v is None else v) for v in raw]
    custom = ["" if v is None else str(v) for v in raw]
    texts = text if text is not None else [fmt.value(v, unit) for v in d[y]]
    bar = (go.Bar(y=labels, x=d[y], orientation="h", customdata=custom, text=texts,
                  textposition="auto", marker_color=PRIMARY, name=safe_label(title))
           if horizontal else
           go.Bar(x=labels, y=d[y], customdata=custom, text=texts, textposition="auto",
                  textangle=0, marker_color=PRIMARY, name=safe_label(title)))
    fig = go.Figure(bar)
    for lo, hi, label in bands or []:
        spans.band(fig, lo, hi, axis="x" if horizontal else "y", fillcolor=BENCH, layer="below",
                   label=safe_label(label), font=dict(size=11))
    value_axis = dict(title_text=axis_title(unit), **fmt.d3(unit))
    fig.update_layout(title=dict(text=safe_label(title)), showlegend=False,
                      height=max(320, 28 * len(d) + 120) if horizontal else 340,
                      hovermode="closest", clickmode="event+select")
    if horizontal:
        fig.update_xaxes(**value_axis)
        fig.update_yaxes(title_text=safe_label(x_title), autorange="reversed")
    else:
        fig.update_yaxes(**value_axis)
        fig.update_xaxes(title_text=safe_label(x_title))
    return fig
