"""AppTest fixtures: a demo database built once per session, and an app runner."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from metrics import demo
from metrics.store import Store

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
DEMO_END = date(2026, 6, 30)


@pytest.fixture(scope="session")
def demo_db_master(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo_master") / "csm.duckdb"
    store = Store(path)
    demo.generate(store, size="small", end=DEMO_END)
    store.close()
    return path


@pytest.fixture
def demo_db(demo_db_master, tmp_path) -> Path:
    """A private copy of the small demo database (tests may load files into it)."""
    dst = tmp_path / "data" / "csm.duckdb"
    dst.parent.mkdir()
    shutil.copy(demo_db_master, dst)
    return dst


@pytest.fixture
def empty_db(tmp_path) -> Path:
    return tmp_path / "empty" / "csm.duckdb"


@pytest.fixture
def run_app(monkeypatch):
    """Return a function that runs the app on a database, optionally on one page."""

    def run(db: Path, page: str | None = None, query: dict | None = None) -> AppTest:
        monkeypatch.setenv("CSM_DB", str(db))
        st.cache_resource.clear()
        st.cache_data.clear()
        at = AppTest.from_file(APP, default_timeout=120)
        for k, v in (query or {}).items():
            at.query_params[k] = v
        at.run()
        if page:
            at.switch_page(page)
            at.run()
        return at

    return run


@pytest.fixture(autouse=True, scope="session")
def served_on_loopback():
    """The AppTests run the dashboard as `csm serve` does, listening on 127.0.0.1: with no
    address Streamlit listens on every interface, and local mode then shows no data
    (dashboard/auth.off_loopback_refusal)."""
    before = st.get_option("server.address")
    st.config.set_option("server.address", "127.0.0.1")
    yield
    st.config.set_option("server.address", before)
