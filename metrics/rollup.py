"""Usage rollups: small-enough tables derived from usage_events, refreshed at every import.

usage_events is the big table (10M rows in the large demo set). The usage metrics read two
rollups instead, kept in step with it inside the load's own transaction (so a failed load leaves
them unchanged too); the raw events stay for drill-down.

- `usage_daily`: one row per UTC day, account_id, user_id and feature (NULL feature kept as its
  own row) with `events` (count) and `seconds` (sum of duration_seconds, NULL when every
  duration is NULL). Days are UTC days: occurred_at is stored in UTC (DATA.md).
- `usage_monthly`: one row per calendar month and account_id with `users` (distinct users with
  an event in the month), `user_days` (distinct (user, day) pairs: the sum over the month's
  days of that day's active users), events and seconds. Users belong to one account, so the
  monthly active users of any set of accounts are a plain sum: no distinct count over 10M rows.

Both are exact re-aggregations: every usage metric gives the same result from them as from the
raw events (tests/unit/test_rollup.py checks it on random data).
"""

from __future__ import annotations

import re

ROLLUP_TABLES = ("usage_daily", "usage_monthly")

DDL = (
    """CREATE TABLE IF NOT EXISTS usage_daily (
        day DATE NOT NULL, account_id VARCHAR, user_id VARCHAR, feature VARCHAR,
        events BIGINT NOT NULL, seconds DOUBLE)""",
    """CREATE TABLE IF NOT EXISTS usage_monthly (
        month DATE NOT NULL, account_id VARCHAR, users BIGINT NOT NULL,
        user_days BIGINT NOT NULL, events BIGINT NOT NULL, seconds DOUBLE)""",
)

# `$days` restricts a refresh to some days (a temp table of days); the full rebuild has none.
_DAILY_SELECT = """
SELECT CAST(occurred_at AS DATE) AS day, account_id, user_id, feature,
       CAST(count(*) AS BIGINT) AS events, sum(duration_seconds) AS seconds
FROM usage_events
{where}
GROUP BY ALL"""

# Per user and month, the active days as a bit mask of days of the month (bit_or is cheap; a
# distinct count is not); then per account.
_MONTHLY_SELECT = """
SELECT month, account_id, CAST(count(*) AS BIGINT) AS users,
       CAST(sum(bit_count(mask)) AS BIGINT) AS user_days,
       CAST(sum(events) AS BIGINT) AS events, sum(seconds) AS seconds
FROM (
    SELECT CAST(date_trunc('month', day) AS DATE) AS month, account_id, user_id,
           bit_or(CAST(1 AS BIGINT) << (dayofmonth(day) - 1)) AS mask,
           sum(events) AS events, sum(seconds) AS seconds
    FROM usage_daily
    {where}
    GROUP BY ALL
)
GROUP BY ALL"""


def create(cur) -> None:
    """Create the rollup tables when missing (schema migration v2)."""
    for ddl in DDL:
        cur.execute(ddl)


def refresh(cur) -> None:
    """Rebuild both rollups from usage_events (inside the caller's transaction)."""
    create(cur)
    cur.execute("DELETE FROM usage_daily")
    cur.execute("INSERT INTO usage_daily " + _DAILY_SELECT.format(where=""))
    cur.execute("DELETE FROM usage_monthly")
    cur.execute("INSERT INTO usage_monthly " + _MONTHLY_SELECT.format(where=""))


def refresh_days(cur, rows_table: str) -> None:
    """Recompute the rollups for the days (and their months) that rows in `rows_table` fall on.

    `rows_table` holds the rows just appended (it needs an `occurred_at` column); days it does
    not touch are left as they are, so an append costs what it adds."""
    if not re.fullmatch(r"[A-Za-z_]\w*", rows_table):
        raise ValueError(f"bad table name {rows_table!r}")
    create(cur)
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _rollup_days AS SELECT DISTINCT CAST(occurred_at AS DATE) "
        f"AS day FROM {rows_table} WHERE occurred_at IS NOT NULL"
    )
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _rollup_months AS SELECT DISTINCT "
        "CAST(date_trunc('month', day) AS DATE) AS month FROM _rollup_days"
    )
    try:
        cur.execute("DELETE FROM usage_daily WHERE day IN (SELECT day FROM _rollup_days)")
        lo_hi = (
            "WHERE occurred_at >= (SELECT min(day) FROM _rollup_days) "
            "AND occurred_at < (SELECT max(day) + 1 FROM _rollup_days) "
            "AND CAST(occurred_at AS DATE) IN (SELECT day FROM _rollup_days)"
        )
        cur.execute("INSERT INTO usage_daily " + _DAILY_SELECT.format(where=lo_hi))
        cur.execute("DELETE FROM usage_monthly WHERE month IN (SELECT month FROM _rollup_months)")
        cur.execute(
            "INSERT INTO usage_monthly "
            + _MONTHLY_SELECT.format(
                where="WHERE CAST(date_trunc('month', day) AS DATE) IN "
                "(SELECT month FROM _rollup_months)"
            )
        )
    finally:
        cur.execute("DROP TABLE IF EXISTS _rollup_days")
        cur.execute("DROP TABLE IF EXISTS _rollup_months")


def refresh_after_load(cur, table: str, mode: str, rows_table: str) -> None:
    """Keep the rollups in step after a load into `table` (a no-op for other tables).

    A `replace` load rebuilds them; an `append` recomputes only the days it touched."""
    if table != "usage_events":
        return
    if mode == "replace":
        refresh(cur)
    else:
        refresh_days(cur, rows_table)
