"""The import pipeline: read -> map -> cast/validate -> write in one transaction -> record.

A load is all-or-nothing. `rows_in_file = rows_loaded + rows_rejected + rows_skipped_duplicate`
holds for every outcome; a refused or rejected load writes nothing but its row in `loads`.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import duckdb
import pandas as pd

from metrics.ingest import dates, presets, read, stage, undo, validate
from metrics.ingest.errors import LoadRefused
from metrics.ingest.plan import _params, _Plan, _prepare, _typed_sql
from metrics.ingest.record import LoadResult, Progress, _whoami, record_load, utc_now
from metrics.ingest.write import _clean_path_applies, _load_clean, _write
from metrics.schema import TABLES
from metrics.store import Store, damaged

__all__ = ["AfterLoad", "LoadResult", "RowCheck", "MAX_REJECTS_REPORTED", "Progress", "load_file",
           "preview"]

# Called after a load committed, with the store and the load's id; returns a note for the
# progress messages (or None). The CLI and the Data page pass the alert evaluation: the
# import itself knows nothing of what runs on top of it.
AfterLoad = Callable[[Store, "int | None"], "str | None"]
# Checks the import cannot make from the schema alone, e.g. a target by its metric's unit: given
# the table and its typed rows (column `_row` = the row's id), returns (row id, column, value,
# reason) per problem. The CLI and the Data page pass `goals.check_rows`; its problems reject
# rows exactly like the schema's own checks.
RowCheck = Callable[[str, pd.DataFrame], "list[tuple[int, str, object, str]]"]

MAX_REJECTS_REPORTED = 10_000

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


def _noop(_f: float, _m: str) -> None:
    """The progress callback when the caller gives none: reports nowhere."""


def _structural_rejects(cur, n_cols: int) -> list[dict]:
    """Return the report rows of the lines DuckDB's reader rejected (bad quoting, columns): one
    per line and kind of problem. DuckDB lists a line with too few columns once per missing
    column ("Found: 1", "Found: 2", ...); the first says how many the line has."""
    rows = cur.execute(
        "SELECT line, column_name, error_type, csv_line, error_message FROM csm_rejects "
        "ORDER BY line, column_idx"
    ).fetchall()
    out = []
    seen: set[tuple[int, str]] = set()
    for line, _column, etype, csv_line, msg in rows:
        if (int(line), etype) in seen:
            continue
        seen.add((int(line), etype))
        reason = _STRUCTURAL.get(etype, msg or etype).format(n=n_cols)
        if etype in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
            reason += f" ({msg})" if msg else ""
        out.append({"line": int(line), "column": None, "value": csv_line, "reason": reason})
    return out


def _stored_tickets(cur) -> dict[str, str]:
    """Return {ticket_id: account_id} of the stored tickets (a preset reads a satisfaction
    rating's account from its ticket)."""
    return dict(cur.execute("SELECT ticket_id, account_id FROM tickets").fetchall())


def _reject_lines(plan: _Plan, err_rows: list[tuple[int, list]], skip: set[int]) -> list[dict]:
    """Turn (stage row, problems) into report rows with exact file lines."""
    lines = read.record_lines(plan.src, skip)
    out = []
    for row, problems in err_rows:
        line = lines[row] if row < len(lines) else row + 2
        for p in problems:
            out.append({"line": line, "column": p["c"], "value": p["v"], "reason": p["r"]})
    return out


def preview(
    store: Store, table: str, path: Path | str, *, mapping: dict | None = None,
    date_format: str | None = None, csat_scale: int | None = None, delimiter: str | None = None,
    rows: int = 20, sheet: str | None = None, preset: str | None = None,
    preset_options: dict[str, str] | None = None, file_name: str | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Return (the first `rows` rows as they would be stored, info) without writing anything.

    info: mapping used, headers, delimiter, encoding, custom attributes, the problems found in
    those rows, and `date_format`: the format proposed for dates that are not ISO 8601
    (metrics/ingest/dates.propose; {} when none is needed or none fits); `preset`: the preset
    applied (`preset` given) or, when none is given, the one the header matches (None when
    none does), `preset_applied` (bool) and `preset_notes` (what the preset does, and did to
    this file when applied). With a preset applied, headers and mapping are its copy's.
    `notes`: what reading the file did (its encoding when not UTF-8, line endings, Excel's
    "sep=" line, ids normalised). `file_name` names the file in messages.
    Raises LoadRefused for a file that cannot be read or a preset that does not fit."""
    path = Path(path)
    with stage.within_reach(store.uploads, store.allow_paths, path) as readable:
        return _preview(store, table, readable, file_name or path.name, mapping, date_format,
                        csat_scale, delimiter, rows, sheet, preset, preset_options)


def _preview(store: Store, table: str, path: Path, name: str, mapping: dict | None,
             date_format: str | None, csat_scale: int | None, delimiter: str | None, rows: int,
             sheet: str | None, preset: str | None, preset_options: dict[str, str] | None,
             ) -> tuple[pd.DataFrame, dict]:
    """Return `preview`'s result for a file the store's DuckDB may read, named `name` in
    messages."""
    plan = _prepare(table, path, mapping, delimiter, None, store.uploads, sheet, preset,
                    preset_options, date_format, preset_limit=rows,
                    tickets=lambda: _stored_tickets(store.cursor()), name=name)
    cur = store.cursor()
    try:
        cur.execute("DROP TABLE IF EXISTS csm_rejects")
        sql = _typed_sql(plan, bool(date_format), limit=rows)
        try:
            df = cur.execute(sql, _params(date_format, csat_scale or 5, sql, plan)).df()
        except duckdb.Error as e:
            raise LoadRefused(unreadable(name, e)) from None
        problems = [
            {"row": int(r), "column": p["c"], "value": p["v"], "reason": p["r"]}
            # DuckDB gives the list column as numpy arrays (or None / NaN for none).
            for r, errs in enumerate(df["_err"])
            for p in [*(list(errs) if hasattr(errs, "__len__") and not isinstance(errs, str)
                        else []), *plan.src.problems.get(r, [])]
        ]
        shown = df[TABLES[table].column_names + [f"_x_{c}" for c, _ in plan.extra]]
        shown = shown.rename(columns={f"_x_{c}": h for c, h in plan.extra})
        for c in TABLES[table].columns:  # show DATE values as dates, not midnight timestamps
            if c.type == "DATE":
                shown[c.name] = shown[c.name].map(
                    lambda v: v.date() if hasattr(v, "date") and not pd.isna(v) else None)
        # Dates that did not parse as ISO 8601: propose the one format that reads them all.
        unread = [str(p["value"]) for p in problems
                  if p["value"] is not None and str(p["reason"]).startswith("unparseable")]
        info = {
            "date_format": dates.propose(unread) if unread and not date_format else {},
            "mapping": plan.mapping, "headers": plan.src.headers,
            "delimiter": plan.src.delimiter, "encoding": plan.src.encoding,
            "custom_attributes": [h for _, h in plan.extra], "problems": problems,
            "monthly": plan.monthly, "notes": read_notes(plan), **_preset_info(plan, preset),
        }
        return shown, info
    finally:
        cur.close()
        plan.src.cleanup()


def unreadable(name: str, e: duckdb.Error) -> str:
    """Return the message of a file DuckDB's reader could not read: what went wrong in words,
    never the reader's internal text, the file's path or its content."""
    text = str(e)
    if "state machine" in text or "INVALID STATE" in text:
        return (f"{name} could not be read as CSV: a line breaks the CSV rules in a way the "
                "reader cannot follow (a quote inside an unquoted value, or a stray carriage "
                "return). Nothing was changed. Open it in a spreadsheet and save it again as "
                "CSV UTF-8.")
    kind = text.split(":", 1)[0].strip()[:60]
    return f"{name} could not be read as CSV ({kind}). Nothing was changed."


def read_notes(plan: _Plan) -> list[str]:
    """Return what reading the file did, for the load's report and the preview."""
    notes = list(plan.src.notes)
    if plan.src.invisible and any(validate.is_id(c) for c in plan.mapping):
        action = ("removed from ids" if validate.id_mode() == "normalise"
                  else "rejected in ids")
        notes.append(f"The file holds {plan.src.invisible:,} invisible characters (zero-width "
                     f"spaces or joiners, byte-order marks): they are {action} (setting "
                     f"{validate.ID_SETTING}); ids are also NFC-normalised.")
    return notes


def _preset_info(plan: _Plan, chosen: str | None) -> dict:
    """Return the preview's preset keys: the preset applied, or (none chosen) the one the
    header matches, whether it was applied, and its notes."""
    if plan.src.preset is not None:
        return {"preset": plan.src.preset, "preset_applied": True,
                "preset_notes": list(plan.src.preset_notes)}
    found = presets.detect_preset(plan.src.headers) if chosen is None else None
    notes = list(presets.PRESETS[found].notes) if found else []
    return {"preset": found, "preset_applied": False, "preset_notes": notes}


_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="csm-sha256")


def load_file(
    store: Store, table: str, path: Path | str, *, mapping: dict | None = None,
    mode: str | None = None, date_format: str | None = None, csat_scale: int | None = None,
    allow_rejects: bool = False, allow_same_file: bool = False, max_bytes: int | None = None,
    delimiter: str | None = None, file_name: str | None = None, loaded_by: str | None = None,
    progress: Progress | None = None, after_load: AfterLoad | None = None,
    row_check: RowCheck | None = None, confirm_replace: bool = False, sheet: str | None = None,
    preset: str | None = None, preset_options: dict[str, str] | None = None,
) -> LoadResult:
    """Load a CSV into a canonical table, all or nothing, and record the load.

    A replace of a table other tables refer to (accounts) that would remove stored rows is
    refused, with what it would remove in `replace_removes`, unless `confirm_replace`. Every
    load keeps what undoing it needs (metrics/ingest/undo.py).

    `after_load(store, load_id)`, when given, runs after a successful load has committed (the
    CLI and the Data page pass `alerts.after_load`); the note it returns goes to `progress`.
    `row_check`, when given, adds its problems to the rows' own (`RowCheck`).
    `preset` (a name of metrics/ingest/presets, or "auto") rewrites the file into the table's
    columns first, with `preset_options`; its problems reject rows like the schema's own, at
    the original file's lines, and the result carries its name and notes.
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
    started = utc_now()
    user = loaded_by or _whoami()
    cur = store.cursor()
    plan = None
    reach = ExitStack()
    try:
        path = reach.enter_context(stage.within_reach(store.uploads, store.allow_paths, path))
        progress(0.02, "checking the file")
        plan = _prepare(table, path, mapping, delimiter, max_bytes, store.uploads, sheet,
                        preset, preset_options, date_format,
                        tickets=lambda: _stored_tickets(cur), name=res.file)
        plan.confirm_replace = confirm_replace
        res.notes = read_notes(plan)
        res.preset, res.preset_notes = plan.src.preset, list(plan.src.preset_notes)
        # Hash in a thread while DuckDB reads: hashlib releases the GIL on large buffers.
        _sha_job = _POOL.submit(read.sha256_of, path)
        res.mapping = dict(plan.mapping)
        res.custom_attributes = [h for _, h in plan.extra]
        progress(0.1, "reading and checking rows")
        _run(cur, plan, res, date_format, csat_scale or 5, allow_rejects, progress,
             (started, user), lambda: _same_file_check(cur, res, mode, allow_same_file, _sha_job),
             row_check)
    except LoadRefused as e:
        res.outcome, res.message = "refused", str(e)
    except undo.ReplaceNotConfirmed as e:
        res.outcome, res.message, res.replace_removes = "refused", str(e), e.impact
        # Refused as a whole, like a file-level refusal: no row counts as read, loaded or
        # skipped (rows_in_file = loaded + rejected + skipped holds).
        res.rows_in_file = res.rows_loaded = res.rows_skipped_duplicate = 0
    except (duckdb.Error, OSError) as e:
        # Nothing was written (the transaction rolled back): no row counts as loaded.
        res.outcome, res.message = "refused", _failure(res.file, e, store.path)
        res.rows_loaded = res.rows_skipped_duplicate = 0
    finally:
        if plan is not None:
            plan.src.cleanup()
        reach.close()
        try:
            cur.execute("DROP TABLE IF EXISTS typed")
        except duckdb.Error:
            pass
    if not res.ok:
        record_load(cur, res, started, user)
    cur.close()
    if res.ok and after_load is not None:
        _run_after_load(after_load, store, res, progress)
    progress(1.0, res.outcome)
    return res


def _failure(file: str, e: BaseException, db: Path) -> str:
    """Return the message of a load that failed inside DuckDB or the file system: a full
    disk, a damaged database, a write conflict, else a file that could not be read."""
    if "no space left" in str(e).lower() or getattr(e, "errno", None) == errno.ENOSPC:
        return (f"{file} was not loaded: {read.disk_problem(e)} Nothing was changed: the "
                "data stays as it was before this load.")
    if (why := damaged(e, db)) is not None:
        return f"{file} was not loaded. {why}"
    if isinstance(e, duckdb.TransactionException) and "conflict" in str(e).lower():
        return f"Another load was writing at the same time; nothing was changed. Retry. ({e})"
    if isinstance(e, OSError):
        return f"{file} was not loaded: {read.disk_problem(e)} Nothing was changed."
    return unreadable(file, e) if isinstance(e, duckdb.Error) else str(e)


def _run_after_load(after_load: AfterLoad, store: Store, res: LoadResult,
                    progress: Progress) -> None:
    """Run the caller's after-load step once the load committed; its note, or why it failed,
    goes to the progress messages. Returns nothing: the load stays loaded whatever happens."""
    try:
        note = after_load(store, res.load_id)
    except Exception as e:  # noqa: BLE001 - the load is committed whatever happens here
        note = f"the step after the load failed: {e}"
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


def _run(cur, plan: _Plan, res: LoadResult, date_format, csat_scale, allow_rejects, progress,
         who: tuple, same_file_check, row_check: RowCheck | None = None) -> None:
    """Check every row and write the load, setting its counts, report and outcome on `res`:
    the one-pass path when it applies and the file is clean, else staged into `typed`."""
    t = plan.table
    spec = TABLES[t]
    # A preset's problems are found outside the SQL: they need the staged path's report.
    if row_check is None and not plan.src.problems and _clean_path_applies(
        plan, res.mode) and _load_clean(
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
    checked: dict[int, list[dict]] = {}
    if row_check is not None:
        rows = cur.execute("SELECT rowid AS _row, * EXCLUDE (_err, _dupfile) FROM typed "
                           "WHERE _err IS NULL").df()
        for row, column, value, reason in row_check(t, rows):
            checked.setdefault(int(row), []).append(
                {"c": column, "v": None if value is None else str(value), "r": reason})
    err_rows = []
    for row, errs, dupfile, kval in cur.execute(
        f"SELECT rowid, _err, _dupfile, {key_sql} FROM typed WHERE _err IS NOT NULL OR _dupfile "
        "ORDER BY rowid"
    ).fetchall():
        if dupfile:
            errs = [*(errs or []), {"c": key, "v": kval, "r": f"duplicate {key} {kval}: it appears "
                            "earlier in this file (the first occurrence is kept)"}]
        err_rows.append((row, errs))
    if checked or plan.src.problems:
        merged = dict(err_rows)
        for row, problems in checked.items():
            merged[row] = [*(merged.get(row) or []), *problems]
        for row, problems in plan.src.problems.items():  # the preset's transform's
            # Its reason replaces the schema's for the same value ("not a number" beside
            # "Amount Paid 'forty-nine' is not a number" says it twice).
            said = {(p["c"], p["v"]) for p in problems}
            merged[row] = [*(e for e in merged.get(row) or [] if (e["c"], e["v"]) not in said),
                           *problems]
        err_rows = sorted(merged.items())
    # A line is one row however many problems the reader found in it.
    bad_lines = len({r["line"] for r in structural})
    res.rows_in_file = n_ok + bad_lines
    rejected_rows = len(err_rows) + bad_lines
    if rejected_rows:
        skip = {r["line"] for r in structural}
        rej = structural + _reject_lines(plan, err_rows[:MAX_REJECTS_REPORTED], skip)
        rej.sort(key=lambda r: (r["line"], r["column"] or ""))
        # Cut when the problems outnumber the list: rows beyond the cap were never listed.
        res.rejects_truncated = (len(rej) > MAX_REJECTS_REPORTED
                                 or len(err_rows) > MAX_REJECTS_REPORTED)
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
    if checked:  # the rows the caller's check refused are not written (ids stay in place)
        cur.execute("DELETE FROM typed WHERE list_contains($rows, rowid)", {"rows": list(checked)})
    progress(0.6, "writing")
    _write(cur, plan, res, rejected_rows > 0, who)
