"""Metric functions, one module per area, and the plumbing they share.

A metric is `fn(cur, q: Query) -> DataFrame`. Its SQL lives in `metrics/sql/NAME.sql` (DuckDB
`$name` parameters, bound at execute time). A query may include a shared CTE fragment with a line
`-- @include FRAGMENT` (e.g. `account_scope`); fragments are our own files, never user input.

Output frame conventions (DATA.md "Output"): `period` (date of the period's first day) and
`partial` (bool) first, then the `--by` column when asked, then the metric's columns from
METRICS.md. Counts are int64, rates float64 with NaN for undefined values (never 0).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import pandas as pd
from pandas.api.types import pandas_dtype

from metrics import dimensions, periods, reuse
from metrics.query import Query

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
_INCLUDE = re.compile(r"^[ \t]*--[ \t]*@include[ \t]+([A-Za-z_]\w*)[ \t]*$", re.M)
_PARAM = re.compile(r"\$([A-Za-z_]\w*)")
_COMMENT = re.compile(r"--[^\n]*")


@cache
def load_sql(name: str) -> str:
    """Return the text of `metrics/sql/NAME.sql` with its `-- @include` lines expanded."""
    if not re.fullmatch(r"[A-Za-z_]\w*", name):
        raise ValueError(f"bad SQL file name {name!r}")
    path = SQL_DIR / f"{name}.sql"
    text = path.read_text(encoding="utf-8")
    return _INCLUDE.sub(lambda m: load_sql(m.group(1)).strip(), text)


@cache
def sql_files(name: str) -> tuple[str, ...]:
    """Return `name` and the fragments its `-- @include` lines bring in, depth first, each once
    (the files "show the math" lists, derived from the SQL itself)."""
    if not re.fullmatch(r"[A-Za-z_]\w*", name):
        raise ValueError(f"bad SQL file name {name!r}")
    out = [name]
    for inc in _INCLUDE.findall((SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")):
        out.extend(f for f in sql_files(inc) if f not in out)
    return tuple(out)


def sql_params(sql: str) -> set[str]:
    """Return the `$name` parameters a query uses (comments ignored)."""
    return set(_PARAM.findall(_COMMENT.sub("", sql)))


def run_sql(cur, name: str, params: dict) -> pd.DataFrame:
    """Execute the named query with the parameters it uses bound; return a DataFrame (inside a
    `metrics.reuse.reusing` block, a copy of the result of the same query already run there)."""
    sql = load_sql(name)
    used = sql_params(sql)
    missing = used - params.keys()
    if missing:
        raise KeyError(f"query {name} needs parameters {sorted(missing)}")
    bound = {k: params[k] for k in used}
    return reuse.run(name, bound, lambda: cur.execute(sql, bound).df())


@dataclass
class Frame:
    """A resolved window for one metric call: periods, as-of, dimension and bound parameters."""

    start: date
    end: date
    as_of: date
    periods: pd.DataFrame
    dim: dimensions.Dimension
    params: dict = field(default_factory=dict)


def prepare(
    cur, q: Query, metric: str, tables: tuple[str, ...], fact_table: str | None
) -> tuple[dimensions.Dimension, Frame | None]:
    """Resolve dimension, window and periods; return (dimension, frame or None when empty).

    `tables` are the tables whose earliest date starts the default window; `fact_table` the
    table whose own columns may serve as `--by` dimensions. The bound parameters are:
    period lists `$p_start`, `$p_end`, `$p_partial`; `$grain` and `$trunc` (the date_trunc unit,
    'day' for grain all); `$range_start` (first period start), `$range_end` (exclusive end of the
    facts read: the last period's end or the day after as-of, the earlier); `$base_end` (stocks
    before the first period are taken on the day before it); `$as_of_end` (as-of + 1 day, as a
    timestamp); the scope filters and dimension parameters of `metrics.dimensions`."""
    dim = dimensions.resolve_dimension(cur, q.by, metric, fact_table)
    start, end, as_of = periods.resolve_window(cur, q, tables)
    if start is None or end is None or as_of is None:
        return dim, None
    frame = periods.periods(start, end, q.grain, as_of)
    if frame.empty:
        return dim, None
    after_as_of = as_of + timedelta(days=1)
    range_start = frame["period"].iloc[0]
    range_end = min(frame["period_end"].iloc[-1], after_as_of)
    params = {
        "p_start": list(frame["period"]),
        "p_end": list(frame["period_end"]),
        "p_partial": [bool(x) for x in frame["partial"]],
        "grain": q.grain,
        "trunc": "day" if q.grain == "all" else q.grain,
        "range_start": range_start,
        "range_end": range_end,
        "base_end": min(range_start, after_as_of),
        "as_of_end": periods.day_start(after_as_of),
        **dimensions.scope_params(cur, q),
        **dimensions.dimension_params(dim),
    }
    return dim, Frame(start, end, as_of, frame, dim, params)


def _lead(dim: dimensions.Dimension) -> list[str]:
    return ["period", "partial"] + ([dim.name] if dim.active else [])


def empty_frame(columns: dict[str, str], dim: dimensions.Dimension) -> pd.DataFrame:
    """Return an empty frame with the metric's output columns and dtypes."""
    out = {"period": pd.Series([], dtype=object), "partial": pd.Series([], dtype=bool)}
    if dim.active:
        out[dim.name] = pd.Series([], dtype=object)
    for name, dtype in columns.items():
        out[name] = pd.Series([], dtype=dtype)
    return pd.DataFrame(out)


def finish(raw: pd.DataFrame, columns: dict[str, str], dim: dimensions.Dimension) -> pd.DataFrame:
    """Shape a query result (period, partial, grp, metric columns) into the output frame."""
    if raw.empty:
        return empty_frame(columns, dim)
    out = pd.DataFrame(
        {
            "period": pd.to_datetime(raw["period"]).dt.date.astype(object),
            "partial": raw["partial"].astype(bool),
        }
    )
    if dim.active:
        out[dim.name] = raw["grp"].astype(object).where(raw["grp"].notna(), None)
    for name, dtype in columns.items():
        col = raw[name]
        if dtype == "float64":
            out[name] = pd.to_numeric(col, errors="coerce").astype("float64")
        else:
            out[name] = col.astype(pandas_dtype(dtype))
    return out.reset_index(drop=True)[_lead(dim) + list(columns)]


@dataclass
class Window:
    """A resolved window for metrics without periods (feature_adoption, account lists).

    `[start, end)` is the window; facts are read in `[start, fact_end)` with fact_end = the
    earlier of end and as-of + 1 day; the previous window has the same length and ends at
    `start`; `last_day` / `prev_last_day` are the days "active customer" is judged on (the
    window's last day, capped at as-of; the day before start)."""

    start: date
    end: date
    as_of: date
    dim: dimensions.Dimension
    params: dict = field(default_factory=dict)

    @property
    def days(self) -> int:
        """Return the window's length in days."""
        return (self.end - self.start).days


def prepare_window(
    cur, q: Query, metric: str, tables: tuple[str, ...], fact_table: str | None
) -> tuple[dimensions.Dimension, Window | None]:
    """Resolve dimension and window (grain ignored); return (dimension, window or None).

    Bound parameters: `$cur_start`, `$cur_end` (fact end), `$prev_start`, `$cur_last`,
    `$prev_last`, `$as_of_end` (as-of + 1 day as a timestamp), the scope filters and the
    dimension parameters of `metrics.dimensions`."""
    dim = dimensions.resolve_dimension(cur, q.by, metric, fact_table)
    start, end, as_of = periods.resolve_window(cur, q.with_(grain="all"), tables)
    if start is None or end is None or as_of is None or start >= end:
        return dim, None
    after_as_of = as_of + timedelta(days=1)
    length = end - start
    params = {
        "cur_start": start,
        "cur_end": min(end, after_as_of),
        "prev_start": start - length,
        "cur_last": min(end - timedelta(days=1), as_of),
        "prev_last": start - timedelta(days=1),
        "as_of_end": periods.day_start(after_as_of),
        **dimensions.scope_params(cur, q),
        **dimensions.dimension_params(dim),
    }
    return dim, Window(start, end, as_of, dim, params)
