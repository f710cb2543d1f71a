"""Weekly review charts, drawn alike on the Weekly review page and in the meeting pack: the
largest MRR movers and the KPI changes against the previous week."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from metrics import fmt
from render.theme import BAD, GOOD, safe_label


def plot_mrr_movers(df: pd.DataFrame, *, title: str) -> go.Figure:
    """Return horizontal bars of each account's MRR change (a `metrics.review.mrr_movers`
    frame: account_name or account_id, change, movement), gains green and losses red, the
    largest first; labels escaped."""
    names = [safe_label(n if isinstance(n, str) and n else a)
             for n, a in zip(df["account_name"], df["account_id"], strict=True)]
    fig = go.Figure(go.Bar(
        y=names, x=df["change"], orientation="h",
        marker_color=[GOOD if c > 0 else BAD for c in df["change"]],
        text=[fmt.change(c, "USD") for c in df["change"]],
        customdata=[safe_label(m) for m in df["movement"]], textposition="auto",
        hovertemplate="%{y}: %{x:$,.0f} (%{customdata})<extra></extra>"))
    fig.update_layout(title=dict(text=safe_label(title)), showlegend=False, hovermode="closest",
                      height=max(300, 30 * len(df) + 110))
    fig.update_xaxes(title_text="MRR change (USD a month)", tickprefix="$", tickformat=",.0f")
    fig.update_yaxes(title_text="account", autorange="reversed")
    return fig


def plot_kpi_changes(kpis: pd.DataFrame, *, title: str) -> go.Figure | None:
    """Return each KPI's change against the previous week as horizontal bars (a
    `metrics.review.Review.kpis` frame: label, unit, direction, previous, change): in % of last
    week, in percentage points for rates; green when the KPI moved the way it should. Returns
    None when no KPI has a change against a non-zero previous value."""
    d = kpis[kpis["change"].notna() & kpis["previous"].notna() & (kpis["previous"] != 0)]
    if d.empty:
        return None
    pct = [(c / abs(p)) * 100 if u != "fraction" else c * 100 for c, p, u in
           zip(d["change"], d["previous"], d["unit"], strict=True)]
    good = [(c >= 0) == (dr == "up") for c, dr in zip(d["change"], d["direction"], strict=True)]
    fig = go.Figure(go.Bar(x=pct, y=[safe_label(v) for v in d["label"]], orientation="h",
                           marker_color=[GOOD if g else BAD for g in good],
                           hovertemplate="%{y}: %{x:+.1f}<extra></extra>"))
    fig.update_layout(title=dict(text=safe_label(title)), showlegend=False, hovermode="closest",
                      height=max(300, 30 * len(d) + 110))
    fig.update_xaxes(title_text="change (% of last week; pp for rates)", zeroline=True,
                     zerolinecolor="#cbd5e1")
    fig.update_yaxes(title_text="KPI", autorange="reversed")
    return fig
