"""Satisfaction page charts: survey trends with significance marks, league charts,
score distribution, category mix, theme impact, comments and MRR by NPS
category."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from metrics import fmt
from render.charts import periods, spans
from render.charts.trends import plot_trend
from render.theme import (
    BENCH,
    CATEGORY_COLORS,
    MUTED,
    PRIMARY,
    TEXT,
    axis_title,
    safe_label,
    wrap_label,
)

CATEGORY_LABELS = {"detractor": "detractors (0–6)", "passive": "passives (7–8)",
                   "promoter": "promoters (9–10)", "no_answer": "no recent answer"}


def plot_survey_trend(
    df: pd.DataFrame, y: str, *, title: str, unit: str, targets: pd.DataFrame | None = None,
    bands: list[tuple[float, float, str]] | None = None,
    refs: list[tuple[float, str]] | None = None,
) -> go.Figure:
    """Return a survey metric by period (plot_trend: 95% band, targets, partial period hollow)
    with benchmark bands (lo, hi, label), reference lines (y, label), a triangle on every
    change that is significant against the previous period, and a hover per period with the
    responses, the interval and the change with its p-value. `df` carries ci_low, ci_high,
    responses and, from `with_changes`, change, p_value, significant, compared."""
    bands = list(bands or [])
    fig = plot_trend(df, y, title=title, unit=unit, ci=("ci_low", "ci_high"), targets=targets,
                     benchmark=bands[0] if bands else None)
    for lo, hi, label in bands[1:]:
        spans.band(fig, lo, hi, fillcolor=BENCH, layer="below", label=safe_label(label),
                   font=dict(size=11))
    for yv, label in refs or []:
        spans.rule(fig, yv, line=dict(color="#10b981", dash="dot", width=1),
                   label=safe_label(label), position="bottom right",
                   font=dict(size=10, color="#047857"))
    d = df.sort_values("period")
    texts = []
    for r in d.itertuples(index=False):
        parts = [f"n = {int(r.responses):,}"]
        if pd.notna(r.ci_low):
            parts.append(f"95% CI {fmt.value(r.ci_low, unit)} – {fmt.value(r.ci_high, unit)}")
        if bool(r.partial):
            parts.append("partial period: not compared")
        elif getattr(r, "compared", False):
            verdict = "real change" if r.significant else "noise"
            parts.append(f"vs previous {fmt.change(r.change, unit)} ({verdict}, "
                         f"p = {r.p_value:.3f})")
        if getattr(r, "small_n", False):
            parts.append("fewer than 30 responses")
        texts.append("<br>".join(parts))
    fig.add_trace(go.Scatter(x=d["period"], y=d[y], mode="markers", name="details",
                             marker=dict(size=1, opacity=0), showlegend=False, text=texts,
                             hovertemplate="%{text}<extra></extra>"))
    if "significant" in d and d["significant"].any():
        sig = d[d["significant"]]
        fig.add_trace(go.Scatter(
            x=sig["period"], y=sig[y], mode="markers", name="significant change (p < 0.05)",
            hoverinfo="skip",
            marker=dict(symbol=["triangle-up" if c > 0 else "triangle-down"
                                for c in sig["change"]], size=13, color=TEXT)))
    return fig


def plot_forest(df: pd.DataFrame, group: str, value: str, *, title: str, unit: str
                ) -> go.Figure:
    """Return a league chart: one row per group (best first) with its value and 95% interval;
    the hover names the groups it is tied with (overlapping intervals). Labels escaped."""
    d = df.reset_index(drop=True)
    labels = [safe_label("(none)" if pd.isna(g) else g) for g in d[group]]
    lo = (d[value] - d["ci_low"]).to_numpy(dtype=float)
    hi = (d["ci_high"] - d[value]).to_numpy(dtype=float)
    hover = []
    for r in d.itertuples(index=False):
        rank = "no interval" if pd.isna(r.rank) else f"rank {int(r.rank)}"
        tied = f"tied with {safe_label(r.tied_with)}" if r.tied else "no tie"
        ci = ("" if pd.isna(r.ci_low)
              else f"95% CI {fmt.value(r.ci_low, unit)} – {fmt.value(r.ci_high, unit)}<br>")
        hover.append(f"{fmt.value(getattr(r, value), unit)}<br>{ci}n = {int(r.responses):,}"
                     f"<br>{rank}, {tied}")
    colors = [MUTED if s else PRIMARY for s in d.get("small_n", [False] * len(d))]
    fig = go.Figure(go.Scatter(
        x=d[value], y=labels, mode="markers", marker=dict(size=11, color=colors),
        error_x=dict(type="data", symmetric=False, array=hi, arrayminus=lo, color=PRIMARY,
                     thickness=2, width=6),
        text=hover, hovertemplate="<b>%{y}</b><br>%{text}<extra></extra>", name=title))
    fig.update_layout(title=dict(text=safe_label(title)), height=max(260, 42 * len(d) + 120),
                      hovermode="closest", showlegend=False)
    fig.update_xaxes(title_text=axis_title(unit), **fmt.d3(unit))
    fig.update_yaxes(autorange="reversed")
    return fig


def plot_score_distribution(df: pd.DataFrame, *, title: str) -> go.Figure:
    """Return bars of NPS responses per score 0–10, coloured by category, share as text."""
    d = df.sort_values("score")
    fig = go.Figure()
    for cat in ("detractor", "passive", "promoter"):
        g = d[d["category"] == cat]
        fig.add_trace(go.Bar(
            x=g["score"], y=g["responses"], name=CATEGORY_LABELS[cat],
            marker_color=CATEGORY_COLORS[cat],
            text=[fmt.value(s, "fraction") for s in g["share"]], textposition="outside",
            hovertemplate="score %{x}: %{y:,} responses (%{text})<extra></extra>"))
    fig.update_layout(title=dict(text=safe_label(title)), height=340, hovermode="closest",
                      bargap=0.15)
    fig.update_traces(cliponaxis=False)
    fig.update_xaxes(title_text="score", tickmode="linear", dtick=1, range=[-0.6, 10.6])
    fig.update_yaxes(title_text="responses", range=[0, max(1, d["responses"].max()) * 1.15])
    return fig


def plot_category_mix(df: pd.DataFrame, *, title: str) -> go.Figure:
    """Return the promoter / passive / detractor shares per period as stacked bars; the
    partial period pale and labelled."""
    d = df.sort_values("period")
    n = d["responses"].where(d["responses"] > 0)
    partial = d["partial"] if "partial" in d else pd.Series(False, index=d.index)
    fig = go.Figure()
    for cat, col in (("detractor", "detractors"), ("passive", "passives"),
                     ("promoter", "promoters")):
        share = d[col] / n
        fig.add_trace(go.Bar(
            x=d["period"], y=share, name=CATEGORY_LABELS[cat],
            marker=dict(color=CATEGORY_COLORS[cat], opacity=[0.45 if p else 1 for p in partial]),
            customdata=d[col], hovertemplate="%{y:.0%} (%{customdata:,})"))
    for _, r in d[partial].iterrows():
        fig.add_annotation(x=r["period"], y=1.02, yref="y", text=safe_label(periods.note(r)),
                           showarrow=False, xanchor="right", font=dict(color=MUTED, size=11))
    fig.update_layout(title=dict(text=safe_label(title)), barmode="stack", height=340)
    periods.period_axis(fig, d)
    fig.update_yaxes(title_text="share of responses", tickformat=".0%", range=[0, 1.08])
    return fig


def plot_theme_impact(df: pd.DataFrame, *, title: str) -> go.Figure:
    """Return each theme's impact on NPS as horizontal bars (clickable: customdata = the theme
    as written), red when it pulls NPS down; the hover gives responses, share and NPS."""
    d = df.reset_index(drop=True)
    labels = [safe_label(t) for t in d["theme"]]
    hover = [f"{int(r.responses):,} responses ({fmt.value(r.share, 'fraction')})<br>"
             f"NPS of the theme {fmt.value(r.nps, 'points')}<br>"
             f"impact on NPS {fmt.change(r.impact, 'points')}"
             for r in d.itertuples(index=False)]
    colors = [CATEGORY_COLORS["detractor"] if (pd.notna(v) and v < 0)
              else CATEGORY_COLORS["promoter"] for v in d["impact"]]
    fig = go.Figure(go.Bar(
        y=labels, x=d["impact"], orientation="h", marker_color=colors,
        customdata=d["theme"].astype(str), text=[fmt.change(v, "points") for v in d["impact"]],
        textposition="auto", hovertext=hover, hovertemplate="<b>%{y}</b><br>%{hovertext}"
        "<extra></extra>", name="impact"))
    fig.update_layout(title=dict(text=safe_label(title)), height=max(300, 34 * len(d) + 120),
                      hovermode="closest", clickmode="event+select", showlegend=False)
    fig.update_xaxes(title_text="impact on NPS (points): NPS of all − NPS without the theme",
                     zeroline=True, zerolinecolor=TEXT)
    fig.update_yaxes(autorange="reversed")
    return fig


def plot_comment_points(df: pd.DataFrame, *, title: str) -> go.Figure:
    """Return one point per comment (date × score, coloured by category) whose hover shows the
    account, the score, the themes and the comment — all escaped, so text stays text."""
    d = df.reset_index(drop=True)
    fig = go.Figure()
    for cat in ("detractor", "passive", "promoter"):
        g = d[d["category"] == cat]
        if g.empty:
            continue
        hover = [f"<b>{safe_label(r.account_name or r.account_id)}</b> · score {int(r.score)}"
                 f"<br>{r.responded_at:%Y-%m-%d}"
                 + (f" · {safe_label(r.themes)}" if r.themes else "")
                 + f"<br>{wrap_label(r.comment)}"
                 for r in g.itertuples(index=False)]
        # a small vertical spread so equal scores on one day do not hide each other
        jitter = ((g.index.to_numpy() * 7919) % 21 - 10) / 40
        fig.add_trace(go.Scatter(
            x=g["responded_at"], y=g["score"] + jitter, mode="markers",
            name=CATEGORY_LABELS[cat], marker=dict(color=CATEGORY_COLORS[cat], size=8,
                                                   opacity=0.75),
            hovertext=hover, hovertemplate="%{hovertext}<extra></extra>"))
    fig.update_layout(title=dict(text=safe_label(title)), height=340, hovermode="closest")
    fig.update_xaxes(title_text="answered on")
    fig.update_yaxes(title_text="score", range=[-0.8, 10.8], dtick=1)
    return fig


def plot_revenue_by_category(row: pd.Series, *, title: str) -> go.Figure:
    """Return the MRR held by promoters, passives, detractors and accounts without a recent
    answer (one nps_revenue row), with the accounts behind each bar."""
    cats = ["promoter", "passive", "detractor", "no_answer"]
    mrr = [float(row[f"{c}_mrr"]) for c in cats]
    accounts = [int(row[f"{c}_accounts"]) for c in cats]
    total = sum(mrr)
    text = [f"{fmt.value(m, 'USD')} ({m / total:.0%})" if total else fmt.value(m, "USD")
            for m in mrr]
    fig = go.Figure(go.Bar(
        x=[CATEGORY_LABELS[c] for c in cats], y=mrr, marker_color=[CATEGORY_COLORS[c]
                                                                   for c in cats],
        text=text, textposition="outside", customdata=accounts,
        hovertemplate="%{x}: %{text}<br>%{customdata:,} accounts<extra></extra>"))
    fig.update_layout(title=dict(text=safe_label(title)), height=340, hovermode="closest",
                      showlegend=False)
    fig.update_yaxes(title_text="MRR (USD)", tickprefix="$", tickformat=",.0f")
    fig.update_xaxes(title_text="latest NPS answer of the paying account")
    return fig
