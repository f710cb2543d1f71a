"""No page shows a raw snake_case column header: every table a page draws on the demo data is
labelled for people (dashboard/components/table.columns, metrics/labels.py). The check of every
page and tab runs in tests/app/test_pages.py, with the page's own checks (one run of each tab
for both); here the helpers, the check's own test and the weekly workbooks."""

from __future__ import annotations

import json

from metrics import schema

# The Data page's table counts are headed by the tables' own names: what `csm load` and the
# import wizard take (a user types "survey_responses"), so they stay as they are there.
TYPED = {"views/data.py": set(schema.TABLES)}


def headers(frame) -> list[str]:
    """The headers an st.dataframe / st.data_editor shows: each column's configured label, else
    its name; hidden columns left out."""
    config = json.loads(frame.proto.columns) if frame.proto.columns else {}
    out = []
    for name in frame.value.columns:
        c = config.get(str(name), {})
        if not c.get("hidden"):
            out.append(c.get("label") or str(name))
    return out


def test_the_headers_are_read_from_the_config_a_raw_header_is_caught(demo_db, run_app):
    # the check above can fail: the Data page's counts, headed by table names, are caught
    # without the exception of typed names
    at = run_app(demo_db, "views/data.py", query={"data_tab": "Past loads"})
    shown = [h for f in at.dataframe for h in headers(f)]
    assert "survey_responses" in shown and "Rows loaded" in shown, shown


def test_the_weekly_workbooks_list_sheets_are_headed_for_people(demo_db, run_app):
    import io

    from openpyxl import load_workbook

    at = run_app(demo_db, "views/weekly.py")
    at.segmented_control(key="wk_fmt").set_value("xlsx").run()
    at.button(key="wk_build").click().run()
    assert not at.exception, [e.value for e in at.exception]
    wb = load_workbook(io.BytesIO(at.session_state["wk_pack"][3]))
    heads = {ws.title: [c.value for c in next(ws.iter_rows(max_row=1))] for ws in wb}
    assert "Account ID" in heads["mrr movers"] and "MRR before" in heads["mrr movers"], heads
    raw = {t: [h for h in hs if h and "_" in str(h)] for t, hs in heads.items()}
    assert not any(raw.values()), raw
