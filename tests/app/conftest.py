"""AppTest fixtures: a demo database built once per session, a hand-made edge-case book, and an
app runner."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.proto.Block_pb2 import Block as BlockProto
from streamlit.testing.v1 import AppTest

from metrics import demo
from metrics.ingest.pipeline import load_file
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

    def run(db: Path, page: str | None = None, query: dict | None = None,
            state: dict | None = None) -> AppTest:
        """`state`: session-state values set before the first run (a widget's key: its
        value, e.g. a page's grain control)."""
        monkeypatch.setenv("CSM_DB", str(db))
        st.cache_resource.clear()
        st.cache_data.clear()
        at = AppTest.from_file(APP, default_timeout=120)
        for k, v in (query or {}).items():
            at.query_params[k] = v
        for k, v in (state or {}).items():
            at.session_state[k] = v
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


@pytest.fixture
def edge_db(tmp_path) -> Path:
    """Six accounts over Jan–Jun 2026 (data to 30 Jun): no NPS answer in April, one in May,
    subscriptions that all come due in the last week (pending renewals), tickets in two
    months only."""
    path = tmp_path / "edge" / "csm.duckdb"
    path.parent.mkdir()
    store = Store(path)
    ids = [f"E{i}" for i in range(6)]
    accounts = pd.DataFrame({
        "account_id": ids, "name": [f"Edge {i}" for i in range(6)],
        "segment": ["SMB", "SMB", "SMB", "Mid", "Mid", "Enterprise"],
        "region": ["EU"] * 6, "csm_owner": ["Ann", "Ann", "Bo", "Bo", "Ann", "Bo"],
        "plan": ["basic"] * 6, "signup_date": [date(2026, 1, 1)] * 5 + [date(2026, 5, 10)],
        "churn_date": [None, None, None, None, date(2026, 3, 15), None],
        "renewal_date": [date(2026, 7, 20), date(2026, 8, 20), date(2026, 12, 1), None, None,
                         date(2027, 5, 10)]})
    subs = pd.DataFrame({
        "account_id": ids,
        "plan": ["basic"] * 6, "start_date": [date(2026, 1, 1)] * 5 + [date(2026, 5, 10)],
        # four end inside the last week: their renewals are still pending on 30 Jun
        "end_date": [date(2026, 6, 24), date(2026, 6, 25), date(2026, 6, 26),
                     date(2026, 6, 27), date(2026, 3, 15), None],
        "mrr": [100.0, 200.0, 300.0, 400.0, 50.0, 1000.0], "billing_period": ["month"] * 6})
    surveys = pd.DataFrame({
        "response_id": ["R1", "R2", "R3", "R4", "R5"], "account_id": ["E0", "E1", "E2", "E0",
                                                                      "E3"],
        "survey_type": ["nps"] * 5, "score": [10, 3, 9, 7, 10],
        "comment": [None] * 5, "respondent": [None] * 5,
        # March: three answers; April: none; May: one; June: one
        "responded_at": [datetime(2026, 3, 2, 9), datetime(2026, 3, 9, 9),
                         datetime(2026, 3, 16, 9), datetime(2026, 5, 4, 9),
                         datetime(2026, 6, 22, 9)]})
    tickets = pd.DataFrame({
        "ticket_id": ["T1", "T2", "T3"], "account_id": ["E0", "E1", "E5"],
        "created_at": [datetime(2026, 5, 4, 9), datetime(2026, 5, 5, 9),
                       datetime(2026, 6, 23, 9)],
        "first_response_at": [datetime(2026, 5, 4, 10), datetime(2026, 5, 5, 12),
                              datetime(2026, 6, 23, 9, 30)],
        "resolved_at": [datetime(2026, 5, 4, 12), datetime(2026, 5, 6, 9),
                        datetime(2026, 6, 24, 9)],
        "contacts": [1, 2, 1], "reopened": [False, False, False]})
    data = {"accounts": accounts, "subscriptions": subs, "survey_responses": surveys,
            "tickets": tickets}
    for table, frame in data.items():
        csv = store.uploads / f"{table}.csv"  # the store reads files only from its uploads
        frame.to_csv(csv, index=False)
        res = load_file(store, table, csv)  # the real import path
        assert res.outcome == "loaded", (table, res.message, res.rejects[:3])
    store.close()
    return path


def open_tab(at: AppTest, key: str, label: str) -> AppTest:
    """Open tab `label` of the lazy tabs keyed `key` (what a click on it sends: only the open
    tab runs) and rerun `at`; return it."""
    at.session_state[key] = label
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def tab_groups(at: AppTest) -> list[tuple[str, list[str]]]:
    """Return (key, labels) of each st.tabs now drawn in the main area, in page order (nested
    ones after their parent): the key is the URL parameter the tabs are bound to."""
    found: list[tuple[str, list[str]]] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if isinstance(proto, BlockProto) and proto.WhichOneof("type") == "tab_container":
            key = proto.tab_container.query_param_key
            assert key, "a page's tabs are lazy and in the URL: bind='query-params' with a key"
            found.append((key, [t.label for t in node.children.values()]))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    return found


def each_tab(at: AppTest):
    """Yield (key, label) of every tab of the page as it opens it in turn (only the open tab
    runs), nested tabs included, `at` run on it; first ("", "") for the page as it is."""
    seen = {(k, at.session_state[k]) for k, _labels in tab_groups(at)}
    yield "", ""
    while True:
        # the last group first: the nested tabs of an open tab before their parent's siblings
        todo = [(k, t) for k, labels in reversed(tab_groups(at)) for t in labels
                if (k, t) not in seen]
        if not todo:
            return
        open_tab(at, *todo[0])
        seen |= {(k, at.session_state[k]) for k, _labels in tab_groups(at)}
        yield todo[0]
