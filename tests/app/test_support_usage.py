"""Support and Usage pages under AppTest: demo and empty data, numbers from the metrics, the
page-local controls, filters from the URL."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard import catalogue
from metrics import registry
from metrics.query import Query
from metrics.store import Store

PAGES = [catalogue.page("support").view, catalogue.page("usage").view]


def _no_failure(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_demo_data_without_exception_or_error_box(demo_db, run_app, page):
    at = run_app(demo_db, page)
    _no_failure(at)
    assert len(at.get("plotly_chart")) >= 5


@pytest.mark.parametrize("page", PAGES)
def test_page_on_an_empty_database_says_how_to_get_data(empty_db, run_app, page):
    at = run_app(empty_db, page)
    _no_failure(at)
    assert any("No data yet" in i.value for i in at.info)


def _june(db, name, **changes):
    store = Store(db)
    try:
        cur = store.cursor()
        q = Query(start=date(2025, 7, 1), end=date(2026, 7, 1), **changes)
        return registry.compute(cur, name, q)
    finally:
        store.close()


def test_support_cards_show_the_last_complete_month_of_the_support_metric(demo_db, run_app):
    june = _june(demo_db, "support").iloc[-1]
    at = run_app(demo_db, "views/support.py")
    _no_failure(at)
    values = {m.label.split(" ·")[0]: m.value for m in at.metric}
    assert values["Tickets"] == f"{june.tickets:,.0f}"
    assert values["FCR"] == f"{june.fcr_rate:.1%}"
    assert values["Median first response"] == f"{june.first_response_median_h:.1f} h"
    assert values["SLA attainment"] == f"{june.sla_attainment:.1%}"


def test_usage_cards_show_mau_of_the_last_complete_month_and_week_grain_shows_wau(
        demo_db, run_app):
    june = _june(demo_db, "usage").iloc[-1]
    at = run_app(demo_db, "views/usage.py")
    _no_failure(at)
    values = {m.label.split(" ·")[0]: m.value for m in at.metric}
    assert values["MAU"] == f"{june.active_users:,.0f}"
    assert values["Accounts with usage"] == f"{june.active_accounts:,.0f}"
    at.segmented_control(key="us_grain").set_value("week").run()
    _no_failure(at)
    labels = [m.label for m in at.metric]
    assert any(lab.startswith("WAU") for lab in labels), labels


def test_support_breakdown_control_switches_the_dimension(demo_db, run_app):
    at = run_app(demo_db, "views/support.py")
    at.segmented_control(key="sp_by").set_value("priority").run()
    _no_failure(at)
    assert any(s.value == "By priority" for s in at.subheader)


def test_a_segment_filter_in_the_url_gives_that_segments_usage_numbers(demo_db, run_app):
    june_all = _june(demo_db, "usage").iloc[-1]
    june_smb = _june(demo_db, "usage", segment=("SMB",)).iloc[-1]
    assert june_smb.active_users < june_all.active_users
    at = run_app(demo_db, "views/usage.py", query={"segment": "SMB"})
    _no_failure(at)
    values = {m.label.split(" ·")[0]: m.value for m in at.metric}
    assert values["MAU"] == f"{june_smb.active_users:,.0f}"


def _card_notes(at) -> dict[str, str]:
    """{card label: its captions} of the cards drawn one per column."""
    out = {}
    for col in at.columns:
        if len(col.metric) == 1:
            out[col.metric[0].label] = " ".join(c.value for c in col.caption)
    return out


def _traces(at, title: str) -> dict[str, set]:
    """{trace name: its y values} of the chart titled `title`."""
    import json

    for c in at.get("plotly_chart"):
        fig = json.loads(c.proto.spec)
        if fig["layout"].get("title", {}).get("text") == title:
            return {t.get("name"): {y for y in t.get("y", []) if y is not None}
                    for t in fig["data"]}
    raise AssertionError(f"no chart titled {title!r}")  # pragma: no cover


def test_the_goals_first_response_and_fcr_targets_show_on_supports_cards_and_trends(
        demo_db, run_app):
    import pandas as pd

    from metrics import goals

    store = Store(demo_db)
    try:
        cur = store.cursor()
        stored = goals.read_targets(cur)
        frt = stored[stored["metric"] == "first_response_median_h"]
        assert set(frt["target"]) == {8.0} and frt["segment"].isna().all()  # the demo's goal
        fcr = pd.DataFrame([{"metric": "fcr_rate", "segment": None,
                             "period_start": date(2025, 7, 1), "period_end": date(2026, 7, 1),
                             "target": 0.7, "note": "FCR at least 70%"}])
        assert goals.save_targets(cur, pd.concat([stored, fcr])) == []
    finally:
        store.close()
    at = run_app(demo_db, "views/support.py", query={"from": "2025-07-01", "to": "2026-06-30"})
    _no_failure(at)
    notes = _card_notes(at)
    assert notes["Median first response"].startswith("target 8.0 h: "), notes
    assert notes["FCR"].startswith("target 70.0%: "), notes
    assert _traces(at, "First response time by month")["median target"] == {8.0}
    assert _traces(at, "First contact resolution by month")["FCR target"] == {0.7}
    assert "target" not in " ".join(map(str, _traces(at, "Resolution time by month")))


def test_support_backlog_card_shows_the_tickets_open_at_the_end_of_the_last_complete_month(
        demo_db, run_app):
    june = _june(demo_db, "ticket_backlog").iloc[-1]
    assert june.period == date(2026, 6, 1) and not june.partial
    at = run_app(demo_db, "views/support.py")
    _no_failure(at)
    values = {m.label.split(" ·")[0]: m.value for m in at.metric}
    assert values["Open backlog"] == f"{june.backlog_end:,.0f}"
    assert any(c.proto.spec and "Backlog by month" in c.proto.spec
               for c in at.get("plotly_chart"))
