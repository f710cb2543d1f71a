"""The Tasks page and the task buttons of other pages under AppTest, on the small demo (a real
DuckDB file): the page's figures are the tables' and the metric's; a task made in one click
from the at-risk list is completed on the Tasks page (a reason is needed); a viewer gets no
way to create one; a csm restricted to their book sees only their accounts' tasks."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from metrics import fmt, registry
from metrics.actions import now, tasks
from metrics.query import Query
from metrics.store import Store
from tests.app.conftest import open_tab
from tests.app.test_auth_roles import AUTH, person

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(demo_db, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("CSM_DB", str(demo_db))
    model = tmp_path / "health_model.yaml"
    shutil.copy(REPO / "metrics" / "health_model.yaml", model)
    monkeypatch.setenv("CSM_HEALTH_MODEL", str(model))
    monkeypatch.delenv("CSM_ROLES_FILE", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    return demo_db


def _tasks(db: Path):
    store = Store(db, read_only=True)
    try:
        return tasks.listing(store.cursor(), today=now().date())
    finally:
        store.close()


def _open(page: str, at: AppTest | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120) if at is None else at
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _frame(at: AppTest, column: str):
    """The first table of the page with `column` (AppTest keeps no dataframe keys)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label))


def test_the_page_shows_the_tables_figures_and_the_metrics_card(env):
    at = _open("views/tasks.py")
    t = _tasks(env)
    assert len(t) == 6  # the demo's: five by hand, one detractor follow-up
    assert _metric(at, "Open tasks") == f"{int(t['status'].isin(tasks.OPEN).sum()):,}"
    assert _metric(at, "Overdue") == f"{int(t['overdue'].sum()):,}"
    assert _metric(at, "Open risk plays") == "1"
    assert [m.label for m in at.metric][4:] == []  # only the open tab (My tasks) runs
    open_tab(at, "tasks_tab", "Risk plays")
    assert [m.label for m in at.metric][4:] == ["At risk", "Plan in place", "Saving",
                                                "Recovered", "Lost"]
    # one number, one definition: the card is the metric of the last complete month
    store = Store(env, read_only=True)
    try:
        frame = registry.compute(store.cursor(), "followup_share",
                                 Query(start=None, end=None, grain="month"))
    finally:
        store.close()
    last = frame[~frame["partial"]].iloc[-1]
    card = next(m for m in at.metric if m.label.startswith("Followed up in 7 days"))
    assert card.value == fmt.value(last["followup_share"], "fraction")
    assert any("target 80.0%" in c.value for c in at.caption)
    team = _frame(open_tab(at, "tasks_tab", "Team"), "closed")
    assert int(team["open"].sum()) == int(t["status"].isin(tasks.OPEN).sum())


def test_a_task_from_the_at_risk_list_is_closed_with_a_reason_on_the_tasks_page(env):
    at = _open("views/health.py")
    account = at.selectbox(key="hl_act_account").value
    kind = "onboarding" if at.selectbox(key="hl_act_account").format_func(
        account).endswith("onboarding)") else "risk"
    at.button(key="hl_task").click().run()
    assert not at.exception and any(s.value.startswith("Task created: ") for s in at.success)
    t = _tasks(env)
    new = t[t["source"] == "at-risk list"]
    assert new["account_id"].tolist() == [account] and new["type"].tolist() == [kind]
    tid = int(new["task_id"].iloc[0])

    at = _open("views/tasks.py")
    at.selectbox(key="tk_pick").set_value(tid)
    at.selectbox(key="tk_status").set_value("done")
    at.button(key="FormSubmitter:tk_status_form-Save status").click().run()
    # the message as shown: Markdown's backslash escapes (md_escape) removed
    assert [re.sub(r"\\(.)", r"\1", e.value) for e in at.error] == [
        "Not saved: reason: it cannot be empty"]
    assert _tasks(env).set_index("task_id").loc[tid, "status"] == "open"  # nothing written
    at.text_input(key="tk_reason").set_value("Called, plan agreed")
    at.button(key="FormSubmitter:tk_status_form-Save status").click().run()
    row = _tasks(env).set_index("task_id").loc[tid]
    assert (row["status"], row["close_reason"]) == ("done", "Called, plan agreed")
    assert row["created_by"].endswith("(local)")


def test_a_viewer_cannot_create_a_task(env):
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets = dict(AUTH)
    at.user = person("viewer")
    at = _open("views/health.py", at)
    assert at.button(key="hl_task").disabled and at.button(key="hl_play").disabled
    at = _open("views/tasks.py", at)
    assert any("Creating or changing tasks needs the csm, analyst or admin role" in c.value
               for c in at.caption)
    assert len(_tasks(env)) == 6


def test_a_restricted_csm_sees_only_their_accounts_tasks(env, tmp_path, monkeypatch):
    roles = tmp_path / "roles.yaml"
    roles.write_text("claim: groups\ndefault_role: viewer\ncsm_own_book_only: true\n"
                     "users:\n  ava.thompson@example.com: csm\n")
    monkeypatch.setenv("CSM_ROLES_FILE", str(roles))
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets = dict(AUTH)
    at.user = {"is_logged_in": True, "email": "ava.thompson@example.com",
               "name": "Ava Thompson", "groups": []}
    at = _open("views/tasks.py", at)
    t = _tasks(env)
    ava = t[t["csm_owner"] == "Ava Thompson"]
    assert 0 < len(ava) < len(t)
    mine = _frame(at, "priority")
    assert len(mine) and set(mine["account_id"]) <= set(ava["account_id"])
    team = _frame(open_tab(at, "tasks_tab", "Team"), "closed")
    assert int(team["open"].sum()) == int(ava["status"].isin(tasks.OPEN).sum())
