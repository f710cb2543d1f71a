"""The charts' look (render/theme.py): every figure gets the csm template over plotly_white."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

import render.theme  # noqa: F401 - registers the template and makes it the default


def test_every_figure_has_the_csm_look_over_plotly_white_merged_once():
    assert go.Figure().layout.template == pio.templates.merge_templates("plotly_white", "csm")
    # a "a+b" default would be merged again for every figure (23 ms each, ten on a page)
    assert "+" not in pio.templates.default
