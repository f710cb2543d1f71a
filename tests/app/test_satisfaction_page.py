"""The Satisfaction page in AppTest: it renders on the demo data and on an empty database, and
its controls (grain, segment, conventions, comparison dimension, theme, URL) change the shown
numbers exactly as the metrics compute them."""

from __future__ import annotations

from datetime import date

import pytest

from metrics.kpis import feedback, loyalty, satisfaction
from metrics.query import Query, previous_window
from metrics.store import Store
from tests.app.conftest import open_tab

PAGE = "views/satisfaction.py"
WINDOW = {"from": "2025-07-01", "to": "2026-06-30"}
Q = Query(start=date(2025, 7, 1), end=date(2026, 7, 1), grain="all")


def cards(at) -> dict[str, str]:
    return {m.label.split(" · ")[0]: m.value for m in at.metric}  # label · window


def frame(at, first_column: str):
    """The st.dataframe whose first column is `first_column`."""
    return next(d.value for d in at.dataframe if list(d.value.columns)[:1] == [first_column])


def compute(db, fn, q):
    store = Store(db)
    try:
        return fn(store.cursor(), q)
    finally:
        store.close()


@pytest.fixture
def page(demo_db, run_app):
    at = run_app(demo_db, PAGE, query=WINDOW)
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_page_renders_on_the_demo_data_without_exception_or_error_box(page):
    assert not page.error, [e.value for e in page.error]
    assert page.title[0].value == "Satisfaction"
    assert [t.label for t in page.tabs] == ["Trend", "Compare groups", "Comments & themes",
                                            "Revenue & coverage", "Advocates"]


def test_the_page_renders_on_an_empty_database_and_says_how_to_get_data(empty_db, run_app):
    at = run_app(empty_db, PAGE)
    assert not at.exception and not at.error
    assert any("Data" in i.value for i in at.info)


def test_the_cards_show_the_windows_scores_with_interval_counts_and_convention(page, demo_db):
    nps = compute(demo_db, satisfaction.nps, Q).iloc[0]
    csat = compute(demo_db, satisfaction.csat, Q).iloc[0]
    ces = compute(demo_db, satisfaction.ces, Q).iloc[0]
    shown = cards(page)
    assert shown["NPS"] == f"{nps.nps:.1f}"
    assert shown["CSAT"] == f"{csat.csat:.1%}"
    assert shown["CES (1–7)"] == f"{ces.ces:,.2f}"
    captions = " ".join(c.value for c in page.caption)
    assert f"95% CI {nps.ci_low:.1f} – {nps.ci_high:.1f}" in captions
    assert f"{nps.promoters:,} promoters · {nps.passives:,} passives · " \
           f"{nps.detractors:,} detractors of {nps.responses:,}" in captions
    assert "basis: all responses" in captions and "satisfied = score ≥ 4 of 5" in captions


def test_the_nps_delta_is_against_the_previous_window_with_its_significance(page, demo_db):
    q = Q
    cur = compute(demo_db, satisfaction.nps, q).iloc[0]
    prev = compute(demo_db, satisfaction.nps, previous_window(q)).iloc[0]
    nps_card = next(m for m in page.metric if m.label.split(" · ")[0] == "NPS")
    assert nps_card.delta == f"{cur.nps - prev.nps:+.1f} pts"
    _z, p, sig = satisfaction.change_test("nps", prev, cur)
    verdict = "**real change**" if sig else "noise (not significant)"
    assert any(c.value.startswith(f"{verdict}, p = {p:.3f}") for c in page.caption)


def test_changing_the_grain_changes_the_trend_periods(page):
    assert len(frame(page, "period")) == 12  # months of the window
    page.segmented_control(key="sat_grain").set_value("quarter").run()
    assert not page.exception
    trend = frame(page, "period")
    assert list(trend.period) == [date(2025, 7, 1), date(2025, 10, 1), date(2026, 1, 1),
                                  date(2026, 4, 1)]


def test_choosing_a_segment_shows_that_segments_numbers(page, demo_db):
    page.multiselect(key="f_segment").set_value(["Enterprise"]).run()
    assert not page.exception
    nps = compute(demo_db, satisfaction.nps, Q.with_(segment=("Enterprise",))).iloc[0]
    everyone = compute(demo_db, satisfaction.nps, Q).iloc[0]
    assert cards(page)["NPS"] == f"{nps.nps:.1f}" != f"{everyone.nps:.1f}"
    league = frame(open_tab(page, "sat_tab", "Compare groups"), "segment")
    assert list(league.segment) == ["Enterprise"]


def test_the_nps_basis_switch_recomputes_nps_and_says_so(page, demo_db):
    page.segmented_control(key="sat_basis").set_value("latest").run()
    assert not page.exception
    latest = compute(demo_db, satisfaction.nps, Q.with_setting("nps_basis", "latest")).iloc[0]
    every = compute(demo_db, satisfaction.nps, Q).iloc[0]
    assert latest.responses < every.responses
    assert cards(page)["NPS"] == f"{latest.nps:.1f}"
    assert any("basis: latest answer per respondent" in c.value for c in page.caption)


def test_the_csat_threshold_switch_recomputes_csat_and_says_so(page, demo_db):
    page.segmented_control(key="sat_csat").set_value(3).run()
    assert not page.exception
    csat3 = compute(demo_db, satisfaction.csat, Q.with_setting("csat_threshold", 3)).iloc[0]
    csat4 = compute(demo_db, satisfaction.csat, Q).iloc[0]
    assert csat3.csat > csat4.csat
    assert cards(page)["CSAT"] == f"{csat3.csat:.1%}"
    assert any("satisfied = score ≥ 3 of 5 (≥ 6 of 10)" in c.value for c in page.caption)


def test_the_league_compares_by_touchpoint_with_intervals_and_ties(page, demo_db):
    open_tab(page, "sat_tab", "Compare groups")
    page.selectbox(key="sat_by").set_value("touchpoint").run()
    assert not page.exception
    league = frame(page, "touchpoint")
    expected = satisfaction.league_table(
        compute(demo_db, satisfaction.nps, Q.with_(by="touchpoint")), "nps", "touchpoint")
    expected = expected[expected.responses > 0]
    assert list(league.touchpoint) == list(expected.touchpoint)
    assert list(league["tied with"]) == list(expected.tied_with)


def test_clicking_a_theme_shows_only_its_comments_with_account_and_score(page, demo_db):
    open_tab(page, "sat_tab", "Comments & themes").pills(key="sat_theme").set_value("Pricing").run()
    assert not page.exception
    comments = frame(page, "responded_at")
    assert len(comments) > 0
    assert all("Pricing" in t.split("; ") for t in comments.themes)
    assert comments.account_name.notna().all() and comments.score.between(0, 10).all()
    themes = compute(demo_db, feedback.nps_themes, Q).set_index("theme")
    assert len(comments) == themes.loc["Pricing", "responses"]
    assert any(m.value.startswith("**Theme: Pricing**") for m in page.markdown)


def test_searching_the_comments_narrows_the_table(page):
    before = len(frame(open_tab(page, "sat_tab", "Comments & themes"), "responded_at"))
    page.text_input(key="sat_search").input("expensive").run()
    found = frame(page, "responded_at")
    assert 0 < len(found) < before
    assert found.comment.str.lower().str.contains("expensive").all()


def test_revenue_coverage_and_advocates_match_the_metrics(page, demo_db):
    rev = compute(demo_db, loyalty.nps_revenue, Q).iloc[0]
    cov = compute(demo_db, loyalty.feedback_coverage, Q).iloc[0]
    adv = compute(demo_db, loyalty.advocates, Q)
    shown = cards(open_tab(page, "sat_tab", "Revenue & coverage"))
    assert shown["NPS weighted by MRR"] == f"{rev.nps_mrr_weighted:.1f}"
    assert shown["NPS (accounts)"] == f"{rev.nps_accounts:.1f}"
    assert shown["Accounts heard from in 90 days"] == f"{cov.coverage:.1%}"
    assert shown["Accounts not heard from"] == f"{cov.unheard_accounts:,}"
    assert "Advocates" not in shown  # only the open tab runs
    lists = [d.value for d in page.dataframe if list(d.value.columns)[:1] == ["account_name"]]
    assert [len(x) for x in lists] == [cov.unheard_accounts]  # not heard from
    assert cards(open_tab(page, "sat_tab", "Advocates"))["Advocates"] == f"{len(adv):,}"
    lists = [d.value for d in page.dataframe if list(d.value.columns)[:1] == ["account_name"]]
    assert [len(x) for x in lists] == [len(adv)]
    assert set(lists[0].account_id) == set(adv.account_id)
    assert len(adv) and (lists[0].band == "green").all()  # by default green health only
    assert any("whose health band on that day is green" in c.value for c in page.caption)
    page.segmented_control(key="sat_adv_health").set_value("any").run()
    assert not page.exception, [e.value for e in page.exception]
    every = compute(demo_db, loyalty.advocates, Q.with_setting("advocates_health", "any"))
    assert len(every) > len(adv) and set(adv.account_id) <= set(every.account_id)
    assert cards(page)["Advocates"] == f"{len(every):,}"
    assert any("whatever their health band" in c.value for c in page.caption)


def test_the_main_choices_are_read_from_the_url(demo_db, run_app):
    at = run_app(demo_db, PAGE, query={**WINDOW, "sat_grain": "quarter", "nps_basis": "latest",
                                       "csat_threshold": "5", "sat_by": "touchpoint",
                                       "sat_tab": "Compare groups"})
    assert not at.exception
    assert at.segmented_control(key="sat_grain").value == "quarter"
    assert at.segmented_control(key="sat_basis").value == "latest"
    assert at.segmented_control(key="sat_csat").value == 5
    assert at.selectbox(key="sat_by").value == "touchpoint"


def test_hostile_url_values_are_ignored(demo_db, run_app):
    at = run_app(demo_db, PAGE, query={"sat_grain": "<script>", "nps_basis": "' OR 1=1 --",
                                       "csat_threshold": "9", "sat_by": "name; DROP",
                                       "sat_tab": "Compare groups"})
    assert not at.exception and not at.error
    assert at.segmented_control(key="sat_grain").value == "month"
    assert at.segmented_control(key="sat_basis").value == "all"
    assert at.segmented_control(key="sat_csat").value == 4
    assert at.selectbox(key="sat_by").value == "segment"


def test_the_comment_explorers_periods_are_named_as_periods_not_days(page):
    options = open_tab(page, "sat_tab", "Comments & themes").selectbox(key="sat_period").options
    assert options[0] == "whole window" and "Jul 2025" in options and "Jun 2026" in options
    assert not any(o[:1].isdigit() for o in options)  # never "2025-07-01"
