"""The look every chart shares: the Plotly template, the palette and the colours of the theme
in .streamlit/config.toml, the fixed colours of bands and categories, axis titles per unit, and
the escaping of data text for Plotly labels.

Importing this module registers the "csm" template and makes it (over "plotly_white") the
default, so a figure built anywhere in the render layer (dashboard page or meeting pack) looks
the same.
"""

from __future__ import annotations

import html
import tomllib
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

_CONFIG = Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml"


def _theme() -> dict:
    """Return the [theme] table of .streamlit/config.toml ({} when missing or unreadable)."""
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
GOOD = "#10b981"
BAD = "#ef4444"

BAND_COLORS = {"green": "#10b981", "yellow": "#f59e0b", "red": "#ef4444", "unscored": MUTED}
CATEGORY_COLORS = {"detractor": "#ef4444", "passive": "#f59e0b", "promoter": "#10b981",
                   "no_answer": MUTED}

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
# Merged once under its own name: a default of "plotly_white+csm" is merged again for every
# figure (23 ms a figure on a loaded machine), a registered one is only looked up (0.5 ms).
pio.templates["csm_white"] = pio.templates.merge_templates("plotly_white", "csm")
pio.templates.default = "csm_white"

# Layout of charts whose legend sits above the plot with room for a second row.
LEGEND_TOP = dict(legend=dict(orientation="h", y=1.0, yanchor="bottom", x=1, xanchor="right"),
                  margin=dict(t=80))

UNIT_AXIS = {"points": "NPS (points)", "fraction": "%", "USD": "USD", "hours": "hours",
             "accounts": "accounts"}


def axis_title(unit: str) -> str:
    """Return the value-axis title of a unit ('NPS (points)', '%', …; the unit itself when it
    has no title of its own)."""
    return UNIT_AXIS.get(unit, unit)


def safe_label(text) -> str:
    """Return data text escaped for Plotly labels and hovers (no markup runs).

    Quotes become numeric entities: Plotly decodes `&#34;` but knows no `&quot;`, which it
    would show as written."""
    return html.escape(str(text), quote=True).replace("&quot;", "&#34;")


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
