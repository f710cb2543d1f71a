"""Only the open tab runs: Retention's cohorts, survival, renewals and customer-value model are
computed when their tab is opened (by a link naming it, `rr_tab=` in the URL, or by choosing
it), never on the page's open or a filter change with another tab open. The dashboard's data
access hook (`context.on_query`) counts what a run really computes (cache misses only)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import context

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PAGE = "views/retention.py"
OTHER_TABS = {"cohort_retention", "survival", "renewal_rate", "clv_model", "clv", "clv_simple"}


def _computed(at: AppTest) -> set[str]:
    """Run `at` with the data caches empty; return the names it computed."""
    seen: list[str] = []
    st.cache_data.clear()
    stop = context.on_query(lambda _kind, name: seen.append(name))
    try:
        at.run()
    finally:
        stop()
    assert not at.exception, [e.value for e in at.exception]
    return set(seen)


def _open(demo_db, monkeypatch, query: dict[str, str]) -> AppTest:
    monkeypatch.setenv("CSM_DB", str(demo_db))
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(PAGE)
    return at


def test_opening_retention_runs_the_first_tab_only(demo_db, monkeypatch):
    at = _open(demo_db, monkeypatch, {})
    got = _computed(at)
    assert "mrr_movements" in got and not got & OTHER_TABS, sorted(got)
    assert at.session_state["rr_tab"] == "MRR & movements"
    # a filter change with the first tab open still leaves the other tabs alone
    at.number_input(key="rr_margin").set_value(0.5)
    got = _computed(at)
    assert "ltv" in got and not got & OTHER_TABS, sorted(got)


def test_a_link_naming_the_customer_value_tab_fits_the_model_and_nothing_else(
        demo_db, monkeypatch):
    at = _open(demo_db, monkeypatch, {"rr_tab": "Customer value"})
    got = _computed(at)
    assert {"clv_model", "clv_simple"} <= got, sorted(got)
    assert not got & {"cohort_retention", "survival", "renewal_rate"}, sorted(got)
    assert "Simple CLV by segment" in [s.value for s in at.subheader]


def test_choosing_the_cohorts_tab_computes_cohorts_and_not_the_model(demo_db, monkeypatch):
    at = _open(demo_db, monkeypatch, {})
    _computed(at)
    at.session_state["rr_tab"] = "Cohorts"  # what a click on the tab sends
    got = _computed(at)
    assert "cohort_retention" in got and not got & {"clv_model", "survival"}, sorted(got)


def test_an_unknown_tab_in_a_link_opens_the_first_tab_and_changes_nothing(demo_db, monkeypatch):
    at = _open(demo_db, monkeypatch, {"rr_tab": "<script>alert(1)</script>"})
    got = _computed(at)
    assert not at.error and not got & OTHER_TABS, sorted(got)
    assert at.session_state["rr_tab"] == "MRR & movements"
    assert "rr_tab" not in at.query_params  # the stale value is dropped from the URL
