"""Renewals: `renewal_rate` of the renewals that came due, and the upcoming renewals calendar
(METRICS.md "renewal_rate")."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from metrics import dimensions, periods
from metrics.kpis import empty_frame, finish, prepare, run_sql
from metrics.query import Query
from metrics.spec import MetricSpec, col, dtypes

RENEWAL_COLS = (
    col("due", "int64", "Renewals due", "count", None, "subscriptions coming due in the period"),
    col("renewed", "int64", "Renewed", "count", "up"),
    col("churned", "int64", "Not renewed", "count", "down",
        "due and no new subscription within 30 days"),
    col("decided", "int64", "Decided", "count", None,
        "renewed + not renewed: the dues whose outcome is known (the rate's denominator)"),
    col("pending", "int64", "Pending", "count", None,
        "due less than 30 days before as-of: not decided yet"),
    col("renewal_rate", "float64", "Renewal rate", "fraction", "up",
        "renewed ÷ (renewed + churned)"),
    col("arr_due", "float64", "ARR due", "USD", None, "12 × MRR on the day before the due day"),
    col("arr_renewed", "float64", "ARR renewed", "USD", "up"),
)
RENEWAL_COLUMNS = dtypes(RENEWAL_COLS)
RENEWAL_WINDOW_DAYS = 30
UPCOMING_COLUMNS = ["account_id", "name", "segment", "renewal_date", "month", "arr", "days_to",
                    "band"]
AT_RISK_BANDS = ("red", "yellow")  # the health bands whose renewals count as at risk
AT_RISK_HORIZONS = (30, 60, 90)  # days after as-of


def renewal_rate(cur, q: Query) -> pd.DataFrame:
    """Renewals that came due in each period and how many renewed.

    A due is an account's subscription end_date, or its renewal_date when in the past, on or
    before as-of (one per account and day). renewed = a new subscription of the account starts
    within 30 days on or after the due day; churned = not renewed; pending = due less than 30
    days before as-of (outcome unknown: left out of renewed, churned and the rate); decided =
    renewed + churned. renewal_rate = renewed / decided, null without decided dues. arr_due =
    12 × the account's MRR on the day before the due day (the contract coming up; end dates
    are exclusive); arr_renewed = the same for the renewed.

    Columns: period, partial, [by], due, renewed, churned, decided, pending, renewal_rate,
    arr_due, arr_renewed.
    """
    dim, frame = prepare(cur, q, "renewal_rate", ("subscriptions", "accounts"), None)
    if frame is None:
        return empty_frame(RENEWAL_COLUMNS, dim)
    raw = run_sql(cur, "renewal_rate", frame.params)
    return finish(raw, RENEWAL_COLUMNS, dim)


def provisional(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a renewal_rate frame for a chart: a period holding pending renewals is flagged
    `partial` too (its rate is not final: 100% of 1 decided of 14 due is not a fact) with a
    `partial_note` such as '1 of 14 decided, 13 pending'."""
    pending = frame["pending"].fillna(0).astype(int)
    notes = [f"{int(d):,} of {int(d) + p:,} decided, {p:,} pending" if p else ""
             for d, p in zip(frame["decided"], pending, strict=True)]
    return frame.assign(partial=frame["partial"].astype(bool) | (pending > 0),
                        partial_note=notes)


def upcoming_renewals(cur, q: Query, days: int = 365) -> pd.DataFrame:
    """Return the active accounts whose renewal_date falls in the `days` days after as-of:
    account_id, name, segment, renewal_date, month, arr (12 × MRR on as-of), days_to (days from
    as-of to the renewal), band (the account's health band on as-of from the `health` metric:
    green / yellow / red, null when unscored or the health model cannot be used), soonest
    first."""
    as_of = periods.resolve_as_of(cur, q)
    if as_of is None:
        return pd.DataFrame(columns=UPCOMING_COLUMNS)
    params = {"as_of": as_of, "until": as_of + timedelta(days=int(days) + 1),
              **dimensions.scope_params(cur, q),
              **dimensions.dimension_params(dimensions.NO_DIMENSION)}
    out = run_sql(cur, "renewals_upcoming", params)
    for c in ("renewal_date", "month"):
        out[c] = pd.to_datetime(out[c]).dt.date.astype(object)
    out["days_to"] = [(d - as_of).days for d in out["renewal_date"]]
    out["band"] = _bands(cur, q, as_of, out["account_id"])
    return out[UPCOMING_COLUMNS]


def _bands(cur, q: Query, as_of: date, account_ids: pd.Series) -> pd.Series:
    """Return the health band on `as_of` of each account (null when unscored) under the model
    `q` names."""
    from metrics import health

    if account_ids.empty:
        return pd.Series([], dtype=object)
    try:
        band = health.bands_on(cur, q, as_of)
    except health.ModelError:  # an unusable model file: every renewal is unscored
        return pd.Series([None] * len(account_ids), index=account_ids.index, dtype=object)
    out = account_ids.map(band).astype(object)
    return out.where(out.notna(), None)


def at_risk_renewals(up: pd.DataFrame, horizons: tuple[int, ...] = AT_RISK_HORIZONS
                     ) -> pd.DataFrame:
    """Return, for each horizon of days, the renewals of `up` (upcoming_renewals) due within
    it (cumulative: 60 days includes the first 30): within_days, accounts, arr, at_risk_accounts
    and at_risk_arr (the red and yellow accounts), at_risk_share (at-risk ARR ÷ ARR, null
    without ARR)."""
    rows = []
    for h in horizons:
        due = up[(up["days_to"] > 0) & (up["days_to"] <= h)]
        risk = due[due["band"].isin(AT_RISK_BANDS)]
        arr, risk_arr = float(due["arr"].sum()), float(risk["arr"].sum())
        rows.append({"within_days": int(h), "accounts": len(due), "arr": arr,
                     "at_risk_accounts": len(risk), "at_risk_arr": risk_arr,
                     "at_risk_share": risk_arr / arr if arr > 0 else float("nan")})
    return pd.DataFrame(rows, columns=["within_days", "accounts", "arr", "at_risk_accounts",
                                       "at_risk_arr", "at_risk_share"])


# The metrics of this module, described once (metrics.spec); the registry collects them.
SPECS = (
    MetricSpec(
        name="renewal_rate",
        label="Renewal rate",
        definition=(
            "Share of the renewals that came due in the period (and are decided) that renewed "
            "within 30 days."
        ),
        formula=(
            "due = subscription end_date or past renewal_date; renewed = a new subscription starts "
            "within 30 days of the due day; pending = due less than 30 days before as-of (left "
            "out); decided = renewed + churned; renewal_rate = renewed ÷ decided; ARR = 12 × MRR "
            "on the day before the due day"
        ),
        fn=renewal_rate,
        cols=RENEWAL_COLS,
        headline="renewal_rate",
        query="renewal_rate",
        numerator="renewed",
        denominator="decided",
        excluded="pending",
    ),
)
