"""Warm caches (dashboard/warmup.py): after the warm-up, opening a page computes nothing its
default view needs, the warm-up starts once per data version, and only when the setting is on."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import catalogue, context, warmup
from dashboard.components.health import data as health_data

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


@pytest.fixture
def fresh(demo_db, monkeypatch):
    monkeypatch.setenv("CSM_DB", str(demo_db))
    st.cache_resource.clear()
    st.cache_data.clear()
    health_data.clear_caches()
    yield demo_db
    context.get_store().close()
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.mark.parametrize("key", [p.key for p in catalogue.PAGES])
def test_after_the_warm_up_a_page_opens_without_computing(fresh, key):
    page = catalogue.page(key)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()  # the default page, as a visitor arriving
    st.cache_data.clear()
    health_data.clear_caches()
    assert warmup.run(context.data_version()) == sum(
        1 for p in catalogue.PAGES for i in p.calls if i[1] not in warmup.OWN_CACHES)
    seen: list[tuple[str, str]] = []
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
    opening = {(i[0], i[1]) for i in page.calls if i[1] not in warmup.OWN_CACHES}
    assert not [s for s in seen if s in opening], f"{key} computed {seen} after the warm-up"


def test_the_warm_up_starts_once_per_data_version_and_only_when_asked(fresh, monkeypatch):
    version = context.data_version()
    monkeypatch.delenv(warmup.SETTING, raising=False)
    assert warmup.after_run() is None  # off unless asked (csm serve asks)
    monkeypatch.setenv(warmup.SETTING, "1")
    first = warmup.start(version)
    assert first is not None
    first.join(timeout=120)
    assert not first.is_alive()
    assert warmup.start(version) is None  # this version is warm already
    warmup._started.discard(context._data_key(version))
