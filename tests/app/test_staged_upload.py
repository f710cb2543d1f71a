"""A staged upload is the uploaded file, byte for byte: a partial copy left in the upload folder
by an earlier failed write is replaced, and so is one cut short after the upload (issue 17
item 1). tests/unit/test_stage.py checks the staging itself."""

from __future__ import annotations

import hashlib
import re

from metrics.store import Store, upload_dir

ROWS = 40


def _file(acc: str) -> bytes:
    lines = ["ticket_id,account_id,created_at"]
    lines += [f"ST{i:03d},{acc},2026-06-{1 + i % 28:02d} 09:00" for i in range(ROWS)]
    return ("\n".join(lines) + "\n").encode()


def _one(db, sql):
    store = Store(db, read_only=True)
    try:
        return store.cursor().execute(sql).fetchone()[0]
    finally:
        store.close()


def _staged(db, name: str, data: bytes):
    """The path the wizard stages `data` uploaded as `name` under."""
    sha = hashlib.sha256(data).hexdigest()
    return upload_dir(db) / f"{sha[:12]}_{re.sub(r'[^A-Za-z0-9._-]+', '_', name)}"


def _upload_and_load(at, name: str, data: bytes):
    at.selectbox(key="up_table").set_value("tickets").run()
    at.file_uploader(key="up_file").set_value((name, data, "text/csv")).run()
    return at


def test_a_partial_staged_copy_is_replaced_by_the_whole_upload(demo_db, run_app):
    acc = _one(demo_db, "SELECT min(account_id) FROM accounts")
    data = _file(acc)
    staged = _staged(demo_db, "big.csv", data)
    staged.parent.mkdir(exist_ok=True)
    # What a failed earlier write (disk full) leaves: the first part under the final name.
    staged.write_bytes(data[: len(data) // 2])
    before = _one(demo_db, "SELECT count(*) FROM tickets")
    at = _upload_and_load(run_app(demo_db, "views/data.py"), "big.csv", data)
    at.button(key="load_btn").click().run()
    assert not at.exception
    labels = {m.label: m.value for m in at.metric}
    assert labels["Rows in file"] == str(ROWS) and labels["Loaded"] == str(ROWS)
    assert staged.read_bytes() == data
    assert _one(demo_db, "SELECT count(*) FROM tickets") == before + ROWS
    assert _one(demo_db, "SELECT sha256 FROM loads ORDER BY load_id DESC LIMIT 1") == (
        hashlib.sha256(data).hexdigest())
    # No temporary file is left beside it.
    assert sorted(p.name for p in staged.parent.iterdir()) == [staged.name]


def test_a_staged_file_cut_short_after_the_upload_is_restaged_whole_before_the_load(
        demo_db, run_app):
    acc = _one(demo_db, "SELECT min(account_id) FROM accounts")
    data = _file(acc)
    at = _upload_and_load(run_app(demo_db, "views/data.py"), "cut.csv", data)
    staged = _staged(demo_db, "cut.csv", data)
    assert staged.read_bytes() == data
    before = _one(demo_db, "SELECT count(*) FROM tickets")
    staged.write_bytes(data[: len(data) // 3])  # cut short behind the wizard's back
    at.button(key="load_btn").click().run()
    assert not at.exception
    labels = {m.label: m.value for m in at.metric}
    assert labels["Rows in file"] == str(ROWS) and labels["Loaded"] == str(ROWS)
    assert staged.read_bytes() == data
    assert _one(demo_db, "SELECT count(*) FROM tickets") == before + ROWS
