"""Support page charts: tickets created per period and the time-to-response
distribution."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from render.charts import periods
from render.theme import BAND, LEGEND_TOP, PRIMARY, safe_label


def plot_volume(df: pd.DataFrame, *, title: str, x: str = "period") -> go.Figure:
    """Return tickets created per period (bars, clickable: customdata = period) and those of
    them still open at as-of; the partial period's bar is pale and labelled with how much of it
    has happened ("so far: 1 of 31 days")."""
    d = df.sort_values(x)
    partial = d["partial"] if "partial" in d else pd.Series(False, index=d.index)
    notes = [periods.note(r) if p else "" for (_, r), p in zip(d.iterrows(), partial,
                                                                strict=True)]
    fig = go.Figure()
    fig.add_trace(go.Bar(
        x=d[x], y=d["tickets"], name="tickets created", customdata=d[x].astype(str),
        marker_color=[BAND if p else PRIMARY for p in partial],
        marker_line=dict(color=PRIMARY, width=1),
        text=notes, textposition="outside"))
    fig.add_trace(go.Bar(x=d[x], y=d["open_tickets"], name="still open at as-of",
                         customdata=d[x].astype(str), marker_color="#f59e0b"))
    fig.update_layout(title=dict(text=safe_label(title)), height=340, barmode="overlay",
                      hovermode="closest", clickmode="event+select", **LEGEND_TOP)
    periods.period_axis(fig, d, x, title="period of creation (start date)")
    periods.value_axis(fig, "tickets", d["tickets"], tozero=True)
    return fig


def _hours_label(lo: float, hi: float | None) -> str:
    def f(v: float) -> str:
        return f"{v:g}"
    return f"≥ {f(lo)} h" if hi is None or (isinstance(hi, float) and math.isnan(hi)) \
        else f"{f(lo)}–{f(hi)} h"


def plot_distribution(df: pd.DataFrame, *, title: str, ref: tuple[float, str] | None = None
                      ) -> go.Figure:
    """Return a histogram of tickets per hour bin (columns bin_lo_h, bin_hi_h, tickets), the
    share of tickets on each bar, and a reference (hours, label) marked on its bin."""
    d = df.sort_values("bin")
    labels = [_hours_label(lo, hi) for lo, hi in zip(d["bin_lo_h"], d["bin_hi_h"], strict=True)]
    total = d["tickets"].sum()
    share = [f"{t / total:.0%}" if total else "" for t in d["tickets"]]
    fig = go.Figure(go.Bar(x=labels, y=d["tickets"], marker_color=PRIMARY, text=share,
                           textposition="outside", name="tickets"))
    if ref is not None:
        hours, label = ref
        hit = [i for i, (lo, hi) in enumerate(zip(d["bin_lo_h"], d["bin_hi_h"], strict=True))
               if lo <= hours and (pd.isna(hi) or hours < hi)]
        if hit:
            fig.add_annotation(x=labels[hit[0]], y=0, yref="paper", yanchor="bottom",
                               text=safe_label(label), showarrow=True, ay=-60,
                               font=dict(color="#047857", size=11), arrowcolor="#10b981")
    fig.update_layout(title=dict(text=safe_label(title)), height=320, hovermode="closest",
                      showlegend=False)
    fig.update_xaxes(title_text="hours after the ticket was created (bin)")
    fig.update_yaxes(title_text="tickets")
    return fig
