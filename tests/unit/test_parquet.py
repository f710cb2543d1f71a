"""csm export --parquet / csm load --parquet: every table out and back, checked by the manifest;
a damaged or mismatching folder is refused and changes nothing (no Spark needed)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from metrics import demo, parquet, registry
from metrics.query import Query
from metrics.store import Store

ROOT = Path(__file__).resolve().parents[2]


def csm(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "csm", *args], cwd=ROOT, capture_output=True,
                          text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                                          "CSM_LOCK_WAIT": "60"})


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    base = tmp_path_factory.mktemp("pq")
    db = base / "src.duckdb"
    s = Store(db)
    demo.generate(s, size="small", end=date(2026, 6, 30))
    s.close()
    out = base / "export"
    r = csm("export", "--parquet", str(out), "--db", str(db))
    assert r.returncode == 0, r.stderr
    return db, out, json.loads(r.stdout)


def _tables(db: Path) -> dict:
    s = Store(db, read_only=True)
    try:
        cur = s.cursor()
        return {t: cur.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                for t in parquet.table_names(cur) if t not in parquet.NOT_LOADED}
    finally:
        s.close()


def test_export_lists_every_table_with_rows_and_checksums(exported):
    db, out, doc = exported
    manifest = json.loads((out / "manifest.json").read_text())
    s = Store(db, read_only=True)
    try:
        cur = s.cursor()
        names = parquet.table_names(cur)
        for t in names:
            assert manifest["tables"][t]["rows"] == cur.execute(
                f"SELECT count(*) FROM {t}").fetchone()[0]
    finally:
        s.close()
    # the app's own tables travel too, not only the canonical ones
    assert {"targets", "alert_rules", "alert_history", "loads", "audit",
            "account_attributes"} <= set(manifest["tables"])
    assert "usage_daily" not in manifest["tables"]  # derived, rebuilt at load
    ev = manifest["tables"]["usage_events"]
    assert ev["partition"] == "month" and len(ev["files"]) > 12
    assert all(f["path"].startswith("usage_events/month=") for f in ev["files"])
    for entry in manifest["tables"].values():
        for f in entry["files"]:
            assert parquet.sha256(out / f["path"]) == f["sha256"]
    assert doc["tables"]["usage_events"] == ev["rows"]


def test_load_parquet_gives_back_every_table_and_the_same_metrics(exported, tmp_path):
    db, out, _ = exported
    target = tmp_path / "copy.duckdb"
    r = csm("load", "--parquet", str(out), "--db", str(target))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["tables"]["usage_events"] > 0
    before, after = _tables(db), _tables(target)
    for t in before:
        if t in ("loads", "audit"):  # the load itself is recorded after the copied rows
            assert after[t][: len(before[t])] == before[t]
            continue
        assert after[t] == before[t], t
    a, b = Store(db, read_only=True), Store(target, read_only=True)
    try:
        for name in ("usage", "feature_adoption", "mrr", "nps"):
            x = registry.compute(a.cursor(), name, Query(by="segment"))
            y = registry.compute(b.cursor(), name, Query(by="segment"))
            # DuckDB's parallel sums may add in another order from one run to the next
            pd.testing.assert_frame_equal(x, y, check_exact=False, rtol=1e-12)
        cur = b.cursor()
        origin = cur.execute("SELECT kind FROM (" + _sql("data_origin") + ")").fetchall()
        assert ("parquet",) in origin
    finally:
        a.close()
        b.close()
    w = Store(target)
    try:  # ids given after the load do not reuse copied ones
        cur = w.cursor()
        for seq, (table, col) in parquet.SEQUENCES.items():
            top = cur.execute(f"SELECT coalesce(max({col}), 0) FROM {table}").fetchone()[0]
            assert cur.execute(f"SELECT nextval('{seq}')").fetchone()[0] > top, seq
    finally:
        w.close()


def _sql(name: str) -> str:
    from metrics.kpis import load_sql

    return load_sql(name)


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


@pytest.fixture(scope="module")
def other_db(tmp_path_factory):
    """Another small demo (the database a refused load must leave as it was)."""
    path = tmp_path_factory.mktemp("other") / "other.duckdb"
    s = Store(path)
    demo.generate(s, size="small", end=date(2026, 5, 31), seed=7)
    s.close()
    return path


def _state(db: Path) -> tuple:
    s = Store(db, read_only=True)
    try:
        cur = s.cursor()
        return (cur.execute("SELECT count(*) FROM accounts").fetchone()[0],
                cur.execute("SELECT count(*) FROM usage_events").fetchone()[0],
                cur.execute("SELECT max(version) FROM data_version").fetchone()[0],
                cur.execute("SELECT count(*) FROM loads").fetchone()[0])
    finally:
        s.close()


def _refused(other_db: Path, tmp_path: Path, bad: Path) -> tuple[Path, tuple, str]:
    """Load the export `bad` into a copy of `other_db` through the library, expecting a
    refusal; return (the copy, its state before, the refusal's message)."""
    target = tmp_path / "t.duckdb"
    shutil.copy(other_db, target)
    before = _state(target)
    s = Store(target)
    try:
        with pytest.raises(parquet.ParquetRefused) as refused:
            parquet.load(s.cursor(), bad)
    finally:
        s.close()
    return target, before, str(refused.value)


@pytest.mark.parametrize("damage", ["flip_byte", "rows", "missing", "schema"])
def test_a_damaged_export_is_refused_and_changes_nothing(exported, other_db, tmp_path, damage):
    _, out, _ = exported
    bad = _copy(out, tmp_path / "bad")
    manifest = json.loads((bad / "manifest.json").read_text())
    f = manifest["tables"]["usage_events"]["files"][3]
    if damage == "flip_byte":
        p = bad / f["path"]
        data = bytearray(p.read_bytes())
        data[len(data) // 2] ^= 0xFF
        p.write_bytes(bytes(data))
        words = "checksum"
    elif damage == "rows":
        f["rows"] += 1
        words = "rows"
    elif damage == "missing":
        (bad / f["path"]).unlink()
        words = "missing"
    else:
        manifest["schema_version"] = 99
        words = "schema version 99"
    (bad / "manifest.json").write_text(json.dumps(manifest))
    target = tmp_path / "t.duckdb"
    shutil.copy(other_db, target)
    before = _state(target)
    r = csm("load", "--parquet", str(bad), "--db", str(target))
    assert r.returncode == 1
    assert "nothing was changed" in r.stderr and words in r.stderr, r.stderr
    assert _state(target) == before


def test_every_sequence_is_advanced_at_load(store):
    cur = store.cursor()
    seqs = {r[0] for r in cur.execute("SELECT sequence_name FROM duckdb_sequences()").fetchall()}
    assert seqs == set(parquet.SEQUENCES)


def test_export_refuses_a_folder_that_is_not_empty(exported, tmp_path):
    db, _, _ = exported
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    r = csm("export", "--parquet", str(tmp_path / "full"), "--db", str(db))
    assert r.returncode == 1 and "not an empty folder" in r.stderr


def test_load_parquet_without_a_table_leaves_it_as_it_is(exported, tmp_path):
    db, out, _ = exported
    target = tmp_path / "no_events.duckdb"
    r = csm("load", "--parquet", str(out), "--without", "usage_events", "--db", str(target))
    assert r.returncode == 0, r.stderr
    assert "usage_events" not in json.loads(r.stdout)["tables"]
    s = Store(target, read_only=True)
    try:
        cur = s.cursor()
        assert cur.execute("SELECT count(*) FROM usage_events").fetchone()[0] == 0
        assert cur.execute("SELECT count(*) FROM accounts").fetchone()[0] > 0
    finally:
        s.close()
    r = csm("load", "--parquet", str(out), "--without", "nosuch", "--db", str(target))
    assert r.returncode == 1 and "no such table" in r.stderr


SECRET = "Pw-0x5EC2E7 <script>alert(1)</script> =cmd|' /C calc'!A0"


def _damage_file(bad: Path, damage: str) -> str:
    """Damage one file of the export `bad` in a way its checksum and row count do not catch
    (the manifest is updated to match), and return the file's path in the manifest."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    manifest = json.loads((bad / "manifest.json").read_text())
    entry = manifest["tables"]["accounts"]
    f = entry["files"][0]
    p = bad / f["path"]
    if damage == "text":  # text written into a .parquet file
        p.write_text(f"{SECRET}\n" * 40)
    elif damage == "truncated":  # the file cut short (the footer lost)
        p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    elif damage == "manifest":  # the manifest itself is not JSON
        (bad / "manifest.json").write_text(f"{{{SECRET}")
        return "manifest.json"
    else:  # a readable file whose dates are text the table cannot hold
        data = pq.read_table(p)
        dates = pa.array([SECRET] * data.num_rows, pa.string())
        pq.write_table(data.set_column(data.column_names.index("signup_date"), "signup_date",
                                       dates), p)
    f["sha256"] = parquet.sha256(p)
    (bad / "manifest.json").write_text(json.dumps(manifest))
    return f["path"]


@pytest.mark.parametrize(("damage", "words"), [
    ("text", "is not readable Parquet"), ("truncated", "is not readable Parquet"),
    ("wrong_type", "has values that do not fit the columns of table accounts"),
    ("manifest", "is not a readable manifest (not valid JSON at line 1"),
])
def test_a_damaged_file_is_refused_in_our_words_naming_it_never_quoting_its_contents(
        exported, other_db, tmp_path, damage, words):
    _, out, _ = exported
    bad = _copy(out, tmp_path / "bad")
    name = _damage_file(bad, damage)
    target, before, message = _refused(other_db, tmp_path, bad)
    assert name in message and words in message, message
    # neither the file's text nor the engines' (pyarrow's, DuckDB's) own messages
    for text in ("Pw-0x5EC2E7", "<script>", "calc", "Error", "magic", "footer", "Conversion",
                 "char "):
        assert text not in message, message
    assert _state(target) == before
    if damage == "wrong_type":  # and the command line says so, without a traceback
        r = csm("load", "--parquet", str(bad), "--db", str(target))
        assert r.returncode == 1, r.stderr
        assert "nothing was changed" in r.stderr and name in r.stderr, r.stderr
        assert "Traceback" not in r.stderr and "Pw-0x5EC2E7" not in r.stderr, r.stderr
        assert _state(target) == before


@pytest.mark.parametrize("path", ["../secret.parquet", "/etc/passwd", "<b>x</b>.parquet", 7])
def test_a_manifest_naming_a_file_outside_the_folder_is_refused_without_quoting_it(
        exported, other_db, tmp_path, path):
    _, out, _ = exported
    bad = _copy(out, tmp_path / "bad")
    manifest = json.loads((bad / "manifest.json").read_text())
    manifest["tables"]["accounts"]["files"][0]["path"] = path
    (bad / "manifest.json").write_text(json.dumps(manifest))
    target, before, message = _refused(other_db, tmp_path, bad)
    assert "not a file of the export folder" in message and "accounts" in message, message
    assert str(path) not in message and "secret" not in message, message
    assert _state(target) == before
