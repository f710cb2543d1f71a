"""The dashboard's pages, as plain data: what the navigation shows (`dashboard/app.py`), which
page files the AppTest tests open, and what each page computes in its default view, so the
benchmark (`csm bench`, tools/bench) measures the queries the pages run.

No Streamlit here: the benchmark runs `compute_page` on a bare cursor.

A page's calls are items ("metric", name), ("metric", name, changes), ("detail", name) (a
drill-down list the page shows on open, `details`) or ("sql", named query, params).
`changes` alter the page's query for that call (`metrics.query.page_query`): Query fields
such as {"grain": "all", "by": "segment"}, {"window": "previous"} for the window of equal
length just before the page's and {"days": N} for its last N days.

Each page file (dashboard/views/NAME.py) declares what it computes, beside the code that does
it, as module-level `CALLS` (and `OTHER_CALLS`, `SELECTED` where it has them); `declared` reads
them from the source, so a metric shown on a page needs no edit here. `calls` are made through
`dashboard.context` (metric / named_query / detail): tests/app checks them against what the
page really asks for (`context.on_query`). `other_calls` stand for work the page does through a
metrics function of its own (review.build, goals.proposals, the health page's one query over
many dates), and for what its other tabs compute when opened (a page's tabs are lazy: only the
open one runs, `CALLS` are the first tab's): the same metrics and named queries, listed so the
benchmark measures them too.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from metrics import registry
from metrics.kpis import load_sql
from metrics.periods import resolve_as_of
from metrics.query import Query, page_query

VIEWS = Path(__file__).resolve().parent / "views"
SECTIONS = ("Metrics", "Team", "Data")


@dataclass(frozen=True)
class Page:
    """One page of the app: where it is and how navigation shows it. What it computes is
    declared in the page file itself (`CALLS`, `OTHER_CALLS`, `SELECTED`: `declared`)."""
    key: str  # the benchmark's name for the page, and its url_path
    title: str
    file: str  # under dashboard/views
    icon: str
    section: str  # one of SECTIONS
    default: bool = False
    # work of a metrics function the page calls that is not the page's own: kept here
    more: tuple[tuple, ...] = ()

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

    @property
    def calls(self) -> tuple[tuple, ...]:
        """Return what the page computes on open through `dashboard.context`: the sidebar's
        options (FILTERS, app.py computes them before every page), then the page's `CALLS`."""
        return (FILTERS, *declared(self.file)["CALLS"])

    @property
    def other_calls(self) -> tuple[tuple, ...]:
        """Return the work the page does through metrics functions of its own, or in a tab
        that is not open by default: the page's `OTHER_CALLS`, then `more`."""
        return (*declared(self.file)["OTHER_CALLS"], *self.more)

    @property
    def selected(self) -> tuple[str, ...]:
        """Return the named queries of the row the page opens by default (`SELECTED`): checked
        with the calls, not benchmarked (their parameters are that row's)."""
        return declared(self.file)["SELECTED"]


FILTERS = ("sql", "filter_values", {})  # the sidebar's options: app.py, before every page


def targets(metric: str) -> tuple:
    """Return the item of a page that reads the stored targets of `metric` (its card's)."""
    from metrics.goals import target_names

    return ("sql", "targets_for_metric", {"metrics": target_names(metric), "segment": None})


# What a page file may declare, and the names its declarations may use.
DECLARED = ("CALLS", "OTHER_CALLS", "SELECTED")
_NAMESPACE = {"targets": targets}


@cache
def declared(file: str) -> dict[str, tuple]:
    """Return {"CALLS", "OTHER_CALLS", "SELECTED": tuple} as page file `file` (under
    dashboard/views) declares them at module level (() for one it leaves out).

    The views are Streamlit scripts that run on import, so they are never imported here: the
    source is parsed and only the expression of each assignment is evaluated, with `targets`
    as the one name it may use (the view imports it from here, so it runs there too)."""
    tree = ast.parse((VIEWS / file).read_text(encoding="utf-8"), filename=file)
    found: dict[str, tuple] = {}
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id in DECLARED):
            code = compile(ast.Expression(node.value), str(VIEWS / file), "eval")
            found[node.targets[0].id] = tuple(eval(code, {"__builtins__": {}, **_NAMESPACE}))
    if "CALLS" not in found:  # a page computes something; none declared is a mistake
        raise ValueError(f"dashboard/views/{file} declares no CALLS")
    return {name: found.get(name, ()) for name in DECLARED}


PAGES: tuple[Page, ...] = (
    Page("overview", "Overview", "overview.py", ":material/dashboard:", "Metrics", default=True),
    Page("satisfaction", "Satisfaction", "satisfaction.py", ":material/sentiment_satisfied:",
         "Metrics"),
    Page("retention", "Retention & revenue", "retention.py", ":material/trending_up:", "Metrics"),
    Page("support", "Support", "support.py", ":material/support_agent:", "Metrics"),
    Page("usage", "Usage", "usage.py", ":material/insights:", "Metrics"),
    Page("health", "Health", "health.py", ":material/monitor_heart:", "Metrics"),
    Page("accounts", "Accounts", "accounts.py", ":material/contacts:", "Metrics"),
    # metrics.review.build: the KPIs over the last two weeks by week (its account lists run
    # once per week shown)
    Page("weekly", "Weekly review", "weekly.py", ":material/event_note:", "Team",
         more=(*[("metric", m, {"grain": "week", "days": 14})
                 for m in ("nps", "csat", "ces", "logo_churn", "mrr", "support", "usage",
                           "nps_revenue", "feedback_coverage")],
               ("sql", "alert_history", {"limit": 1000, "from_day": None, "to_day": None}))),
    Page("tasks", "Tasks", "tasks.py", ":material/task_alt:", "Team"),
    Page("goals", "Goals", "goals.py", ":material/flag:", "Team"),
    Page("data", "Data", "data.py", ":material/upload_file:", "Data"),
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
    `on_item(item_key)` is called before each item (the benchmark times them with it).

    The metrics and lists share the results of the queries they have in common, as in a
    dashboard page run (`dashboard.context`: one `reuse` key for the data); the page's own
    named queries read the database every time."""
    from metrics import reuse

    with reuse.scope(), reuse.reusing():
        return _compute_items(cur, key, q, on_item)


def _compute_items(cur, key: str, q: Query, on_item) -> dict:
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
