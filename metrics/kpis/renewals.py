"""Renewals: `renewal_rate` of the renewals that came due, and the upcoming renewals calendar
(METRICS.md "renewal_rate")."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from metrics import dimensions, periods
from metrics.kpis import empty_frame, finish, prepare, run_sql
from metrics.query import Query

RENEWAL_COLUMNS = {
    "due": "int64",
    "renewed": "int64",
    "churned": "int64",
    "pending": "int64",
    "renewal_rate": "float64",
    "arr_due": "float64",
    "arr_renewed": "float64",
}
RENEWAL_WINDOW_DAYS = 30


def renewal_rate(cur, q: Query) -> pd.DataFrame:
    """Renewals that came due in each period and how many renewed.

    A due is an account's subscription end_date, or its renewal_date when in the past, on or
    before as-of (one per account and day). renewed = a new subscription of the account starts
    within 30 days on or after the due day; churned = not renewed; pending = due less than 30
    days before as-of (outcome unknown: left out of renewed, churned and the rate). renewal_rate
    = renewed / (renewed + churned), null without decided dues. arr_due = 12 × the account's MRR
    on the day before the due day (the contract coming up; end dates are exclusive);
    arr_renewed = the same for the renewed.

    Columns: period, partial, [by], due, renewed, churned, pending, renewal_rate, arr_due,
    arr_renewed.
    """
    dim, frame = prepare(cur, q, "renewal_rate", ("subscriptions", "accounts"), None)
    if frame is None:
        return empty_frame(RENEWAL_COLUMNS, dim)
    raw = run_sql(cur, "renewal_rate", frame.params)
    return finish(raw, RENEWAL_COLUMNS, dim)


def upcoming_renewals(cur, q: Query, days: int = 365) -> pd.DataFrame:
    """Return the active accounts whose renewal_date falls in the `days` days after as-of:
    account_id, name, segment, renewal_date, month, arr (12 × MRR on as-of), soonest first."""
    as_of = periods.resolve_as_of(cur, q)
    if as_of is None:
        return pd.DataFrame(columns=["account_id", "name", "segment", "renewal_date", "month",
                                     "arr"])
    params = {"as_of": as_of, "until": as_of + timedelta(days=int(days) + 1),
              **dimensions.scope_params(cur, q),
              **dimensions.dimension_params(dimensions.NO_DIMENSION)}
    out = run_sql(cur, "renewals_upcoming", params)
    for c in ("renewal_date", "month"):
        out[c] = pd.to_datetime(out[c]).dt.date.astype(object)
    return out
