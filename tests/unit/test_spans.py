"""render.charts.spans draws exactly what Plotly's add_hrect/add_vrect/add_hline/add_vline
draw (the same shapes and labels in the figure's JSON), for every position the charts use."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

import render.theme  # noqa: F401 - the charts' template, as on every page
from render.charts import spans


def _drawn(fig: go.Figure) -> tuple:
    layout = fig.to_dict()["layout"]
    return layout.get("shapes"), layout.get("annotations")


@pytest.mark.parametrize("axis", ["y", "x"])
@pytest.mark.parametrize("position", ["top left", "top right", "bottom left", "bottom right"])
def test_a_band_is_plotlys_rect(axis, position):
    plotly, ours = go.Figure(), go.Figure()
    add = plotly.add_hrect if axis == "y" else plotly.add_vrect
    ends = dict(y0=2, y1=6) if axis == "y" else dict(x0=2, x1=6)
    add(**ends, fillcolor="#abc", opacity=0.08, line_width=0, layer="below",
        annotation_text="benchmark", annotation_position=position,
        annotation_font=dict(size=11, color="#999"))
    spans.band(ours, 2, 6, axis=axis, fillcolor="#abc", opacity=0.08, layer="below",
               label="benchmark", position=position, font=dict(size=11, color="#999"))
    assert _drawn(ours) == _drawn(plotly)


@pytest.mark.parametrize(("axis", "position"), [
    ("y", "top left"), ("y", "top right"), ("y", "bottom left"), ("y", "bottom right"),
    ("x", "top left"), ("x", "top right"), ("x", "top"), ("x", "bottom left"),
    ("x", "bottom right")])
def test_a_rule_is_plotlys_line(axis, position):
    plotly, ours = go.Figure(), go.Figure()
    add = plotly.add_hline if axis == "y" else plotly.add_vline
    add(0.5, line=dict(color="#999", dash="dot", width=1), annotation_text="median",
        annotation_position=position, annotation_font_size=10)
    spans.rule(ours, 0.5, axis=axis, line=dict(color="#999", dash="dot", width=1),
               label="median", position=position, font=dict(size=10))
    assert _drawn(ours) == _drawn(plotly)


def test_without_a_label_only_the_shape_is_drawn():
    fig = go.Figure()
    spans.band(fig, 0, 1, fillcolor="#abc")
    spans.rule(fig, 3, axis="x", line=dict(color="#999"))
    shapes, annotations = _drawn(fig)
    assert [s["type"] for s in shapes] == ["rect", "line"] and annotations is None
