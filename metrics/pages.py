"""What each dashboard page computes, described without Streamlit, so the benchmark measures
the same queries the pages run (`csm bench`: cold and warm compute per page)."""

from __future__ import annotations

from datetime import date, timedelta

from metrics import registry
from metrics.kpis import load_sql
from metrics.periods import resolve_as_of
from metrics.query import Query

# page -> list of ("metric", name), ("metric", name, changes) or ("sql", named query, params).
# `changes` alter the page's query for that call (`page_query`): Query fields such as
# {"grain": "all", "by": "segment"}, and {"window": "previous"} for the window of equal length
# just before the page's.
PAGES: dict[str, list[tuple]] = {
    "overview": [
        ("sql", "filter_values", {}),
        ("metric", "logo_churn"),
        ("metric", "mrr"),
        ("metric", "nps"),
        ("metric", "csat"),
        ("metric", "support"),
        ("sql", "targets_for_metric", {"metric": "nps", "segment": None}),
        ("metric", "nrr"),
        ("metric", "grr"),
    ],
    # dashboard/views/satisfaction.py in its default view (grain month, league by segment)
    "satisfaction": [
        ("sql", "filter_values", {}),
        ("metric", "nps"),
        ("metric", "csat"),
        ("metric", "ces"),
        ("metric", "nps", {"grain": "all"}),
        ("metric", "csat", {"grain": "all"}),
        ("metric", "ces", {"grain": "all"}),
        ("metric", "nps", {"grain": "all", "window": "previous"}),
        ("metric", "csat", {"grain": "all", "window": "previous"}),
        ("metric", "ces", {"grain": "all", "window": "previous"}),
        ("sql", "targets_for_metric", {"metric": "nps", "segment": None}),
        ("metric", "nps", {"grain": "all", "by": "segment"}),
        ("metric", "nps_distribution", {"grain": "all"}),
        ("metric", "nps_themes", {"grain": "all"}),
        ("metric", "nps_comments"),
        ("metric", "nps_revenue", {"grain": "all"}),
        ("metric", "feedback_coverage", {"grain": "all"}),
        ("metric", "unheard_accounts"),
        ("metric", "advocates"),
    ],
    # dashboard/views/support.py in its default view (grain month, breakdown by channel)
    "support": [
        ("sql", "filter_values", {}),
        ("metric", "support"),
        ("metric", "support", {"grain": "all", "by": "channel"}),
        ("metric", "support_distribution", {"grain": "all"}),
        ("metric", "support_accounts", {"grain": "all"}),
    ],
    # dashboard/views/usage.py in its default view (grain month, adoption over the last 30 days)
    "usage": [
        ("sql", "filter_values", {}),
        ("metric", "usage"),
        ("metric", "usage", {"by": "segment"}),
        ("metric", "feature_adoption", {"days": 30}),
        ("metric", "feature_adoption", {"days": 30, "by": "segment"}),
        ("metric", "account_usage", {"days": 30}),
    ],
    # dashboard/views/health.py: today's scores, the band mix over time, the backtest (the page
    # reads today's raw inputs through `health_inputs` and those of the mix and backtest dates in
    # one `health_inputs_many` query, and scores them in pandas)
    "health": [
        ("sql", "filter_values", {}),
        ("metric", "health_accounts"),
        ("metric", "health_mix"),
        ("metric", "health_backtest"),
    ],
    # dashboard/views/accounts.py: the book of business (health, MRR, NPS, tickets per account)
    "accounts": [
        ("sql", "filter_values", {}),
        ("metric", "health_accounts"),
        ("metric", "account_book"),
    ],
    # dashboard/views/retention.py in its default view (grain month, first tab; the other tabs
    # are computed on open too, as st.tabs runs every tab)
    "retention": [
        ("sql", "filter_values", {}),
        ("metric", "mrr_movements"),
        ("metric", "mrr"),
        ("metric", "nrr"),
        ("metric", "grr"),
        ("metric", "quick_ratio"),
        ("metric", "logo_churn"),
        ("metric", "revenue_churn"),
        ("metric", "ltv"),
        ("sql", "targets_for_metric", {"metric": "mrr", "segment": None}),
        ("sql", "targets_for_metric", {"metric": "logo_churn", "segment": None}),
        ("metric", "mrr", {"by": "segment"}),
        ("metric", "cohort_retention"),
        ("metric", "survival", {"by": "segment"}),
        ("metric", "renewal_rate"),
        ("metric", "clv_model"),
        ("metric", "clv"),
        ("metric", "clv_simple", {"by": "segment", "grain": "all"}),
    ],
    "data": [
        ("sql", "filter_values", {}),
        ("sql", "table_counts", {}),
        ("sql", "loads_history", {}),
    ],
    # dashboard/views/goals.py: stored targets, rules and history, and the proposals (each
    # targeted metric by quarter; the demo's targets name these)
    "goals": [
        ("sql", "filter_values", {}),
        ("sql", "targets_all", {}),
        ("metric", "nps", {"grain": "quarter"}),
        ("metric", "csat", {"grain": "quarter"}),
        ("metric", "logo_churn", {"grain": "quarter"}),
        ("metric", "mrr", {"grain": "quarter"}),
        ("metric", "support", {"grain": "quarter"}),
        ("sql", "alert_rules", {}),
        ("sql", "alert_history", {"limit": 200, "from_day": None, "to_day": None}),
    ],
    # dashboard/views/weekly.py (metrics.review.build): the KPIs over the last two weeks by
    # week; its account lists (review_accounts, review_detractors) run once per week shown
    "weekly": [
        ("sql", "filter_values", {}),
        *[("metric", m, {"grain": "week", "days": 14})
          for m in ("nps", "csat", "ces", "logo_churn", "mrr", "support", "usage",
                    "nps_revenue", "feedback_coverage")],
        ("sql", "alert_history", {"limit": 1000, "from_day": None, "to_day": None}),
    ],
}


def default_query(cur, grain: str = "month") -> Query:
    """Return the dashboard's opening query: the 12 calendar months up to as-of."""
    as_of = resolve_as_of(cur, Query()) or date.today()
    m = as_of.month - 11
    start = date(as_of.year + (m - 1) // 12, (m - 1) % 12 + 1, 1)
    return Query(start=start, end=as_of + timedelta(days=1), grain=grain)


def previous_window(q: Query) -> Query:
    """Return `q` on the window of equal length that ends where q's starts (unchanged when q
    has no explicit start and end)."""
    if q.start is None or q.end is None:
        return q
    length = q.end - q.start
    return q.with_(start=q.start - length, end=q.start)


def last_days(q: Query, days: int) -> Query:
    """Return `q` cut to the last `days` days of its window (end kept; never before its
    start). Unchanged without an explicit end."""
    if q.end is None:
        return q
    start = q.end - timedelta(days=days)
    return q.with_(start=max(start, q.start) if q.start else start)


def page_query(q: Query, changes: dict | None = None) -> Query:
    """Return the query of one page item: `q` with `changes` (Query fields, "window":
    "previous" for `previous_window`, and "days": N for `last_days`)."""
    changes = dict(changes or {})
    window = changes.pop("window", None)
    days = changes.pop("days", None)
    out = q.with_(**changes) if changes else q
    if days:  # the last `days` days of the window, its end kept
        out = last_days(out, int(days))
    return previous_window(out) if window == "previous" else out


def item_key(item: tuple) -> str:
    """Return the key of one page item in `compute_page`'s result: the metric or query name,
    followed by its changes or parameters when it has any ("nps[grain=all]")."""
    extra = item[2] if len(item) > 2 else {}
    if not extra:
        return item[1]
    return f"{item[1]}[{','.join(f'{k}={v}' for k, v in extra.items())}]"


def compute_page(cur, page: str, q: Query) -> dict:
    """Run every query of `page` and return {item_key: DataFrame}."""
    out = {}
    for item in PAGES[page]:
        if item[0] == "metric":
            changes = item[2] if len(item) > 2 else None
            out[item_key(item)] = registry.compute(cur, item[1], page_query(q, changes))
        else:
            out[item_key(item)] = cur.execute(load_sql(item[1]), item[2]).df()
    return out


def details() -> dict:
    """Return the lists behind a clicked bar or cell: {name: fn(cur, q, **kw) -> DataFrame}."""
    from metrics.kpis import cohorts, renewals, retention, support, usage

    return {"support_tickets": support.tickets_behind, "feature_accounts": usage.accounts_behind,
            "movement_accounts": retention.accounts_behind,
            "cohort_accounts": cohorts.cohort_accounts,
            "upcoming_renewals": renewals.upcoming_renewals}
