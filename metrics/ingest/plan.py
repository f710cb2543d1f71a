"""The plan of a load and the SQL that reads it: header checks and mapping (`_prepare`), then
one SELECT that reads the file, casts every column and lists each row's problems (`_typed_sql`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from metrics.ingest import presets, read
from metrics.ingest.errors import LoadRefused
from metrics.ingest.mapping import apply_user_mapping, propose_mapping
from metrics.ingest.validate import ROW_RULES, _q, clean_text_sql, column_plan, date_checks
from metrics.schema import TABLES


@dataclass
class _Plan:
    """What a load reads: the table, the opened file, and how its columns map."""

    table: str
    src: read.SourceFile
    mapping: dict[str, str]  # canonical -> header
    extra: list[tuple[str, str]]  # (stage column, header) kept as custom attributes
    monthly: bool = False
    # a replace that removes rows other tables refer to goes ahead only when confirmed
    confirm_replace: bool = False


def _prepare(
    table: str, path: Path, mapping: dict | None, delimiter: str | None, max_bytes: int | None,
    work_dir: Path, sheet: str | None = None, preset: str | None = None,
    preset_options: dict[str, str] | None = None, date_format: str | None = None,
    preset_limit: int | None = None, tickets: Callable[[], dict[str, str]] | None = None,
    name: str | None = None,
) -> _Plan:
    """Open the file and check its header against the table; return the load's plan.

    With `preset` (a name, or "auto" for the one the header matches) the file is first
    rewritten by the preset into a CSV copy under the canonical names (metrics/ingest/presets),
    which is what the plan reads (its first `preset_limit` rows: the preview's). Raises
    LoadRefused (the file's cleanup done) for duplicate or missing columns, or a preset that
    does not fit. `name` is the file's name in messages (the upload's, not the staged copy's)."""
    name = name or path.name
    if table not in TABLES:
        raise KeyError(f"unknown table {table!r}; choose one of {', '.join(TABLES)}")
    try:
        src = read.open_source(path, delimiter=delimiter, max_bytes=max_bytes,
                               work_dir=work_dir, sheet=sheet, name=name)
        if preset is not None:
            try:
                p = presets.resolve(preset, table, src.headers)
            except BaseException:
                src.cleanup()
                raise
            src = presets.apply(p, src, preset_options, date_format, work_dir,
                                preset_limit, tickets)  # cleans up src
    except LoadRefused as e:
        if name == path.name:
            raise
        # The workbook, JSON and preset readers name the file they read: the staged copy.
        raise LoadRefused(str(e).replace(path.name, name)) from None
    try:
        headers = src.headers
        seen: dict[str, str] = {}
        for h in headers:
            k = h.strip().lower()
            if k in seen:
                raise LoadRefused(
                    f"{name}: duplicate column {h!r} in the header; rename one of them."
                )
            if not k:
                if len(headers) == 1:
                    raise LoadRefused(f"{name}: the header line is empty.")
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
            hint, seen_cols = "", f" Found: {', '.join(headers)}."
            if len(headers) == 1:
                # One column is no header of a delimited file: the line may be anything (the
                # first line of a file never meant as a table), so it is not repeated.
                seen_cols = ""
                hint = (" The header has a single column: is the delimiter right? "
                        "(, ; tab and | are detected)")
            found = presets.detect_preset(headers) if preset is None else None
            if found and presets.PRESETS[found].table == table:
                hint += (f" This looks like a {presets.PRESETS[found].label}: load it with "
                         f"--preset {found}.")
            raise LoadRefused(
                f"{name}: missing required column(s) {', '.join(missing)} for table "
                f"{table}.{seen_cols} Map them with --map "
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
    """Return the strict read_csv() of the file, every column text, rejects collected."""
    n = len(plan.src.headers)
    cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n)) + "}"
    sql = (
        "SELECT * FROM read_csv($path, header = true, auto_detect = false, "
        f"columns = {cols}, delim = $delim, quote = '\"', escape = '\"', "
        "strict_mode = true, store_rejects = true, rejects_table = 'csm_rejects', "
        "rejects_scan = 'csm_reject_scans', max_line_size = 10000000, compression = 'none'"
        + (f", skip = {int(plan.src.skip)}" if plan.src.skip else "") + ")"
    )
    return sql + (f" LIMIT {int(limit)}" if limit else "")


def _typed_sql(plan: _Plan, has_format: bool, limit: int | None = None) -> str:
    """Return SQL reading the file and selecting the typed canonical columns, extra raw columns
    and `_err`, a list of {c: column, r: reason, v: raw value} for every problem of the row.

    One pass over the file, no untyped staging copy: rows keep the file's order, so the rowid
    of the table this fills is the record's ordinal."""
    t = plan.table
    stage_col = {h: f"c{i}" for i, h in enumerate(plan.src.headers)}
    # Three levels, so that each column's clean text and typed value are computed once per row
    # (the checks and the report read them by name; written out in every check, the same
    # parsing ran up to five times a value, and a load took 5x DuckDB's own read):
    # texts (`_s_<col>`) over the file's columns, then typed values (`_v_<col>`), then the
    # canonical columns and every check.
    texts, typed, inner, errs, outer = [], [], [], [], []
    conds: list[str] = []  # the column checks' conditions, in the order of `errs`
    for col in TABLES[t].column_names:
        raw = stage_col[plan.mapping[col]] if col in plan.mapping else None
        if plan.monthly and col in ("start_date", "end_date"):
            raw = None
        if raw:
            texts.append(f"{clean_text_sql(raw)} AS _s_{col}")
        cp = column_plan(t, col, raw, has_format, text=f"_s_{col}" if raw else None)
        if plan.monthly and col == "start_date":
            m = f"NULLIF(trim({stage_col[plan.mapping['month']]}), '')"
            cp.raw = m
            cp.value = (
                f"CAST(date_trunc('month', COALESCE(TRY_CAST({m} || '-01' AS DATE), "
                f"TRY_CAST({m} AS DATE))) AS DATE)"
            )
            cp.checks = [(f"{m} IS NULL", _q("required value is empty (month)")),
                         (f"{cp.value} IS NULL", _q("unparseable month (use 2024-03)")),
                         date_checks(m, cp.value, "month", False)[-1]]
        elif plan.monthly and col == "end_date":
            cp.value = "CAST(NULL AS DATE)"
        typed.append(f"{cp.value} AS _v_{col}")

        def named(sql: str, cp=cp, col=col) -> str:
            return sql.replace(cp.value, f"_v_{col}")  # the typed value, by its name

        inner.append(f"{_adjust(t, col, f'_v_{col}', plan)} AS {col}")
        inner.append(f"{named(cp.raw)} AS _raw_{col}")
        # The report shows the text as written (a null marker too, not its no value).
        written = f"NULLIF(trim({raw}), '')" if raw else named(cp.raw)
        for cond, reason in cp.checks:
            conds.append(named(cond))
            errs.append(
                f"CASE WHEN {named(cond)} THEN {{'c': {_q(col)}, 'r': {reason}, "
                f"'v': {written}}} END"
            )
    for extra_col, _h in plan.extra:
        inner.append(f"{extra_col} AS _x_{extra_col}")
    rules, rule_conds = [], []
    for col, cond, reason in ROW_RULES.get(t, []):
        rule_conds.append(cond)
        rules.append(
            f"CASE WHEN {cond} THEN {{'c': {_q(col)}, 'r': {reason}, "
            f"'v': CAST(_raw_{col} AS VARCHAR)}} END"
        )
    cols = TABLES[t].column_names
    outer += [_post(t, c, plan) for c in cols]
    outer += [f"_x_{c}" for c, _h in plan.extra]
    # Column-level problems are computed inside (on raw text); row rules outside, on typed values.
    # A row's list of problems is built only when one of its checks fails: building and
    # filtering a list of every check on each row of a clean file cost a third of the load.
    inner.append(f"CASE WHEN {_any(conds)} THEN list_filter([{', '.join(errs) or 'NULL'}], "
                 "lambda x: x IS NOT NULL) END AS _e1")
    # NULL when the row has no problem: an empty list per row costs memory on 10M rows.
    outer.append(
        f"CASE WHEN _e1 IS NOT NULL OR {_any(rule_conds)} THEN nullif(list_concat(_e1, "
        f"list_filter([{', '.join(rules) or 'NULL'}], lambda x: x IS NOT NULL)), []) END "
        "AS _err"
    )
    outer.append("FALSE AS _dup")  # id already stored (append): skipped, counted
    outer.append("FALSE AS _dupfile")  # id repeated earlier in this file: rejected
    levels = _read_csv_sql(plan, limit)
    for level in (texts, typed):
        if level:
            levels = f"SELECT *, {', '.join(level)} FROM ({levels})"
    return f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner)} FROM ({levels}))"


def _any(conds: list[str]) -> str:
    """Return SQL that is TRUE when any of the conditions is (FALSE for none)."""
    return " OR ".join(f"({c})" for c in conds) or "FALSE"


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


def _params(date_format: str | None, csat_scale: int, sql: str, plan: _Plan) -> dict:
    """Return the bound parameters `sql` uses (path, delimiter, date format, CSAT scale)."""
    p: dict[str, object] = {"path": str(plan.src.path), "delim": plan.src.delimiter}
    if "$date_format" in sql:
        p["date_format"] = date_format
    if "$csat_scale" in sql:
        p["csat_scale"] = csat_scale
    return p
