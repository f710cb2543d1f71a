"""Cast and validate: SQL expressions that turn raw text into typed values and name problems.

Every canonical column gets a typed expression over its raw text and a list of checks
(condition -> reason). Column identifiers come from the schema, never from the file; values
(the date format, the CSAT scale) are bound as parameters.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from metrics import plausible
from metrics.schema import TABLES


@dataclass
class ColumnPlan:
    """How one canonical column is read from the raw text: its typed value and checks."""
    name: str
    raw: str  # SQL: the trimmed raw text (NULL when empty), or a constant NULL
    value: str  # SQL: the typed value
    checks: list[tuple[str, str]]  # (SQL condition that flags a problem, SQL text of reason)


def _q(s: str) -> str:
    """Quote a SQL string literal built from our own constant text (never user input)."""
    return "'" + s.replace("'", "''") + "'"


# An offset beyond the world's time zones (-12:00 to +14:00) at the end of a date/time text:
# DuckDB would shift the time by it (+25:00 reads as the day before).
_BAD_OFFSET = "[+-](1[5-9]|[2-9][0-9])(:?[0-9]{2})?$"


def _parse(kind: str, s: str, has_format: bool) -> str:
    """Return SQL parsing text `s` as `kind` (DATE or TIMESTAMP), in UTC, NULL if unparseable."""
    # Fast path for the common offset-free forms (2024-03-31 and 2024-03-31 10:00:00): a plain
    # TIMESTAMP cast is about 4x faster than going through TIMESTAMPTZ. Anything else (an offset,
    # Z, fractions) takes the TIMESTAMPTZ path, which converts offsets to UTC. A text that does
    # not start with a digit is no date in ISO 8601: DuckDB's words (epoch, infinity, today)
    # are not read as dates, nor is an offset no time zone has.
    plain = f"(length({s}) = 10 OR (length({s}) = 19 AND {s}[17] = ':'))"
    iso_ts = (f"CASE WHEN NOT ({s}[1] BETWEEN '0' AND '9') THEN NULL "
              f"WHEN {plain} THEN TRY_CAST({s} AS TIMESTAMP) "
              f"WHEN regexp_matches({s}, '{_BAD_OFFSET}') THEN NULL "
              f"ELSE (TRY_CAST({s} AS TIMESTAMPTZ) AT TIME ZONE 'UTC') END")
    parts = []
    if has_format:
        parts.append(f"(CAST(TRY_STRPTIME({s}, $date_format) AS TIMESTAMPTZ) AT TIME ZONE 'UTC')")
    parts.append(iso_ts)
    ts = f"COALESCE({', '.join(parts)})" if len(parts) > 1 else iso_ts
    return f"CAST({ts} AS DATE)" if kind == "DATE" else ts


def date_checks(s: str, value: str, what: str, has_format: bool) -> list[tuple[str, str]]:
    """Return the checks of a date column: text `s`, typed `value`; `what` names it in the
    reasons ('date', 'date/time'). An offset beyond ±14:00, unparseable text and a date
    outside the plausible range (metrics/plausible.py) each give their reason."""
    lo, hi = plausible.bounds()
    offset = f"regexp_matches({s}, '{_BAD_OFFSET}')"
    return [
        (f"{s} IS NOT NULL AND {value} IS NULL AND {offset}",
         _q("time zone offset beyond -12:00 to +14:00")),
        (f"{s} IS NOT NULL AND {value} IS NULL AND NOT {offset}",
         _q(f"unparseable or ambiguous {what} (use ISO 8601 such as 2024-03-31"
            + (" or the declared --date-format" if has_format else
               ", or declare the format with --date-format") + ")")),
        # Both bounds are included: a date/time on the last day is in range.
        (f"{value} < DATE '{lo.isoformat()}' OR {value} >= "
         f"(DATE '{hi.isoformat()}' + INTERVAL 1 DAY)",
         _q(f"{what} outside the plausible range {plausible.describe()} (settings "
            f"{' and '.join(plausible.SETTINGS)})")),
    ]


def _number(s: str) -> str:
    # Accept currency symbols, spaces and thousands separators ("$1,200.50"), as exports have.
    cleaned = (
        f"CASE WHEN regexp_full_match({s}, '[-+]?[$€£]?\\s*\\d{{1,3}}(,\\d{{3}})+(\\.\\d+)?') "
        f"THEN regexp_replace({s}, '[$€£,\\s]', '', 'g') "
        f"ELSE regexp_replace({s}, '^([-+]?)[$€£]\\s*', '\\1') END"
    )
    # Plain numbers (nearly all values) cast directly, without the two regular expressions: a
    # text that casts as it is has no comma and no currency sign, so cleaning it would not change
    # it (COALESCE evaluates the cleaning only for the rows whose direct cast is NULL).
    return f"COALESCE(TRY_CAST({s} AS DOUBLE), TRY_CAST({cleaned} AS DOUBLE))"


# Texts that exports write for "no value" (R's NA, spreadsheets' N/A and -, databases' NULL),
# compared case-insensitively after trimming: read as empty in every column. A required column
# with one is a rejected row that says so.
NULL_MARKERS = ("NA", "N/A", "NULL", "-")
_MARKERS_SQL = ", ".join(_q(m) for m in NULL_MARKERS)
_MARKER_MAX = max(len(m) for m in NULL_MARKERS)


def null_marker_sql(raw: str) -> str:
    """Return SQL that is TRUE when the text `raw` is a null marker (NULL_MARKERS)."""
    # The length test first: upper() of every value of a large file cost a fifth of its read.
    return f"(length(trim({raw})) <= {_MARKER_MAX} AND upper(trim({raw})) IN ({_MARKERS_SQL}))"


# Ids (every column named *_id): NFC-normalised with zero-width and BOM characters removed (and
# no-break spaces at their ends, which trim() leaves), so
# "A1", "A\u200b1" and "\ufeffA1" are one account ("normalise", the default), or such an id
# rejects its row ("reject"). The setting CSM_IDS chooses.
ID_SETTING = "CSM_IDS"
ID_MODES = ("normalise", "reject")
_INVISIBLE_RE = "[\u200b\u200c\u200d\u2060\ufeff]"


def id_mode() -> str:
    """Return how ids with invisible or decomposed characters are read: normalise or reject;
    raises ValueError naming the setting for any other value."""
    mode = os.environ.get(ID_SETTING, "").strip().lower() or "normalise"
    mode = {"normalize": "normalise"}.get(mode, mode)
    if mode not in ID_MODES:
        raise ValueError(f"{ID_SETTING}={mode!r}: use normalise or reject")
    return mode


def is_id(col: str) -> bool:
    """True for the columns holding ids (account_id, user_id, ticket_id, ...)."""
    return col.endswith("_id")


def _id_value(s: str) -> str:
    # Plain ASCII (byte length = character length) is already normal: the common case costs
    # two length computations, not a regular expression.
    return (f"CASE WHEN strlen({s}) = length({s}) THEN {s} ELSE NULLIF(nfc_normalize("
            f"regexp_replace(regexp_replace({s}, '{_INVISIBLE_RE}', '', 'g'), "
            "'^[\\s\u00a0\u202f]+|[\\s\u00a0\u202f]+$', '', 'g')), '') END")


def clean_text_sql(raw: str) -> str:
    """Return SQL of the text of stage column `raw` as every check reads it: trimmed, NULL
    when empty or a null marker."""
    return f"CASE WHEN {null_marker_sql(raw)} THEN NULL ELSE NULLIF(trim({raw}), '') END"


def column_plan(table: str, col: str, raw: str | None, has_format: bool,
                text: str | None = None) -> ColumnPlan:
    """Return the typed expression and checks of one canonical column.

    `raw` is the stage column holding its text, or None when the file does not have it. Empty
    text and the null markers are read as no value. `text` names a column that already holds
    `clean_text_sql(raw)` (the expressions then read it instead of computing it again)."""
    spec = TABLES[table].column(col)
    s = (text or clean_text_sql(raw)) if raw else "CAST(NULL AS VARCHAR)"
    checks: list[tuple[str, str]] = []
    label = col
    t = spec.type
    if t == "VARCHAR" and is_id(col) and raw:
        if id_mode() == "reject":
            checks.append((f"{_id_value(s)} IS DISTINCT FROM {s}", _q(
                "id holds invisible (zero-width or BOM) or not NFC-normalised characters "
                f"(setting {ID_SETTING}=reject)")))
        else:
            # The normalised id is the value every check sees: an id of invisible characters
            # only is empty, so a required one rejects its row.
            s = _id_value(s)
        value = s
    elif t == "VARCHAR":
        value = s
    elif t in ("DATE", "TIMESTAMP"):
        value = _parse(t, s, has_format)
        checks += date_checks(s, value, "date" if t == "DATE" else "date/time", has_format)
    elif t in ("INTEGER", "SMALLINT"):
        # DuckDB rounds '7.5' when casting to an integer: accept only whole-number text.
        whole = f"regexp_full_match({s}, '[-+]?[0-9]+')"
        value = f"CASE WHEN {whole} THEN TRY_CAST({s} AS {t}) END"
        lo, hi = (-32768, 32767) if t == "SMALLINT" else (-2147483648, 2147483647)
        checks.append((f"{s} IS NOT NULL AND {value} IS NULL AND NOT {whole}",
                       _q("not an integer")))
        checks.append((f"{s} IS NOT NULL AND {value} IS NULL AND {whole}",
                       _q(f"integer out of range ({lo:,} to {hi:,})")))
    elif t in ("DOUBLE",) or t.startswith("DECIMAL"):
        num = _number(s)
        checks.append((f"{s} IS NOT NULL AND {num} IS NULL", _q("not a number")))
        checks.append(
            (f"{num} IS NOT NULL AND (isnan({num}) OR isinf({num}))",
             _q("not a finite number (NaN or infinity)"))
        )
        if t.startswith("DECIMAL"):
            checks.append(
                (f"{num} IS NOT NULL AND NOT isnan({num}) AND NOT isinf({num}) "
                 f"AND abs({num}) >= 1e16", _q("number too large"))
            )
            value = (
                f"CASE WHEN isnan({num}) OR isinf({num}) OR abs({num}) >= 1e16 THEN NULL "
                f"ELSE CAST(round({num}, 2) AS {t}) END"
            )
        else:
            value = num
    elif t == "BOOLEAN":
        value = (
            f"CASE WHEN lower({s}) IN ('true','t','yes','y','1') THEN TRUE "
            f"WHEN lower({s}) IN ('false','f','no','n','0') THEN FALSE END"
        )
        checks.append((f"{s} IS NOT NULL AND {value} IS NULL", _q("expected true/false")))
    else:  # pragma: no cover - the schema has no other types
        raise AssertionError(t)
    # Every required column, ids included: an order or answer without its account would
    # otherwise load silently and count in no account's numbers but in cohort sizes.
    if spec.required:
        empty = _q(f"required value is empty ({label})")
        reason = (f"CASE WHEN {null_marker_sql(raw)} THEN {_q('required value is ')} || "
                  f"trim({raw}) || {_q(f', which stands for no value ({label})')} "
                  f"ELSE {empty} END") if raw else empty
        checks.insert(0, (f"{s} IS NULL", reason))
    return ColumnPlan(col, s, value, checks)


# Rules across columns of one row: (column reported, SQL condition on typed values, reason SQL).
ROW_RULES: dict[str, list[tuple[str, str, str]]] = {
    "accounts": [
        ("churn_date", "churn_date < signup_date", _q("churn_date is before signup_date")),
    ],
    "subscriptions": [
        ("end_date", "end_date <= start_date", _q("end_date must be after start_date")),
        ("mrr", "mrr < 0", _q("negative mrr (must be >= 0)")),
        ("billing_period", "billing_period IS NOT NULL AND billing_period NOT IN ('month','year')",
         _q("billing_period must be month or year")),
    ],
    "survey_responses": [
        ("survey_type", "survey_type IS NOT NULL AND survey_type NOT IN ('nps','csat','ces')",
         _q("survey_type must be nps, csat or ces")),
        ("scale", "survey_type = 'csat' AND coalesce(scale, $csat_scale) NOT IN (5, 10)",
         _q("csat scale must be 5 or 10")),
        ("score",
         "score IS NOT NULL AND survey_type IN ('nps','csat','ces') AND NOT ("
         "(survey_type = 'nps' AND score BETWEEN 0 AND 10) OR "
         "(survey_type = 'csat' AND score BETWEEN 1 AND coalesce(scale, $csat_scale)) OR "
         "(survey_type = 'ces' AND score BETWEEN 1 AND 7))",
         "'score ' || score || ' out of range ' || CASE survey_type WHEN 'nps' THEN '0-10' "
         "WHEN 'ces' THEN '1-7' ELSE '1-' || coalesce(scale, $csat_scale) END || ' for ' "
         "|| survey_type"),
    ],
    "tickets": [
        ("first_response_at", "first_response_at < created_at",
         _q("first_response_at is before created_at")),
        ("resolved_at", "resolved_at < created_at", _q("resolved_at is before created_at")),
        ("contacts", "contacts < 0", _q("contacts is negative")),
    ],
    "usage_events": [
        ("duration_seconds", "duration_seconds < 0", _q("negative duration_seconds")),
    ],
    "orders": [],
    "targets": [
        ("period_end", "period_end <= period_start", _q("period_end must be after period_start")),
    ],
}
