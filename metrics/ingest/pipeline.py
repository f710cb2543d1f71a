"""The import pipeline: read -> map -> cast/validate -> write in one transaction -> record.

A load is all-or-nothing. `rows_in_file = rows_loaded + rows_rejected + rows_skipped_duplicate`
holds for every outcome; a refused or rejected load writes nothing but its row in `loads`.
"""

from __future__ import annotations

import getpass
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from metrics import rollup
from metrics.ingest import read
from metrics.ingest.errors import LoadRefused
from metrics.ingest.mapping import apply_user_mapping, propose_mapping
from metrics.ingest.validate import ROW_RULES, _q, column_plan
from metrics.schema import TABLES
from metrics.store import Store, bump_data_version

MAX_REJECTS_REPORTED = 10_000
Progress = Callable[[float, str], None]

_STRUCTURAL = {
    "MISSING COLUMNS": "too few columns: expected {n} columns",
    "TOO MANY COLUMNS": "too many columns: expected {n} columns",
    "UNQUOTED VALUE": "unbalanced quote: a quote is not closed or a value after a quote is "
    "not separated",
    "UNTERMINATED QUOTE": "unbalanced quote: a quoted value is never closed",
    "INVALID ENCODING": "invalid UTF-8 (wrong encoding)",
    "LINE SIZE OVER MAXIMUM": "line too long",
    "INVALID STATE": "malformed CSV line",
}


@dataclass
class LoadResult:
    table: str
    file: str
    sha256: str | None = None
    mode: str | None = None
    rows_in_file: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_skipped_duplicate: int = 0
    rows_with_problems: int = 0  # rows listed in the report (all rows are rejected on rejection)
    orphans: int = 0
    load_id: int | None = None
    outcome: str = "refused"
    rejects: list[dict] = field(default_factory=list)
    message: str = ""
    orphan_account_ids: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    custom_attributes: list[str] = field(default_factory=list)
    rejects_truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.outcome in ("loaded", "loaded_with_rejects")

    def to_dict(self) -> dict:
        """Return the JSON summary of DATA.md (plus message, mapping and orphan ids)."""
        return asdict(self)

    def rejects_frame(self) -> pd.DataFrame:
        """Return the row-level report as a frame (line, column, value, reason)."""
        return pd.DataFrame(self.rejects, columns=["line", "column", "value", "reason"])


@dataclass
class _Plan:
    table: str
    src: read.SourceFile
    mapping: dict[str, str]  # canonical -> header
    extra: list[tuple[str, str]]  # (stage column, header) kept as custom attributes
    monthly: bool = False


def _noop(_f: float, _m: str) -> None:
    pass


def _prepare(
    table: str, path: Path, mapping: dict | None, delimiter: str | None, max_bytes: int | None,
    work_dir: Path,
) -> _Plan:
    if table not in TABLES:
        raise KeyError(f"unknown table {table!r}; choose one of {', '.join(TABLES)}")
    src = read.open_source(path, delimiter=delimiter, max_bytes=max_bytes, work_dir=work_dir)
    try:
        headers = src.headers
        seen: dict[str, str] = {}
        for h in headers:
            k = h.strip().lower()
            if k in seen:
                raise LoadRefused(
                    f"{path.name}: duplicate column {h!r} in the header; rename one of them."
                )
            if not k:
                if len(headers) == 1:
                    raise LoadRefused(f"{path.name}: the header line is empty.")
            seen[k] = h
        try:
            final = apply_user_mapping(table, headers, propose_mapping(table, headers), mapping)
        except ValueError as e:
            raise LoadRefused(str(e)) from e
        spec = TABLES[table]
        monthly = table == "subscriptions" and "start_date" not in final and "month" in final
        required = [c for c in spec.required if not (monthly and c == "start_date")]
        missing = [c for c in required if c not in final]
        if missing:
            hint = ""
            if len(headers) == 1:
                hint = (" The header has a single column: is the delimiter right? "
                        "(, ; tab and | are detected)")
            raise LoadRefused(
                f"{path.name}: missing required column(s) {', '.join(missing)} for table "
                f"{table}. Found: {', '.join(headers)}. Map them with --map "
                f"target=source.{hint}"
            )
        if not monthly:
            final.pop("month", None)
        used = set(final.values())
        extra = []
        if spec.keeps_custom_attributes:
            extra = [(f"c{i}", h) for i, h in enumerate(headers) if h not in used and h]
        return _Plan(table, src, final, extra, monthly)
    except BaseException:
        src.cleanup()
        raise


def _read_csv_sql(plan: _Plan, limit: int | None = None) -> str:
    n = len(plan.src.headers)
    cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n)) + "}"
    sql = (
        "SELECT * FROM read_csv($path, header = true, auto_detect = false, "
        f"columns = {cols}, delim = $delim, quote = '\"', escape = '\"', "
        "strict_mode = true, store_rejects = true, rejects_table = 'csm_rejects', "
        "rejects_scan = 'csm_reject_scans', max_line_size = 10000000)"
    )
    return sql + (f" LIMIT {int(limit)}" if limit else "")


def _typed_sql(plan: _Plan, has_format: bool, limit: int | None = None) -> str:
    """Return SQL reading the file and selecting the typed canonical columns, extra raw columns
    and `_err`, a list of {c: column, r: reason, v: raw value} for every problem of the row.

    One pass over the file, no untyped staging copy: rows keep the file's order, so the rowid
    of the table this fills is the record's ordinal."""
    t = plan.table
    stage_col = {h: f"c{i}" for i, h in enumerate(plan.src.headers)}
    inner, errs, outer = [], [], []
    for col in TABLES[t].column_names:
        raw = stage_col[plan.mapping[col]] if col in plan.mapping else None
        if plan.monthly and col in ("start_date", "end_date"):
            raw = None
        cp = column_plan(t, col, raw, has_format)
        if plan.monthly and col == "start_date":
            m = f"NULLIF(trim({stage_col[plan.mapping['month']]}), '')"
            cp.raw = m
            cp.value = (
                f"CAST(date_trunc('month', COALESCE(TRY_CAST({m} || '-01' AS DATE), "
                f"TRY_CAST({m} AS DATE))) AS DATE)"
            )
            cp.checks = [(f"{m} IS NULL", _q("required value is empty (month)")),
                         (f"{cp.value} IS NULL", _q("unparseable month (use 2024-03)"))]
        elif plan.monthly and col == "end_date":
            cp.value = "CAST(NULL AS DATE)"
        value = _adjust(t, col, cp.value, plan)
        inner.append(f"{value} AS {col}")
        inner.append(f"{cp.raw} AS _raw_{col}")
        for cond, reason in cp.checks:
            errs.append(
                f"CASE WHEN {cond} THEN {{'c': {_q(col)}, 'r': {reason}, 'v': {cp.raw}}} END"
            )
    for extra_col, _h in plan.extra:
        inner.append(f"{extra_col} AS _x_{extra_col}")
    rules = []
    for col, cond, reason in ROW_RULES.get(t, []):
        rules.append(
            f"CASE WHEN {cond} THEN {{'c': {_q(col)}, 'r': {reason}, "
            f"'v': CAST(_raw_{col} AS VARCHAR)}} END"
        )
    cols = TABLES[t].column_names
    outer += [_post(t, c, plan) for c in cols]
    outer += [f"_x_{c}" for c, _h in plan.extra]
    # Column-level problems are computed inside (on raw text); row rules outside, on typed values.
    inner.append(f"list_filter([{', '.join(errs) or 'NULL'}], lambda x: x IS NOT NULL) AS _e1")
    # NULL when the row has no problem: an empty list per row costs memory on 10M rows.
    outer.append(
        f"nullif(list_concat(_e1, list_filter([{', '.join(rules) or 'NULL'}], "
        "lambda x: x IS NOT NULL)), []) AS _err"
    )
    outer.append("FALSE AS _dup")  # id already stored (append): skipped, counted
    outer.append("FALSE AS _dupfile")  # id repeated earlier in this file: rejected
    return (f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner)} "
            f"FROM ({_read_csv_sql(plan, limit)}))")


def _adjust(table: str, col: str, value: str, plan: _Plan) -> str:
    """Return the typed expression with per-table normalisation applied (inner level)."""
    if table == "survey_responses" and col == "survey_type":
        return f"lower({value})"
    if table == "subscriptions" and col == "billing_period":
        return (f"CASE WHEN lower({value}) IN ('year','yearly','annual','annually','y') THEN 'year'"
                f" WHEN {value} IS NULL OR lower({value}) IN ('month','monthly','m') "
                f"THEN 'month' ELSE lower({value}) END")
    return value


def _post(table: str, col: str, plan: _Plan) -> str:
    """Return the outer-level expression of a column (rules that need other typed columns)."""
    if table == "subscriptions" and col == "mrr":
        # A yearly amount is divided by 12 at import (DATA.md).
        return ("CASE WHEN billing_period = 'year' THEN CAST(round(mrr / 12, 2) AS DECIMAL(18,2))"
                " ELSE mrr END AS mrr")
    if table == "subscriptions" and col == "end_date" and plan.monthly:
        return "CAST(start_date + INTERVAL 1 MONTH AS DATE) AS end_date"
    if table == "survey_responses" and col == "scale":
        return ("COALESCE(scale, CASE survey_type WHEN 'nps' THEN 11 WHEN 'ces' THEN 7 "
                "WHEN 'csat' THEN $csat_scale END)::SMALLINT AS scale")
    return col


def _structural_rejects(cur, n_cols: int) -> list[dict]:
    rows = cur.execute(
        "SELECT line, column_name, error_type, csv_line, error_message FROM csm_rejects "
        "ORDER BY line"
    ).fetchall()
    out = []
    for line, _column, etype, csv_line, msg in rows:
        reason = _STRUCTURAL.get(etype, msg or etype).format(n=n_cols)
        if etype in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
            reason += f" ({msg})" if msg else ""
        out.append({"line": int(line), "column": None, "value": csv_line, "reason": reason})
    return out


def _reject_lines(plan: _Plan, err_rows: list[tuple[int, list]], skip: set[int]) -> list[dict]:
    """Turn (stage row, problems) into report rows with exact file lines."""
    lines = read.record_lines(plan.src, skip)
    out = []
    for row, problems in err_rows:
        line = lines[row] if row < len(lines) else row + 2
        for p in problems:
            out.append({"line": line, "column": p["c"], "value": p["v"], "reason": p["r"]})
    return out


def _params(date_format: str | None, csat_scale: int, sql: str, plan: _Plan) -> dict:
    p = {"path": str(plan.src.path), "delim": plan.src.delimiter}
    if "$date_format" in sql:
        p["date_format"] = date_format
    if "$csat_scale" in sql:
        p["csat_scale"] = csat_scale
    return p


def preview(
    store: Store, table: str, path: Path | str, *, mapping: dict | None = None,
    date_format: str | None = None, csat_scale: int | None = None, delimiter: str | None = None,
    rows: int = 20,
) -> tuple[pd.DataFrame, dict]:
    """Return (the first `rows` rows as they would be stored, info) without writing anything.

    info: mapping used, headers, delimiter, encoding, custom attributes, and the problems found
    in those rows. Raises LoadRefused for a file that cannot be read."""
    path = Path(path)
    plan = _prepare(table, path, mapping, delimiter, None, store.uploads)
    cur = store.cursor()
    try:
        cur.execute("DROP TABLE IF EXISTS csm_rejects")
        sql = _typed_sql(plan, bool(date_format), limit=rows)
        df = cur.execute(sql, _params(date_format, csat_scale or 5, sql, plan)).df()
        problems = [
            {"row": int(r), "column": p["c"], "value": p["v"], "reason": p["r"]}
            for r, errs in enumerate(df["_err"]) for p in (errs if isinstance(errs, list) else [])
        ]
        shown = df[TABLES[table].column_names + [f"_x_{c}" for c, _ in plan.extra]]
        shown = shown.rename(columns={f"_x_{c}": h for c, h in plan.extra})
        for c in TABLES[table].columns:  # show DATE values as dates, not midnight timestamps
            if c.type == "DATE":
                shown[c.name] = shown[c.name].map(
                    lambda v: v.date() if hasattr(v, "date") and not pd.isna(v) else None)
        info = {
            "mapping": plan.mapping, "headers": plan.src.headers,
            "delimiter": plan.src.delimiter, "encoding": plan.src.encoding,
            "custom_attributes": [h for _, h in plan.extra], "problems": problems,
            "monthly": plan.monthly,
        }
        return shown, info
    finally:
        cur.close()
        plan.src.cleanup()


_write_lock = threading.Lock()
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="csm-sha256")


def load_file(
    store: Store, table: str, path: Path | str, *, mapping: dict | None = None,
    mode: str | None = None, date_format: str | None = None, csat_scale: int | None = None,
    allow_rejects: bool = False, allow_same_file: bool = False, max_bytes: int | None = None,
    delimiter: str | None = None, file_name: str | None = None, loaded_by: str | None = None,
    progress: Progress | None = None,
) -> LoadResult:
    """Load a CSV into a canonical table, all or nothing, and record the load.

    Returns a LoadResult whose outcome is loaded, loaded_with_rejects, rejected (row-level
    problems; nothing written) or refused (file-level problem; nothing written)."""
    progress = progress or _noop
    path = Path(path)
    if table not in TABLES:
        raise KeyError(f"unknown table {table!r}; choose one of {', '.join(TABLES)}")
    mode = mode or TABLES[table].default_mode
    if mode not in ("replace", "append"):
        raise ValueError(f"mode must be replace or append, not {mode!r}")
    res = LoadResult(table=table, file=file_name or path.name, mode=mode)
    started = datetime.now(UTC).replace(tzinfo=None)
    user = loaded_by or _whoami()
    cur = store.cursor()
    plan = None
    try:
        progress(0.02, "checking the file")
        plan = _prepare(table, path, mapping, delimiter, max_bytes, store.uploads)
        # Hash in a thread while DuckDB reads: hashlib releases the GIL on large buffers.
        _sha_job = _POOL.submit(read.sha256_of, path)
        res.mapping = dict(plan.mapping)
        res.custom_attributes = [h for _, h in plan.extra]
        progress(0.1, "reading and checking rows")
        _run(cur, plan, res, date_format, csat_scale or 5, allow_rejects, progress,
             (started, user), lambda: _same_file_check(cur, res, mode, allow_same_file, _sha_job))
    except LoadRefused as e:
        res.outcome, res.message = "refused", str(e)
    except duckdb.TransactionException as e:
        res.outcome = "refused"
        res.message = (f"Another load was writing at the same time; nothing was changed. "
                       f"Retry. ({e})")
    except duckdb.Error as e:
        res.outcome = "refused"
        res.message = f"{res.file} could not be read as CSV: {e}"
    finally:
        if plan is not None:
            plan.src.cleanup()
        try:
            cur.execute("DROP TABLE IF EXISTS typed")
        except duckdb.Error:
            pass
    if not res.ok:
        _record(cur, res, started, user)
    cur.close()
    if res.ok:
        _alerts_after_load(store, res, progress)
    progress(1.0, res.outcome)
    return res


def _alerts_after_load(store: Store, res: LoadResult, progress: Progress) -> None:
    """Evaluate the alert rules on the new data, after the load committed: a failed evaluation
    is said in the progress notes and never turns a load into a failure."""
    try:
        from metrics import alerts

        note = alerts.after_load(store, res.load_id)
    except Exception as e:  # noqa: BLE001 - the load is committed whatever happens here
        note = f"alerts could not be evaluated: {e}"
    if note:
        progress(0.99, note)


def _same_file_check(cur, res: LoadResult, mode: str, allow_same_file: bool, job) -> None:
    """Wait for the file's sha256; refuse appending a file already loaded into the table."""
    res.sha256 = job.result()
    if mode != "append" or allow_same_file:
        return
    prev = cur.execute(
        "SELECT load_id, finished_at FROM loads WHERE table_name = ? AND sha256 = ? "
        "AND outcome IN ('loaded', 'loaded_with_rejects') ORDER BY load_id DESC LIMIT 1",
        [res.table, res.sha256],
    ).fetchone()
    if prev:
        raise LoadRefused(
            f"{res.file} was already loaded into {res.table} (load {prev[0]} at {prev[1]}); "
            "appending it again would double rows without ids. Use --mode replace or "
            "--allow-same-file."
        )


def _whoami() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "unknown"


def _run(cur, plan: _Plan, res: LoadResult, date_format, csat_scale, allow_rejects, progress,
         who: tuple, same_file_check):
    t = plan.table
    spec = TABLES[t]
    if _clean_path_applies(plan, res.mode) and _load_clean(
        cur, plan, res, date_format, csat_scale, progress, who, same_file_check
    ):
        return
    cur.execute("DROP TABLE IF EXISTS typed")
    cur.execute("DROP TABLE IF EXISTS csm_rejects")
    sql = _typed_sql(plan, bool(date_format))
    cur.execute(f"CREATE TEMP TABLE typed AS {sql}", _params(date_format, csat_scale, sql, plan))
    same_file_check()
    n_ok = cur.execute("SELECT count(*) FROM typed").fetchone()[0]
    structural = _structural_rejects(cur, len(plan.src.headers))
    progress(0.5, "checking keys")
    # An id repeated inside one file: the first occurrence stays, the others are rejected.
    key = spec.key
    if key and (key in plan.mapping):
        # Flag in place (a BOOLEAN update keeps rowids; updating the _err list would move rows).
        cur.execute(
            f"""UPDATE typed SET _dupfile = TRUE
                FROM (SELECT rowid AS r, min(rowid) OVER (PARTITION BY {key}) AS first_row
                      FROM typed WHERE {key} IS NOT NULL) d
                WHERE typed.rowid = d.r AND d.r <> d.first_row"""
        )
    key_sql = key if key and key in plan.mapping else "NULL"
    err_rows = []
    for row, errs, dupfile, kval in cur.execute(
        f"SELECT rowid, _err, _dupfile, {key_sql} FROM typed WHERE _err IS NOT NULL OR _dupfile "
        "ORDER BY rowid"
    ).fetchall():
        if dupfile:
            errs = [*(errs or []), {"c": key, "v": kval, "r": f"duplicate {key} {kval}: it appears "
                            "earlier in this file (the first occurrence is kept)"}]
        err_rows.append((row, errs))
    res.rows_in_file = n_ok + len(structural)
    rejected_rows = len(err_rows) + len(structural)
    if rejected_rows:
        skip = {r["line"] for r in structural}
        rej = structural + _reject_lines(plan, err_rows[:MAX_REJECTS_REPORTED], skip)
        rej.sort(key=lambda r: (r["line"], r["column"] or ""))
        res.rejects_truncated = len(rej) > MAX_REJECTS_REPORTED
        res.rejects = rej[:MAX_REJECTS_REPORTED]
        res.rows_rejected = rejected_rows
        res.rows_with_problems = rejected_rows
        if not allow_rejects:
            # The whole file is rejected: every row counts as rejected, so that
            # rows_in_file = loaded + rejected + skipped holds here too; the report lists the
            # rows that caused it.
            res.outcome = "rejected"
            res.rows_rejected = res.rows_in_file
            res.message = (
                f"{rejected_rows} of {res.rows_in_file} rows have problems, so the file was "
                "rejected and nothing was loaded. Fix them, or choose explicitly to load the "
                "valid rows (--allow-rejects; on the Data page, the \"Load the valid rows\" "
                "option)."
            )
            return
    progress(0.6, "writing")
    _write(cur, plan, res, rejected_rows > 0, who)


_ROW_PROBLEM = "csm: a row has a problem"


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
        cur.execute("BEGIN TRANSACTION")
        committed = False
        try:
            try:
                cur.execute(f"DELETE FROM {t}")
                n = cur.execute(insert, _params(date_format, csat_scale, sql, plan)).fetchone()[0]
                structural = cur.execute("SELECT count(*) FROM csm_rejects").fetchone()[0]
            except duckdb.Error:
                return False
            if structural:
                return False
            same_file_check()
            progress(0.6, "writing")
            res.rows_in_file = res.rows_loaded = int(n)
            res.load_id = int(cur.execute("SELECT nextval('load_id_seq')").fetchone()[0])
            _commit_load(cur, res, t, t, who, clean=True)
            committed = True
        finally:
            if not committed:
                try:
                    cur.execute("ROLLBACK")
                except duckdb.Error:
                    pass
                res.load_id = None
                res.rows_in_file = res.rows_loaded = 0
    _checkpoint(cur)
    return True


def _checkpoint(cur) -> None:
    try:
        cur.execute("CHECKPOINT")
    except duckdb.Error:
        # Committed already; another session's open write transaction blocks the checkpoint,
        # and DuckDB checkpoints (or replays the WAL) later. The load still succeeded.
        pass


def _summary(res: LoadResult) -> str:
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
    """Write the valid rows in one transaction, record the load, then CHECKPOINT."""
    t = plan.table
    spec = TABLES[t]
    cols = spec.column_names
    valid = "_err IS NULL AND NOT _dupfile" if has_errors else "TRUE"
    with _write_lock:
        cur.execute("BEGIN TRANSACTION")
        committed = False
        try:
            load_id = cur.execute("SELECT nextval('load_id_seq')").fetchone()[0]
            res.load_id = int(load_id)
            if spec.key_generated:
                # A row without an id gets one that can never collide: load id + row number.
                cur.execute(
                    f"UPDATE typed SET {spec.key} = 'L' || $lid || '-' || (rowid + 1) "
                    f"WHERE {spec.key} IS NULL",
                    {"lid": res.load_id},
                )
            if res.mode == "replace":
                cur.execute(f"DELETE FROM {t}")
                if spec.keeps_custom_attributes:
                    cur.execute("DELETE FROM account_attributes")
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
            for stage_col, header in plan.extra:
                cur.execute(
                    f"INSERT INTO account_attributes SELECT account_id, $h, "
                    f"NULLIF(trim(_x_{stage_col}), '') FROM typed WHERE {keep}",
                    {"h": header},
                )
            _commit_load(cur, res, t, "typed", who)
            committed = True
        finally:
            if not committed:
                try:
                    cur.execute("ROLLBACK")
                except duckdb.Error:
                    pass
                res.load_id = None
    _checkpoint(cur)


def _commit_load(cur, res: LoadResult, t: str, rows_table: str, who: tuple,
                 clean: bool = False) -> None:
    """Finish a load inside its transaction: report orphans, refresh the rollups from
    `rows_table` (the load's rows), bump the data version, record the load and COMMIT."""
    _orphans(cur, res, t, clean=clean)
    rollup.refresh_after_load(cur, t, res.mode, rows_table)
    bump_data_version(cur)
    res.outcome = "loaded_with_rejects" if res.rows_rejected else "loaded"
    res.message = _summary(res)
    _record(cur, res, who[0], who[1], in_tx=True)
    cur.execute("COMMIT")


def _orphans(cur, res: LoadResult, t: str, clean: bool = False) -> None:
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


def _record(cur, res: LoadResult, started, user, in_tx: bool = False) -> None:
    """Insert the load's row into `loads` (inside the load's transaction when it succeeded)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        if res.load_id is None:
            res.load_id = int(cur.execute("SELECT nextval('load_id_seq')").fetchone()[0])
        cur.execute(
            "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [res.load_id, res.table, res.file, res.sha256, res.mode, res.rows_in_file,
             res.rows_loaded, res.rows_rejected, res.rows_skipped_duplicate, res.orphans,
             res.outcome, res.message[:2000], user or _whoami(), started or now, now],
        )
    except duckdb.Error:
        if in_tx:
            raise
