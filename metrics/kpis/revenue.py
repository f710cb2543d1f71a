"""Revenue: `mrr` (also served as `arpa`) (METRICS.md, ChartMogul conventions)."""

from __future__ import annotations

import pandas as pd

from metrics.kpis import empty_frame, finish, prepare, run_sql
from metrics.query import Query

MRR_COLUMNS = {"mrr": "float64", "accounts": "int64", "arpa": "float64"}


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
