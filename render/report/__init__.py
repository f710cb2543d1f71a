"""The weekly meeting pack (`csm report`, and the button on the Weekly review page): the same
sections as the page, as self-contained HTML, PDF or PowerPoint.

- sections.py: the sections, built from a `metrics.review.Review`; their charts are drawn by the
  same `render.charts` builders as the dashboard's.
- html.py, pdf.py, pptx.py: one renderer per format.
- images.py: the charts drawn to PNG by kaleido, which needs Chromium (`BROWSER_PATH`, else
  /usr/bin/chromium). Without it the pack is still written, without chart images, and a note
  says so (the CLI prints it on stderr).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from metrics import mask, review
from render.report import sections
from render.report.html import to_html
from render.report.images import browser_path, draw
from render.report.images import start as start_images
from render.report.images import stop as stop_images
from render.report.pack import FORMATS, MAX_ROWS, Pack, Section
from render.report.pdf import to_pdf
from render.report.pptx import to_pptx

__all__ = ["FORMATS", "MAX_ROWS", "Pack", "Section", "browser_path", "build", "build_pack",
           "filters_text", "format_of", "render", "sections", "to_html", "to_pdf", "to_pptx",
           "write"]


def build_pack(r: review.Review, masked: bool = False, filters_text: str = "",
               images: bool = True) -> Pack:
    """Return the pack of review `r` with chart images drawn when `images` and Chromium is
    there (otherwise a note says the pack has no chart images)."""
    secs = sections.build(r, masked)
    notes = []
    charts = [s for s in secs if s.chart is not None]
    if images and charts:
        notes += draw(charts)
    elif charts:
        notes.append("Chart images were not drawn (asked for none).")
    # the lists are the week's own (to its last day); the KPIs may be read later (review.build)
    read = (f"data as of {r.as_of:%d %B %Y}" if r.kpi_as_of == r.as_of else
            f"lists as of {r.as_of:%d %B %Y}, KPIs as the data stands on {r.kpi_as_of:%d %B %Y}")
    subtitle = [f"{r.start:%d %B} to {(r.end - pd.Timedelta(days=1)):%d %B %Y}; {read}",
                f"Accounts: {filters_text or 'all'}"
                + ("; presentation-safe mode: names, people and emails are pseudonyms"
                   if masked else ""),
                f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by csm"]
    return Pack(f"Weekly review {r.week}", subtitle, secs, notes)


def render(pack: Pack, fmt: str) -> bytes:
    """Return the pack in format `fmt` (html, pdf or pptx)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    return {"html": to_html, "pdf": to_pdf, "pptx": to_pptx}[fmt](pack)


def format_of(path: Path | str) -> str:
    """Return the pack format named by a file's extension; ValueError otherwise."""
    ext = Path(path).suffix.lower().lstrip(".")
    if ext not in FORMATS:
        raise ValueError(
            f"the output file must end in .html, .pdf or .pptx, not {Path(path).name!r}")
    return ext


def filters_text(q, masked: bool = False) -> str:
    """Return the global filters of a Query in words ('' when none); CSM owners and custom
    attributes' values by pseudonym when `masked`."""
    def show(f, v):
        return mask.person(v) if masked and f == "csm_owner" else v

    parts = [f"{f} = {', '.join(show(f, v) for v in getattr(q, f))}"
             for f in ("segment", "region", "csm_owner", "plan") if getattr(q, f)]
    parts += [f"{k} = {', '.join(mask.attribute(k, x) if masked else x for x in v)}"
              for k, v in q.attributes]
    return "; ".join(parts)


def build(cur, q, week: str | None, fmt: str, masked: bool = False, images: bool = True,
          kpis_as_of: str = "data") -> dict:
    """Return the pack of `week` ('YYYY-Www'; None = the last complete week) for the accounts
    in query `q`'s filters, rendered in `fmt`: {week, title, data (the file's bytes), notes,
    review (the metrics.review.Review it shows), pack}; `kpis_as_of` as in review.build. ValueError
    for a bad week or format, LookupError without data. `write` saves it; `csm send` mails it.
    Also returns the `pack` itself (its sections' text makes the mail's body)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if images:  # Chromium starts while the review is computed (images.start)
        start_images()
    try:
        r = review.build(cur, q, week, kpis_as_of=kpis_as_of)
        if r is None:
            raise LookupError("the database has no data: nothing to review")
        pack = build_pack(r, masked, filters_text(q, masked), images)
    finally:
        stop_images()
    return {"week": r.week, "title": pack.title, "data": render(pack, fmt), "notes": pack.notes,
            "review": r, "pack": pack}


def write(cur, q, week: str | None, out: Path | str, masked: bool = False,
          images: bool = True, kpis_as_of: str = "data") -> dict:
    """Build the pack of `week` ('YYYY-Www'; None = the last complete week) for the accounts in
    query `q`'s filters and write it to `out` (format from its extension); `kpis_as_of` as in
    review.build. Returns {week, notes} (notes e.g. no chart images); ValueError for a bad
    week or extension, LookupError without data."""
    done = build(cur, q, week, format_of(out), masked, images, kpis_as_of)
    Path(out).write_bytes(done["data"])
    return {"week": done["week"], "notes": done["notes"]}
