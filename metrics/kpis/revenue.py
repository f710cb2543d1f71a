"""Revenue: `mrr` (also served as `arpa`) (METRICS.md, ChartMogul conventions)."""

from __future__ import annotations

import pandas as pd

from metrics.kpis import empty_frame, finish, prepare, run_sql
from metrics.query import Query
from metrics.spec import MetricSpec, col, dtypes

MRR_COLS = (
    col("mrr", "float64", "MRR", "USD", "up", "monthly recurring revenue"),
    col("accounts", "int64", "Accounts", "accounts", "up", "paying accounts (MRR > 0)"),
    col("arpa", "float64", "ARPA", "USD", "up", "MRR ÷ paying accounts"),
)
MRR_COLUMNS = dtypes(MRR_COLS)


def mrr(cur, q: Query) -> pd.DataFrame:
    """MRR, paying accounts and ARPA on each period's last day (or as-of when partial).

    MRR on day d = sum of mrr of subscriptions with start_date <= d < end_date (end_date null =
    open; end_date is exclusive). accounts = accounts whose own MRR that day is > 0; arpa = mrr /
    accounts (null without paying accounts). Accounts are grouped and filtered by their current
    attribute values; subscriptions of accounts missing from `accounts` count only unfiltered.

    Columns: period, partial, [by], mrr, accounts, arpa.
    """
    dim, frame = prepare(cur, q, "mrr", ("subscriptions",), None)
    if frame is None:
        return empty_frame(MRR_COLUMNS, dim)
    raw = run_sql(cur, "mrr", frame.params)
    return finish(raw, MRR_COLUMNS, dim)


# The metrics of this module, described once (metrics.spec); the registry collects them.
SPECS = (
    MetricSpec(
        name="mrr",
        label="MRR",
        definition=(
            "Monthly recurring revenue of active subscriptions on the period's last day (or as-of)."
        ),
        formula=(
            "MRR(d) = Σ mrr of subscriptions with start_date ≤ d < end_date (open when end_date is "
            "empty); accounts = accounts with MRR > 0; arpa = mrr ÷ accounts"
        ),
        fn=mrr,
        cols=MRR_COLS,
        headline="mrr",
        query="mrr",
    ),
    MetricSpec(
        name="arpa",
        label="ARPA",
        definition="Average MRR per paying account on the period's last day (or as-of).",
        formula="arpa = MRR ÷ paying accounts on the same day (accounts with MRR > 0)",
        fn=mrr,
        cols=MRR_COLS,
        headline="arpa",
        query="mrr",
        numerator="mrr",
        denominator="accounts",
    ),
)
