"""Roles on the server (AppTest, real DuckDB file): local mode says so; a signed-in viewer gets
no write widgets; and the write functions themselves refuse a viewer — as a forged request
reaching them would be — while the same call as an analyst writes (so the refusal is the role
check, not a broken write)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from metrics import goals
from metrics.roles import refusal
from metrics.store import Store, upload_dir
from tests.app.conftest import each_tab

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
REPO = Path(__file__).resolve().parents[2]
AUTH = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback",
                 "cookie_secret": "x" * 32, "client_id": "c", "client_secret": "s",
                 "server_metadata_url": "http://localhost:1/.well-known/openid-configuration"}}


def person(role: str) -> dict:
    return {"is_logged_in": True, "email": f"{role}@example.com", "name": role.title(),
            "groups": [role]}


@pytest.fixture
def env(demo_db, tmp_path, monkeypatch) -> Path:
    """CSM_DB on a private demo copy, the health model on a private copy, the shipped roles."""
    monkeypatch.setenv("CSM_DB", str(demo_db))
    model = tmp_path / "health_model.yaml"
    shutil.copy(REPO / "metrics" / "health_model.yaml", model)
    monkeypatch.setenv("CSM_HEALTH_MODEL", str(model))
    monkeypatch.delenv("CSM_ROLES_FILE", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    return demo_db


def targets_count(db: Path) -> int:
    store = Store(db)
    try:
        cur = store.cursor()
        return len(goals.read_targets(cur))
    finally:
        store.close()


def _a_load(db: Path) -> None:
    """Load two tickets into `db` (an undoable load)."""
    from metrics.ingest import load_file

    store = Store(db)
    try:
        path = store.uploads / "two.csv"
        path.write_text("ticket_id,account_id,created_at\nW1,A00001,2026-06-01 09:00\n"
                        "W2,A00001,2026-06-02 09:00\n")
        assert load_file(store, "tickets", path).ok
    finally:
        store.close()


def _loads(db: Path) -> list[tuple]:
    store = Store(db, read_only=True)
    try:
        return store.cursor().execute("SELECT load_id, outcome FROM loads ORDER BY 1").fetchall()
    finally:
        store.close()


def signed_in(at: AppTest, role: str) -> AppTest:
    at.secrets = dict(AUTH)
    at.user = person(role)
    return at


def test_local_mode_says_so_in_the_sidebar_and_shows_the_upload(env):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert any("Local mode: no sign-in" in c.value for c in at.sidebar.caption)
    at.switch_page("views/data.py")
    at.run()
    assert not at.exception
    assert [s.label for s in at.selectbox] and at.selectbox[0].label == "Table"


def test_signed_out_with_auth_nothing_but_the_sign_in_page_runs(env):
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets = dict(AUTH)
    at.user = {"is_logged_in": False}
    at.run()
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe and not at.sidebar.caption


def test_a_viewer_gets_no_write_widgets_on_goals_health_and_data(env):
    at = signed_in(AppTest.from_file(APP, default_timeout=120), "viewer")
    at.run()
    assert any("role **viewer**" in c.value for c in at.sidebar.caption)
    at.switch_page("views/goals.py")
    at.run()
    assert not at.exception
    labels = {b.label for b in at.button}
    assert not labels & {"Save targets", "Save rules", "Check the rules now"}
    captions = [c.value for c in at.caption]
    assert refusal("save_targets", "viewer") in captions
    assert refusal("save_rules", "viewer") in captions
    at.switch_page("views/health.py")
    at.run()
    assert not at.exception
    assert "Save the model" not in {b.label for b in at.button}
    assert refusal("save_health_model", "viewer") in [c.value for c in at.caption]
    at.switch_page("views/data.py")
    at.run()
    assert refusal("load_data", "viewer") in [i.value for i in at.info]
    assert "Table" not in [s.label for s in at.selectbox]


def _forge(db: Path, write: str) -> str:
    """The source of a script that calls one write function of the dashboard directly."""
    return f'''
import pandas as pd
import streamlit as st
from dashboard import context
from metrics import goals, health

db = {str(db)!r}
write = {write!r}
if write == "targets":
    from dashboard.components.goals import parts
    with context.read_cursor() as cur:
        frame = goals.read_targets(cur).iloc[1:]
    parts.save_targets(frame)
elif write == "rules":
    from dashboard.components.goals import parts
    parts.evaluate_rules()
elif write == "health":
    from dashboard.components.health import editor
    model = health.load_model(health.model_path())
    editor.save(model)
elif write == "upload":
    from dashboard.components.data import wizard

    class Up:
        name = "forged.csv"
        def getvalue(self):
            return b"ticket_id,account_id,created_at\\nF1,A00001,2026-06-01\\n"

    wizard.save_upload(context.get_store(), Up())
elif write == "undo":
    from dashboard.components.data import history
    with context.read_cursor() as cur:
        load_id = cur.execute("SELECT max(load_id) FROM loads").fetchone()[0]
    history.undo_load(context.get_store(), load_id, "forger")
st.write("WRITTEN")
'''


@pytest.mark.parametrize("write, action", [("targets", "save_targets"),
                                           ("rules", "check_rules"),
                                           ("health", "save_health_model"),
                                           ("upload", "load_data"),
                                           ("undo", "undo_load")])
@pytest.mark.parametrize("role", ["viewer", "csm"])
def test_the_write_functions_refuse_a_reader_and_write_nothing(env, tmp_path, write, action,
                                                              role):
    model = Path(os.environ["CSM_HEALTH_MODEL"])
    model_before = model.read_text()
    if write == "undo":
        _a_load(env)
    loads_before = _loads(env)
    uploads = upload_dir(env)
    uploads_before = sorted(uploads.iterdir()) if uploads.exists() else []
    before = targets_count(env)
    script = tmp_path / "forge.py"
    script.write_text(_forge(env, write))
    at = signed_in(AppTest.from_file(str(script), default_timeout=120), role)
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [refusal(action, role)]
    assert "WRITTEN" not in [m.value for m in at.markdown]
    assert targets_count(env) == before
    assert model.read_text() == model_before
    assert (sorted(uploads.iterdir()) if uploads.exists() else []) == uploads_before
    assert _loads(env) == loads_before


def test_the_same_writes_as_an_analyst_do_write(env, tmp_path):
    before = targets_count(env)
    model = Path(os.environ["CSM_HEALTH_MODEL"])
    version = model.read_text()
    _a_load(env)
    for write in ("targets", "health", "upload", "undo"):
        script = tmp_path / f"forge_{write}.py"
        script.write_text(_forge(env, write))
        at = signed_in(AppTest.from_file(str(script), default_timeout=120), "analyst")
        at.run()
        assert not at.exception and not at.error, write
        assert "WRITTEN" in [m.value for m in at.markdown], write
    assert targets_count(env) == before - 1
    assert model.read_text() != version
    assert any(p.name.endswith("forged.csv") for p in (upload_dir(env)).iterdir())
    assert _loads(env)[-1][1] == "undone"


OWN_BOOK_ROLES = """claim: groups
default_role: viewer
groups:
  csm: csm
csm_own_book_only: true
"""
PAGES = ["views/overview.py", "views/satisfaction.py", "views/retention.py", "views/support.py",
         "views/usage.py", "views/health.py", "views/accounts.py", "views/weekly.py"]


def _book(db: Path, owner: str) -> tuple[set[str], set[str]]:
    """(the owner's account ids and names, every other account's ids and names)."""
    store = Store(db, read_only=True)
    try:
        rows = store.cursor().execute("SELECT account_id, name, csm_owner FROM accounts"
                                      ).fetchall()
    finally:
        store.close()
    mine = {v for a, n, o in rows if o == owner for v in (a, n) if v}
    others = {v for a, n, o in rows if o != owner for v in (a, n) if v}
    return mine, others - mine


def test_a_csm_restricted_to_their_book_sees_only_their_accounts_on_every_page(
        env, tmp_path, monkeypatch):
    roles_file = tmp_path / "roles.yaml"
    roles_file.write_text(OWN_BOOK_ROLES)
    monkeypatch.setenv("CSM_ROLES_FILE", str(roles_file))
    owner = "Ava Thompson"
    mine, others = _book(env, owner)
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets = dict(AUTH)
    at.user = {"is_logged_in": True, "email": "ava.thompson@example.com", "name": owner,
               "groups": ["csm"]}
    at.run()
    assert any("your book only" in c.value for c in at.sidebar.caption)
    # A forged filter (another owner chosen in the session) does not widen the book.
    at.session_state["f_csm_owner"] = ["Emma Schmidt"]
    seen_accounts = 0
    for page in PAGES:
        at.switch_page(page)
        at.run()
        assert not at.exception, page
        for _key, tab in each_tab(at):  # only the open tab runs: each in turn
            for frame in (d.value for d in at.dataframe):
                for col in ("account_id", "account", "name"):
                    if col in getattr(frame, "columns", []):
                        values = {str(v) for v in frame[col].dropna()}
                        assert not values & others, (page, tab, col,
                                                     sorted(values & others)[:5])
                        seen_accounts += len(values & mine)
        if page == "views/overview.py":
            cards = {m.label.split(" · ")[0]: m.value for m in at.metric}
            store = Store(env, read_only=True)
            try:
                active = store.cursor().execute(
                    "SELECT count(*) FROM accounts WHERE csm_owner = ? AND churn_date IS NULL",
                    [owner]).fetchone()[0]
            finally:
                store.close()
            assert int(cards["Customers"].replace(",", "")) <= active
    assert seen_accounts > 0  # the pages did list accounts: the book's own
    # An account of another book, asked for by URL, is not opened...
    other_id = sorted(v for v in others if v.startswith("A0"))[0]
    at.query_params["account"] = other_id
    at.session_state["ac_tab"] = "My accounts"  # the session left Accounts on its Team tab
    at.switch_page("views/accounts.py")
    at.run()
    assert at.selectbox(key="ac_account").value in mine
    # ... nor shown when the 360 is asked for it directly (a forged call).
    script = tmp_path / "forge_360.py"
    script.write_text(
        "from datetime import date\n"
        "from dashboard.components.accounts import account_360\n"
        "from metrics import health\nfrom metrics.query import Query\n"
        f"account_360.show({other_id!r}, Query(), health.load_model(health.model_path()), "
        "date(2026, 6, 30))\n")
    forged = AppTest.from_file(str(script), default_timeout=120)
    forged.secrets = dict(AUTH)
    forged.user = at.user.to_dict() if hasattr(at.user, "to_dict") else dict(at.user)
    forged.run()
    assert not forged.exception
    assert [i.value for i in forged.info] == ["This account is not in your book."]
    assert not forged.subheader


def test_a_csm_opens_accounts_on_their_own_book_through_the_owner_filter(env):
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets = dict(AUTH)
    at.user = {"is_logged_in": True, "email": "ava.thompson@example.com",
               "name": "Ava Thompson", "groups": ["csm"]}
    at.run()
    at.switch_page("views/accounts.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.multiselect(key="f_owner").value == ["Ava Thompson"]
    assert at.selectbox(key="ac_owner").value == "Ava Thompson"
    assert set(at.dataframe[0].value["csm_owner"]) == {"Ava Thompson"}
    # the default is applied once: choosing every owner then sticks
    at.selectbox(key="ac_owner").set_value("All owners").run()
    at.switch_page("views/accounts.py")
    at.run()
    assert at.multiselect(key="f_owner").value == []
    assert len(set(at.dataframe[0].value["csm_owner"])) > 1
