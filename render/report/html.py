"""The pack as one self-contained HTML document: inline CSS, charts as inline base64 PNG; no
script, stylesheet, font or image is loaded from anywhere (links to sources are plain text or
ordinary links)."""

from __future__ import annotations

import base64
import html

from render.report.pack import ACCENT, Pack, detail_line

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
""".replace("ACCENT", ACCENT)


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
            t = s.rows("html")
            parts.append("<table><thead><tr>" + "".join(f"<th>{e(str(c))}</th>"
                                                        for c in t.columns) + "</tr></thead>")
            parts.append("<tbody>" + "".join(
                "<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in row) + "</tr>"
                for row in t.itertuples(index=False, name=None)) + "</tbody></table>")
            if len(s.table) > len(t):
                parts.append(f"<p class='more'>and {len(s.table) - len(t)} more</p>")
        if detail_line(s):
            parts.append(f"<p class='page'>{e(detail_line(s))}</p>")
    parts.append("</body></html>")
    return "".join(parts).encode("utf-8")
