"""What a metric is asked for: the window, grain, dimension, filters and settings.

A `Query` is frozen and hashable so the dashboard can cache on it. Metric functions take
`(cursor, query)` and return a DataFrame; see `metrics.registry`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

GRAINS = ("day", "week", "month", "quarter", "year", "all")


@dataclass(frozen=True)
class Query:
    """What a page or command asks of a metric: window, as-of, grain, --by, filters, settings."""
    start: date | None = None  # --from, inclusive
    end: date | None = None  # --to, exclusive
    as_of: date | None = None  # a whole UTC day; None = latest data day capped at today
    grain: str = "month"
    by: str | None = None  # a canonical dimension or a custom attribute name
    # Global filters (empty tuple = no filter). They restrict the accounts in scope.
    segment: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    csm_owner: tuple[str, ...] = ()
    plan: tuple[str, ...] = ()
    # Custom attribute filters: ((attribute name as stored, (allowed values...)), ...)
    attributes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Convention settings, e.g. (("nps_basis", "latest"), ("csat_threshold", 4)); snake_case.
    settings: tuple[tuple[str, Any], ...] = field(default_factory=tuple)

    def setting(self, name: str, default: Any = None) -> Any:
        """Return the value of a setting, or `default` when it is not set."""
        return dict(self.settings).get(name, default)

    def with_(self, **changes: Any) -> Query:
        """Return a copy with some fields changed."""
        return replace(self, **changes)

    def without_filters(self) -> Query:
        """Return a copy without the global filters (every account in scope)."""
        return replace(self, segment=(), region=(), csm_owner=(), plan=(), attributes=())

    def with_setting(self, name: str, value: Any) -> Query:
        """Return a copy with one setting changed."""
        s = dict(self.settings)
        s[name] = value
        return replace(self, settings=tuple(sorted(s.items())))


# Windows of a query: the shapes the dashboard's pages ask for beside their main window.


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
