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

from metrics import fmt

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
    fig.update_yaxes(title_text=UNIT_AXIS.get(unit, unit), **fmt.d3(unit))
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
    fig.update_yaxes(title_text=UNIT_AXIS.get(unit, unit), **fmt.d3(unit))
    fig.update_xaxes(title_text=safe_label(x))
    return fig


# ----------------------------------------------------------------------------------------------
# Support and usage pages


_LEGEND_TOP = dict(legend=dict(orientation="h", y=1.0, yanchor="bottom", x=1, xanchor="right"),
                   margin=dict(t=80))


def _mark_partial(fig: go.Figure, d: pd.DataFrame, x: str) -> None:
    """Shade the partial period(s) and label them, like the hollow point of plot_trend."""
    if "partial" not in d or not d["partial"].any():
        return
    for p in d.loc[d["partial"], x]:
        # add_vline's own annotation fails on date axes: shape and label separately
        fig.add_shape(type="line", x0=p, x1=p, y0=0, y1=1, yref="paper",
                      line=dict(color=MUTED, dash="dot", width=1))
        fig.add_annotation(x=p, y=1, yref="paper", text="partial", showarrow=False,
                           yanchor="bottom", font=dict(color=MUTED, size=11))


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
    _mark_partial(fig, d, x)
    fig.update_layout(title=dict(text=safe_label(title)), height=340, **_LEGEND_TOP)
    fig.update_xaxes(title_text="period (start date)")
    fig.update_yaxes(title_text=UNIT_AXIS.get(unit, unit), rangemode="tozero",
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
    _mark_partial(fig, d.drop_duplicates(x), x)
    fig.update_layout(title=dict(text=safe_label(title)), height=340, **_LEGEND_TOP)
    fig.update_xaxes(title_text="period (start date)")
    fig.update_yaxes(title_text=UNIT_AXIS.get(unit, unit), rangemode="tozero",
                     **fmt.d3(unit))
    return fig


def plot_volume(df: pd.DataFrame, *, title: str, x: str = "period") -> go.Figure:
    """Return tickets created per period (bars, clickable: customdata = period) and those of
    them still open at as-of; the partial period's bar is pale and labelled."""
    d = df.sort_values(x)
    partial = d["partial"] if "partial" in d else pd.Series(False, index=d.index)
    fig = go.Figure()
    fig.add_trace(go.Bar(
        x=d[x], y=d["tickets"], name="tickets created", customdata=d[x].astype(str),
        marker_color=[BAND if p else PRIMARY for p in partial],
        marker_line=dict(color=PRIMARY, width=1),
        text=["partial" if p else "" for p in partial], textposition="outside"))
    fig.add_trace(go.Bar(x=d[x], y=d["open_tickets"], name="still open at as-of",
                         customdata=d[x].astype(str), marker_color="#f59e0b"))
    fig.update_layout(title=dict(text=safe_label(title)), height=340, barmode="overlay",
                      hovermode="closest", clickmode="event+select", **_LEGEND_TOP)
    fig.update_xaxes(title_text="period of creation (start date)")
    fig.update_yaxes(title_text="tickets")
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
        kw = dict(fillcolor=BENCH, line_width=0, layer="below", annotation_font_size=11,
                  annotation_text=safe_label(label))
        if horizontal:
            fig.add_vrect(x0=lo, x1=hi, annotation_position="top left", **kw)
        else:
            fig.add_hrect(y0=lo, y1=hi, annotation_position="top left", **kw)
    value_axis = dict(title_text=UNIT_AXIS.get(unit, unit), **fmt.d3(unit))
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


def plot_adoption(df: pd.DataFrame, *, title: str) -> go.Figure:
    """Return feature adoption as horizontal bars (clickable: customdata = feature) with the
    previous window's rate as a marker and the change in percentage points as text."""
    d = df.sort_values("adoption_rate", ascending=False)
    labels = [safe_label(f) for f in d["feature"]]
    change = [("" if pd.isna(c) else f"{c * 100:+.1f} pp") for c in d["adoption_change"]]
    text = [f"{fmt.value(r, 'fraction')}  {c}".strip()
            for r, c in zip(d["adoption_rate"], change, strict=True)]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=labels, x=d["adoption_rate"], orientation="h", name="this window",
                         customdata=d["feature"].astype(str), text=text,
                         textposition="auto", marker_color=PRIMARY))
    fig.add_trace(go.Scatter(y=labels, x=d["adoption_rate_prev"], mode="markers",
                             name="previous window",
                             marker=dict(symbol="line-ns", size=18, color=TEXT,
                                         line=dict(width=3, color=TEXT))))
    fig.update_layout(title=dict(text=safe_label(title)), height=max(320, 30 * len(d) + 130),
                      hovermode="closest", clickmode="event+select", **_LEGEND_TOP)
    fig.update_xaxes(title_text="share of active customers using the feature (%)",
                     tickformat=".0%", range=[0, 1.05])
    fig.update_yaxes(title_text="feature", autorange="reversed")
    return fig


def plot_heatmap(df: pd.DataFrame, x: str, y: str, z: str, *, title: str, x_title: str,
                 y_title: str) -> go.Figure:
    """Return a heatmap of `z` (a fraction) for categories x × y, each cell annotated in %,
    labels escaped; a cell's customdata is [raw x, raw y] for drill-down."""
    d = df.copy()
    for c in (x, y):
        d[c] = d[c].astype(object).where(d[c].notna(), "(none)")
    order_y = d.groupby(y)[z].mean().sort_values(ascending=False).index.tolist()
    order_x = sorted(d[x].unique(), key=str)
    grid = d.pivot_table(index=y, columns=x, values=z, aggfunc="first").reindex(
        index=order_y, columns=order_x)
    custom = [[[str(cx), str(cy)] for cx in order_x] for cy in order_y]
    text = [[("—" if pd.isna(v) else f"{v:.0%}") for v in row] for row in grid.to_numpy()]
    fig = go.Figure(go.Heatmap(
        z=grid.to_numpy(), x=[safe_label(v) for v in order_x], y=[safe_label(v) for v in order_y],
        text=text, texttemplate="%{text}", customdata=custom, colorscale="Blues", zmin=0, zmax=1,
        colorbar=dict(title=dict(text="adoption"), tickformat=".0%"),
        hovertemplate="%{y} × %{x}: %{text}<extra></extra>", xgap=2, ygap=2))
    fig.update_layout(title=dict(text=safe_label(title)), height=max(360, 30 * len(order_y) + 140),
                      hovermode="closest")
    fig.update_xaxes(title_text=safe_label(x_title), side="bottom")
    fig.update_yaxes(title_text=safe_label(y_title), autorange="reversed")
    return fig


# ----------------------------------------------------------------------------------------------
# Satisfaction page

CATEGORY_COLORS = {"detractor": "#ef4444", "passive": "#f59e0b", "promoter": "#10b981",
                   "no_answer": MUTED}
CATEGORY_LABELS = {"detractor": "detractors (0–6)", "passive": "passives (7–8)",
                   "promoter": "promoters (9–10)", "no_answer": "no recent answer"}


def wrap_label(text, width: int = 60) -> str:
    """Return data text escaped for a Plotly hover and wrapped with <br> every ~`width`
    characters (at spaces); the only markup is ours."""
    words, lines, line = str(text).split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    if line:
        lines.append(line)
    return "<br>".join(safe_label(s) for s in lines)




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
        fig.add_hrect(y0=lo, y1=hi, fillcolor=BENCH, line_width=0, layer="below",
                      annotation_text=safe_label(label), annotation_position="top left",
                      annotation_font_size=11)
    for yv, label in refs or []:
        fig.add_hline(y=yv, line=dict(color="#10b981", dash="dot", width=1),
                      annotation_text=safe_label(label), annotation_position="bottom right",
                      annotation_font_size=10, annotation_font_color="#047857")
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
    fig.update_xaxes(title_text=UNIT_AXIS.get(unit, unit), **fmt.d3(unit))
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
    if partial.any():
        for p in d.loc[partial, "period"]:
            fig.add_annotation(x=p, y=1.02, yref="y", text="partial", showarrow=False,
                               font=dict(color=MUTED, size=11))
    fig.update_layout(title=dict(text=safe_label(title)), barmode="stack", height=340)
    fig.update_xaxes(title_text="period (start date)")
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


# ---------------------------------------------------------------------------------------------
# Health and Accounts pages

BAND_COLORS = {"green": "#10b981", "yellow": "#f59e0b", "red": "#ef4444", "unscored": MUTED}
COMPONENT_LABELS = {"usage": "Usage", "adoption": "Adoption", "sentiment": "Sentiment",
                    "support": "Support", "financial": "Financial"}


def _band_rects(fig: go.Figure, green: float, yellow: float) -> None:
    """Shade the red, yellow and green score ranges (0-100) behind a chart, labelled."""
    for lo, hi, band in ((0, yellow, "red"), (yellow, green, "yellow"), (green, 100, "green")):
        fig.add_hrect(y0=lo, y1=hi, fillcolor=BAND_COLORS[band], opacity=0.08, line_width=0,
                      annotation_text=f"{band} {lo:g}–{hi:g}", annotation_position="top left",
                      annotation_font=dict(color=MUTED, size=11))


def _mark_model_changes(fig: go.Figure, xs: pd.Series, changes) -> None:
    """Draw a dashed line labelled "model vN" on each day a model version was saved, when it
    falls inside the chart's dates."""
    if not len(xs):
        return
    lo, hi = pd.Timestamp(min(xs)), pd.Timestamp(max(xs))
    for day, version in changes or []:
        if lo <= pd.Timestamp(day) <= hi:
            fig.add_vline(x=pd.Timestamp(day).timestamp() * 1000,
                          line=dict(color=MUTED, dash="dash"),
                          annotation_text=f"model v{version}", annotation_position="top left")


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
                      hovermode="x unified", **_LEGEND_TOP,
                      yaxis2=dict(title="mean score (0–100)", overlaying="y", side="right",
                                  range=[0, 100], dtick=20, showgrid=False))
    _mark_model_changes(fig, d["as_of"], changes)
    fig.update_xaxes(title_text="as-of date (scores from the data before it)")
    fig.update_yaxes(title_text="active accounts", selector=dict(anchor="x"))
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
        fig.add_vline(x=x, line=dict(color=MUTED, dash="dash"), annotation_text=label,
                      annotation_position="top")
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
    fig.add_hline(y=0.5, line=dict(color=MUTED, dash="dot"), annotation_text="AUC 0.5 = random",
                  annotation_position="bottom right")
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
                      **_LEGEND_TOP)
    fig.update_xaxes(title_text="as-of date (outcome: churned in the next 90 days)")
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
    fig.update_layout(title=dict(text=safe_label(title)), height=400, **_LEGEND_TOP)
    fig.update_layout(margin=dict(t=105))  # the legend takes two rows above the plot
    fig.update_xaxes(title_text="as-of date")
    fig.update_yaxes(title_text="health score (0–100)", range=[0, 100])
    return fig


def plot_account_mrr(df: pd.DataFrame, *, title: str) -> go.Figure:
    """Return one account's MRR by day as a step line (df: day, mrr)."""
    fig = go.Figure(go.Scatter(x=df["day"], y=df["mrr"], mode="lines", line_shape="hv",
                               line=dict(color=PRIMARY, width=2.5), name="MRR",
                               hovertemplate="%{x|%Y-%m-%d}: $%{y:,.2f}<extra></extra>"))
    fig.update_layout(title=dict(text=safe_label(title)), height=300, showlegend=False)
    fig.update_xaxes(title_text="day")
    fig.update_yaxes(title_text="MRR (USD)", tickprefix="$", tickformat=",.0f", rangemode="tozero")
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


def plot_mrr_movers(df: pd.DataFrame, *, title: str) -> go.Figure:
    """Return horizontal bars of each account's MRR change (a `metrics.review.mrr_movers`
    frame: account_name or account_id, change, movement), gains green and losses red, the
    largest first; labels escaped."""
    names = [safe_label(n if isinstance(n, str) and n else a)
             for n, a in zip(df["account_name"], df["account_id"], strict=True)]
    fig = go.Figure(go.Bar(
        y=names, x=df["change"], orientation="h",
        marker_color=["#10b981" if c > 0 else "#ef4444" for c in df["change"]],
        text=[f"{'+' if c >= 0 else '-'}${abs(c):,.0f}" for c in df["change"]],
        customdata=[safe_label(m) for m in df["movement"]], textposition="auto",
        hovertemplate="%{y}: %{x:$,.0f} (%{customdata})<extra></extra>"))
    fig.update_layout(title=dict(text=safe_label(title)), showlegend=False, hovermode="closest",
                      height=max(300, 30 * len(df) + 110))
    fig.update_xaxes(title_text="MRR change (USD a month)", tickprefix="$", tickformat=",.0f")
    fig.update_yaxes(title_text="account", autorange="reversed")
    return fig


# ----------------------------------------------------------------------------------------------
# Retention & revenue page

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
    net = (d["new"] + d["expansion"] + d["reactivation"] - d["contraction"] - d["churn"])
    fig.add_trace(go.Scatter(x=d[x], y=net, mode="lines+markers", name="net new MRR",
                             line=dict(color=TEXT, width=2),
                             hovertemplate="net new MRR: %{y:$,.0f}<extra></extra>"))
    _mark_partial(fig, d, x)
    fig.update_layout(title=dict(text=safe_label(title)), height=380, barmode="relative",
                      hovermode="closest", clickmode="event+select", **_LEGEND_TOP)
    fig.update_xaxes(title_text="period (start date)")
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
    fig.add_hline(y=0.5, line=dict(color=MUTED, dash="dot", width=1),
                  annotation_text="50% (median)", annotation_position="bottom left",
                  annotation_font_size=11)
    fig.update_layout(title=dict(text=safe_label(title)), height=420, hovermode="closest",
                      **_LEGEND_TOP)
    fig.update_xaxes(title_text="days since signup")
    fig.update_yaxes(title_text="share still a customer (%)", tickformat=".0%",
                     range=[0, 1.02])
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
                      hovermode="closest", clickmode="event+select", **_LEGEND_TOP)
    fig.update_xaxes(title_text="month of renewal_date", dtick="M1", tickformat="%b %Y")
    fig.update_yaxes(title_text="ARR due (USD)", tickprefix="$", tickformat=",.0f")
    return fig
