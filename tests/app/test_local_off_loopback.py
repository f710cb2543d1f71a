"""Local mode (no [auth]) serves data only on loopback, however the app was started: started
by plain `streamlit run dashboard/app.py --server.address 0.0.0.0` (or with no address: every
interface), it shows only a message saying sign-in is required and how to allow it, and opens
no database; $CSM_ALLOW_NO_AUTH=1 or an [auth] section lift it (AppTest; the address is the
server's configured `server.address`, set here as `streamlit run` would)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
AUTH = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback",
                 "cookie_secret": "x" * 32, "client_id": "c", "client_secret": "s",
                 "server_metadata_url": "http://localhost:1/.well-known/openid-configuration"}}


@pytest.fixture
def listen(monkeypatch) -> Iterator:
    """Return a function that sets the server's configured address; restored afterwards."""
    before = st.get_option("server.address")
    monkeypatch.delenv("CSM_ALLOW_NO_AUTH", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield lambda address: st.config.set_option("server.address", address)
    st.config.set_option("server.address", before)


def run(db: Path, monkeypatch, secrets: dict | None = None) -> AppTest:
    monkeypatch.setenv("CSM_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=120)
    if secrets is not None:
        at.secrets = secrets
        at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    return at


@pytest.mark.parametrize("address, where", [("0.0.0.0", "listens on 0.0.0.0"),
                                            ("192.0.2.10", "listens on 192.0.2.10"),
                                            ("::", "listens on ::"),
                                            (None, "every interface")])
def test_off_loopback_without_auth_only_a_message_is_shown(listen, monkeypatch, tmp_path,
                                                          address, where):
    listen(address)
    db = tmp_path / "data" / "csm.duckdb"
    at = run(db, monkeypatch)
    [error] = [e.value for e in at.error]
    assert where in error
    assert "Sign-in is required off loopback" in error
    assert "CSM_ALLOW_NO_AUTH=1" in error and "[auth]" in error
    # nothing of the app: no data, no filters, no navigation, not even the database opened
    assert not at.dataframe and not at.metric and not at.sidebar.caption
    assert not at.sidebar.multiselect and not at.button
    assert not db.exists()


def test_on_loopback_local_mode_serves(listen, monkeypatch, demo_db):
    listen("127.0.0.1")
    at = run(demo_db, monkeypatch)
    assert not at.error
    assert any("Local mode: no sign-in" in c.value for c in at.sidebar.caption)
    assert at.metric


def test_the_explicit_environment_variable_allows_it(listen, monkeypatch, demo_db):
    listen("0.0.0.0")
    monkeypatch.setenv("CSM_ALLOW_NO_AUTH", "1")
    at = run(demo_db, monkeypatch)
    assert not at.error
    assert any("everyone who can reach this page is admin" in c.value
               for c in at.sidebar.caption)
    assert at.metric


def test_with_auth_off_loopback_is_the_sign_in_page(listen, monkeypatch, demo_db):
    listen("0.0.0.0")
    at = run(demo_db, monkeypatch, secrets=dict(AUTH))
    assert not at.error
    assert [b.label for b in at.button] == ["Sign in"]
