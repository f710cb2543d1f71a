"""The weekly meeting pack (`csm report`, and the button on the Weekly review page): the same
sections as the page, as self-contained HTML, PDF or PowerPoint.

- HTML: inline CSS, charts as inline base64 PNG; no script, stylesheet, font or image is loaded
  from anywhere (links to sources are plain text or ordinary links).
- PDF: fpdf2 (pure Python: no browser needed), DejaVu Sans when the system has it.
- PPTX: python-pptx, a title slide then one slide per section; charts as images; tables capped
  at a readable number of rows with "and N more".

Charts are drawn to PNG by kaleido, which needs Chromium (`BROWSER_PATH`, else
/usr/bin/chromium). Without it the pack is still written, without chart images, and a note says
so (the CLI prints it on stderr). Presentation-safe mode pseudonymises names, people and emails
in every section before anything is rendered.

The figures here are static report charts drawn with plain Plotly (metrics/ must not import the
dashboard, whose charts are interactive).
"""

from __future__ import annotations

import base64
import html
import io
import os
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from metrics import fmt, mask, review

FORMATS = ("html", "pdf", "pptx")
MAX_ROWS = {"html": 40, "pdf": 30, "pptx": 12}
_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_ACCENT = "#2E5EAA"


@dataclass
class Section:
    """One section of the pack: a title, lines of text, a table of text cells, a chart."""

    title: str
    lines: list[str] = field(default_factory=list)
    table: pd.DataFrame | None = None
    chart: object | None = None  # a plotly Figure
    page: str = ""  # the dashboard page with the detail
    image: bytes | None = None  # the chart as PNG, when it could be drawn
    # On a slide beside its chart only these columns fit; None: the slide shows the full-width
    # table and leaves the chart to the HTML and PDF.
    slide_columns: list[str] | None = None


@dataclass
class Pack:
    title: str
    subtitle: list[str]
    sections: list[Section]
    notes: list[str] = field(default_factory=list)


def browser_path() -> Path | None:
    """Return the Chromium executable kaleido will use (`BROWSER_PATH`, else
    /usr/bin/chromium), or None when it is missing."""
    p = Path(os.environ.get("BROWSER_PATH") or "/usr/bin/chromium")
    return p if p.is_file() and os.access(p, os.X_OK) else None


# ---------------------------------------------------------------------------------------------
# Sections (shared by every format)



def _dates(s: pd.Series) -> list[str]:
    return ["" if pd.isna(v) else str(v)[:10] for v in s]


def _text_frame(df: pd.DataFrame) -> pd.DataFrame:
    return df.astype(object).where(df.notna(), "").astype(str)


def _movers_chart(movers: pd.DataFrame):
    import plotly.graph_objects as go

    d = movers.iloc[::-1]
    names = [str(n) if n else str(a) for n, a in zip(d["account_name"], d["account_id"],
                                                     strict=True)]
    fig = go.Figure(go.Bar(
        x=d["change"], y=names, orientation="h",
        marker_color=["#2E8B57" if c > 0 else "#C0392B" for c in d["change"]],
        text=[fmt.change(c, "USD") for c in d["change"]], textposition="auto"))
    fig.update_layout(title="Largest MRR movers this week", template="plotly_white",
                      xaxis_title="MRR change (USD a month)", yaxis_title="account",
                      width=900, height=420, margin={"l": 200, "r": 30, "t": 60, "b": 50})
    return fig


def _kpi_chart(kpis: pd.DataFrame):
    import plotly.graph_objects as go

    d = kpis[kpis["change"].notna() & kpis["previous"].notna() & (kpis["previous"] != 0)]
    if d.empty:
        return None
    pct = [(c / abs(p)) * 100 if u != "fraction" else c * 100 for c, p, u in
           zip(d["change"], d["previous"], d["unit"], strict=True)]
    good = [(c >= 0) == (dr == "up") for c, dr in zip(d["change"], d["direction"], strict=True)]
    fig = go.Figure(go.Bar(x=pct, y=d["label"], orientation="h",
                           marker_color=["#2E8B57" if g else "#C0392B" for g in good]))
    fig.update_layout(title="Change against the previous week (green = better)",
                      template="plotly_white", xaxis_title="change (% of last week; pp for rates)",
                      yaxis_title="KPI", width=900, height=420,
                      margin={"l": 200, "r": 30, "t": 60, "b": 50})
    return fig


def sections(r: review.Review, masked: bool = False) -> list[Section]:
    """Return the pack's sections for review `r`, pseudonymised when `masked`."""
    names: dict = {}
    if masked:
        for f in (r.mrr_movers, r.new_churns, r.reactivations, r.detractors, r.renewals,
                  r.band_moves):
            if f is not None and "account_name" in f:
                names.update({n: 1 for n in f["account_name"].dropna()})

    def m(df):
        return mask.maybe(df, masked, names) if df is not None else None

    out = [Section("Key figures", [
        f"Week {r.week}: {r.start:%a %d %b} – {(r.end - pd.Timedelta(days=1)):%a %d %b %Y}, "
        f"against the week before. \"Real\" changes are significant at 5% (survey metrics); "
        f"the others are not tested."] + r.notes, review.kpi_display(r.kpis),
        _kpi_chart(r.kpis) if len(r.kpis) else None, "Overview")]
    if r.health and r.band_moves is not None:
        b = m(r.band_moves)
        t = pd.DataFrame({"account": b["account_name"].fillna(b["account_id"]),
                          "before": b["band_before"], "after": b["band_after"],
                          "move": b["move"], "MRR": [fmt.value(v, "USD") for v in b["mrr"]]})
        out.append(Section("Accounts that moved band", [
            f"{(b['move'] == 'turned red').sum()} turned red, "
            f"{(b['move'] == 'recovered').sum()} recovered."], t, None, "Health"))
    else:
        out.append(Section("Accounts that moved band",
                           ["Health scores are not available yet."], None, None, "Health"))
    mv = m(r.mrr_movers)
    t = pd.DataFrame({"account": mv["account_name"].fillna(mv["account_id"]),
                      "segment": mv["segment"], "MRR before": [fmt.value(v, "USD") for v in
                                                               mv["mrr_before"]],
                      "MRR after": [fmt.value(v, "USD") for v in mv["mrr_after"]],
                      "change": [fmt.change(v, "USD") for v in mv["change"]],
                      "movement": mv["movement"]})
    out.append(Section("Largest MRR movers", [
        f"MRR on {r.start - pd.Timedelta(days=1):%d %b} against {r.as_of:%d %b}."
        if len(mv) else "No account's MRR changed this week."], t,
        _movers_chart(mv) if len(mv) else None, "Overview",
        slide_columns=["account", "change", "movement"]))
    ch, re_ = m(r.new_churns), m(r.reactivations)
    t = pd.concat([
        pd.DataFrame({"event": "churned", "account": ch["account_name"].fillna(
            ch["account_id"]), "segment": ch["segment"], "CSM": ch["csm_owner"],
            "date or MRR": _dates(ch["churn_date"])}),
        pd.DataFrame({"event": "reactivated", "account": re_["account_name"].fillna(
            re_["account_id"]), "segment": re_["segment"], "CSM": re_["csm_owner"],
            "date or MRR": [fmt.value(v, "USD") for v in re_["mrr_after"]]}),
    ], ignore_index=True)
    out.append(Section("New churns and reactivations", [
        f"{len(ch)} account(s) churned ({fmt.value(ch['mrr_before'].sum(), 'USD')} MRR before "
        "the week); "
        f"{len(re_)} reactivated."], t, None, "Overview"))
    d = m(r.detractors)
    t = pd.DataFrame({"when": [str(v)[:16] for v in d["responded_at"]],
                      "account": d["account_name"].fillna(d["account_id"]),
                      "respondent": d["respondent"], "score": d["score"],
                      "comment": d["comment"]})
    out.append(Section("New detractors", [f"{len(d)} NPS answer(s) from 0 to 6 this week."],
                       t, None, "Satisfaction"))
    rn = m(r.renewals)
    t = pd.DataFrame({"account": rn["account_name"].fillna(rn["account_id"]),
                      "renews on": _dates(rn["renewal_date"]), "in days": rn["days_to"],
                      "within": rn["due_within"], "MRR": [fmt.value(v, "USD") for v in rn["mrr"]],
                      "health": rn["band"] if r.health else "not available yet"})
    counts = rn["due_within"].value_counts() if len(rn) else {}
    out.append(Section("Renewals due in the next 30 / 60 / 90 days", [
        ", ".join(f"{counts.get(f'{h} days', 0)} within {h} days"
                  for h in review.RENEWAL_HORIZONS) + f" of {r.as_of:%d %b %Y}."], t, None,
        "Overview"))
    al = r.alerts
    t = pd.DataFrame({"rule": al.get("rule_name", pd.Series(dtype=object)),
                      "data day": _dates(al.get("as_of", pd.Series(dtype=object))),
                      "value": [fmt.value(v, "") for v in al.get("value", [])],
                      "threshold": [fmt.value(v, "") for v in al.get("threshold", [])],
                      "accounts": al.get("accounts", pd.Series(dtype=object)),
                      "message": al.get("message", pd.Series(dtype=object))})
    out.append(Section("Alerts fired this week", [
        f"{len(al)} alert(s) fired on data of this week." if len(al) else
        "No alert fired on data of this week."], t, None, "Goals"))
    for s in out:
        if s.table is not None:
            s.table = _text_frame(s.table)
    return out


def build_pack(r: review.Review, masked: bool = False, filters_text: str = "",
               images: bool = True) -> Pack:
    """Return the pack of review `r` with chart images drawn when `images` and Chromium is
    there (otherwise a note says the pack has no chart images)."""
    secs = sections(r, masked)
    notes = []
    charts = [s for s in secs if s.chart is not None]
    if images and charts:
        notes += _draw(charts)
    elif charts:
        notes.append("Chart images were not drawn (asked for none).")
    subtitle = [f"{r.start:%d %B} to {(r.end - pd.Timedelta(days=1)):%d %B %Y}; data as of "
                f"{r.as_of:%d %B %Y}",
                f"Accounts: {filters_text or 'all'}"
                + ("; presentation-safe mode: names, people and emails are pseudonyms"
                   if masked else ""),
                f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by csm"]
    return Pack(f"Weekly review {r.week}", subtitle, secs, notes)


def _draw(charts: list[Section]) -> list[str]:
    """Draw each section's chart to PNG with kaleido; return notes (none when all drawn)."""
    path = browser_path()
    if path is None:
        return [f"Chromium not found at {os.environ.get('BROWSER_PATH') or '/usr/bin/chromium'} "
                "(set BROWSER_PATH): the pack was written without chart images."]
    os.environ.setdefault("BROWSER_PATH", str(path))
    try:
        import kaleido

        kaleido.start_sync_server(silence_warnings=True)
    except Exception:  # noqa: BLE001 - fall back to one browser per image
        kaleido = None
    try:
        with warnings.catch_warnings():
            # plotly warns that its image options are ignored by a running server: they are
            # the figure's own size here anyway.
            warnings.simplefilter("ignore", UserWarning)
            for s in charts:
                s.image = s.chart.to_image(format="png", width=900, height=420, scale=1)
    except Exception as e:  # noqa: BLE001 - no images is a note, not a failure
        for s in charts:
            s.image = None
        return [f"Chart images could not be drawn ({type(e).__name__}: {e}); the pack was "
                "written without them."]
    finally:
        if kaleido is not None:
            try:
                kaleido.stop_sync_server(silence_warnings=True)
            except Exception:  # noqa: BLE001
                pass
    return []


# ---------------------------------------------------------------------------------------------
# Renderers


_CSS = """
body{font-family:Helvetica,Arial,sans-serif;color:#1b1f24;margin:2em auto;max-width:1100px;
line-height:1.4;padding:0 1em}
h1{color:ACCENT;margin-bottom:.2em}
h2{color:ACCENT;border-bottom:2px solid #dde3ea;padding-bottom:.2em;
margin-top:1.6em}.sub{color:#555;margin:.1em 0}.note{background:#fff6e0;padding:.5em 1em;
border-left:4px solid #e0a800}table{border-collapse:collapse;width:100%;font-size:14px}
th,td{border:1px solid #d5dbe3;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef2f7}tr:nth-child(even) td{background:#fafbfc}img{max-width:100%}
.more{color:#555;font-style:italic}.page{color:#555;font-size:13px}
""".replace("ACCENT", _ACCENT)


def to_html(pack: Pack) -> bytes:
    """Return the pack as one self-contained HTML document (UTF-8)."""
    e = html.escape
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             f"<title>{e(pack.title)}</title><style>{_CSS}</style></head><body>",
             f"<h1>{e(pack.title)}</h1>"]
    parts += [f"<p class='sub'>{e(s)}</p>" for s in pack.subtitle]
    parts += [f"<p class='note'>{e(n)}</p>" for n in pack.notes]
    for s in pack.sections:
        parts.append(f"<h2>{e(s.title)}</h2>")
        parts += [f"<p>{e(line)}</p>" for line in s.lines]
        if s.image:
            b64 = base64.b64encode(s.image).decode()
            parts.append(f"<img alt='{e(s.title)}' src='data:image/png;base64,{b64}'>")
        if s.table is not None and len(s.table):
            t = s.table.head(MAX_ROWS["html"])
            parts.append("<table><thead><tr>" + "".join(f"<th>{e(str(c))}</th>"
                                                        for c in t.columns) + "</tr></thead>")
            parts.append("<tbody>" + "".join(
                "<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in row) + "</tr>"
                for row in t.itertuples(index=False, name=None)) + "</tbody></table>")
            if len(s.table) > len(t):
                parts.append(f"<p class='more'>and {len(s.table) - len(t)} more</p>")
        if s.page:
            parts.append(f"<p class='page'>Detail: the {e(s.page)} page of the dashboard.</p>")
    parts.append("</body></html>")
    return "".join(parts).encode("utf-8")


def _pdf_font(pdf) -> tuple[str, bool]:
    regular, bold = _FONT_DIR / "DejaVuSans.ttf", _FONT_DIR / "DejaVuSans-Bold.ttf"
    if regular.is_file() and bold.is_file():
        pdf.add_font("DejaVu", "", str(regular))
        pdf.add_font("DejaVu", "B", str(bold))
        return "DejaVu", True
    return "Helvetica", False


def to_pdf(pack: Pack) -> bytes:
    """Return the pack as a PDF (A4 landscape), one section after another."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(True, margin=12)
    font, unicode_ok = _pdf_font(pdf)

    def t(s) -> str:
        s = str(s)
        if unicode_ok:
            return s
        for a, b in (("—", "-"), ("–", "-"), ("−", "-"), ("…", "..."), ("≥", ">="),
                     ("≤", "<="), ("\u2019", "'")):
            s = s.replace(a, b)
        return s.encode("latin-1", "replace").decode("latin-1")

    pdf.add_page()
    pdf.set_font(font, "B", 20)
    pdf.cell(0, 12, t(pack.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(font, "", 10)
    for line in pack.subtitle + pack.notes:
        pdf.multi_cell(0, 5, t(line), new_x="LMARGIN", new_y="NEXT")
    for s in pack.sections:
        pdf.ln(4)
        pdf.set_font(font, "B", 14)
        pdf.cell(0, 9, t(s.title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(font, "", 10)
        for line in s.lines:
            pdf.multi_cell(0, 5, t(line), new_x="LMARGIN", new_y="NEXT")
        if s.image:
            pdf.image(io.BytesIO(s.image), w=200)
        if s.table is not None and len(s.table):
            tbl = s.table.head(MAX_ROWS["pdf"])
            pdf.set_font(font, "", 8)
            with pdf.table(headings_style=FontFace(emphasis="BOLD", fill_color=(238, 242, 247)),
                           line_height=4.5, text_align="LEFT") as table:
                table.row([t(c) for c in tbl.columns])
                for row in tbl.itertuples(index=False, name=None):
                    table.row([t(v)[:300] for v in row])
            if len(s.table) > len(tbl):
                pdf.set_font(font, "", 9)
                pdf.cell(0, 6, t(f"and {len(s.table) - len(tbl)} more"), new_x="LMARGIN",
                         new_y="NEXT")
        if s.page:
            pdf.set_font(font, "", 8)
            pdf.cell(0, 5, t(f"Detail: the {s.page} page of the dashboard."), new_x="LMARGIN",
                     new_y="NEXT")
    return bytes(pdf.output())


def to_pptx(pack: Pack) -> bytes:
    """Return the pack as PowerPoint: a title slide, then one slide per section (its chart as
    an image, or its table capped at a readable number of rows)."""
    from pptx import Presentation
    from pptx.util import Emu, Inches, Pt

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    title_slide = prs.slides.add_slide(prs.slide_layouts[0])
    title_slide.shapes.title.text = pack.title
    title_slide.placeholders[1].text = "\n".join(pack.subtitle + pack.notes)
    blank = prs.slide_layouts[5]  # title only
    for s in pack.sections:
        slide = prs.slides.add_slide(blank)
        slide.shapes.title.text = s.title
        slide.shapes.title.text_frame.paragraphs[0].font.size = Pt(30)
        top = Inches(1.35)
        box = slide.shapes.add_textbox(Inches(0.5), top, Inches(12.3), Inches(0.6))
        box.text_frame.word_wrap = True
        box.text_frame.text = " ".join(s.lines) + (f"  (Detail: the {s.page} page.)"
                                                   if s.page else "")
        for p in box.text_frame.paragraphs:
            p.font.size = Pt(14)
        top += Inches(0.7)
        width = Inches(12.3)
        has_table = s.table is not None and len(s.table)
        if s.image and has_table and s.slide_columns:
            slide.shapes.add_picture(io.BytesIO(s.image), Inches(0.5), top,
                                     width=Inches(7.0))
            left, width = Inches(7.7), Inches(5.2)
            s = Section(s.title, s.lines, s.table[s.slide_columns])
        elif s.image and not has_table:
            slide.shapes.add_picture(io.BytesIO(s.image), Inches(1.5), top,
                                     height=Inches(5.2))
            continue
        else:
            left = Inches(0.5)
        if s.table is None or not len(s.table):
            continue
        tbl = s.table.head(MAX_ROWS["pptx"])
        n_rows, n_cols = len(tbl) + 1, len(tbl.columns)
        height = Emu(Inches(0.36) * n_rows)
        shape = slide.shapes.add_table(n_rows, n_cols, left, top, width, height)
        size = Pt(12 if n_cols <= 5 else 11)
        for j, c in enumerate(tbl.columns):
            cell = shape.table.cell(0, j)
            cell.text = str(c)
            cell.text_frame.paragraphs[0].font.size = size
            cell.text_frame.paragraphs[0].font.bold = True
        for i, row in enumerate(tbl.itertuples(index=False, name=None), start=1):
            for j, v in enumerate(row):
                cell = shape.table.cell(i, j)
                text = str(v)
                cell.text = text if len(text) <= 120 else text[:117] + "…"
                cell.text_frame.paragraphs[0].font.size = size
        if len(s.table) > len(tbl):
            more = slide.shapes.add_textbox(left, Inches(7.0), width, Inches(0.4))
            more.text_frame.text = f"and {len(s.table) - len(tbl)} more (see the HTML or PDF)"
            more.text_frame.paragraphs[0].font.size = Pt(12)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


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
    """Return the global filters of a Query in words ('' when none); CSM owners by pseudonym
    when `masked`."""
    def show(f, v):
        return mask.person(v) if masked and f == "csm_owner" else v

    parts = [f"{f} = {', '.join(show(f, v) for v in getattr(q, f))}"
             for f in ("segment", "region", "csm_owner", "plan") if getattr(q, f)]
    parts += [f"{k} = {', '.join(v)}" for k, v in q.attributes]
    return "; ".join(parts)


def write(cur, q, week: str | None, out: Path | str, masked: bool = False,
          images: bool = True) -> dict:
    """Build the pack of `week` ('YYYY-Www'; None = the last complete week) for the accounts in
    query `q`'s filters and write it to `out` (format from its extension). Returns {week,
    notes} (notes e.g. no chart images); ValueError for a bad week or extension, LookupError
    without data."""
    fmt = format_of(out)
    r = review.build(cur, q, week)
    if r is None:
        raise LookupError("the database has no data: nothing to review")
    pack = build_pack(r, masked, filters_text(q, masked), images)
    Path(out).write_bytes(render(pack, fmt))
    return {"week": r.week, "notes": pack.notes}
