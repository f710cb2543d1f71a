"""Customers, retention and churn: `logo_churn` (METRICS.md)."""

from __future__ import annotations

import pandas as pd

from metrics.kpis import empty_frame, finish, prepare, run_sql
from metrics.query import Query
from metrics.spec import MetricSpec, SettingSpec, col, dtypes

RETENTION_FORMULAS = ("standard", "classic")

LOGO_CHURN_COLS = (
    col("customers_start", "int64", "Customers at start", "customers", "up",
        "active on the previous period's last day"),
    col("new_customers", "int64", "New customers", "customers", "up", "signup_date in the period"),
    col("churned_customers", "int64", "Churned customers", "customers", "down",
        "churn_date in the period"),
    col("customers_end", "int64", "Customers", "customers", "up",
        "accounts that are customers on the period's last day (or as-of): signup_date ≤ day "
        "and churn_date empty or after it; the E of the identity S + N − C = E"),
    col("churn_rate", "float64", "Logo churn rate", "fraction", "down",
        "churned customers who were active at the start ÷ customers at the start",
        target_grain="month"),
    col("retention_rate", "float64", "Retention rate", "fraction", "up", "(S − C_start) ÷ S"),
    col("retention_rate_classic", "float64", "Retention rate (classic)", "fraction", "up",
        "(E − N) ÷ S"),
)
LOGO_CHURN_COLUMNS = dtypes(LOGO_CHURN_COLS)


def retention_formula(q: Query) -> str:
    """Return the `retention_formula` setting (standard | classic), validated."""
    value = str(q.setting("retention_formula", "standard")).strip().lower()
    if value not in RETENTION_FORMULAS:
        raise ValueError(
            f"retention_formula must be one of {', '.join(RETENTION_FORMULAS)}, not {value!r}"
        )
    return value


def logo_churn(cur, q: Query) -> pd.DataFrame:
    """Customers at the start and end of each period, new and churned customers, churn rates.

    S = customers active on the previous period's last day; N = signups in the period; C =
    churn_date in the period; E = active on the period's last day (or as-of when partial), so
    S + N - C = E. churn_rate = C_start / S (C_start: churned who were in S); retention_rate =
    (S - C_start) / S; retention_rate_classic = (E - N) / S. Null when S = 0. Accounts are grouped
    and filtered by their current attribute values. Only accounts.churn_date marks churn.

    Columns: period, partial, [by], customers_start, new_customers, churned_customers,
    customers_end, churn_rate, retention_rate, retention_rate_classic.
    """
    retention_formula(q)  # validated here; it only picks the registry's headline retention
    dim, frame = prepare(cur, q, "logo_churn", ("accounts",), None)
    if frame is None:
        return empty_frame(LOGO_CHURN_COLUMNS, dim)
    raw = run_sql(cur, "logo_churn", frame.params)
    return finish(raw, LOGO_CHURN_COLUMNS, dim)


# The metrics of this module, described once (metrics.spec); the registry collects them.
SPECS = (
    MetricSpec(
        name="logo_churn",
        label="Logo churn",
        definition="Share of the customers active at the start of the period who churned in it.",
        formula=(
            "churn_rate = C_start ÷ S (C_start: churned who were among the S customers active on "
            "the previous period's last day); retention_rate = (S − C_start) ÷ S; "
            "retention_rate_classic = (E − N) ÷ S; S + N − C = E"
        ),
        fn=logo_churn,
        cols=LOGO_CHURN_COLS,
        headline="churn_rate",
        query="logo_churn",
        denominator="customers_start",
        setting_specs=(
            SettingSpec("retention_formula", "choice", "standard",
                        "standard (S − C_start) ÷ S, or the textbook (E − N) ÷ S",
                        ("standard", "classic")),
        ),
        setting_columns={
            "retention_formula": {
                "standard": "retention_rate",
                "classic": "retention_rate_classic",
            },
        },
    ),
)
