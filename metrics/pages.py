"""What each dashboard page computes, described without Streamlit, so the benchmark measures
the same queries the pages run (`csm bench`: cold and warm compute per page)."""

from __future__ import annotations

from datetime import date, timedelta

from metrics import registry
from metrics.kpis import load_sql
from metrics.periods import resolve_as_of
from metrics.query import Query

# page -> list of ("metric", name) or ("sql", named query, params)
PAGES: dict[str, list[tuple]] = {
    "overview": [
        ("sql", "filter_values", {}),
        ("metric", "logo_churn"),
        ("metric", "mrr"),
        ("metric", "nps"),
        ("metric", "csat"),
        ("metric", "support"),
        ("sql", "targets_for_metric", {"metric": "nps", "segment": None}),
    ],
    "data": [
        ("sql", "filter_values", {}),
        ("sql", "table_counts", {}),
        ("sql", "loads_history", {}),
    ],
}


def default_query(cur, grain: str = "month") -> Query:
    """Return the dashboard's opening query: the 12 calendar months up to as-of."""
    as_of = resolve_as_of(cur, Query()) or date.today()
    m = as_of.month - 11
    start = date(as_of.year + (m - 1) // 12, (m - 1) % 12 + 1, 1)
    return Query(start=start, end=as_of + timedelta(days=1), grain=grain)


def compute_page(cur, page: str, q: Query) -> dict:
    """Run every query of `page` and return {name: DataFrame}."""
    out = {}
    for item in PAGES[page]:
        if item[0] == "metric":
            out[item[1]] = registry.compute(cur, item[1], q)
        else:
            out[item[1]] = cur.execute(load_sql(item[1]), item[2]).df()
    return out
