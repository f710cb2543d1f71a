"""The pack as PowerPoint (python-pptx): a title slide then one slide per section; charts as
images; tables capped at a readable number of rows with "and N more"."""

from __future__ import annotations

import io

from render.report.pack import Pack, Section, detail_line


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
        box.text_frame.text = " ".join(s.lines) + (f"  ({detail_line(s)})"
                                                   if detail_line(s) else "")
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
        tbl = s.rows("pptx")
        n_rows, n_cols = len(tbl) + 1, len(tbl.columns)
        # every row of an all-rows table fits on the slide: rows shrink below the usual height
        row = min(Inches(0.36), int((prs.slide_height - top - Inches(0.3)) / n_rows))
        compact = row < Inches(0.3)
        shape = slide.shapes.add_table(n_rows, n_cols, left, top, width, Emu(row * n_rows))
        size = Pt(10 if compact else 12 if n_cols <= 5 else 11)
        for i in range(n_rows):
            shape.table.rows[i].height = Emu(row)
        for i, cells in enumerate([list(tbl.columns), *tbl.itertuples(index=False, name=None)]):
            for j, v in enumerate(cells):
                cell = shape.table.cell(i, j)
                text = str(v)
                cell.text = text if len(text) <= 120 else text[:117] + "…"
                cell.text_frame.paragraphs[0].font.size = size
                cell.text_frame.paragraphs[0].font.bold = i == 0
                if compact:
                    cell.margin_top = cell.margin_bottom = Pt(1)
        if len(s.table) > len(tbl):
            more = slide.shapes.add_textbox(left, Inches(7.0), width, Inches(0.4))
            more.text_frame.text = f"and {len(s.table) - len(tbl)} more (see the HTML or PDF)"
            more.text_frame.paragraphs[0].font.size = Pt(12)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()
