"""Goals and Weekly review pages (AppTest) on the small demo data: what they show is what the
metrics compute, the week and presentation-safe mode come from the URL, the pack is built."""

from __future__ import annotations

from metrics import alerts, fmt, review
from metrics.query import Query
from metrics.store import Store
from tests.app.conftest import each_tab

GOALS, WEEKLY = "views/goals.py", "views/weekly.py"


def _frames(at):
    return [d.value for d in at.dataframe]


def test_goals_page_shows_the_stored_targets_proposals_and_sourced_benchmarks(demo_db,
                                                                                run_app):
    at = run_app(demo_db, GOALS)
    assert not at.exception and not at.error
    frames = _frames(at)
    bench = next(f for f in frames if "source" in f.columns)
    assert bench["source"].str.len().gt(0).all() and bench["year"].str.len().gt(0).all()
    props = next(f for f in frames if "proposed" in f.columns)
    from metrics import goals

    labels = {k: goals.spec(k).label for k in ("nps", "mrr", "logo_churn")}
    assert set(labels.values()) <= set(props["target"])
    # shown for people, in the target's unit: dollars for MRR, a percentage for churn
    mrr = props.loc[props.target == labels["mrr"], "proposed"].iloc[0]
    assert mrr.startswith("$") and float(mrr[1:].replace(",", "")) > 0
    assert props.loc[props.target == labels["logo_churn"], "proposed"].iloc[0].endswith("%")
    assert "None" not in props.to_csv() and set(props["for"]) <= {"Q1 2027", "Q3 2026"}
    assert any("Health scores are not available yet" in i.value for i in at.info) == (
        not alerts.health_available())


def test_checking_the_rules_now_records_an_evaluation_in_the_history(demo_db, run_app):
    store = Store(demo_db)
    alerts.add_rule(store.cursor(), kind="threshold", metric="nps", segment="Enterprise",
                    op="below", threshold=90)
    store.close()
    at = run_app(demo_db, GOALS)
    at.button(key="rule_check").click().run()
    assert not at.exception
    hist = next(f for f in _frames(at) if "rule_name" in f.columns)
    # Newest first: this check evaluated the demo's three rules and the new one.
    mine = hist[hist["rule_name"] == "nps of Enterprise below 90"]
    assert len(mine) == 1 and bool(mine["fired"].iloc[0]) is True
    assert set(hist["rule_name"]) >= {"NPS of SMB below its floor",
                                      "Logo churn worse than target"}


def test_weekly_review_opens_on_the_last_complete_week_with_the_computed_kpis(demo_db,
                                                                               run_app):
    at = run_app(demo_db, WEEKLY)
    assert not at.exception and not at.error
    # the demo data ends on Tuesday 2026-06-30: the last complete week is 22-28 June
    assert at.selectbox(key="wk_week").value == "2026-W26"
    store = Store(demo_db)
    r = review.build(store.cursor(), Query(), "2026-W26")
    store.close()
    cards = {m.label: m.value for m in at.metric}
    nps = r.kpis.set_index("metric").loc["nps"]
    assert cards["Net Promoter Score"] == fmt.value(nps.value, "points")
    assert cards["MRR"] == fmt.value(r.kpis.set_index("metric").loc["mrr"].value, "USD")
    assert any("noise" in c.value or "real change" in c.value for c in at.caption)


def test_the_week_in_the_url_is_opened_and_masking_hides_account_names(demo_db, run_app):
    store = Store(demo_db)
    names = set(store.cursor().execute("SELECT name FROM accounts").df()["name"])
    store.close()
    at = run_app(demo_db, WEEKLY, query={"week": "2026-W20", "mask": "1"})
    assert not at.exception
    assert at.selectbox(key="wk_week").value == "2026-W20"
    assert at.toggle(key="f_mask").value is True
    shown = " ".join(f.to_csv() for f in _frames(at))
    assert "Account " in shown
    assert not [n for n in names if n in shown]


def test_the_meeting_pack_is_built_and_offered_for_download(demo_db, run_app):
    at = run_app(demo_db, WEEKLY)
    at.button(key="wk_build").click().run()
    assert not at.exception and not at.error
    assert at.session_state["wk_pack"][3].startswith(b"<!DOCTYPE html>")


def _real_names(db) -> set[str]:
    store = Store(db)
    try:
        df = store.cursor().execute("SELECT name, csm_owner FROM accounts").df()
    finally:
        store.close()
    return set(df["name"].dropna()) | set(df["csm_owner"].dropna())


def test_the_lists_download_as_a_masked_workbook(demo_db, run_app):
    import io

    from openpyxl import load_workbook

    names = _real_names(demo_db)
    at = run_app(demo_db, WEEKLY, query={"mask": "1"})
    at.segmented_control(key="wk_fmt").set_value("xlsx").run()
    at.button(key="wk_build").click().run()
    assert not at.exception
    wb = load_workbook(io.BytesIO(at.session_state["wk_pack"][3]))
    assert {"kpis", "mrr movers", "renewals", "new detractors"} <= set(wb.sheetnames)
    # KPI values are numbers a spreadsheet can sum, not text such as "'-30.6 pts"
    kpis = list(wb["kpis"].iter_rows(values_only=True))
    head = kpis[0]
    values = [row[head.index("this week")] for row in kpis[1:]]
    assert values and all(isinstance(v, (int, float)) for v in values if v is not None)
    assert not [c for row in kpis for c in row if isinstance(c, str) and c.startswith("'")]
    cells = " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row)
    assert "Account " in cells and not [n for n in names if n in cells]


def test_presentation_safe_mode_masks_another_page_too(demo_db, run_app):
    names = _real_names(demo_db)
    at = run_app(demo_db, "views/satisfaction.py", query={"mask": "1"})
    assert not at.exception
    # every tab in turn (only the open one runs)
    shown = " ".join(f.to_csv() for _tab in each_tab(at) for f in _frames(at))
    assert "Account " in shown or "Person " in shown
    assert not [n for n in names if n in shown]
    # the sidebar's CSM owner options are shown by pseudonym too, their values stay real
    owner = at.multiselect(key="f_owner")
    assert owner.options and all(o.startswith("Person ") for o in owner.options)


def test_a_masked_url_names_no_real_person_and_a_colleague_opens_the_same_filter(
        demo_db, run_app):
    from metrics.mask import person

    owner = "Noah Kim"
    at = run_app(demo_db, "views/accounts.py",
                 query={"mask": "1", "owner": owner, "csm": owner})
    assert not at.exception
    assert at.multiselect(key="f_owner").value == [owner]  # a real name in a link still works
    url = {k: at.query_params.get_all(k) if hasattr(at.query_params, "get_all")
           else at.query_params[k] for k in at.query_params}
    text = repr(url)
    assert owner not in text, url
    assert person(owner) in text
    # the masked link, opened in a colleague's session, filters on the same owner
    link = {"mask": "1", "owner": person(owner), "csm": person(owner)}
    again = run_app(demo_db, "views/accounts.py", query=link)
    assert not again.exception
    assert again.multiselect(key="f_owner").value == [owner]
    # the masked page's book lists owners by pseudonym: "My accounts" is the same person
    assert again.selectbox(key="ac_owner").value == person(owner)
    shown = " ".join(f.to_csv() for f in _frames(again))
    assert owner not in shown


def _stored_targets(db):
    from metrics import goals

    store = Store(db)
    try:
        return goals.read_targets(store.cursor())
    finally:
        store.close()


def test_an_uploaded_targets_csv_with_a_bad_row_is_refused_with_its_reason(demo_db, run_app):
    before = _stored_targets(demo_db)
    at = run_app(demo_db, GOALS)
    bad = (b"metric,segment,period_start,period_end,target,note\n"
           b"nps,,2026-01-01,2026-04-01,40,\ncsat,,2026-01-01,2026-04-01,85,percent\n")
    at.file_uploader(key="goal_upload").set_value(("t.csv", bad, "text/csv")).run()
    assert not at.exception and not at.error
    assert any("outside 0–1" in w.value and "row 2" in w.value for w in at.warning)
    assert not any(b.key == "goal_replace" for b in at.button)
    assert _stored_targets(demo_db).equals(before)


def test_an_uploaded_targets_csv_replaces_the_targets(demo_db, run_app):
    at = run_app(demo_db, GOALS)
    good = (b"metric,segment,period_start,period_end,target,note\n"
            b"nps,Enterprise,2026-07-01,2026-10-01,55,next quarter\n")
    at.file_uploader(key="goal_upload").set_value(("t.csv", good, "text/csv")).run()
    at.button(key="goal_replace").click().run()
    assert not at.exception
    after = _stored_targets(demo_db)
    assert after[["metric", "segment", "target"]].values.tolist() == [
        ["nps", "Enterprise", 55.0]]


def test_count_targets_are_shown_on_their_cards(demo_db, run_app):
    from datetime import date

    import pandas as pd

    from metrics import goals

    store = Store(demo_db)
    try:
        cur = store.cursor()
        targets = pd.concat([goals.read_targets(cur), pd.DataFrame([
            {"metric": "new_customers", "segment": None, "period_start": date(2026, 6, 1),
             "period_end": date(2026, 7, 1), "target": 25, "note": "25 a month"},
            {"metric": "tickets", "segment": None, "period_start": date(2026, 6, 22),
             "period_end": date(2026, 6, 29), "target": 200, "note": "200 a week"}])])
        assert goals.save_targets(cur, targets) == []
    finally:
        store.close()
    at = run_app(demo_db, "views/overview.py")
    assert not at.exception
    assert any(c.value.startswith("target 25: ") for c in at.caption), \
        [c.value for c in at.caption]
    at = run_app(demo_db, "views/support.py")
    at.segmented_control(key="sp_grain").set_value("week").run()
    assert not at.exception
    assert any(c.value.startswith("target 200: ") for c in at.caption), \
        [c.value for c in at.caption]


def test_the_page_and_the_meeting_pack_draw_the_same_movers_chart(demo_db, run_app):
    import json

    from render.report import sections

    at = run_app(demo_db, WEEKLY)
    assert not at.exception and not at.error
    store = Store(demo_db)
    r = review.build(store.cursor(), Query(), "2026-W26")
    store.close()
    pack_fig = next(s for s in sections.build(r) if s.title == "Largest MRR movers").chart
    assert pack_fig is not None
    page = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert json.loads(pack_fig.to_json())["data"] in [p["data"] for p in page]


def test_a_weekly_card_without_a_value_shows_no_change_arrow(demo_db, run_app):
    at = run_app(demo_db, WEEKLY)
    assert not at.exception
    empty = [m for m in at.metric if m.value == "—"]
    assert empty, "the demo week has a KPI without a value (renewals still pending)"
    assert all(m.delta in (None, "") for m in empty), [(m.label, m.delta) for m in empty]


def test_the_weekly_reviews_first_response_card_shows_the_8_hour_target(demo_db, run_app):
    store = Store(demo_db)
    try:
        r = review.build(store.cursor(), Query())
    finally:
        store.close()
    frt = r.kpis.set_index("column").loc["first_response_median_h"]
    assert frt.target == 8.0 and frt.target_met == (frt.value <= 8.0)
    at = run_app(demo_db, WEEKLY)
    assert not at.exception and not at.error
    cards = {c.metric[0].label: " ".join(x.value for x in c.caption)
             for c in at.columns if len(c.metric) == 1}
    assert cards[frt.label].startswith(
        f"target 8.0 h: {'met' if frt.target_met else 'missed'}"), cards


def test_the_reviews_link_opens_the_overview_by_week_on_the_reviews_week(demo_db, run_app):
    from urllib.parse import parse_qsl

    at = run_app(demo_db, WEEKLY)
    assert not at.exception and not at.error
    # the Overview is the default page: its URL path is the app's root ("")
    links = [p.proto for p in at.get("page_link") if p.proto.page == ""]
    assert len(links) == 1 and "Overview" in links[0].label, [
        p.proto.page for p in at.get("page_link")]
    params = dict(parse_qsl(links[0].query_string))
    # the demo's review week is W26, 22-28 June 2026: the Overview shows it and the week before
    assert params == {"grain": "week", "from": "2026-06-15", "to": "2026-06-28", "link": "1"}
    assert "15–28 Jun 2026" in links[0].label
    # followed inside the session (the filters are already set: the link's dates replace them)
    at.query_params.update(params)
    at.switch_page("views/overview.py").run()
    _opened_on_the_week(at)
    # and opened as a new session from the same address
    fresh = run_app(demo_db, "views/overview.py", query=params)
    _opened_on_the_week(fresh)


def _opened_on_the_week(at):
    from datetime import date

    assert not at.exception and not at.error
    assert at.segmented_control(key="ov_grain").value == "week"
    assert tuple(at.date_input(key="f_dates").value) == (date(2026, 6, 15), date(2026, 6, 28))
    assert not any("fewer than two complete" in c.value for c in at.caption)
    assert "link" not in at.query_params  # followed once
    assert at.query_params["from"] == "2026-06-15" and at.query_params["to"] == "2026-06-28"
