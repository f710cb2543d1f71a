"""Undo of a load, back to the exact state before it; and what a replace would remove.

A load keeps, in its own transaction, what undoing it needs (`load_snapshots`):
- a replace renames the table it replaces to `undo_l<id>_before_<table>` (no copy: the old rows
  stay where they are) and loads into a new, empty table; undoing it swaps them back;
- an append (which only inserts: rows whose id is stored already are skipped) keeps the rows it
  added in `undo_l<id>_added_<table>`; undoing it removes exactly those rows.

A load can be undone while no later load changed its table (undo those first, newest first).
The newest `CSM_UNDO_KEEP` loads of each table (20) stay undoable; older snapshots are dropped.
"""

from __future__ import annotations

import os
import re

from metrics import rollup, schema
from metrics.health import stored as health_stored
from metrics.ingest.record import utc_now
from metrics.schema import TABLES
from metrics.store import bump_data_version, transaction

KEEP = int(os.environ.get("CSM_UNDO_KEEP", "20"))
# Tables whose rows other tables refer to by id: replacing them can orphan those rows.
# (A replace of accounts replaces its custom attributes too: they are not counted as orphans.)
REFERENCED = {"accounts": ("subscriptions", "tickets", "survey_responses", "usage_events",
                           "orders")}
SAMPLE = 10


class UndoRefused(Exception):
    """The load cannot be undone now (the message says why and what to do); nothing changed."""


class ReplaceNotConfirmed(Exception):
    """A replace would remove stored rows others refer to and was not confirmed."""

    def __init__(self, impact: dict) -> None:
        super().__init__(describe_impact(impact))
        self.impact = impact


_SNAPSHOT = re.compile(r"undo_l\d+_[a-z]+_[a-z_]+")  # the only names _snapshot makes
_ROLLUP_PARTS = {"touched", "days", "months", "keys"}


def _snapshot(load_id: int, kind: str, table: str) -> str:
    return f"undo_l{int(load_id)}_{kind}_{table}"


def _kept(rows: list[tuple]) -> list[tuple]:
    """Return load_snapshots rows (..., table_name, kind, snapshot) as read, after checking the
    names they give: they go into SQL as identifiers (which cannot be bound parameters), so a
    row naming anything but a canonical table and a snapshot of ours is refused."""
    for *_, t, kind, snap in rows:
        known = (t in TABLES or t in rollup.ROLLUP_TABLES or t == "account_attributes"
                 or (t == "usage_rollups" and kind in _ROLLUP_PARTS))
        if not known or not _SNAPSHOT.fullmatch(snap):
            raise UndoRefused(f"load_snapshots names {t!r} / {snap!r}, which no load "
                              "writes: nothing was changed.")
    return rows


def set_aside(cur, load_id: int, tables: list[str], create: bool = True) -> None:
    """Inside a replace load's transaction: rename each of `tables` to its snapshot and (with
    `create`) create it anew, empty, for the load to fill. Returns nothing."""
    for t in tables:
        snap = _snapshot(load_id, "before", t)
        cur.execute(f"ALTER TABLE {t} RENAME TO {snap}")
        if create:
            cur.execute(schema.create_sql(t))
        cur.execute("INSERT INTO load_snapshots VALUES (?, ?, 'replaced', ?)", [load_id, t, snap])


def keep_added(cur, load_id: int, table: str, select_sql: str, params: dict | None = None
               ) -> None:
    """Inside an append load's transaction: keep the rows `select_sql` gives (the rows it adds
    to `table`, in the table's column order). Returns nothing."""
    snap = _snapshot(load_id, "added", table)
    cur.execute(f"CREATE TABLE {snap} AS {select_sql}", params or {})
    cur.execute("INSERT INTO load_snapshots VALUES (?, ?, 'added', ?)", [load_id, table, snap])


def keep_rollups(cur, load_id: int, table: str, mode: str, rows_table: str) -> None:
    """Inside a load of usage_events, before its rollups are refreshed: keep what undoing it
    needs to put the rollups back exactly (re-aggregating would not: sums of seconds in
    another order differ in the last bits). A replace sets the rollup tables aside; an append
    keeps the days and months it touches as they are, and the largest keys. Returns nothing;
    a no-op for other tables."""
    if table != "usage_events":
        return
    if mode == "replace":
        set_aside(cur, load_id, list(rollup.ROLLUP_TABLES), create=False)
        for ddl in rollup.DDL:
            cur.execute(ddl)
        return
    touched = _snapshot(load_id, "touched", "usage_days")
    cur.execute(f"CREATE TABLE {touched} AS SELECT DISTINCT CAST(occurred_at AS DATE) AS day "
                f"FROM {rows_table} WHERE occurred_at IS NOT NULL")
    months = (f"SELECT DISTINCT CAST(date_trunc('month', day) AS DATE) FROM {touched}")
    parts = {
        "touched": touched,
        "days": (_snapshot(load_id, "days", "usage_daily"),
                 f"SELECT * FROM usage_daily WHERE day IN (SELECT day FROM {touched})"),
        "months": (_snapshot(load_id, "months", "usage_monthly"),
                   f"SELECT * FROM usage_monthly WHERE month IN ({months})"),
        "keys": (_snapshot(load_id, "keys", "usage_keys"),
                 "SELECT (SELECT coalesce(max(account_key), 0) FROM usage_accounts) AS "
                 "account_key, (SELECT coalesce(max(user_key), 0) FROM usage_users) AS user_key"),
    }
    cur.execute("INSERT INTO load_snapshots VALUES (?, 'usage_rollups', 'touched', ?)",
                [load_id, touched])
    for kind in ("days", "months", "keys"):
        snap, sql = parts[kind]
        cur.execute(f"CREATE TABLE {snap} AS {sql}")
        cur.execute("INSERT INTO load_snapshots VALUES (?, 'usage_rollups', ?, ?)",
                    [load_id, kind, snap])


def _restore_rollups(cur, snaps: dict[str, str]) -> None:
    """Put back the rollup rows an append of usage_events changed (see keep_rollups)."""
    touched = snaps["touched"]
    cur.execute(f"DELETE FROM usage_daily WHERE day IN (SELECT day FROM {touched})")
    cur.execute(f"INSERT INTO usage_daily SELECT * FROM {snaps['days']}")
    cur.execute("DELETE FROM usage_monthly WHERE month IN (SELECT DISTINCT CAST(date_trunc("
                f"'month', day) AS DATE) FROM {touched})")
    cur.execute(f"INSERT INTO usage_monthly SELECT * FROM {snaps['months']}")
    cur.execute(f"DELETE FROM usage_users WHERE user_key > (SELECT user_key FROM "
                f"{snaps['keys']})")
    cur.execute(f"DELETE FROM usage_accounts WHERE account_key > (SELECT account_key FROM "
                f"{snaps['keys']})")


def prune(cur, table: str) -> None:
    """Drop the snapshots of loads of `table` older than its newest KEEP loads (a load that
    replaced accounts keeps account_attributes too); returns nothing."""
    old = _kept(cur.execute(
        "SELECT s.load_id, s.table_name, s.kind, s.snapshot FROM load_snapshots s JOIN loads l "
        "USING (load_id) WHERE l.table_name = ? AND s.load_id NOT IN (SELECT load_id FROM loads "
        "WHERE table_name = ? ORDER BY load_id DESC LIMIT ?)", [table, table, KEEP]).fetchall())
    for load_id, _t, _kind, snap in old:
        cur.execute(f"DROP TABLE IF EXISTS {snap}")
        cur.execute("DELETE FROM load_snapshots WHERE load_id = ? AND snapshot = ?",
                    [load_id, snap])


def replace_impact(cur, table: str, new_ids_sql: str) -> dict:
    """Return what replacing `table` by rows whose ids `new_ids_sql` selects would remove:
    {table, removed (count), stored (count), sample (ids), orphaned {table: rows}}; removed 0
    for a table no other refers to."""
    if table not in REFERENCED:
        return {"table": table, "removed": 0, "stored": 0, "sample": [], "orphaned": {}}
    key = TABLES[table].key
    cur.execute("DROP TABLE IF EXISTS _csm_removed")
    cur.execute(f"CREATE TEMP TABLE _csm_removed AS SELECT {key} AS id FROM {table} "
                f"EXCEPT SELECT * FROM ({new_ids_sql})")
    removed = cur.execute("SELECT count(*) FROM _csm_removed").fetchone()[0]
    sample = [r[0] for r in cur.execute(
        f"SELECT id FROM _csm_removed ORDER BY id LIMIT {SAMPLE}").fetchall()]
    orphaned = {}
    if removed:
        for other in REFERENCED[table]:
            n = cur.execute(f"SELECT count(*) FROM {other} WHERE account_id IN "
                            "(SELECT id FROM _csm_removed)").fetchone()[0]
            if n:
                orphaned[other] = int(n)
    stored = cur.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    cur.execute("DROP TABLE IF EXISTS _csm_removed")
    return {"table": table, "removed": int(removed), "stored": int(stored), "sample": sample,
            "orphaned": orphaned}


def describe_impact(impact: dict) -> str:
    """Return the sentence that says what a replace removes (and how to go ahead)."""
    t, n = impact["table"], impact["removed"]
    sample = ", ".join(impact["sample"]) + (", …" if n > len(impact["sample"]) else "")
    orphans = "; ".join(f"{v:,} {k}" for k, v in impact["orphaned"].items())
    return (f"Replacing {t} would remove {n:,} of its {impact['stored']:,} rows ({sample})"
            + (f" and leave rows pointing at them without one: {orphans}" if orphans else "")
            + ". Nothing was changed. To go ahead, confirm the replace (csm load "
            "--confirm-replace; on the Data page, the confirmation box), or load with "
            "--mode append to add and keep what is stored.")


def undoable(cur) -> dict[int, str]:
    """Return {load_id: why not} for loads that cannot be undone now; a load absent from it
    can be (used by the Past loads table)."""
    out: dict[int, str] = {}
    rows = cur.execute(
        "SELECT load_id, table_name, outcome, EXISTS (SELECT 1 FROM load_snapshots s WHERE "
        "s.load_id = l.load_id) FROM loads l ORDER BY load_id DESC").fetchall()
    newest: dict[str, int] = {}
    for load_id, table, outcome, kept in rows:
        if outcome not in ("loaded", "loaded_with_rejects"):
            out[load_id] = "undone" if outcome == "undone" else "changed nothing"
        elif table in newest:
            out[load_id] = f"undo load {newest[table]} first"
        elif not kept:
            out[load_id] = "nothing kept to undo it"
        if outcome in ("loaded", "loaded_with_rejects"):
            newest.setdefault(table, load_id)
    return out


def _remove_added(cur, table: str, snap: str) -> None:
    """Remove from `table` exactly the rows kept in `snap` (one stored row per kept row)."""
    key = TABLES[table].key if table in TABLES else None
    if key and not cur.execute(f"SELECT count(*) FROM {snap} WHERE {key} IS NULL").fetchone()[0]:
        # The append skipped ids already stored, so the ids it added are its rows.
        cur.execute(f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {snap})")
        return
    cur.execute("DROP TABLE IF EXISTS _csm_keep")
    cur.execute(f"CREATE TEMP TABLE _csm_keep AS SELECT * FROM {table} "
                f"EXCEPT ALL SELECT * FROM {snap}")
    cur.execute(f"DELETE FROM {table}")
    cur.execute(f"INSERT INTO {table} SELECT * FROM _csm_keep")
    cur.execute("DROP TABLE _csm_keep")


def undo(cur, load_id: int, who: str) -> dict:
    """Put the load's table back as it was before load `load_id`, in one transaction; mark the
    load undone and record it in the audit trail. Returns {load_id, table, mode, rows_before,
    rows_after, message}. Raises UndoRefused (nothing changed) when it cannot be undone."""
    from metrics import audit

    row = cur.execute("SELECT table_name, mode, outcome, file_name, undone_at, undone_by "
                      "FROM loads WHERE load_id = ?", [load_id]).fetchone()
    if row is None:
        raise UndoRefused(f"There is no load {load_id}.")
    table, mode, outcome, file_name, undone_at, undone_by = row
    if outcome == "undone":
        raise UndoRefused(f"Load {load_id} was undone already ({undone_at:%Y-%m-%d %H:%M} UTC "
                          f"by {undone_by}).")
    if outcome not in ("loaded", "loaded_with_rejects"):
        raise UndoRefused(f"Load {load_id} was {outcome}: it changed nothing, so there is "
                          "nothing to undo.")
    later = [r[0] for r in cur.execute(
        "SELECT load_id FROM loads WHERE table_name = ? AND load_id > ? AND outcome IN "
        "('loaded', 'loaded_with_rejects') ORDER BY load_id DESC", [table, load_id]).fetchall()]
    if later:
        raise UndoRefused(f"Later loads changed {table} after load {load_id}: undo "
                          f"{', '.join(map(str, later))} first (newest first).")
    edited = cur.execute(
        "SELECT happened_at, who, action FROM audit WHERE subject = ? "
        "AND action NOT IN ('load', 'undo') "
        "AND happened_at >= (SELECT finished_at FROM loads WHERE load_id = ?) "
        "ORDER BY happened_at DESC LIMIT 1",
        [table, load_id]).fetchone()
    if edited:
        raise UndoRefused(f"{table} was changed after load {load_id} ({edited[2]} by "
                          f"{edited[1]} at {edited[0]:%Y-%m-%d %H:%M} UTC); undoing the load "
                          "would lose that change. Nothing was changed.")
    snaps = _kept(cur.execute("SELECT table_name, kind, snapshot FROM load_snapshots "
                              "WHERE load_id = ?", [load_id]).fetchall())
    if not snaps:
        raise UndoRefused(f"Load {load_id} kept nothing to undo it: it was made by csm demo, "
                          f"before undo existed, or is older than the newest {KEEP} loads of "
                          f"{table} (CSM_UNDO_KEEP).")
    before = cur.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    rollup_parts = {kind: snap for t, kind, snap in snaps if t == "usage_rollups"}
    with transaction(cur):
        for t, kind, snap in snaps:
            if kind == "replaced":
                cur.execute(f"DROP TABLE {t}")
                cur.execute(f"ALTER TABLE {snap} RENAME TO {t}")
            elif kind == "added":
                _remove_added(cur, t, snap)
                cur.execute(f"DROP TABLE {snap}")
        if rollup_parts:
            _restore_rollups(cur, rollup_parts)
            for snap in rollup_parts.values():
                cur.execute(f"DROP TABLE {snap}")
        elif table == "usage_events" and not any(k == "replaced" for _, k, _ in snaps):
            rollup.refresh(cur)  # nothing kept of the rollups: rebuilt from what is stored
        cur.execute("DELETE FROM load_snapshots WHERE load_id = ?", [load_id])
        bump_data_version(cur)
        health_stored.refresh(cur)  # the stored health scores of the data as it is again
        now = utc_now()
        cur.execute("UPDATE loads SET outcome = 'undone', undone_at = ?, undone_by = ? "
                    "WHERE load_id = ?", [now, who, load_id])
        after = cur.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        message = (f"Undid load {load_id} ({mode} of {file_name} into {table}): {table} has "
                   f"{after:,} rows again (it had {before:,}).")
        audit.record(cur, who, "undo", table, f"load {load_id}: {message}")
    try:
        cur.execute("CHECKPOINT")
    except Exception:  # noqa: BLE001 - committed; DuckDB checkpoints later
        pass
    return {"load_id": load_id, "table": table, "mode": mode, "rows_before": int(before),
            "rows_after": int(after), "message": message}
