"""The page catalogue (dashboard/catalogue.py) against the pages themselves: each page, run
under AppTest on the demo data, asks the dashboard's data access (`context.on_query`) for
exactly the metrics and named queries its catalogue entry lists, and the hook counts the real
DuckDB work of a page compute (cache misses only)."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import catalogue, context
from dashboard.components.health import data as health_data
from metrics.query import page_query

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


def _observed(at: AppTest, page: catalogue.Page) -> set[tuple[str, str]]:
    """Run `page` in `at` with the data caches empty; return the (kind, name) it computed."""
    seen: list[tuple[str, str]] = []
    st.cache_data.clear()
    health_data.clear_caches()  # the shared health frames: a data cache too
    stop = context.on_query(lambda kind, name: seen.append((kind, name)))
    try:
        if page.default:
            at.run()
        else:
            at.switch_page(page.view)
            at.run()
    finally:
        stop()
    assert not at.exception, [e.value for e in at.exception]
    return set(seen)


@pytest.mark.parametrize("key", [p.key for p in catalogue.PAGES])
def test_each_page_computes_what_its_catalogue_entry_lists(demo_db, monkeypatch, key):
    page = catalogue.page(key)
    monkeypatch.setenv("CSM_DB", str(demo_db))
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    if not page.default:
        at.run()  # the default page first, as a visitor arriving on the app
    got = _observed(at, page)
    want = {(item[0], item[1]) for item in page.calls} | {("sql", n) for n in page.selected}
    assert got == want, (f"{key}: the page computes {sorted(got - want)} not listed, and the "
                         f"catalogue lists {sorted(want - got)} the page does not compute")


def test_the_hook_counts_the_queries_of_a_page_compute_and_none_once_cached(
        demo_db, monkeypatch):
    monkeypatch.setenv("CSM_DB", str(demo_db))
    st.cache_resource.clear()
    st.cache_data.clear()
    seen: list[tuple[str, str]] = []
    stop = context.on_query(lambda kind, name: seen.append((kind, name)))
    try:
        with context.read_cursor() as cur:
            q = catalogue.default_query(cur)

        def compute_page():
            for item in catalogue.CALLS["support"]:
                if item[0] == "metric":
                    context.metric(item[1], page_query(q, item[2] if len(item) > 2 else None))
                else:
                    context.named_query(item[1], **item[2])

        compute_page()
        first = list(seen)
        seen.clear()
        compute_page()
        cached = list(seen)
    finally:
        stop()
        context.get_store().close()
        st.cache_resource.clear()
        st.cache_data.clear()
    # one real computation per distinct item, in order; nothing on the cached pass
    assert first == [(item[0], item[1]) for item in catalogue.CALLS["support"]]
    assert cached == []
    assert context._observers == []  # unregistered
