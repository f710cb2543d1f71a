"""The audit trail of the dashboard's own saves (AppTest through the pages, real DuckDB file
and model file): saving the health model and saving the targets each add one row saying who
(the signed-in user's email, or the OS user in local mode), when (UTC, during the save) and
what (the file and its new version; how many targets)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from metrics import audit, goals, health
from metrics.ingest.record import _whoami
from metrics.store import Store

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
REPO = Path(__file__).resolve().parents[2]
AUTH = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback",
                 "cookie_secret": "x" * 32, "client_id": "c", "client_secret": "s",
                 "server_metadata_url": "http://localhost:1/.well-known/openid-configuration"}}
ANALYST = {"is_logged_in": True, "email": "ana@example.com", "name": "Ana Analyst",
           "groups": ["analyst"]}


@pytest.fixture
def env(demo_db, tmp_path, monkeypatch) -> tuple[Path, Path]:
    """CSM_DB on a private demo copy, the health model on a private copy, the shipped roles;
    return both paths."""
    monkeypatch.setenv("CSM_DB", str(demo_db))
    model = tmp_path / "health_model.yaml"
    shutil.copy(REPO / "metrics" / "health_model.yaml", model)
    monkeypatch.setenv("CSM_HEALTH_MODEL", str(model))
    monkeypatch.delenv("CSM_ROLES_FILE", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    return demo_db, model


def events(db: Path) -> list[dict]:
    store = Store(db, read_only=True)
    try:
        return audit.events(store.cursor()).to_dict("records")
    finally:
        store.close()


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def app(page: str, user: dict | None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if user is not None:
        at.secrets = dict(AUTH)
        at.user = user
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, page
    return at


@pytest.mark.parametrize("user, who", [(ANALYST, "ana@example.com"),
                                       (None, f"{_whoami()} (local)")])
def test_saving_the_health_model_on_its_page_writes_one_audit_row(env, user, who):
    db, model = env
    version = health.load_model(model)["version"]
    before = events(db)
    at = app("views/health.py", user)
    green = next(n for n in at.number_input if n.label == "Green from (score ≥)")
    green.set_value(float(green.value) + 1).run()
    start = now()
    at.button(key="hm_save").click().run()
    end = now()
    assert not at.exception and not at.error
    assert health.load_model(model)["version"] == version + 1
    new = events(db)[: len(events(db)) - len(before)]
    assert len(new) == 1
    row = new[0]
    assert (row["who"], row["action"], row["subject"], row["detail"]) == (
        who, "health_model", model.name, f"saved version {version + 1}")
    assert start <= row["happened_at"].to_pydatetime() <= end


def test_saving_the_targets_on_the_goals_page_writes_one_audit_row(env):
    db, _model = env
    store = Store(db, read_only=True)
    try:
        n = len(goals.read_targets(store.cursor()))
    finally:
        store.close()
    assert n > 0
    before = len(events(db))
    at = app("views/goals.py", ANALYST)
    start = now()
    at.button(key="goal_save").click().run()
    end = now()
    assert not at.exception and not at.error
    ev = events(db)
    assert len(ev) == before + 1
    row = ev[0]
    assert (row["who"], row["action"], row["subject"], row["detail"]) == (
        "ana@example.com", "targets", "targets", f"saved {n} targets (there were {n})")
    assert start <= row["happened_at"].to_pydatetime() <= end
