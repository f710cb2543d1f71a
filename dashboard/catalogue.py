"""The dashboard's pages, as plain data: what the navigation shows (`dashboard/app.py`), which
page files the AppTest tests open, and what each page computes in its default view, so the
benchmark (`csm bench`, tools/bench) measures the queries the pages run.

No Streamlit here: the benchmark runs `compute_page` on a bare cursor.

A page's calls are items ("metric", name), ("metric", name, changes), ("detail", name) (a
drill-down list the page shows on open, `details`) or ("sql", named query, params).
`changes` alter the page's query for that call (`metrics.query.page_query`): Query fields
such as {"grain": "all", "by": "segment"}, {"window": "previous"} for the window of equal
length just before the page's and {"days": N} for its last N days.

`calls` are made through `dashboard.context` (metric / named_query / detail): tests/app checks them
against what the page really asks for (`context.on_query`). `other_calls` stand for work the
page does through a metrics function of its own (review.build, goals.proposals, the health
page's one query over many dates): the same metrics and named queries, listed so the
benchmark measures them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from metrics import registry
from metrics.kpis import load_sql
from metrics.periods import resolve_as_of
from metrics.query import Query, page_query

VIEWS = Path(__file__).resolve().parent / "views"
SECTIONS = ("Metrics", "Team", "Data")


@dataclass(frozen=True)
class Page:
    """One page of the app: where it is, how navigation shows it and what it computes."""
    key: str  # the benchmark's name for the page, and its url_path
    title: str
    file: str  # under dashboard/views
    icon: str
    section: str  # one of SECTIONS
    calls: tuple[tuple, ...]
    other_calls: tuple[tuple, ...] = ()
    # named queries of the row the page opens by default (the account 360): checked with the
    # calls, not benchmarked (their parameters are that row's)
    selected: tuple[str, ...] = ()
    default: bool = False

    @property
    def url_path(self) -> str:
        """Return the page's URL path ("" for the default page: the app's root)."""
        return "" if self.default else self.key

    @property
    def view(self) -> str:
        """Return the page file as AppTest's switch_page names it ("views/overview.py")."""
        return f"views/{self.file}"

    @property
    def path(self) -> Path:
        """Return the page file's absolute path."""
        return VIEWS / self.file


FILTERS = ("sql", "filter_values", {})  # the sidebar's options: app.py, before every page


def _targets(metric: str) -> tuple:
    from metrics.goals import target_names

    return ("sql", "targets_for_metric", {"metrics": target_names(metric), "segment": None})


PAGES: tuple[Page, ...] = (
    Page("overview", "Overview", "overview.py", ":material/dashboard:", "Metrics", default=True,
         calls=(FILTERS, ("metric", "logo_churn"), ("metric", "mrr"), ("metric", "nps"),
                ("metric", "csat"), ("metric", "support"), ("metric", "nrr"), ("metric", "grr"),
                ("metric", "health_inputs"),
                *(_targets(k) for k in ("customers_end", "mrr", "logo_churn", "nps", "csat",
                                        "support", "fcr_rate", "nrr", "grr", "new_customers",
                                        "tickets")))),
    # default view: grain month, league by segment; every tab runs on open
    Page("satisfaction", "Satisfaction", "satisfaction.py", ":material/sentiment_satisfied:",
         "Metrics",
         calls=(FILTERS, ("metric", "nps"), ("metric", "csat"), ("metric", "ces"),
                ("metric", "nps", {"grain": "all"}),
                ("metric", "csat", {"grain": "all"}),
                ("metric", "ces", {"grain": "all"}),
                ("metric", "nps", {"grain": "all", "window": "previous"}),
                ("metric", "csat", {"grain": "all", "window": "previous"}),
                ("metric", "ces", {"grain": "all", "window": "previous"}),
                _targets("nps"),
                ("metric", "nps", {"grain": "all", "by": "segment"}),
                ("metric", "nps_distribution", {"grain": "all"}),
                ("metric", "nps_themes", {"grain": "all"}),
                ("metric", "nps_comments"),
                ("metric", "nps_revenue", {"grain": "all"}),
                ("metric", "feedback_coverage", {"grain": "all"}),
                ("metric", "unheard_accounts"),
                ("metric", "advocates"))),
    # default view: grain month, first tab; st.tabs runs every tab on open
    Page("retention", "Retention & revenue", "retention.py", ":material/trending_up:", "Metrics",
         calls=(FILTERS, ("metric", "mrr_movements"), ("metric", "mrr"), ("metric", "nrr"),
                ("metric", "grr"), ("metric", "quick_ratio"), ("metric", "logo_churn"),
                ("metric", "revenue_churn"), ("metric", "ltv"), _targets("mrr"),
                _targets("logo_churn"), ("metric", "mrr", {"by": "segment"}),
                ("metric", "cohort_retention"), ("metric", "survival", {"by": "segment"}),
                ("metric", "renewal_rate"), ("detail", "upcoming_renewals"),
                ("metric", "clv_model"), ("metric", "clv"),
                ("metric", "clv_simple", {"by": "segment", "grain": "all"}))),
    # default view: grain month, breakdown by channel
    Page("support", "Support", "support.py", ":material/support_agent:", "Metrics",
         calls=(FILTERS, ("metric", "support"),
                ("metric", "support", {"grain": "all", "by": "channel"}),
                ("metric", "support_distribution", {"grain": "all"}),
                ("metric", "support_accounts", {"grain": "all"}),
                *(_targets(k) for k in ("tickets", "fcr_rate", "support", "first_response_p90_h",
                                        "resolution_median_h", "sla_attainment")))),
    # default view: grain month, adoption over the last 30 days
    Page("usage", "Usage", "usage.py", ":material/insights:", "Metrics",
         calls=(FILTERS, ("metric", "usage"), ("metric", "usage", {"by": "segment"}),
                ("metric", "feature_adoption", {"days": 30}),
                ("metric", "feature_adoption", {"days": 30, "by": "segment"}),
                ("metric", "account_usage", {"days": 30}))),
    # today's raw inputs (scored in pandas), then the band mix and the backtest, whose dates
    # dashboard/components/health/data.py reads in one health_inputs_many query
    Page("health", "Health", "health.py", ":material/monitor_heart:", "Metrics",
         calls=(FILTERS, ("metric", "health_inputs")),
         other_calls=(("metric", "health_mix"), ("metric", "health_backtest"))),
    # the book of business, its health (raw inputs scored in pandas), the team tab
    Page("accounts", "Accounts", "accounts.py", ":material/contacts:", "Metrics",
         calls=(FILTERS, ("metric", "account_book"), ("metric", "health_inputs"),
                ("metric", "nrr", {"grain": "all", "by": "csm_owner"}),
                ("metric", "nps", {"grain": "all", "by": "csm_owner"}),
                ("metric", "logo_churn", {"grain": "all", "by": "csm_owner"})),
         selected=("account_profile", "account_mrr_history", "account_surveys",
                   "account_tickets", "account_usage_history", "account_features")),
    # metrics.review.build: the KPIs over the last two weeks by week (its account lists run
    # once per week shown)
    Page("weekly", "Weekly review", "weekly.py", ":material/event_note:", "Team",
         calls=(FILTERS,),
         other_calls=(
             *[("metric", m, {"grain": "week", "days": 14})
               for m in ("nps", "csat", "ces", "logo_churn", "mrr", "support", "usage",
                         "nps_revenue", "feedback_coverage")],
             ("sql", "alert_history", {"limit": 1000, "from_day": None, "to_day": None}))),
    # stored targets, rules and history, and the proposals (each targeted metric by quarter;
    # the demo's targets name these), through dashboard/components/goals/parts.py
    Page("goals", "Goals", "goals.py", ":material/flag:", "Team",
         calls=(FILTERS,),
         other_calls=(("sql", "targets_all", {}),
                      ("metric", "nps", {"grain": "quarter"}),
                      ("metric", "csat", {"grain": "quarter"}),
                      ("metric", "logo_churn", {"grain": "quarter"}),
                      ("metric", "mrr", {"grain": "quarter"}),
                      ("metric", "support", {"grain": "quarter"}),
                      ("sql", "alert_rules", {}),
                      ("sql", "alert_history", {"limit": 200, "from_day": None,
                                                "to_day": None}))),
    Page("data", "Data", "data.py", ":material/upload_file:", "Data",
         calls=(FILTERS, ("sql", "table_counts", {}), ("sql", "loads_history", {}))),
)

# page key -> every item the page computes (calls, then other_calls): what the benchmark runs
CALLS: dict[str, list[tuple]] = {p.key: [*p.calls, *p.other_calls] for p in PAGES}


def page(key: str) -> Page:
    """Return the page named `key` (KeyError for an unknown one)."""
    for p in PAGES:
        if p.key == key:
            return p
    raise KeyError(key)


def sections() -> dict[str, list[Page]]:
    """Return {section: its pages in navigation order}."""
    return {s: [p for p in PAGES if p.section == s] for s in SECTIONS}


def default_query(cur, grain: str = "month") -> Query:
    """Return the dashboard's opening query: the 12 calendar months up to as-of."""
    as_of = resolve_as_of(cur, Query()) or date.today()
    m = as_of.month - 11
    start = date(as_of.year + (m - 1) // 12, (m - 1) % 12 + 1, 1)
    return Query(start=start, end=as_of + timedelta(days=1), grain=grain)


def item_key(item: tuple) -> str:
    """Return the key of one page item in `compute_page`'s result: the metric or query name,
    followed by its changes or parameters when it has any ("nps[grain=all]")."""
    extra = item[2] if len(item) > 2 else {}
    if not extra:
        return item[1]
    return f"{item[1]}[{','.join(f'{k}={v}' for k, v in extra.items())}]"


def compute_page(cur, key: str, q: Query, on_item=None) -> dict:
    """Run every item of page `key` (`CALLS`) on query `q` and return {item_key: DataFrame};
    `on_item(item_key)` is called before each item (the benchmark times them with it)."""
    out = {}
    for item in CALLS[key]:
        name = item_key(item)
        if on_item is not None:
            on_item(name)
        changes = item[2] if len(item) > 2 else None
        if item[0] == "metric":
            out[name] = registry.compute(cur, item[1], page_query(q, changes))
        elif item[0] == "detail":
            out[name] = details()[item[1]](cur, page_query(q, changes))
        else:
            out[name] = cur.execute(load_sql(item[1]), item[2]).df()
    return out


def details() -> dict:
    """Return the lists behind a clicked bar or cell: {name: fn(cur, q, **kw) -> DataFrame}."""
    from metrics.kpis import cohorts, renewals, retention, support, usage

    return {"support_tickets": support.tickets_behind, "feature_accounts": usage.accounts_behind,
            "movement_accounts": retention.accounts_behind,
            "cohort_accounts": cohorts.cohort_accounts,
            "upcoming_renewals": renewals.upcoming_renewals}
