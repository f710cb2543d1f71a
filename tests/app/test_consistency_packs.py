"""One number, one definition (issue 11): the meeting packs. The PDF, PPTX and XLSX packs'
key figures equal the HTML pack's and `csm metric`'s for the review's week, and every other
section of the pack counts what the CLI counts; on the demo and on the edge-case book. Pairs
checked go to $CSM_PAIRS_OUT (test_consistency.record)."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from csm.cli import main as csm_main
from metrics import fmt, health
from metrics.kpis import renewals as renewals_kpi
from metrics.query import Query
from tests.app.test_consistency import URL, cli_metric, html_table, record
from tests.app.test_consistency_more import BOOKS, book_db, row_of, texts, the_review


@pytest.fixture(autouse=True)
def model_file(tmp_path, monkeypatch):
    """The repository's health model, read from a private copy (pages may not write it)."""
    path = tmp_path / "health_model.yaml"
    path.write_text(health.MODEL_FILE.read_text())
    monkeypatch.setenv("CSM_HEALTH_MODEL", str(path))
    return path


def pdf_text(path: Path) -> list[str]:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(str(path)).pages).splitlines()


def pptx_kpis(path: Path) -> dict[str, str]:
    """Return {KPI: this week} of the Key figures slide's table."""
    from pptx import Presentation

    slide = next(s for s in Presentation(str(path)).slides
                 if s.shapes.title.text == "Key figures")
    t = next(sh for sh in slide.shapes if sh.has_table).table
    head = [t.cell(0, j).text for j in range(len(t.columns))]
    i = head.index("this week")
    return {t.cell(r, 0).text: t.cell(r, i).text for r in range(1, len(t.rows))}


def pptx_text(path: Path, title: str) -> str:
    """Return the text boxes of the slide titled `title`."""
    from pptx import Presentation

    slide = next(s for s in Presentation(str(path)).slides if s.shapes.title.text == title)
    return " ".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)


@pytest.mark.parametrize("book", ["demo_db", "edge_db"])
def test_the_pdf_pptx_and_xlsx_packs_show_the_key_figures_of_the_html_pack_and_the_cli(
        book, request, run_app, tmp_path, monkeypatch):
    from openpyxl import load_workbook

    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")  # no chart images: faster

    from tests.app.test_consistency import _week_expected

    db = book_db(request, book)
    r = the_review(db)
    want = _week_expected(db, r)  # the CLI's week, formatted
    assert len(want) == len(r.kpis) >= (15 if book == "demo_db" else 8)
    packs = {}
    for ext in ("html", "pdf", "pptx"):
        packs[ext] = tmp_path / f"pack.{ext}"
        assert csm_main(["report", "--db", str(db), "--week", r.week, "--out",
                         str(packs[ext])]) == 0
    html = html_table(packs["html"].read_text(), "this week")
    assert {k: html.get(k) for k in want} == want
    # the pack's first lines say which day its KPIs are read on (the subtitle said "data as
    # of 28 June" for KPIs read on 30 June)
    assert f"KPIs as the data stands on {r.kpi_as_of:%d %B %Y}" in packs["html"].read_text()
    # PowerPoint: every KPI on the slide (the table was cut at 12 rows: 7 KPIs were missing)
    pptx = pptx_kpis(packs["pptx"])
    assert pptx == want
    # PDF: one line per KPI, its label then this week's value
    lines = pdf_text(packs["pdf"])
    pdf = {}
    for label, value in want.items():
        hit = [ln for ln in lines if ln.startswith(f"{label} ")]
        assert hit, label
        pdf[label] = value if hit[0][len(label) + 1:].startswith(f"{value} ") else hit[0]
    assert pdf == want

    # XLSX: built by the Weekly review page's button, values as numbers in their units
    at = run_app(db, "views/weekly.py", query=URL, state={"wk_fmt": "xlsx"})
    at.button(key="wk_build").click().run()
    assert not at.exception, [e.value for e in at.exception]
    # the review's notes (the week's LTV is not its month's, KPIs read later than the week,
    # ...) are on the page and in every pack
    if book == "demo_db":
        assert any(n.startswith("Customer lifetime value: a week's LTV") for n in r.notes)
    for note in r.notes:
        assert note in texts(at) and note in html_lines(packs["html"])["Key figures"]
        assert note[:40] in " ".join(lines)
        assert note in pptx_text(packs["pptx"], "Key figures")
    week, kind, _masked, data, _notes = at.session_state["wk_pack"]
    assert (week, kind) == (r.week, "xlsx")
    ws = load_workbook(io.BytesIO(data))["kpis"]
    rows = list(ws.iter_rows(values_only=True))
    head = list(rows[0])
    kpi, unit, this = (head.index(c) for c in ("KPI", "unit", "this week"))
    xlsx = {row[kpi]: fmt.value(row[this], row[unit]) for row in rows[1:]}
    assert xlsx == want
    numbers = {k.label: k for k in r.kpis.itertuples()}
    frames: dict[str, pd.DataFrame] = {}
    for row in rows[1:]:
        k = numbers[row[kpi]]
        if k.metric not in frames:
            frames[k.metric] = cli_metric(db, k.metric, "--grain", "week", "--from",
                                          f"{r.start}", "--to", f"{r.end}")
        cli = row_of(frames[k.metric], r.start)
        v = cli[k.column] if cli is not None else None
        if v is None or pd.isna(v):
            assert row[this] is None, row
        else:
            assert row[this] == pytest.approx(float(v), rel=1e-9, abs=1e-12), row
        record(f"{BOOKS[book]}{row[kpi]} {fmt.period(r.start, 'week')} (pack)",
               {"HTML": html[row[kpi]], "PDF": pdf[row[kpi]],
                "PPTX": pptx[row[kpi]], "XLSX": row[this],
                f"csm metric {k.metric}": v})


def html_lines(path: Path) -> dict[str, list[str]]:
    """Return {section title: its paragraphs' text} of an HTML pack."""
    from lxml import html as lxml_html

    out: dict[str, list[str]] = {}
    title = ""
    for el in lxml_html.fromstring(path.read_text()).iter("h2", "p"):
        if el.tag == "h2":
            title = el.text_content().strip()
            out[title] = []
        elif title:
            out[title].append(el.text_content().strip())
    return out


@pytest.mark.parametrize("book", ["demo_db", "edge_db"])
def test_every_section_of_the_pack_counts_what_csm_metric_counts(book, request, tmp_path,
                                                                 monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    db = book_db(request, book)
    r = the_review(db)
    out = tmp_path / "pack.html"
    assert csm_main(["report", "--db", str(db), "--week", r.week, "--out", str(out)]) == 0
    secs = html_lines(out)
    week = ["--grain", "week", "--from", f"{r.start}", "--to", f"{r.end}"]

    # band moves: the CLI's health bands the day before the week and on its last day
    before = cli_metric(db, "health", "--as-of", f"{r.start - timedelta(days=1)}")
    after = cli_metric(db, "health", "--as-of", f"{r.as_of}")
    m = after.merge(before, on="account_id", suffixes=("", "_before"))
    moved = m[m["band"] != m["band_before"]]
    red = int((moved["band"] == "red").sum())
    recovered = int(((moved["band_before"] == "red") & (moved["band"] != "red")).sum())
    assert f"{red} turned red, {recovered} recovered." in secs["Accounts that moved band"]
    assert len(r.band_moves) == len(moved)
    record(f"{BOOKS[book]}Band moves {r.week}", {"pack": secs["Accounts that moved band"][0],
                                    "csm metric health (day before vs last day)":
                                    f"{red} turned red, {recovered} recovered, "
                                    f"{len(moved)} moves"})

    churn = row_of(cli_metric(db, "logo_churn", *week), r.start)
    line = next(x for x in secs["New churns and reactivations"] if "churned" in x)
    assert line.startswith(f"{fmt.plural(churn['churned_customers'], 'account')} churned")
    record(f"{BOOKS[book]}New churns {r.week}", {"pack": line.split(" (")[0],
                                    "csm metric logo_churn churned_customers":
                                    int(churn["churned_customers"])})

    nps = row_of(cli_metric(db, "nps", *week), r.start)
    line = secs["New detractors"][0]
    assert line == f"{fmt.plural(nps['detractors'], 'NPS answer')} from 0 to 6 this week."
    record(f"{BOOKS[book]}New detractors {r.week}", {"pack": line, "csm metric nps detractors":
                                        int(nps["detractors"])})

    with duckdb.connect(str(db), read_only=True) as con:
        up = renewals_kpi.upcoming_renewals(con.cursor(), Query(as_of=r.renewals_from))
    due = renewals_kpi.at_risk_renewals(up)
    line = secs["Renewals due in the next 30 / 60 / 90 days"][0]
    assert line.startswith(", ".join(f"{n:,} within {h} days" for h, n in
                                     zip(due["within_days"], due["accounts"], strict=True)))
    record(f"{BOOKS[book]}Renewals due 30/60/90 days from {r.renewals_from}",
           {"pack": line.split(" of ")[0], "upcoming renewals detail": "/".join(
               str(n) for n in due["accounts"])})
