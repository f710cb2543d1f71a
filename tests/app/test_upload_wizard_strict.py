"""The upload wizard on files that are not plain UTF-8 CSV (issue 17 items 2, 14, 15): mixed
line endings preview and load with a note instead of Streamlit's generic error, a UTF-8 file
with one Latin-1 byte is refused at its line and column under the upload's own name, and a
Windows-1252 file is previewed with a warning, never garbled silently."""

from __future__ import annotations

import re

from metrics.store import Store

HEAD = ("ticket_id,account_id,created_at,first_response_at,resolved_at,contacts,reopened,"
        "channel,priority")


def _account(db) -> str:
    store = Store(db, read_only=True)
    try:
        return store.cursor().execute("SELECT min(account_id) FROM accounts").fetchone()[0]
    finally:
        store.close()


def _upload(at, name: str, data: bytes):
    at.selectbox(key="up_table").set_value("tickets").run()
    at.file_uploader(key="up_file").set_value((name, data, "text/csv")).run()
    return at


def _plain(texts) -> str:
    """Return the shown texts joined, without md_escape's backslashes."""
    return " ".join(t.value for t in texts).replace("\\", "")


def _row(acc: str, n: int, channel: str = "email") -> str:
    return f"ST{n},{acc},2026-06-0{n} 09:00,,,1,false,{channel},P2"


def test_mixed_line_endings_preview_and_load_with_a_note(demo_db, run_app):
    acc = _account(demo_db)
    data = (HEAD + "\r\n" + _row(acc, 1) + "\n" + _row(acc, 2) + "\r\n" + _row(acc, 3)
            + "\r").encode()
    at = _upload(run_app(demo_db, "views/data.py"), "mixed.csv", data)
    assert not at.exception
    assert "mixes line endings" in _plain(at.warning)
    at.button(key="load_btn").click().run()
    assert not at.exception
    assert any("Loaded 3 of 3" in s.value for s in at.success)


def test_a_utf8_file_with_one_latin1_byte_is_refused_at_its_line_under_its_own_name(
        demo_db, run_app):
    acc = _account(demo_db)
    data = (HEAD + "\n" + _row(acc, 1, "Zoë") + "\n").encode() + (
        _row(acc, 2, "caf\xe9").encode("latin-1") + b"\n")
    at = _upload(run_app(demo_db, "views/data.py"), "export.csv", data)
    assert not at.exception
    errors = _plain(at.error)
    assert "export.csv is not valid UTF-8" in errors
    assert "line 3, column" in errors
    assert not re.search(r"[0-9a-f]{12}_export", errors), "the staged name is shown"


def test_a_windows_1252_file_is_previewed_with_a_warning(demo_db, run_app):
    acc = _account(demo_db)
    data = (HEAD + "\n" + _row(acc, 1, "Société") + "\n").encode("cp1252")
    at = _upload(run_app(demo_db, "views/data.py"), "legacy.csv", data)
    assert not at.exception
    assert "read as Windows-1252" in _plain(at.warning)
    shown = [d.value for d in at.dataframe if "channel" in d.value.columns]
    assert shown and list(shown[0]["channel"]) == ["Société"]
