"""What a meeting pack is, whatever its format: sections of text, a table and a chart."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

FORMATS = ("html", "pdf", "pptx")
MAX_ROWS = {"html": 40, "pdf": 30, "pptx": 12}
ACCENT = "#2E5EAA"


@dataclass
class Section:
    """One section of the pack: a title, lines of text, a table of text cells, a chart."""

    title: str
    lines: list[str] = field(default_factory=list)
    table: pd.DataFrame | None = None
    chart: object | None = None  # a plotly Figure
    page: str = ""  # the dashboard page with the detail
    detail: str = ""  # where the detail is, in full (else "the <page> page of the dashboard")
    image: bytes | None = None  # the chart as PNG, when it could be drawn
    # On a slide beside its chart only these columns fit; None: the slide shows the full-width
    # table and leaves the chart to the HTML and PDF.
    slide_columns: list[str] | None = None
    # Figures, not a list (the KPI table): every row in every format, never "and N more" —
    # a KPI cut from one format would disagree with the others.
    all_rows: bool = False

    def rows(self, fmt: str) -> pd.DataFrame:
        """Return the rows of the table format `fmt` shows: all of them for `all_rows`, else
        the first MAX_ROWS[fmt] (the renderer says how many more there are)."""
        assert self.table is not None
        return self.table if self.all_rows else self.table.head(MAX_ROWS[fmt])


def detail_line(s: Section) -> str:
    """Return the section's "Detail: …." sentence ('' when no page has its detail)."""
    where = s.detail or (f"the {s.page} page of the dashboard" if s.page else "")
    return f"Detail: {where}." if where else ""


@dataclass
class Pack:
    """A whole pack: its title, the subtitle lines, the sections and notes (e.g. no images)."""

    title: str
    subtitle: list[str]
    sections: list[Section]
    notes: list[str] = field(default_factory=list)
