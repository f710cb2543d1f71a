"""A csm restricted to their own book (`csm_own_book_only`) sees in the alerts only accounts of
their book (AppTest, real DuckDB file): the Weekly review's "alerts fired", its HTML pack and
XLSX lists, and the Goals alert history — with a health_red rule that fired on accounts of
several books, theirs among them. The history is limited in the query
(alert_history_in_scope.sql), not hidden on the page."""

from __future__ import annotations

import io
import re
import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from metrics import alerts, fmt
from metrics.store import Store

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
REPO = Path(__file__).resolve().parents[2]
AUTH = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback",
                 "cookie_secret": "x" * 32, "client_id": "c", "client_secret": "s",
                 "server_metadata_url": "http://localhost:1/.well-known/openid-configuration"}}
ROLES = "claim: groups\ndefault_role: viewer\ngroups:\n  csm: csm\ncsm_own_book_only: true\n"
OWNER, EMAIL = "Sofia Garcia", "sofia.garcia@example.com"
# the last complete week of the demo (data to Tuesday 2026-06-30): 22-28 June
WEEK_END = date(2026, 6, 28)


def red_rule_fired(db: Path) -> list[str]:
    """Add a health_red rule (7 days, any MRR) to `db`, evaluate it on the week's last day and
    return the accounts it named."""
    store = Store(db)
    try:
        cur = store.cursor()
        rid, problems = alerts.add_rule(cur, kind="health_red", name="Turned red", mrr_min=0,
                                        window_days=7)
        assert rid is not None and not problems
        ev = alerts.evaluate(cur, trigger="manual", as_of=WEEK_END)
        row = ev[ev["rule_id"] == rid].iloc[0]
        assert bool(row["fired"])
        return row["accounts"].split(", ")
    finally:
        store.close()


def book(db: Path) -> tuple[set[str], set[str], set[str]]:
    """(the owner's account ids, every other account's ids, every other account's names but
    those inside a name of the book: 'Ironcrest' of another book is in 'Ironcrest Dynamics')."""
    store = Store(db, read_only=True)
    try:
        rows = store.cursor().execute("SELECT account_id, name, csm_owner FROM accounts"
                                      ).fetchall()
    finally:
        store.close()
    mine = {a for a, _n, o in rows if o == OWNER}
    names_mine = {n for _a, n, o in rows if o == OWNER}
    return (mine, {a for a, _n, o in rows if o != OWNER},
            {n for _a, n, o in rows
             if o != OWNER and n and not any(n in m for m in names_mine)})


@pytest.fixture
def restricted(demo_db, tmp_path, monkeypatch) -> tuple[Path, list[str]]:
    monkeypatch.setenv("CSM_DB", str(demo_db))
    model = tmp_path / "health_model.yaml"
    shutil.copy(REPO / "metrics" / "health_model.yaml", model)
    monkeypatch.setenv("CSM_HEALTH_MODEL", str(model))
    roles_file = tmp_path / "roles.yaml"
    roles_file.write_text(ROLES)
    monkeypatch.setenv("CSM_ROLES_FILE", str(roles_file))
    st.cache_resource.clear()
    st.cache_data.clear()
    return demo_db, red_rule_fired(demo_db)


def as_the_csm(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets = dict(AUTH)
    at.user = {"is_logged_in": True, "email": EMAIL, "name": OWNER, "groups": ["csm"]}
    at.run()
    assert any("your book only" in c.value for c in at.sidebar.caption)
    at.switch_page(page)
    at.run()
    assert not at.exception, page
    return at


def cells(frames) -> set[str]:
    """Every text cell of `frames`, and each part of a comma-separated list cell."""
    out: set[str] = set()
    for f in frames:
        for col in f.columns:
            for v in f[col].dropna():
                if isinstance(v, str):
                    out |= {v, *(p.strip() for p in v.split(","))}
    return out


def test_the_setup_fires_on_several_books_the_csms_among_them(restricted):
    db, named = restricted
    mine, others, _ = book(db)
    assert set(named) & mine and set(named) & others


def test_the_weekly_alerts_and_pack_of_a_restricted_csm_name_only_their_book(restricted):
    db, named = restricted
    mine, others, other_names = book(db)
    at = as_the_csm("views/weekly.py")
    assert at.selectbox(key="wk_week").value == "2026-W26"
    frames = [d.value for d in at.dataframe]
    seen = cells(frames)
    assert not seen & others, sorted(seen & others)[:5]
    assert not seen & other_names, sorted(seen & other_names)[:5]
    fired = next(f for f in frames if "rule_name" in f.columns)
    assert list(fired["rule_name"]) == ["Turned red"]  # team-wide rules are not shown
    assert fired["accounts"].iloc[0] == ", ".join(sorted(set(named) & mine))
    assert fired["value"].iloc[0] == len(set(named) & mine)
    assert any("only those naming accounts of your book" in c.value for c in at.caption)
    # the meeting pack as HTML, then the lists as XLSX: built by the page, as downloaded
    at.button(key="wk_build").click().run()
    html = at.session_state["wk_pack"][3].decode("utf-8")
    ids = set(re.findall(r"\bA\d{5}\b", html))
    assert set(named) & mine <= ids
    assert not ids & others, sorted(ids & others)[:5]
    assert not [n for n in other_names if n in html][:5]
    at.segmented_control(key="wk_fmt").set_value("xlsx").run()
    at.button(key="wk_build").click().run()
    book_xlsx = openpyxl.load_workbook(io.BytesIO(at.session_state["wk_pack"][3]))
    text = {str(c.value) for ws in book_xlsx for row in ws.iter_rows() for c in row if c.value}
    parts = text | {p.strip() for t in text for p in t.split(",")}
    assert set(named) & mine <= parts
    assert not parts & others, sorted(parts & others)[:5]
    assert not parts & other_names, sorted(parts & other_names)[:5]


def test_the_goals_alert_history_of_a_restricted_csm_names_only_their_book(restricted):
    db, named = restricted
    mine, others, other_names = book(db)
    at = as_the_csm("views/goals.py")
    frames = [d.value for d in at.dataframe]
    seen = cells(frames)
    assert not seen & others, sorted(seen & others)[:5]
    assert not seen & other_names, sorted(seen & other_names)[:5]
    hist = next(f for f in frames if "rule_name" in f.columns and "accounts" in f.columns)
    assert list(hist["rule_name"]) == ["Turned red"]
    assert hist["accounts"].iloc[0] == ", ".join(sorted(set(named) & mine))
    n = len(set(named) & mine)
    assert hist["message"].iloc[0].startswith(f"{fmt.plural(n, 'account')} turned red")


def test_an_analyst_sees_the_whole_history(restricted):
    """The same pages unrestricted: every book's accounts and the team-wide rules (so the
    tests above would see a leak)."""
    _db, named = restricted
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets = dict(AUTH)
    at.user = {"is_logged_in": True, "email": "an@example.com", "name": "An", "groups":
               ["analyst"]}
    at.run()
    at.switch_page("views/goals.py")
    at.run()
    hist = next(d.value for d in at.dataframe if "rule_name" in d.value.columns
                and "accounts" in d.value.columns)
    assert len(hist) > 1 and hist.loc[hist.rule_name == "Turned red", "accounts"].iloc[0] == (
        ", ".join(named))


def test_a_rule_that_opens_tasks_opens_one_per_red_account_however_often_it_fires(demo_db):
    # The real health verdict on the demo (no stub): the rule names the accounts that turned
    # red in the week; evaluated twice, it fires twice and opens one task per account.
    from metrics.actions import tasks

    store = Store(demo_db)
    try:
        cur = store.cursor()
        seeded = len(tasks.listing(cur))
        rid, problems = alerts.add_rule(cur, kind="health_red", name="Turned red", mrr_min=0,
                                        window_days=7, creates_tasks=True)
        assert rid is not None and not problems
        fired = []
        for _ in range(2):
            ev = alerts.evaluate(cur, trigger="manual", as_of=WEEK_END)
            fired.append(ev[ev["rule_id"] == rid].iloc[0])
        assert all(bool(r["fired"]) for r in fired)
        named = fired[0]["accounts"].split(", ")
        assert len(named) >= 2 and fired[1]["accounts"] == fired[0]["accounts"]
        t = tasks.listing(cur)
        new = t[t["rule_id"] == rid]
        assert len(t) == seeded + len(named) and len(new) == len(named)
        assert new["account_id"].is_unique and set(new["source"]) == {"alert rule"}
    finally:
        store.close()
