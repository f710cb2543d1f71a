"""The meeting pack: valid PDF, PPTX and self-contained HTML; masked mode leaves no real name;
exports neutralise formulas (render/report/, metrics/export.py, `csm report`)."""

import io
import json
import re
from datetime import date, datetime

import pandas as pd
import pytest

from csm import cli
from metrics import export, review
from metrics.query import Query
from render import report

NAMES = ("Alpha Widgets", "Beta Logistics")


@pytest.fixture
def week(store, insert):
    insert("accounts", [
        {"account_id": "a", "name": NAMES[0], "segment": "SMB", "csm_owner": "Ann Lee",
         "signup_date": date(2025, 1, 1), "renewal_date": date(2026, 7, 15)},
        {"account_id": "b", "name": NAMES[1], "segment": "SMB", "csm_owner": "Bo Chan",
         "signup_date": date(2025, 1, 1), "churn_date": date(2026, 6, 18)},
    ])
    insert("subscriptions", [
        {"account_id": "a", "start_date": date(2025, 1, 1), "end_date": date(2026, 6, 16),
         "mrr": 100},
        {"account_id": "a", "start_date": date(2026, 6, 16), "mrr": 250},
        {"account_id": "b", "start_date": date(2025, 1, 1), "end_date": date(2026, 6, 18),
         "mrr": 80},
    ])
    insert("survey_responses", [
        {"response_id": f"p{i}", "account_id": "a", "survey_type": "nps", "score": 10,
         "responded_at": datetime(2026, 6, 9, 10)} for i in range(3)] + [
        {"response_id": "r1", "account_id": "a", "survey_type": "nps", "score": 3,
         "comment": "Alpha Widgets needs faster exports", "respondent": "pat@alpha.example",
         "responded_at": datetime(2026, 6, 17, 10)},
        {"response_id": "r2", "account_id": "b", "survey_type": "nps", "score": 9,
         "responded_at": datetime(2026, 6, 19, 10)},
    ])
    r = review.build(store.cursor(), Query(), "2026-W25")
    assert r is not None
    return r


def _kpi_values(r):
    shown = review.kpi_display(r.kpis).set_index("KPI")
    return shown.loc["Net Promoter Score", "this week"], shown.loc["MRR", "this week"]


def test_the_pdf_opens_and_its_text_has_the_kpi_values_shown_on_the_page(week):
    from pypdf import PdfReader

    data = report.render(report.build_pack(week, images=False), "pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    nps, mrr = _kpi_values(week)
    assert (nps, mrr) == ("0.0", "$250")
    assert "Weekly review 2026-W25" in text
    for v in (nps, mrr, "Alpha Widgets", "Largest MRR movers", "New detractors"):
        assert v in text, v


def test_the_pptx_has_a_title_slide_and_one_slide_per_section(week):
    from pptx import Presentation

    pack = report.build_pack(week, images=False)
    prs = Presentation(io.BytesIO(report.render(pack, "pptx")))
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles == ["Weekly review 2026-W25", "Key figures", "Accounts that moved band",
                      "Largest MRR movers", "New churns and reactivations", "New detractors",
                      "Renewals due in the next 30 / 60 / 90 days", "Alerts fired this week"]
    kpi = next(sh for sh in prs.slides[1].shapes if sh.has_table).table
    cells = [kpi.cell(i, 1).text for i in range(len(kpi.rows))]
    assert "$250" in cells


def test_the_html_loads_nothing_from_outside(week, monkeypatch):
    html = report.render(report.build_pack(week, images=False), "html").decode()
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert "@import" not in html and "url(" not in html
    assert not re.search(r"""src\s*=\s*['"](?!data:)""", html)
    assert "Alpha Widgets needs faster exports" in html


def test_chart_images_are_inline_when_chromium_draws_them(week):
    if report.browser_path() is None:
        pytest.skip("Chromium not found (BROWSER_PATH or /usr/bin/chromium)")
    pack = report.build_pack(week)
    assert pack.notes == []
    html = report.render(pack, "html").decode()
    assert "src='data:image/png;base64," in html
    assert not re.search(r"""src\s*=\s*['"](?!data:)""", html)


def test_without_chromium_the_pack_is_written_without_images_and_says_so(week, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    pack = report.build_pack(week)
    assert any("without chart images" in n for n in pack.notes)
    html = report.render(pack, "html").decode()
    assert "<img" not in html and "without chart images" in html


@pytest.mark.parametrize("fmt", report.FORMATS)
def test_masked_mode_leaves_no_real_account_name_or_person(week, fmt):
    data = report.render(report.build_pack(week, masked=True, images=False), fmt)
    if fmt == "pdf":
        from pypdf import PdfReader

        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    elif fmt == "pptx":
        from pptx import Presentation

        prs = Presentation(io.BytesIO(data))
        text = "\n".join(sh.text_frame.text if sh.has_text_frame else "\n".join(
            c.text for row in sh.table.rows for c in row.cells) if sh.has_table else ""
            for s in prs.slides for sh in s.shapes)
    else:
        text = data.decode()
    for real in NAMES + ("Ann Lee", "Bo Chan", "pat@alpha", "Alpha", "Beta"):
        assert real not in text, (fmt, real)
    assert "Account " in text and "needs faster exports" in text


def test_csm_report_writes_the_pack_and_refuses_a_bad_week(week, store, tmp_path, capsys):
    out = tmp_path / "pack.pdf"
    store.close()
    code = cli.main(["report", "--week", "2026-W25", "--out", str(out), "--db",
                     str(store.path), "--mask"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["format"] == "pdf" and doc["masked"] is True
    assert out.read_bytes()[:5] == b"%PDF-"
    assert cli.main(["report", "--week", "2026-25", "--out", str(out), "--db",
                     str(store.path)]) == 2
    assert cli.main(["report", "--out", str(tmp_path / "pack.doc"), "--db",
                     str(store.path)]) == 2


def test_a_formula_in_an_account_name_is_inert_in_csv_and_xlsx():
    from openpyxl import load_workbook

    df = pd.DataFrame({"account_name": ['=HYPERLINK("http://x","y")', "Plain Co"],
                       "mrr": [-5.0, 10.0]})
    csv = export.csv_bytes(df).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv and "\n=HYPERLINK" not in csv
    ws = load_workbook(io.BytesIO(export.xlsx_bytes(df))).active
    cell = ws["A2"]
    assert cell.data_type == "s" and cell.value == '\'=HYPERLINK("http://x","y")'
    assert ws["B2"].value == -5.0  # numbers stay numbers


def test_a_workbook_of_several_sheets_keeps_formulas_inert():
    from openpyxl import load_workbook

    data = export.xlsx_book({"a": pd.DataFrame({"x": ["@SUM(1)"]}),
                             "b": pd.DataFrame({"y": [1]})})
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["a", "b"]
    assert wb["a"]["A2"].value == "'@SUM(1)" and wb["a"]["A2"].data_type == "s"


def test_the_packs_movers_chart_is_the_builder_the_weekly_page_uses(week):
    from render import charts
    from render.report import sections

    secs = {s.title: s for s in sections.build(week)}
    fig = secs["Largest MRR movers"].chart
    expected = charts.plot_mrr_movers(week.mrr_movers, title=sections.movers_title(week))
    assert fig is not None and len(week.mrr_movers)
    assert fig.to_dict()["data"] == expected.to_dict()["data"]
    assert fig.layout.title.text == expected.layout.title.text
    kpi = secs["Key figures"].chart
    assert kpi is not None
    assert kpi.to_dict()["data"] == charts.plot_kpi_changes(
        week.kpis, title=sections.KPI_TITLE).to_dict()["data"]


def test_the_packs_detail_line_opens_the_overview_by_week_on_the_reviews_week(week):
    from pptx import Presentation
    from pypdf import PdfReader

    # W25 is 15-21 June 2026; the Overview opens on it and the week before (8-21 June), so its
    # cards compare the two weeks the review compares
    assert review.detail_params(week) == {"grain": "week", "from": "2026-06-08",
                                          "to": "2026-06-21"}
    query = "?grain=week&from=2026-06-08&to=2026-06-21"
    pack = report.build_pack(week, images=False)
    html = report.render(pack, "html").decode()
    assert re.search(r"Detail: the Overview page of the dashboard by week, 8–21 Jun 2026 "
                     r"\(the dashboard.{1,6}s address followed by \?grain=week&amp;"
                     r"from=2026-06-08&amp;to=2026-06-21\)", html), html[-2000:]
    pdf = report.render(pack, "pdf")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert query in re.sub(r"\s+", "", text)
    slides = Presentation(io.BytesIO(report.render(pack, "pptx")))
    texts = " ".join(sh.text_frame.text for sl in slides.slides for sh in sl.shapes
                     if sh.has_text_frame)
    assert query in texts
    assert "Detail: the Satisfaction page of the dashboard." in html  # other sections as before


def test_a_masked_packs_filter_line_names_custom_attribute_values_by_pseudonym():
    from metrics import mask
    from metrics.query import Query
    from render import report

    q = Query(attributes=(("Contract Type", ("Annual",)),), csm_owner=("Ann Lee",))
    assert report.filters_text(q) == "csm_owner = Ann Lee; Contract Type = Annual"
    masked = report.filters_text(q, masked=True)
    assert "Annual" not in masked and "Ann Lee" not in masked
    assert f"Contract Type = {mask.attribute('Contract Type', 'Annual')}" in masked
