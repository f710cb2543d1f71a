"""The pack as PDF: fpdf2 (pure Python: no browser needed), DejaVu Sans when the system has
it."""

from __future__ import annotations

import io
from pathlib import Path

from render.report.pack import Pack, detail_line

_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


def _pdf_font(pdf) -> tuple[str, bool]:
    """Register DejaVu Sans on `pdf` when the system has it; return (font name, whether it
    covers Unicode) — Helvetica (Latin-1 only) otherwise."""
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
            tbl = s.rows("pdf")
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
        if detail_line(s):
            pdf.set_font(font, "", 8)
            pdf.multi_cell(0, 5, t(detail_line(s)), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
