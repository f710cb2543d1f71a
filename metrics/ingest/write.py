"""Writing a load, all or nothing: the one-pass path for clean replace loads (`_load_clean`),
the staged path (`_write`), and the end both share (`_commit_load`)."""

from __future__ import annotations

import threading

import duckdb

from metrics import audit, rollup
from metrics.ingest import undo
from metrics.ingest.plan import _params, _Plan, _typed_sql
from metrics.ingest.record import LoadResult, finish_load
from metrics.ingest.validate import null_marker_sql
from metrics.schema import TABLES
from metrics.store import transaction

_write_lock = threading.Lock()

_ROW_PROBLEM = "csm: a row has a problem"


class _NotClean(Exception):
    """The one-pass attempt met a row with a problem: roll it back and stage the file."""


def _clean_path_applies(plan: _Plan, mode: str) -> bool:
    """True when a load needs nothing from the staged rows but their validity: replace mode, no
    id to de-duplicate or generate, no custom attributes (usage_events, the large table)."""
    spec = TABLES[plan.table]
    return (mode == "replace" and not spec.key_generated and not plan.extra
            and not spec.keeps_custom_attributes and not (spec.key and spec.key in plan.mapping))


def _load_clean(cur, plan: _Plan, res: LoadResult, date_format, csat_scale, progress, who: tuple,
                same_file_check) -> bool:
    """Load a file in one pass when every row is valid: read, cast, check and insert straight into
    the table, in the load's transaction. Returns False, having changed nothing (rolled back),
    when any row has a problem or the pass fails for any reason: the caller then takes the full
    path, which stages the rows and reports every problem (so a file with problems costs one
    extra, aborted read; a clean file is read and stored once instead of staged then copied)."""
    t = plan.table
    cols = ", ".join(TABLES[t].column_names)
    sql = _typed_sql(plan, bool(date_format))
    # error() aborts the statement at the first row with a problem (or any structural problem
    # counted below): nothing of this attempt survives the ROLLBACK.
    insert = (f"INSERT INTO {t} ({cols}) SELECT {cols} FROM ({sql}) "
              f"WHERE CASE WHEN _err IS NULL THEN TRUE ELSE error('{_ROW_PROBLEM}') END")
    with _write_lock:
        cur.execute("DROP TABLE IF EXISTS csm_rejects")
        try:
            with transaction(cur):
                res.load_id = int(cur.execute("SELECT nextval('load_id_seq')").fetchone()[0])
                # The stored rows are set aside (renamed, not copied) for undo.
                undo.set_aside(cur, res.load_id, [t])
                try:
                    n = cur.execute(insert, _params(date_format, csat_scale, sql, plan)
                                    ).fetchone()[0]
                    structural = cur.execute("SELECT count(*) FROM csm_rejects").fetchone()[0]
                except duckdb.Error as e:
                    raise _NotClean from e
                if structural:
                    raise _NotClean
                same_file_check()
                progress(0.6, "writing")
                res.rows_in_file = res.rows_loaded = int(n)
                _commit_load(cur, res, t, t, who, clean=True)
        except BaseException as e:
            # Rolled back: the result must not claim rows or a load id of this attempt.
            res.load_id = None
            res.rows_in_file = res.rows_loaded = 0
            if isinstance(e, _NotClean):
                return False
            raise
    _checkpoint(cur)
    return True


def _checkpoint(cur) -> None:
    """CHECKPOINT after a committed load, so the WAL does not grow; returns nothing."""
    try:
        cur.execute("CHECKPOINT")
    except duckdb.Error:
        # Committed already; another session's open write transaction blocks the checkpoint,
        # and DuckDB checkpoints (or replays the WAL) later. The load still succeeded.
        pass


def _summary(res: LoadResult) -> str:
    """Return the one-line message of a successful load."""
    t = res.table
    return (
        f"Loaded {res.rows_loaded} of {res.rows_in_file} rows into {t}"
        + (f"; {res.rows_rejected} rejected" if res.rows_rejected else "")
        + (f"; {res.rows_skipped_duplicate} skipped as duplicates"
           if res.rows_skipped_duplicate else "")
        + (f"; {res.orphans} account ids not in accounts (orphans)" if res.orphans else "")
        + "."
    )


def _write(cur, plan: _Plan, res: LoadResult, has_errors: bool, who: tuple) -> None:
    """Write the valid staged rows in one transaction, record the load, then CHECKPOINT."""
    with _write_lock:
        try:
            with transaction(cur):
                _write_rows(cur, plan, res, has_errors)
                _commit_load(cur, res, plan.table, "typed", who)
        except BaseException:
            res.load_id = None  # rolled back: no load of that id exists
            raise
    _checkpoint(cur)


def _write_rows(cur, plan: _Plan, res: LoadResult, has_errors: bool) -> None:
    """Inside the load's transaction, move the valid rows of `typed` into the table (and the
    custom attributes); set the load id, skipped duplicates and rows loaded on `res`."""
    t = plan.table
    spec = TABLES[t]
    cols = spec.column_names
    valid = "_err IS NULL AND NOT _dupfile" if has_errors else "TRUE"
    res.load_id = int(cur.execute("SELECT nextval('load_id_seq')").fetchone()[0])
    if spec.key_generated:
        # A row without an id gets one that can never collide: load id + row number.
        cur.execute(
            f"UPDATE typed SET {spec.key} = 'L' || $lid || '-' || (rowid + 1) "
            f"WHERE {spec.key} IS NULL",
            {"lid": res.load_id},
        )
    if res.mode == "replace":
        if t in undo.REFERENCED:
            impact = undo.replace_impact(
                cur, t, f"SELECT {spec.key} FROM typed WHERE {valid} AND {spec.key} IS NOT NULL")
            res.replace_removes = impact
            if impact["removed"] and not plan.confirm_replace:
                raise undo.ReplaceNotConfirmed(impact)
        # The stored rows are set aside (renamed, not copied) so that the load can be undone.
        undo.set_aside(cur, res.load_id, [t] + (["account_attributes"]
                                                if spec.keeps_custom_attributes else []))
        dup = "FALSE"
    elif spec.key:
        dup = f"EXISTS (SELECT 1 FROM {t} x WHERE x.{spec.key} = typed.{spec.key})"
    else:
        dup = "FALSE"
    if dup != "FALSE":
        # Rows whose id is already stored are skipped (and counted), not loaded twice.
        cur.execute(f"UPDATE typed SET _dup = {dup} WHERE {valid}")
        res.rows_skipped_duplicate = cur.execute(
            "SELECT count(*) FROM typed WHERE _dup").fetchone()[0]
    keep = f"{valid} AND NOT _dup"
    sel = f"SELECT {', '.join(cols)} FROM typed WHERE {keep}"
    cur.execute(f"INSERT INTO {t} ({', '.join(cols)}) {sel}")
    res.rows_loaded = res.rows_in_file - res.rows_rejected - res.rows_skipped_duplicate
    if res.mode == "append":  # kept so that undo removes exactly these rows
        undo.keep_added(cur, res.load_id, t, sel)
    if plan.extra:
        # One pass for every attribute (a UNION ALL of one SELECT per column cost seconds per
        # hundred columns, growing with the square): the values and their column numbers are
        # unnested side by side, the headers bound as one list.
        vals = ", ".join(f"_x_{stage_col}" for stage_col, _h in plan.extra)
        attrs = (f"SELECT account_id, $attr_names[i] AS attribute, CASE WHEN "
                 f"{null_marker_sql('v')} THEN NULL ELSE NULLIF(trim(v), '') END AS value "
                 f"FROM (SELECT account_id, unnest([{vals}]) AS v, "
                 f"unnest(range(1, {len(plan.extra) + 1})) AS i FROM typed WHERE {keep})")
        params = {"attr_names": [h for _c, h in plan.extra]}
        cur.execute(f"INSERT INTO account_attributes {attrs}", params)
        if res.mode == "append":
            undo.keep_added(cur, res.load_id, "account_attributes", attrs, params)


def _commit_load(cur, res: LoadResult, t: str, rows_table: str, who: tuple,
                 clean: bool = False) -> None:
    """Finish a load inside its transaction: report orphans, then the shared end of every load
    (`finish_load`: rollups refreshed from `rows_table`, the load's rows; data version; record).
    The caller's `transaction(cur)` commits."""
    _orphans(cur, res, t, clean=clean)
    res.outcome = "loaded_with_rejects" if res.rows_rejected else "loaded"
    res.message = _summary(res)
    assert res.load_id is not None  # set by the caller before the rows were written
    undo.keep_rollups(cur, res.load_id, t, res.mode, rows_table)
    finish_load(cur, res, who[0], who[1],
                lambda c: rollup.refresh_after_load(c, t, res.mode, rows_table))
    undo.prune(cur, t)
    audit.record(cur, who[1], "load", t, f"load {res.load_id}: {res.mode} {res.file}: "
                 f"{res.message}")


def _orphans(cur, res: LoadResult, t: str, clean: bool = False) -> None:
    """Set the load's orphans (account ids it brings that accounts lacks) on `res`."""
    if t in ("accounts", "targets"):
        return
    # Only this load's rows: the ids it brings that accounts does not have. After a clean
    # replace load, the table holds exactly this load's rows.
    rows = (f"{t} WHERE account_id IS NOT NULL" if clean else
            "typed WHERE account_id IS NOT NULL AND _err IS NULL AND NOT _dupfile AND NOT _dup")
    ids = cur.execute(
        f"SELECT account_id FROM (SELECT DISTINCT account_id FROM {rows}) x "
        "WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.account_id = x.account_id) "
        "ORDER BY 1"
    ).fetchall()
    res.orphans = len(ids)
    res.orphan_account_ids = [r[0] for r in ids[:100]]
