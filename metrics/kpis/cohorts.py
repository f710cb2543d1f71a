"""Cohort retention: `cohort_retention` by the month of first activity (METRICS.md)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
from pandas.api.types import pandas_dtype

from metrics import dimensions, periods
from metrics.kpis import run_sql
from metrics.query import Query
from metrics.spec import MetricSpec, SettingSpec, col, dtypes

BASES = ("subscriptions", "orders", "usage")
BASIS_TABLES = {"subscriptions": ("subscriptions",), "orders": ("orders",),
                "usage": ("usage_events",)}
COHORT_COLS = (
    col("cohort", "object", "Cohort", "date", None, "month of first activity"),
    col("period_number", "int64", "Months since cohort", "number", None),
    col("cohort_size", "int64", "Cohort size", "accounts", None),
    col("retained", "int64", "Retained", "accounts", "up"),
    col("retention", "float64", "Retention", "fraction", "up", "retained ÷ cohort_size"),
    col("revenue_retention", "float64", "Revenue retention", "rate", "up",
        "cohort MRR in month k ÷ in month 0"),
    col("partial", "bool", "Partial", "flag", None, "the month containing as-of: not complete yet"),
)
COHORT_COLUMNS = dtypes(COHORT_COLS)


def basis(q: Query) -> str:
    """Return the `basis` setting (subscriptions | orders | usage), validated."""
    value = str(q.setting("basis", "subscriptions")).strip().lower()
    if value not in BASES:
        raise ValueError(f"basis must be one of {', '.join(BASES)}, not {value!r}")
    return value


def _empty(dim: dimensions.Dimension) -> pd.DataFrame:
    cols = ([dim.name] if dim.active else []) + list(COHORT_COLUMNS)
    return pd.DataFrame({c: pd.Series([], dtype=COHORT_COLUMNS.get(c, "object")) for c in cols})


def cohort_retention(cur, q: Query) -> pd.DataFrame:
    """Retention of each cohort month k months later, on the chosen `basis`.

    Cohort = the calendar month of the account's first activity (MRR > 0, an order, or a usage
    event) on or before as-of; cohorts whose month starts in the window are output. retained =
    accounts of the cohort active in month k (k = 0, 1, ... up to the month holding as-of,
    `partial` unless as-of is its last day); retention = retained / cohort_size;
    revenue_retention (subscriptions only, else null) = cohort MRR on month k's last day (or
    as-of) / cohort MRR on month 0's.
    `--grain` is ignored.

    Columns: [by], cohort, period_number, cohort_size, retained, retention, revenue_retention,
    partial.
    """
    b = basis(q)
    dim = dimensions.resolve_dimension(cur, q.by, "cohort_retention", None)
    start, end, as_of = periods.resolve_window(cur, q.with_(grain="month"), BASIS_TABLES[b])
    if start is None or end is None or as_of is None or start >= end:
        return _empty(dim)
    params = {
        "basis": b,
        "as_of": as_of,
        "as_of_end": periods.day_start(as_of + timedelta(days=1)),
        "cur_start": start,
        "cur_end": min(end, as_of + timedelta(days=1)),
        **dimensions.scope_params(cur, q),
        **dimensions.dimension_params(dim),
    }
    raw = run_sql(cur, "cohort_retention", params)
    if raw.empty:
        return _empty(dim)
    out = pd.DataFrame()
    if dim.active:
        out[dim.name] = raw["grp"].astype(object).where(raw["grp"].notna(), None)
    out["cohort"] = pd.to_datetime(raw["cohort"]).dt.date.astype(object)
    for c, dtype in COHORT_COLUMNS.items():
        if c == "cohort":
            continue
        out[c] = (pd.to_numeric(raw[c], errors="coerce").astype(pandas_dtype(dtype))
                  if dtype == "float64" else raw[c].astype(pandas_dtype(dtype)))
    return out.reset_index(drop=True)


def cohort_accounts(cur, q: Query, cohort: str, period_number: int) -> pd.DataFrame:
    """Return the accounts of one cohort and whether each was retained in month k:
    account_id, name, segment, cohort, retained (bool), on the query's basis."""
    df = cohort_retention(cur, q.with_(by="account_id"))
    c = pd.Timestamp(cohort).date()
    members = df[(df["cohort"] == c)]
    at_k = members[members["period_number"] == int(period_number)]
    names = run_sql(cur, "account_names", {"ids": [str(a) for a in members["account_id"]]})
    out = pd.DataFrame({"account_id": at_k["account_id"].astype(str),
                        "retained": at_k["retained"] > 0}).merge(names, on="account_id",
                                                                 how="left")
    out["cohort"] = c
    return out[["account_id", "name", "segment", "cohort", "retained"]].sort_values(
        ["retained", "account_id"], ascending=[False, True]).reset_index(drop=True)


# The metrics of this module, described once (metrics.spec); the registry collects them.
SPECS = (
    MetricSpec(
        name="cohort_retention",
        label="Cohort retention",
        definition=(
            "Share of each cohort (month of first activity) still active k months later, with "
            "revenue retention for subscriptions."
        ),
        formula=(
            "cohort = month of first MRR > 0 / order / usage event (basis); retention = accounts "
            "active in month k ÷ cohort_size; revenue_retention = cohort MRR on month k's last day "
            "÷ cohort MRR on month 0's last day"
        ),
        fn=cohort_retention,
        cols=COHORT_COLS,
        headline="retention",
        query="cohort_retention",
        numerator="retained",
        denominator="cohort_size",
        setting_specs=(
            SettingSpec("basis", "choice", "subscriptions",
                        "what makes an account active in a month",
                        ("subscriptions", "orders", "usage")),
        ),
        periods=False,
    ),
)
