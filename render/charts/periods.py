"""Periods on a chart, drawn once for every time-series builder.

A period that has not ended on as-of (`partial`) is not a fact yet: one day of a month's users
is not a fall of 80%. So the complete periods are the line and each partial period is a hollow
point of its own, not joined to the line, labelled with how much of it has happened ("so far: 1
of 31 days", from the `days_so_far` / `period_days` columns of `metrics.periods.coverage`, or a
`partial_note` column). The period axis is a date axis whose ticks are the periods (never a time
of day, even for a single period), and a count axis has whole-number ticks.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from metrics import fmt
from metrics.periods import floor_period
from render.theme import MUTED, axis_title, safe_label

PARTIAL_GROUP = "partial"  # one legend entry toggles the partial points of every series
MAX_TICKS = 8  # up to this many periods, one tick per period (more would crowd a half-width chart)


def split(d: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (complete rows, partial rows) of `d`; every row is complete without a `partial`
    column."""
    if "partial" not in d:
        return d, d.iloc[0:0]
    flag = d["partial"].fillna(False).astype(bool)
    return d[~flag], d[flag]


def note(row) -> str:
    """Return what a partial row is: its `partial_note`, else 'so far: N of M days', else
    'partial period'."""
    text = row.get("partial_note") if hasattr(row, "get") else None
    if isinstance(text, str) and text:
        return text
    done, total = row.get("days_so_far"), row.get("period_days")
    if fmt.number(done) is not None and fmt.number(total):
        return f"so far: {int(done)} of {int(total)} days"
    return "partial period"


def add_series(fig: go.Figure, d: pd.DataFrame, x: str, y: str, *, name: str, color: str,
               unit: str, width: float = 2.5, first: bool = True, group: str | None = None
               ) -> None:
    """Add one series of `d` to `fig`: the complete periods as a solid line with markers and
    each partial period as a separate hollow marker (no line into it), whose hover says how
    much of it has happened (the dotted line of `mark` labels it too). `first` puts the
    partial point in the legend (one entry for all series); `group` is the legend group of the
    solid line."""
    d = d.sort_values(x)
    complete, partial = split(d)
    fig.add_trace(go.Scatter(
        x=complete[x], y=complete[y], mode="lines+markers", name=name, legendgroup=group,
        line=dict(color=color, width=width), marker=dict(color=color, size=7),
        hovertemplate=f"{name}: %{{y:{fmt.hover(unit)}}}<extra></extra>"))
    partial = partial[partial[y].notna()]
    if partial.empty:
        return
    notes = [note(r) for _, r in partial.iterrows()]
    fig.add_trace(go.Scatter(
        x=partial[x], y=partial[y], mode="markers", legendgroup=PARTIAL_GROUP,
        name="partial period", showlegend=first, legendrank=2000,  # last in the legend
        cliponaxis=False,  # the last period sits at the edge of the plot
        marker=dict(symbol="circle-open", size=12, color=color, line=dict(width=2)),
        customdata=notes,
        hovertemplate=f"{name} (partial, %{{customdata}}): %{{y:{fmt.hover(unit)}}}"
                      "<extra></extra>"))


def mark(fig: go.Figure, d: pd.DataFrame, x: str = "period") -> None:
    """Draw a dotted vertical line on each partial period, labelled with its note."""
    _, partial = split(d.drop_duplicates(x) if x in d else d)
    for i, (_, r) in enumerate(partial.iterrows()):
        # add_vline's own annotation fails on date axes: shape and label separately
        fig.add_shape(type="line", x0=r[x], x1=r[x], y0=0, y1=1, yref="paper",
                      line=dict(color=MUTED, dash="dot", width=1))
        # right-aligned on the line: the partial period is the last, at the plot's right edge
        # inside the plot's top (above it sits the legend); a second partial period's label
        # (renewals pending in the last complete month, then the current one) one line lower
        fig.add_annotation(x=r[x], y=1, yref="paper", text=safe_label(note(r)), showarrow=False,
                           xanchor="right", yanchor="top", yshift=-15 * i,
                           font=dict(color=MUTED, size=11))


def _days(d: pd.DataFrame, xs: list[pd.Timestamp]) -> float:
    """Return the length of a period in days: `period_days` when present, else the smallest
    gap between periods, else 1."""
    if "period_days" in d and d["period_days"].notna().any():
        return float(d["period_days"].median())
    gaps = [(b - a).days for a, b in zip(xs, xs[1:], strict=False) if b > a]
    return float(min(gaps)) if gaps else 1.0


def _grain(days: float) -> str:
    return ("day" if days < 2 else "week" if days < 20 else "month" if days < 60
            else "quarter" if days < 200 else "year")


def period_axis(fig: go.Figure, d: pd.DataFrame, x: str = "period", *,
                title: str = "period (start date)") -> None:
    """Make the x axis a date axis of periods: ticks as dates or periods, never a time of day;
    with up to MAX_TICKS periods one tick per period labelled like 'Nov 2026' / '23 Nov' and the
    range padded by half a period, so a single period is a labelled point or bar."""
    xs = sorted({pd.Timestamp(v) for v in d[x].dropna()}) if x in d else []
    days = _days(d, xs)
    grain = _grain(days)
    kw: dict = dict(type="date", title_text=title,
                    tickformat="%b %Y" if grain in ("month", "quarter", "year") else "%d %b %Y",
                    hoverformat="%b %Y" if grain in ("month", "quarter", "year") else "%d %b %Y")
    if 0 < len(xs) <= MAX_TICKS:
        # periods by their name ('Nov 2026', 'Q4 2026'); other dates (as-of days) as days
        named = grain in ("month", "quarter", "year") and all(
            floor_period(v.date(), grain) == v.date() for v in xs)
        kw.update(tickmode="array", tickvals=xs,
                  ticktext=[fmt.period(v, grain) if named else f"{v.day} {v:%b %Y}"
                            for v in xs])
    if xs:
        half = pd.Timedelta(days=days / 2)
        kw["range"] = [xs[0] - half, xs[-1] + half]
    fig.update_xaxes(**kw)


def value_axis(fig: go.Figure, unit: str, values=None, *, tozero: bool = False,
               title: str | None = None, **kw) -> None:
    """Set the value (y) axis of `unit`: its title and tick format; a count axis has
    whole-number ticks (',d'), and over a narrow range (a few units) a fixed range with one
    tick per unit, so there is never a tick at 375.5 accounts."""
    extra = dict(fmt.d3(unit))
    if fmt.kind(unit) == "count":
        extra["hoverformat"] = ",d"
        v = pd.to_numeric(pd.Series(values if values is not None else [], dtype=object),
                          errors="coerce").dropna()
        if len(v):
            lo, hi = float(v.min()), float(v.max())
            lo = min(lo, 0.0) if tozero else lo
            if hi - lo < 8:  # Plotly would step by 0.5 or 0.2 here
                extra.update(dtick=1, range=[max(0, math.floor(lo) - 2), math.ceil(hi) + 2])
    if tozero and "range" not in extra:
        extra["rangemode"] = "tozero"
    fig.update_yaxes(title_text=title if title is not None else axis_title(unit), **extra, **kw)
