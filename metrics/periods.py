"""Windows, as-of and periods (DATA.md "Command line: csm"; METRICS.md preamble).

Rules implemented here, in one place, for every metric with periods:

- **as-of** is a whole UTC day. Without `q.as_of` it is the latest day present in the data, taken
  from the columns of `AS_OF_COLUMNS` only (all six tables, whatever the metric reads, so every
  metric on a page shares one as-of), capped at today (UTC). No data at all: as-of is `None` and
  the metric returns an empty frame.
- **window** `[start, end)`: `q.start` / `q.end` when given. Without `q.start`, the first day of the
  period (of the query's grain) that holds the earliest date in the tables the metric reads; for
  `grain all` that earliest day itself. Without `q.end`, the day after as-of.
- **periods**: a period is output when it *starts* inside the window; it is computed over its
  whole calendar extent `[period, period_end)` (which may run past `end`), with facts dated after
  as-of left out; it is `partial` when `period_end > as_of + 1 day`. Weeks are ISO (Monday).
  `grain all` is one period `[start, end)`, partial when `end > as_of + 1 day`.
- **evaluation day** of a period (for stocks such as customers or MRR): its last day, or as-of
  when the period is partial (a period that starts after as-of is evaluated on as-of too).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd

from metrics.query import GRAINS, Query

ONE_DAY = timedelta(days=1)

# Date columns that define "the data" for the as-of default and the earliest date of a window
# (DATA.md, `--as-of`). Identifiers are fixed here; nothing user-supplied reaches them.
AS_OF_COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": ("signup_date", "churn_date"),
    "subscriptions": ("start_date", "end_date"),
    "survey_responses": ("responded_at",),
    "tickets": ("created_at", "first_response_at", "resolved_at"),
    "usage_events": ("occurred_at",),
    "orders": ("ordered_at",),
}

# The days of usage_events are also those of its daily rollup (metrics/rollup.py, kept in step
# in the load's transaction), which is all a database holds when the rollups were computed
# elsewhere (`csm load --rollups`, from Spark): the bounds read both, so they are the events'
# own whenever the events are there.
ROLLED_UP: dict[str, tuple[tuple[str, str], ...]] = {"usage_events": (("usage_daily", "day"),)}


def today() -> date:
    """Return today's date in UTC (the cap of the as-of default)."""
    return datetime.now(UTC).date()


def _check_tables(tables: Iterable[str] | None) -> tuple[str, ...]:
    names = tuple(AS_OF_COLUMNS) if tables is None else tuple(tables)
    unknown = [t for t in names if t not in AS_OF_COLUMNS]
    if unknown:
        raise ValueError(
            f"no date columns known for table(s) {unknown}; known: {list(AS_OF_COLUMNS)}"
        )
    return names


def _bounds_sql(tables: tuple[str, ...]) -> str:
    # Built only from the AS_OF_COLUMNS allowlist (checked above); no values are formatted in.
    # min/max before the cast (the cast to DATE is monotonic, so the result is the same): DuckDB
    # then answers from column statistics instead of scanning (10M usage events: ~1 ms, not 0.1 s).
    parts = [
        f"SELECT '{t}' AS tbl, CAST(min({c}) AS DATE) AS lo, CAST(max({c}) AS DATE) AS hi FROM {s}"
        for t in tables
        for s, c in [(t, c) for c in AS_OF_COLUMNS[t]] + list(ROLLED_UP.get(t, ()))
    ]
    return "SELECT min(lo), max(hi) FROM (" + " UNION ALL ".join(parts) + ")"


def data_bounds(cur, tables: Iterable[str] | None = None) -> tuple[date | None, date | None]:
    """Return (earliest day, latest day) over the date columns of `tables` (None = all tables)."""
    names = _check_tables(tables)
    lo, hi = cur.execute(_bounds_sql(names)).fetchone()
    return lo, hi


def resolve_as_of(cur, q: Query, tables: Iterable[str] | None = None) -> date | None:
    """Return as-of: `q.as_of`, else the latest day in the data capped at today (UTC).

    `tables` restricts the columns looked at; `None` (what every metric uses) means all the
    columns DATA.md lists. Returns `None` when there is no data at all and no `q.as_of`."""
    if q.as_of is not None:
        return q.as_of
    _, hi = data_bounds(cur, tables)
    if hi is None:
        return None
    return min(hi, today())


def floor_period(d: date, grain: str) -> date:
    """Return the first day of the `grain` period holding `d` (ISO week: Monday)."""
    if grain == "day":
        return d
    if grain == "week":
        return d - timedelta(days=d.weekday())
    if grain == "month":
        return d.replace(day=1)
    if grain == "quarter":
        return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    if grain == "year":
        return date(d.year, 1, 1)
    raise ValueError(f"unknown grain {grain!r}; choose one of {', '.join(GRAINS)}")


def next_period(p: date, grain: str) -> date:
    """Return the first day of the period after the one starting on `p`."""
    if grain == "day":
        return p + ONE_DAY
    if grain == "week":
        return p + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}.get(grain)
    if months is None:
        raise ValueError(f"unknown grain {grain!r}; choose one of {', '.join(GRAINS)}")
    m = p.month - 1 + months
    return date(p.year + m // 12, m % 12 + 1, 1)


def ceil_period(d: date, grain: str) -> date:
    """Return the first period start on or after `d`."""
    f = floor_period(d, grain)
    return f if f == d else next_period(f, grain)


def resolve_window(
    cur, q: Query, tables: Iterable[str] | None
) -> tuple[date | None, date | None, date | None]:
    """Return (start, end, as_of) of the query's window `[start, end)`.

    `tables` are the tables the metric reads, for the default start. Any element is `None` when
    it cannot be resolved (empty database without explicit dates); the metric is then empty."""
    if q.grain not in GRAINS:
        raise ValueError(f"unknown grain {q.grain!r}; choose one of {', '.join(GRAINS)}")
    as_of = resolve_as_of(cur, q)
    start = q.start
    if start is None:
        lo, _ = data_bounds(cur, tables)
        if lo is not None:
            start = lo if q.grain == "all" else floor_period(lo, q.grain)
    end = q.end
    if end is None and as_of is not None:
        end = as_of + ONE_DAY
    return start, end, as_of


def periods(start: date, end: date, grain: str, as_of: date) -> pd.DataFrame:
    """Return the periods starting inside `[start, end)`: columns period, period_end, partial.

    `period_end` is exclusive; `partial` is `period_end > as_of + 1 day`. `grain all` gives the
    single period `[start, end)` (none when the window is empty)."""
    limit = as_of + ONE_DAY
    rows: list[tuple[date, date, bool]] = []
    if grain == "all":
        if start < end:
            rows.append((start, end, end > limit))
    else:
        p = ceil_period(start, grain)
        while p < end:
            nxt = next_period(p, grain)
            rows.append((p, nxt, nxt > limit))
            p = nxt
    df = pd.DataFrame(rows, columns=["period", "period_end", "partial"])
    df["partial"] = df["partial"].astype(bool)
    return df


def eval_days(frame: pd.DataFrame, as_of: date) -> list[date]:
    """Return each period's evaluation day: its last day, or as-of for a partial period."""
    return [min(e - ONE_DAY, as_of) for e in frame["period_end"]]


def day_start(d: date) -> datetime:
    """Return midnight (UTC, naive like the stored timestamps) at the start of day `d`."""
    return datetime.combine(d, time.min)


def coverage(frame: pd.DataFrame, grain: str, as_of: date | None) -> pd.DataFrame:
    """Return `frame` (a metric frame with `period` and `partial`) with two integer columns
    added: `period_days`, the days of each period, and `days_so_far`, those on or before as-of
    (= period_days for a complete period). Charts label a partial period with them ("so far: 1
    of 31 days"). `frame` is returned unchanged for grain `all`, without as-of or without a
    `period` column."""
    if grain == "all" or as_of is None or "period" not in frame or "partial" not in frame:
        return frame
    starts = [floor_period(p, grain) if isinstance(p, date) else None for p in frame["period"]]
    total = [(next_period(s, grain) - s).days if s else 0 for s in starts]
    done = [max(0, min(t, (as_of - s).days + 1)) if s else 0
            for s, t in zip(starts, total, strict=True)]
    return frame.assign(period_days=pd.Series(total, index=frame.index, dtype="int64"),
                        days_so_far=pd.Series(done, index=frame.index, dtype="int64"))
