"""Parquet as the exchange format with other engines (Spark: metrics/engines/spark.py).

`export(cur, DIR)` writes every table of the database — the canonical ones and the app's own
(targets, alert rules and history, loads, audit, custom attributes, …), found by listing the
database, so a table added by a later migration is exported too — one folder per table,
`usage_events` partitioned by month (`usage_events/month=2026-01/part-0.parquet`), and
`manifest.json`: schema version, and per table its columns, rows and files with their rows and
sha256. The usage rollups are left out: they are derived from usage_events and rebuilt at load.

`load(cur, DIR)` reads such a folder back in one transaction: it checks the manifest and every
file (present, sha256, rows, columns the database knows) before writing anything, replaces each
table the manifest lists, rebuilds the rollups when usage_events was among them, and records
the load. A damaged or mismatching file is refused with the reason and changes nothing.

`load_rollups(cur, DIR)` loads the usage rollups computed elsewhere (`csm rollup --engine
spark`) in place of the local ones, and records where and when they were computed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from metrics import rollup, schema

MANIFEST = "manifest.json"
FORMAT = "csm-parquet"
ROLLUP_FORMAT = "csm-rollups"
PARTITIONED = {"usage_events": ("month", "occurred_at")}
# Kept by the database itself, never replaced by a load (the version is checked instead).
NOT_LOADED = ("schema_migrations", "data_version")
# Sequences giving the ids of the app's tables: advanced past the loaded ids so the next load,
# rule or audit event does not reuse one (tests/unit/test_parquet.py checks every sequence is
# listed).
SEQUENCES = {"load_id_seq": ("loads", "load_id"), "alert_rule_seq": ("alert_rules", "rule_id"),
             "alert_event_seq": ("alert_history", "event_id"), "audit_seq": ("audit", "event_id"),
             "task_seq": ("tasks", "task_id"), "note_seq": ("notes", "note_id"),
             "play_seq": ("risk_plays", "play_id")}
# Derived tables: rebuilt from the others (the usage rollups at load; the stored health scores
# are recomputed at the next load and never read while stale), so not exported.
DERIVED = (*rollup.ROLLUP_TABLES, "health_scores")

Progress = Callable[[str], None]


class ParquetRefused(ValueError):
    """The folder cannot be loaded; the message says why. Nothing was changed."""


# A name from a manifest or a Parquet file is shown in a message only when it looks like one
# (tables, columns and the files the export writes): never text of another kind.
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.=/-]{0,199}")


def _shown(name: object) -> str:
    """Return `name` as a message may quote it: itself when it is a plain name, else words."""
    if isinstance(name, str) and _NAME.fullmatch(name) and ".." not in name:
        return name
    return "(a name that is not shown: not a plain name)"


def _count(value: object) -> str:
    """Return a count from a manifest as a message may quote it (a whole number, else words)."""
    return str(value) if isinstance(value, int) else "an unreadable count"


def _now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def sha256(path: Path) -> str:
    """Return the hex sha256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def table_names(cur) -> list[str]:
    """Return the database's tables to export: every base table but the derived ones (the
    usage rollups, the stored health scores)."""
    rows = cur.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_type = 'BASE TABLE' ORDER BY table_name").fetchall()
    return [r[0] for r in rows if r[0] not in DERIVED]


def _columns(cur, table: str) -> list[dict]:
    rows = cur.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
        [table]).fetchall()
    return [{"name": n, "type": t} for n, t in rows]


def _write(cur, sql: str, params: list, path: Path) -> dict:
    import pyarrow.parquet as pq

    data = cur.sql(sql, params=params or None).to_arrow_table()
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(data, path, compression="zstd")
    return {"rows": data.num_rows}


def export(cur, out: Path, progress: Progress | None = None, source: str = "") -> dict:
    """Write every table to `out` (a new or empty folder) with its manifest; return the
    manifest. The folder is written under a temporary name beside it and renamed at the end,
    so a failed export leaves no half folder."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ParquetRefused(f"{out} exists and is not an empty folder; name a new one")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        manifest: dict[str, Any] = {"format": FORMAT, "format_version": 1,
                    "schema_version": schema.current_version(cur), "exported_at": _now(),
                    "source": source, "tables": {}}
        for t in table_names(cur):
            if progress:
                progress(f"exporting {t}")
            entry: dict = {"columns": _columns(cur, t), "partition": None, "files": []}
            if t in PARTITIONED:
                part, col = PARTITIONED[t]
                entry["partition"] = part
                months = [r[0] for r in cur.execute(
                    f"SELECT DISTINCT strftime(date_trunc('month', {col}), '%Y-%m') AS m "
                    f"FROM {t} ORDER BY m NULLS LAST").fetchall()]
                for m in months:
                    rel = f"{t}/{part}={m or 'none'}/part-0.parquet"
                    where = (f"strftime(date_trunc('month', {col}), '%Y-%m') = ?" if m
                             else f"{col} IS NULL")
                    info = _write(cur, f"SELECT * FROM {t} WHERE {where}",
                                  [m] if m else [], tmp / rel)
                    entry["files"].append({"path": rel, **info, "sha256": sha256(tmp / rel)})
            if not entry["files"]:  # unpartitioned, or partitioned and empty: one file
                rel = f"{t}/part-0.parquet"
                info = _write(cur, f"SELECT * FROM {t}", [], tmp / rel)
                entry["files"].append({"path": rel, **info, "sha256": sha256(tmp / rel)})
            entry["rows"] = sum(f["rows"] for f in entry["files"])
            manifest["tables"][t] = entry
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def read_manifest(folder: Path, fmt: str = FORMAT) -> dict:
    """Return the manifest of an export folder; ParquetRefused saying why it is unusable."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise ParquetRefused(f"{folder} has no {MANIFEST}: not a folder written by "
                             f"`csm export --parquet` or `csm rollup`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        raise ParquetRefused(f"{path} is not a readable manifest (not UTF-8 text)") from e
    except json.JSONDecodeError as e:
        raise ParquetRefused(f"{path} is not a readable manifest (not valid JSON at line "
                             f"{e.lineno}, column {e.colno})") from e
    if not isinstance(manifest, dict) or manifest.get("format") != fmt:
        raise ParquetRefused(f"{path} is not a {fmt} manifest (written by another program, or "
                             f"damaged)")
    if not isinstance(manifest.get("tables"), dict):
        raise ParquetRefused(f"{path} lists no tables")
    return manifest


def _checked_tables(cur, folder: Path, manifest: dict) -> dict:
    """Return {table: [arrow tables of its files]} after checking every file against the
    manifest and the database; ParquetRefused on the first mismatch."""
    import pyarrow.parquet as pq

    ours = set(schema.MIGRATIONS)
    version = manifest.get("schema_version")
    if not isinstance(version, int):
        raise ParquetRefused(f"the manifest has no readable schema version (this program knows "
                             f"up to {max(ours)})")
    if version > max(ours):
        raise ParquetRefused(f"the export has schema version {version}; this program knows up "
                             f"to {max(ours)}: upgrade the program")
    out = {}
    for t, entry in manifest["tables"].items():
        if t in NOT_LOADED:
            continue
        known = {c["name"] for c in _columns(cur, t)} if _shown(t) == t else set()
        if not known:
            raise ParquetRefused(f"the export has a table {_shown(t)} this database does not "
                                 f"have")
        if not isinstance(entry, dict) or not isinstance(entry.get("files", []), list):
            raise ParquetRefused(f"the manifest's entry of table {t} is not a list of files")
        datas = []
        for f in entry.get("files", []):
            rel = f.get("path") if isinstance(f, dict) else None
            if _shown(rel) != rel or Path(str(rel)).is_absolute():
                raise ParquetRefused(f"the manifest lists a file of table {t} by a name that is "
                                     f"not a file of the export folder")
            path = folder / str(rel)
            if not path.is_file():
                raise ParquetRefused(f"{rel} is missing from {folder}")
            if sha256(path) != f.get("sha256"):
                raise ParquetRefused(f"{rel} does not match its checksum in the manifest "
                                     f"(damaged or changed since the export)")
            try:
                data = pq.read_table(path)
            except Exception as e:  # noqa: BLE001 (pyarrow's errors have several kinds)
                # pyarrow's text may quote the file's bytes: our words only
                raise ParquetRefused(f"{rel} is not readable Parquet (damaged, cut short or "
                                     f"not a Parquet file)") from e
            if data.num_rows != f.get("rows"):
                raise ParquetRefused(f"{rel} has {data.num_rows} rows, the manifest says "
                                     f"{_count(f.get('rows'))}")
            extra = set(data.column_names) - known
            if extra:
                raise ParquetRefused(f"{rel} has columns {sorted(map(_shown, extra))} that "
                                     f"table {t} does not have")
            datas.append((rel, data))
        if sum(d.num_rows for _, d in datas) != entry.get("rows"):
            raise ParquetRefused(f"table {t}: its files hold other than the "
                                 f"{_count(entry.get('rows'))} rows the manifest says")
        out[t] = datas
    return out


def _replace(cur, table: str, datas: list) -> None:
    """Replace the rows of `table` with those of `datas` ([(file, arrow table)]);
    ParquetRefused naming the file whose values do not fit the table's columns."""
    import duckdb

    cur.execute(f"DELETE FROM {table}")
    for i, (rel, data) in enumerate(datas):
        name = f"_parquet_{i}"
        cur.register(name, data)
        try:
            cur.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {name}")
        except duckdb.Error as e:
            with contextlib.suppress(duckdb.Error):  # the aborted transaction may refuse it
                cur.unregister(name)
            # DuckDB's text quotes values of the file: our words only
            raise ParquetRefused(f"{rel} has values that do not fit the columns of table "
                                 f"{table} (a column of another type, or a value out of "
                                 f"range)") from e
        except BaseException:
            cur.unregister(name)
            raise
        cur.unregister(name)


def _advance_sequences(cur) -> None:
    for seq, (table, col) in SEQUENCES.items():
        top = cur.execute(f"SELECT coalesce(max({col}), 0) FROM {table}").fetchone()[0]
        if top:
            cur.execute(f"SELECT max(nextval('{seq}')) FROM range({int(top)})")


def _record(cur, table: str, folder: Path, rows: int, message: str, who: str | None) -> int:
    from metrics import audit
    from metrics.ingest.record import LoadResult, _whoami, record_load
    from metrics.store import bump_data_version

    res = LoadResult(table=table, file=str(folder), sha256=sha256(folder / MANIFEST),
                     mode="replace", rows_in_file=rows, rows_loaded=rows, outcome="loaded",
                     message=message)
    bump_data_version(cur)
    record_load(cur, res, None, who, in_tx=True)
    audit.record(cur, who or _whoami(), "load", table, message)
    assert res.load_id is not None
    return res.load_id


def load(cur, folder: Path, progress: Progress | None = None, who: str | None = None,
         without: tuple[str, ...] | list[str] = ()) -> dict:
    """Replace every table an export lists (but those `without` names) with its rows, in one
    transaction; return a summary (tables and rows, load_id). ParquetRefused, with nothing
    changed, when a file is missing, damaged or does not fit the database."""
    from metrics.store import transaction

    folder = Path(folder)
    manifest = read_manifest(folder)
    unknown = [t for t in without if t not in manifest["tables"]]
    if unknown:
        raise ParquetRefused(f"--without {', '.join(unknown)}: the export has no such table")
    manifest["tables"] = {t: e for t, e in manifest["tables"].items() if t not in without}
    checked = _checked_tables(cur, folder, manifest)
    rows = {t: sum(d.num_rows for _, d in ds) for t, ds in checked.items()}
    with transaction(cur):
        for t, datas in checked.items():
            if progress:
                progress(f"loading {t} ({rows[t]:,} rows)")
            _replace(cur, t, datas)
        if "usage_events" in checked:
            if progress:
                progress("rebuilding the usage rollups")
            rollup.refresh(cur)
        _advance_sequences(cur)
        made = str(manifest.get("exported_at", "?")).replace("T", " ")
        message = (f"Loaded {len(checked)} tables ({sum(rows.values()):,} rows) from a "
                   f"Parquet export made {made} UTC")
        load_id = _record(cur, "parquet", folder, sum(rows.values()), message, who)
    return {"load_id": load_id, "tables": rows, "message": message,
            "schema_version": manifest.get("schema_version")}


def write_manifest_text(manifest: dict) -> str:
    """Return a manifest as the JSON text written beside the tables."""
    return json.dumps(manifest, indent=1)


def load_rollups(cur, folder: Path, progress: Progress | None = None,
                 who: str | None = None) -> dict:
    """Replace the usage rollups with those of a `csm rollup` folder in one transaction; return
    a summary (rows per table, where and when they were computed, load_id). ParquetRefused,
    nothing changed, when a table is missing, incomplete or does not fit."""
    import pyarrow.parquet as pq

    from metrics.store import transaction

    folder = Path(folder)
    manifest = read_manifest(folder, ROLLUP_FORMAT)
    missing = [t for t in rollup.ROLLUP_TABLES if t not in manifest["tables"]]
    if missing:
        raise ParquetRefused(f"{folder} lacks the rollup tables {missing}")
    datas = {}
    for t in rollup.ROLLUP_TABLES:
        path = folder / t
        if not (path / "_SUCCESS").is_file():
            raise ParquetRefused(f"{path} is incomplete (no _SUCCESS: the job that wrote it "
                                 f"did not finish)")
        try:
            data = pq.read_table(path)
        except Exception as e:  # noqa: BLE001
            raise ParquetRefused(f"{path} is not readable Parquet (damaged, cut short or not "
                                 f"Parquet files)") from e
        entry = manifest["tables"][t]
        want = entry.get("rows") if isinstance(entry, dict) else None
        if data.num_rows != want:
            raise ParquetRefused(f"{path} has {data.num_rows} rows, the manifest says "
                                 f"{_count(want)}")
        known = {c["name"] for c in _columns(cur, t)}
        if set(data.column_names) != known:
            raise ParquetRefused(f"{path} has columns {sorted(map(_shown, data.column_names))}; "
                                 f"table {t} has {sorted(known)}")
        datas[t] = data
    at = str(manifest.get("computed_at", "?")).replace("T", " ")
    origin = (f"computed on {manifest.get('engine', '?')} (master {manifest.get('master', '?')}) "
              f"from {manifest.get('source', '?')} at {at} UTC")
    with transaction(cur):
        for t, data in datas.items():
            if progress:
                progress(f"loading {t} ({data.num_rows:,} rows)")
            _replace(cur, t, [(str(folder / t), data)])
        rows = {t: d.num_rows for t, d in datas.items()}
        message = f"Rollups {origin}"
        load_id = _record(cur, "rollups", folder, sum(rows.values()), message, who)
    return {"load_id": load_id, "tables": rows, "message": message, "origin": origin,
            "computed_at": manifest.get("computed_at"), "engine": manifest.get("engine"),
            "source": manifest.get("source")}
