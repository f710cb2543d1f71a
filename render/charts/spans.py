"""Bands and rules that span a chart (a benchmark range, a reference line, the score bands),
each with its label.

Plotly's own `add_hrect`/`add_hline`/`add_vrect`/`add_vline` draw the same shapes but cost
8–13 ms a call (they search every subplot for the axes to span); a page drew up to ten of them
per run. These add the shape and its label directly (about 1 ms), placed as Plotly places
them for the positions the charts use.
"""

from __future__ import annotations

from typing import Literal

import plotly.graph_objects as go

Axis = Literal["x", "y"]

# position -> (xanchor, yanchor, x, y) of the label; x and y are "lo"/"hi" of the span along
# that axis (the other axis: its domain's 0/1) or "at" the line (Plotly's shapeannotation
# rules for these positions)
_RECT = {
    "top left": ("left", "top", "lo", "hi"),
    "top right": ("right", "top", "hi", "hi"),
    "bottom left": ("left", "bottom", "lo", "lo"),
    "bottom right": ("right", "bottom", "hi", "lo"),
}
_HLINE = {
    "top left": ("left", "bottom", "lo", "at"),
    "top right": ("right", "bottom", "hi", "at"),
    "bottom left": ("left", "top", "lo", "at"),
    "bottom right": ("right", "top", "hi", "at"),
}
_VLINE = {
    "top left": ("right", "top", "at", "hi"),
    "top right": ("left", "top", "at", "hi"),
    "top": ("center", "bottom", "at", "hi"),
    "bottom left": ("right", "bottom", "at", "lo"),
    "bottom right": ("left", "bottom", "at", "lo"),
}


def _refs(axis: Axis) -> tuple[str, str]:
    """Return (xref, yref): the spanned axis in data units, the other across its domain."""
    return ("x domain", "y") if axis == "y" else ("x", "y domain")


def _label(fig: go.Figure, rules: dict, position: str, axis: Axis, lo, hi, text: str,
           font: dict | None) -> None:
    xanchor, yanchor, xs, ys = rules[position]
    ends = (lo, hi) if lo == hi else (min(lo, hi), max(lo, hi))

    def along(k: str):  # a value on the spanned axis
        return ends[1] if k == "hi" else ends[0]

    def across(k: str) -> float:  # a fraction of the other axis's domain
        return 1.0 if k == "hi" else 0.0

    x, y = (across(xs), along(ys)) if axis == "y" else (along(xs), across(ys))
    xref, yref = _refs(axis)
    fig.add_annotation(x=x, y=y, xref=xref, yref=yref, text=text, showarrow=False,
                       xanchor=xanchor, yanchor=yanchor, font=font or {})


def band(fig: go.Figure, lo, hi, *, axis: Axis = "y", label: str | None = None,
         position: str = "top left", fillcolor: str, opacity: float | None = None,
         layer: str | None = None, font: dict | None = None) -> None:
    """Shade the range `lo`..`hi` of `axis` across the whole plot, with `label` (already
    escaped for Plotly) at `position` inside it."""
    xref, yref = _refs(axis)
    ends = dict(x0=0, x1=1, y0=lo, y1=hi) if axis == "y" else dict(x0=lo, x1=hi, y0=0, y1=1)
    shape = dict(type="rect", xref=xref, yref=yref, fillcolor=fillcolor, line=dict(width=0),
                 **ends)
    if opacity is not None:
        shape["opacity"] = opacity
    if layer is not None:
        shape["layer"] = layer
    fig.add_shape(**shape)
    if label:
        _label(fig, _RECT, position, axis, lo, hi, label, font)


def rule(fig: go.Figure, at, *, axis: Axis = "y", label: str | None = None,
         position: str = "top right", line: dict, font: dict | None = None) -> None:
    """Draw a line at `at` on `axis` across the whole plot, with `label` (already escaped for
    Plotly) at `position` beside it."""
    xref, yref = _refs(axis)
    ends = dict(x0=0, x1=1, y0=at, y1=at) if axis == "y" else dict(x0=at, x1=at, y0=0, y1=1)
    fig.add_shape(type="line", xref=xref, yref=yref, line=line, **ends)
    if label:
        _label(fig, _HLINE if axis == "y" else _VLINE, position, axis, at, at, label, font)
