"""Every chart of the dashboard: plot_* builders, DataFrame -> Plotly figure.

No Streamlit here. Targets, benchmark bands, confidence bands and partial periods look the same
on every chart. Text that comes from data is escaped before Plotly sees it (Plotly renders a
subset of HTML in labels and hovers).
"""

from __future__ import annotations

import html
import math
import tomllib
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

_CONFIG = Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml"


def _theme() -> dict:
    try:
        return tomllib.loads(_CONFIG.read_text()).get("theme", {})
    except (OSError, tomllib.TOMLDecodeError):
        return {}


THEME = _theme()
PRIMARY = THEME.get("primaryColor", "#2563eb")
TEXT = THEME.get("textColor", "#0f172a")
MUTED = "#94a3b8"
TARGET = "#dc2626"
BAND = "rgba(37, 99, 235, 0.15)"
BENCH = "rgba(16, 185, 129, 0.12)"
PALETTE = [PRIMARY, "#f59e0b", "#10b981", "#8b5cf6", "#ef4444", "#06b6d4", "#84cc16", "#ec4899"]

pio.templates["csm"] = go.layout.Template(
    layout=dict(
        font=dict(family="Inter, Segoe UI, sans-serif", size=13, color=TEXT),
        colorway=PALETTE,
        margin=dict(l=10, r=10, t=48, b=10),
        hovermode="x unified",
        xaxis=dict(showgrid=False, ticks="outside"),
        yaxis=dict(gridcolor="#e2e8f0", zerolinecolor="#cbd5e1"),
        # Legend above the plot, right-aligned: below it, it collides with the x-axis title.
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1),
        paper_bgcolor="white",
        plot_bgcolor="white",
    )
)
pio.templates.default = "plotly_white+csm"

UNIT_AXIS = {"points": "NPS (points)", "fraction": "%", "USD": "USD", "hours": "hours",
             "accounts": "accounts"}


def safe_label(text) -> str:
    """Return data text escaped for Plotly labels and hovers (no markup runs)."""
    return html.escape(str(text), quote=True)


def fmt_value(v, unit: str) -> str:
    """Return a value formatted for people in its unit ('—' when undefined)."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return "—"
    if unit == "fraction":
        return f"{v:.1%}"
    if unit == "points":
        return f"{v:.1f}"
    if unit == "USD":
        return f"${v:,.0f}"
    if unit == "hours":
        return f"{v:.1f} h"
    if unit in ("accounts", "count"):
        return f"{v:,.0f}"
    return f"{v:,.2f}"


def _tickformat(unit: str) -> dict:
    if unit == "fraction":
        return dict(tickformat=".0%")
    if unit == "USD":
        return dict(tickprefix="$", tickformat=",.0f")
    return {}


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
    fig.update_yaxes(title_text=UNIT_AXIS.get(unit, unit), **_tickformat(unit))
    return fig


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
    fig.update_yaxes(title_text=UNIT_AXIS.get(unit, unit), **_tickformat(unit))
    fig.update_xaxes(title_text=safe_label(x))
    return fig
