"""What a metric is asked for: the window, grain, dimension, filters and settings.

A `Query` is frozen and hashable so the dashboard can cache on it. Metric functions take
`(cursor, query)` and return a DataFrame; see `metrics.registry`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

GRAINS = ("day", "week", "month", "quarter", "year", "all")


@dataclass(frozen=True)
class Query:
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

    def with_setting(self, name: str, value: Any) -> Query:
        """Return a copy with one setting changed."""
        s = dict(self.settings)
        s[name] = value
        return replace(self, settings=tuple(sorted(s.items())))
