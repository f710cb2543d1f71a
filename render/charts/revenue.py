"""Revenue charts: MRR movements per period, one period's MRR bridge, one
account's MRR, and ARR due for renewal per month."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from metrics import fmt
from render.charts import periods
from render.theme import BAND_COLORS, LEGEND_TOP, MUTED, PALETTE, PRIMARY, TEXT, safe_label

MOVEMENTS = {"new": ("new", "#10b981", 1), "expansion": ("expansion", "#34d399", 1),
             "reactivation": ("reactivation", "#06b6d4", 1),
             "contraction": ("contraction", "#f59e0b", -1), "churn": ("churn", "#ef4444", -1)}


def plot_movements(df: pd.DataFrame, *, title: str, x: str = "period") -> go.Figure:
    """Return the MRR movements per period as bars above (gains) and below (losses) zero, with
    net new MRR as a line; each bar is clickable (customdata = [period, movement]) and the
    partial period is pale and labelled."""
    d = df.sort_values(x)
    partial = d["partial"] if "partial" in d else pd.Series(False, index=d.index)
    fig = go.Figure()
    for col, (label, color, sign) in MOVEMENTS.items():
        fig.add_trace(go.Bar(
            x=d[x], y=sign * d[col], name=label,
            customdata=[[str(p), col] for p in d[x]],
            marker=dict(color=color, opacity=[0.45 if p else 1.0 for p in partial]),
            hovertemplate=f"{label}: %{{y:$,.0f}}<extra></extra>"))
    net = d.assign(net=d["new"] + d["expansion"] + d["reactivation"] - d["contraction"]
                   - d["churn"])
    periods.add_series(fig, net, x, "net", name="net new MRR", color=TEXT, unit="USD", width=2)
    periods.mark(fig, d, x)
    fig.update_layout(title=dict(text=safe_label(title)), height=380, barmode="relative",
                      hovermode="closest", clickmode="event+select", **LEGEND_TOP)
    periods.period_axis(fig, d, x)
    fig.update_yaxes(title_text="MRR movement (USD)", tickprefix="$", tickformat=",.0f")
    return fig


def plot_waterfall(row: pd.Series, *, title: str) -> go.Figure:
    """Return one period's MRR bridge: start, + new, + expansion, + reactivation,
    − contraction, − churn, = end (the identity drawn as a waterfall)."""
    steps = [("MRR at start", row["mrr_start"], "absolute")]
    steps += [(label, sign * row[col], "relative")
              for col, (label, _c, sign) in MOVEMENTS.items()]
    steps.append(("MRR at end", row["mrr_end"], "total"))
    fig = go.Figure(go.Waterfall(
        x=[s[0] for s in steps], y=[s[1] for s in steps], measure=[s[2] for s in steps],
        text=[("−" if s[1] < 0 else "+" if s[2] == "relative" else "")
              + fmt.value(abs(s[1]), "USD") for s in steps], textposition="outside",
        customdata=["", *MOVEMENTS, ""],
        increasing=dict(marker_color="#10b981"), decreasing=dict(marker_color="#ef4444"),
        totals=dict(marker_color=PRIMARY), connector=dict(line=dict(color=MUTED, width=1))))
    lo = min(row["mrr_start"], row["mrr_end"])
    hi = max(row["mrr_start"] + row["new"] + row["expansion"] + row["reactivation"],
             row["mrr_start"], row["mrr_end"])
    pad = max((hi - lo) * 0.6, hi * 0.01, 1.0)
    fig.update_layout(title=dict(text=safe_label(title)), height=380, showlegend=False,
                      hovermode="closest")
    fig.update_yaxes(title_text="MRR (USD)", tickprefix="$", tickformat=",.0f",
                     range=[max(0.0, lo - pad), hi + pad * 0.5])
    fig.update_xaxes(title_text="movement")
    return fig


def plot_account_mrr(df: pd.DataFrame, *, title: str) -> go.Figure:
    """Return one account's MRR by day as a step line (df: day, mrr)."""
    fig = go.Figure(go.Scatter(x=df["day"], y=df["mrr"], mode="lines", line_shape="hv",
                               line=dict(color=PRIMARY, width=2.5), name="MRR",
                               hovertemplate="%{x|%Y-%m-%d}: $%{y:,.2f}<extra></extra>"))
    fig.update_layout(title=dict(text=safe_label(title)), height=300, showlegend=False)
    periods.period_axis(fig, df, "day", title="day")
    fig.update_yaxes(title_text="MRR (USD)", tickprefix="$", tickformat=",.0f", rangemode="tozero")
    return fig


def plot_renewal_calendar(df: pd.DataFrame, *, title: str, by: str = "segment") -> go.Figure:
    """Return ARR coming up for renewal per month, stacked by `by` (the health `band`: red,
    yellow, green, unscored in band colours; or a dimension such as segment); bars are
    clickable (customdata = [month ISO date, group])."""
    d = df.copy()
    d[by] = d[by].astype(object).where(d[by].notna(), "unscored" if by == "band" else "(none)")
    agg = d.groupby(["month", by], as_index=False).agg(arr=("arr", "sum"),
                                                       accounts=("account_id", "count"))
    order = ["red", "yellow", "green", "unscored"] if by == "band" else sorted(agg[by].unique())
    fig = go.Figure()
    for i, key in enumerate(k for k in order if k in set(agg[by])):
        g = agg[agg[by] == key]
        fig.add_trace(go.Bar(
            x=g["month"], y=g["arr"], name=safe_label(key),
            marker_color=BAND_COLORS[key] if by == "band" else PALETTE[i % len(PALETTE)],
            customdata=[[str(m), str(key)] for m in g["month"]],
            text=[f"{n}" for n in g["accounts"]], textposition="inside",
            hovertemplate=f"{safe_label(key)}: %{{y:$,.0f}} ARR, %{{text}} accounts"
                          "<extra></extra>"))
    fig.update_layout(title=dict(text=safe_label(title)), height=360, barmode="stack",
                      hovermode="closest", clickmode="event+select", **LEGEND_TOP)
    fig.update_xaxes(title_text="Renewal month", dtick="M1", tickformat="%b %Y")
    fig.update_yaxes(title_text="ARR due (USD)", tickprefix="$", tickformat=",.0f")
    return fig
