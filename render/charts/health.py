"""Health and Accounts page charts: band mix over time, score histogram, one
account's contributions and history, the backtest, and bands per CSM owner."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from render.charts import periods, spans
from render.theme import BAND_COLORS, LEGEND_TOP, MUTED, PALETTE, PRIMARY, TEXT, safe_label

COMPONENT_LABELS = {"usage": "Usage", "adoption": "Adoption", "sentiment": "Sentiment",
                    "support": "Support", "financial": "Financial"}


def _band_rects(fig: go.Figure, green: float, yellow: float) -> None:
    """Shade the red, yellow and green score ranges (0-100) behind a chart, labelled."""
    for lo, hi, band in ((0, yellow, "red"), (yellow, green, "yellow"), (green, 100, "green")):
        spans.band(fig, lo, hi, fillcolor=BAND_COLORS[band], opacity=0.08,
                   label=f"{band} {lo:g}–{hi:g}", font=dict(color=MUTED, size=11))


def _mark_model_changes(fig: go.Figure, xs: pd.Series, changes) -> None:
    """Draw a dashed line labelled "model vN" on each day a model version was saved, when it
    falls inside the chart's dates."""
    if not len(xs):
        return
    lo, hi = pd.Timestamp(min(xs)), pd.Timestamp(max(xs))
    for day, version in changes or []:
        if lo <= pd.Timestamp(day) <= hi:
            spans.rule(fig, pd.Timestamp(day).timestamp() * 1000, axis="x",
                       line=dict(color=MUTED, dash="dash"), label=f"model v{version}",
                       position="top left")


def plot_band_mix(df: pd.DataFrame, *, title: str, changes=None) -> go.Figure:
    """Return accounts per health band at each as-of date as stacked bars (health_mix rows),
    the mean score as a line on a second axis; `changes` [(day, version)] of the model are
    marked."""
    d = df.sort_values("as_of")
    fig = go.Figure()
    for band in ("red", "yellow", "green", "unscored"):
        if band == "unscored" and not d[band].any():
            continue
        fig.add_trace(go.Bar(x=d["as_of"], y=d[band], name=band, marker_color=BAND_COLORS[band],
                             hovertemplate=f"{band}: %{{y:,}} accounts<extra></extra>"))
    fig.add_trace(go.Scatter(x=d["as_of"], y=d["mean_score"], name="mean score", yaxis="y2",
                             mode="lines+markers", line=dict(color=TEXT, width=1.5),
                             hovertemplate="mean score %{y:.1f}<extra></extra>"))
    fig.update_layout(title=dict(text=safe_label(title)), barmode="stack", height=380,
                      hovermode="x unified", **LEGEND_TOP,
                      yaxis2=dict(title="mean score (0–100)", overlaying="y", side="right",
                                  range=[0, 100], dtick=20, showgrid=False))
    _mark_model_changes(fig, d["as_of"], changes)
    periods.period_axis(fig, d, "as_of", title="as-of date (scores from the data before it)")
    periods.value_axis(fig, "accounts", d[[b for b in ("red", "yellow", "green", "unscored")
                                           if b in d]].sum(axis=1), tozero=True,
                       title="active accounts", selector=dict(anchor="x"))
    return fig


def plot_health_histogram(scores: pd.Series, *, title: str, green: float = 70,
                          yellow: float = 40) -> go.Figure:
    """Return a histogram of health scores in bins of 5 points, coloured by band."""
    s = pd.to_numeric(scores, errors="coerce").dropna()
    edges = list(range(0, 101, 5))
    counts = pd.cut(s, bins=edges, right=False, include_lowest=True).value_counts(sort=False)
    counts.iloc[-1] += int((s == 100).sum())  # 100 belongs to the last bin
    lows = [iv.left for iv in counts.index]
    colors = [BAND_COLORS["green"] if lo >= green else BAND_COLORS["yellow"] if lo >= yellow
              else BAND_COLORS["red"] for lo in lows]
    fig = go.Figure(go.Bar(x=[lo + 2.5 for lo in lows], y=counts.to_numpy(), width=4.6,
                           marker_color=colors,
                           customdata=[f"{lo:g}–{lo + 5:g}" for lo in lows],
                           hovertemplate="score %{customdata}: %{y:,} accounts<extra></extra>"))
    for x, label in ((yellow, f"yellow ≥ {yellow:g}"), (green, f"green ≥ {green:g}")):
        spans.rule(fig, x, axis="x", line=dict(color=MUTED, dash="dash"), label=label,
                   position="top")
    fig.update_layout(title=dict(text=safe_label(title)), height=340, hovermode="closest",
                      showlegend=False)
    fig.update_xaxes(title_text="health score (0–100)", range=[0, 100])
    fig.update_yaxes(title_text="accounts")
    return fig


def plot_contributions(row: pd.Series, *, title: str) -> go.Figure:
    """Return the waterfall of one account's health: each component's contribution
    (re-normalised weight × component score) adding up to the score; components without data
    are shown at 0 and named in the hover."""
    comps = list(COMPONENT_LABELS)
    values = [row.get(f"{c}_contribution") for c in comps]
    present = [v is not None and v == v for v in values]
    labels = [COMPONENT_LABELS[c] + ("" if p else " (no data)") for c, p in zip(comps, present,
                                                                               strict=True)]
    ys = [float(v) if p else 0.0 for v, p in zip(values, present, strict=True)]
    hover = [f"{w:.0%} × {s:.1f}" if p else "no data: weight re-normalised over the others"
             for w, s, p in zip([row.get(f"{c}_effective_weight", 0) or 0 for c in comps],
                                [row.get(f"{c}_score", 0) or 0 for c in comps], present,
                                strict=True)]
    fig = go.Figure(go.Waterfall(
        x=labels + ["Score"], y=ys + [float(row["score"])],
        measure=["relative"] * len(ys) + ["total"],
        text=[f"{v:.1f}" for v in ys] + [f"{float(row['score']):.1f}"], textposition="outside",
        customdata=hover + ["Σ contributions"],
        hovertemplate="%{x}: %{y:.1f} points (%{customdata})<extra></extra>",
        increasing=dict(marker_color=PRIMARY), totals=dict(marker_color=TEXT),
        connector=dict(line=dict(color=MUTED))))
    _band_rects(fig, float(row.get("green", 70)), float(row.get("yellow", 40)))
    fig.update_layout(title=dict(text=safe_label(title)), height=360, hovermode="closest",
                      showlegend=False)
    fig.update_xaxes(title_text="component (contribution = re-normalised weight × score)")
    fig.update_yaxes(title_text="health points", range=[0, 105])
    return fig


def plot_backtest(df: pd.DataFrame, *, title: str, compare: pd.DataFrame | None = None
                  ) -> go.Figure:
    """Return the backtest's AUC and churned MRR flagged by as-of date (0.5 = a coin flip);
    `compare` (another model's rows) is drawn dashed."""
    fig = go.Figure()
    spans.rule(fig, 0.5, line=dict(color=MUTED, dash="dot"), label="AUC 0.5 = random",
               position="bottom right")
    sets = [("", df, "solid")] + ([(" (saved model)", compare, "dash")] if compare is not None
                                  else [])
    for suffix, d, dash in sets:
        d = d.sort_values("as_of")
        fig.add_trace(go.Scatter(x=d["as_of"], y=d["auc"], name="AUC" + suffix,
                                 mode="lines+markers", line=dict(color=PRIMARY, dash=dash),
                                 customdata=d[["accounts", "churners"]],
                                 hovertemplate="AUC %{y:.2f} (%{customdata[1]} churners of "
                                 "%{customdata[0]} accounts)<extra></extra>"))
        fig.add_trace(go.Scatter(x=d["as_of"], y=d["churned_mrr_flagged"],
                                 name="churned MRR flagged red/yellow" + suffix,
                                 mode="lines+markers", line=dict(color="#f59e0b", dash=dash),
                                 hovertemplate="%{y:.0%} of churned MRR flagged<extra></extra>"))
    fig.update_layout(title=dict(text=safe_label(title)), height=380, hovermode="x unified",
                      **LEGEND_TOP)
    periods.period_axis(fig, df, "as_of",
                        title="as-of date (outcome: churned in the next 90 days)")
    fig.update_yaxes(title_text="AUC / share of churned MRR", range=[0, 1.05], tickformat=".0%")
    return fig


def plot_account_health(df: pd.DataFrame, *, title: str, green: float = 70,
                        yellow: float = 40, changes=None) -> go.Figure:
    """Return one account's health score by as-of date over the band ranges, with each
    component's contribution stacked as areas; the days model versions were saved
    (`changes`: [(day, version)]) are marked."""
    d = df.sort_values("as_of")
    fig = go.Figure()
    _band_rects(fig, green, yellow)
    for i, (c, label) in enumerate(COMPONENT_LABELS.items()):
        col = f"{c}_contribution"
        if col in d:
            fig.add_trace(go.Scatter(x=d["as_of"], y=d[col].fillna(0), name=label,
                                     stackgroup="c", mode="lines", line=dict(width=0.5),
                                     fillcolor=PALETTE[i % len(PALETTE)], opacity=0.4,
                                     hovertemplate=f"{label} %{{y:.1f}}<extra></extra>"))
    fig.add_trace(go.Scatter(x=d["as_of"], y=d["score"], name="score", mode="lines+markers",
                             line=dict(color=TEXT, width=2.5),
                             hovertemplate="score %{y:.1f}<extra></extra>"))
    _mark_model_changes(fig, d["as_of"], changes)
    fig.update_layout(title=dict(text=safe_label(title)), height=400, **LEGEND_TOP)
    fig.update_layout(margin=dict(t=105))  # the legend takes two rows above the plot
    periods.period_axis(fig, d, "as_of", title="as-of date")
    fig.update_yaxes(title_text="health score (0–100)", range=[0, 100])
    return fig


def plot_owner_mix(df: pd.DataFrame, *, title: str) -> go.Figure:
    """Return accounts per health band for each CSM owner as horizontal stacked bars (team
    view rows: csm_owner, green, yellow, red)."""
    d = df.sort_values("mrr")
    fig = go.Figure()
    for band in ("red", "yellow", "green"):
        fig.add_trace(go.Bar(y=[safe_label(o) for o in d["csm_owner"]], x=d[band], name=band,
                             orientation="h", marker_color=BAND_COLORS[band],
                             hovertemplate=f"%{{y}}: %{{x:,}} {band}<extra></extra>"))
    fig.update_layout(title=dict(text=safe_label(title)), barmode="stack",
                      height=max(300, 40 * len(d) + 120), hovermode="closest")
    fig.update_xaxes(title_text="active accounts")
    fig.update_yaxes(title_text="CSM owner (largest MRR on top)")
    return fig
