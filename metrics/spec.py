"""What a metric is, said once: `MetricSpec` with its `ColumnSpec`s and `SettingSpec`s.

Each metric module declares the specs of the metrics it computes (`SPECS`); `metrics.registry`
only collects them. KPI cards, table labels, goals (units and ranges), the weekly review and its
packs, alert rules, the CLI's settings flags, "show the math" and the generated metric reference
(docs/metrics.md) all read these specs: nothing guesses a unit or a direction from a name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# unit -> (kind, lowest valid value, highest valid value); None = unbounded on that side.
# kind says how a value is formatted and compared: rate (0–1 shown as %), points, money, hours,
# days, count (whole things: accounts, tickets, users …), score, ratio, text, date, flag.
UNITS: dict[str, tuple[str, float | None, float | None]] = {
    "fraction": ("rate", 0.0, 1.0),
    "change": ("rate_change", -1.0, 1.0),  # a difference of two rates, in points of a percent
    "rate": ("rate", None, None),  # a ratio shown as a percentage that may pass 100% or 0
    "points": ("points", -100.0, 100.0),
    "USD": ("money", None, None),
    "hours": ("hours", 0.0, None),
    "days": ("days", 0.0, None),
    "accounts": ("count", 0.0, None),
    "customers": ("count", 0.0, None),
    "tickets": ("count", 0.0, None),
    "users": ("count", 0.0, None),
    "responses": ("count", 0.0, None),
    "events": ("count", 0.0, None),
    "orders": ("count", 0.0, None),
    "features": ("count", 0.0, None),
    "count": ("count", 0.0, None),
    "score": ("score", None, None),
    "ratio": ("ratio", 0.0, None),
    "number": ("number", None, None),
    "text": ("text", None, None),
    "date": ("date", None, None),
    "flag": ("flag", None, None),
}
GRAINS = ("day", "week", "month", "quarter", "year")
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$|^[A-Za-z]$")


@dataclass(frozen=True)
class ColumnSpec:
    """One output column: its dtype, what people call it, its unit and which way is good.

    `direction` is "up" (higher is better), "down" (lower is better) or None (a quantity with no
    better side, or an identifier). `target_grain` is the grain a target of this column is
    stated in (a monthly churn-rate target is compared with monthly values only); None = any
    grain. `range` narrows the unit's valid range (the 1–7 CES scale, the 0–100 health score)."""

    name: str
    dtype: str
    label: str
    unit: str
    direction: str | None = None
    explain: str = ""
    target_grain: str | None = None
    range: tuple[float | None, float | None] | None = None
    short: str = ""  # a shorter label where space is tight (a page's own cards)

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"column {self.name}: unknown unit {self.unit!r}")
        if self.direction not in (None, "up", "down"):
            raise ValueError(f"column {self.name}: direction must be up, down or None")
        if self.target_grain not in (None, *GRAINS):
            raise ValueError(f"column {self.name}: unknown target grain {self.target_grain!r}")

    @property
    def short_label(self) -> str:
        """Return the short label, or the label when the column has none."""
        return self.short or self.label

    @property
    def kind(self) -> str:
        """Return the unit's kind (rate, points, money, hours, days, count, score, …)."""
        return UNITS[self.unit][0]

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        """Return the (low, high) a value of this column can take (None: unbounded)."""
        return self.range if self.range is not None else UNITS[self.unit][1:]

    @property
    def targetable(self) -> bool:
        """Return whether a target can be set on this column (a comparable quantity)."""
        return self.direction is not None and self.kind not in ("text", "date", "flag")

    def out_of_range(self, value: float) -> str | None:
        """Return why `value` cannot be a value of this column, or None when it can."""
        lo, hi = self.bounds
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            span = f"{'−∞' if lo is None else f'{lo:g}'}–{'∞' if hi is None else f'{hi:g}'}"
            if self.kind == "rate" and (lo, hi) == (0.0, 1.0):
                return f"{value:g} is outside 0–1; {self.label} is a fraction (write 85% as 0.85)"
            return f"{value:g} is outside {span}; {self.label} is in {self.unit}"
        return None


@dataclass(frozen=True)
class SettingSpec:
    """A named convention of a metric: its type, choices, default and command-line flag.

    `type` is "choice", "int", "float", "text" or "mapping" (KEY=NUMBER pairs, e.g. SLA hours)."""

    name: str
    type: str
    default: Any
    help: str
    choices: tuple[str, ...] | None = None

    @property
    def flag(self) -> str:
        """Return the CLI option, the setting's name in kebab case (`--nps-basis`)."""
        return "--" + self.name.replace("_", "-")


@dataclass(frozen=True)
class MetricSpec:
    """A metric described once: what it means, how it is computed and what it returns.

    `query` is the metric's main file in metrics/sql (its `-- @include` fragments are found from
    the file itself); `extra_queries` are further files the function runs. `columns` are the
    output column names after `period`, `partial` and the `--by` column; `cols` their specs."""

    name: str
    label: str
    definition: str
    formula: str
    fn: Callable[..., Any]
    cols: tuple[ColumnSpec, ...]
    headline: str
    query: str
    extra_queries: tuple[str, ...] = ()
    numerator: str | None = None
    denominator: str | None = None
    excluded: str | None = None
    setting_specs: tuple[SettingSpec, ...] = ()
    # A setting that picks which column is the headline of a concept, e.g.
    # {"retention_formula": {"standard": "retention_rate", "classic": "retention_rate_classic"}}
    setting_columns: dict[str, dict[str, str]] = field(default_factory=dict)
    periods: bool = True  # has `period`/`partial` and honours --grain
    # In the weekly review's KPI table. False for a metric with several rows a period (a
    # distribution, themes) or whose headline repeats another KPI (mrr_movements' mrr_end).
    in_review: bool = True
    # Why a week's value differs from the same metric's month on another page (a trailing
    # window), said beside it in the weekly review; "" when it does not.
    review_note: str = ""

    def __post_init__(self) -> None:
        names = [c.name for c in self.cols]
        if len(set(names)) != len(names):
            raise ValueError(f"metric {self.name}: a column is declared twice")
        for col in (self.headline, self.numerator, self.denominator, self.excluded):
            if col is not None and col not in names:
                raise ValueError(f"metric {self.name}: {col} is not one of its columns")

    @property
    def columns(self) -> tuple[str, ...]:
        """Return the output column names, in order."""
        return tuple(c.name for c in self.cols)

    @property
    def dtypes(self) -> dict[str, str]:
        """Return {column: dtype} of the output columns, in order."""
        return {c.name: c.dtype for c in self.cols}

    def column(self, name: str) -> ColumnSpec:
        """Return the spec of output column `name` (KeyError naming the metric otherwise)."""
        for c in self.cols:
            if c.name == name:
                return c
        raise KeyError(f"metric {self.name} has no column {name!r}")

    @property
    def head(self) -> ColumnSpec:
        """Return the spec of the headline column (what a KPI card shows)."""
        return self.column(self.headline)

    @property
    def unit(self) -> str:
        """Return the headline column's unit."""
        return self.head.unit

    @property
    def direction(self) -> str:
        """Return the headline column's direction ("up" when it has none)."""
        return self.head.direction or "up"

    @property
    def settings(self) -> dict[str, Any]:
        """Return {setting: default} of the metric's settings."""
        return {s.name: s.default for s in self.setting_specs}

    @property
    def sql(self) -> tuple[str, ...]:
        """Return the SQL files behind the metric: its query, the fragments it includes (depth
        first, each once), then the extra queries and their fragments."""
        from metrics.kpis import sql_files  # kpis imports this module: resolve at call time

        out: list[str] = []
        for q in (self.query, *self.extra_queries):
            for f in sql_files(q):
                if f not in out:
                    out.append(f)
        return tuple(out)

    def column_for(self, setting: str, q=None) -> str:
        """Return the column a setting selects under the query's settings (or the default)."""
        choices = self.setting_columns[setting]
        value = self.settings.get(setting)
        if q is not None:
            value = q.setting(setting, value)
        value = str(value).strip().lower()
        if value not in choices:
            raise ValueError(f"{setting} must be one of {', '.join(choices)}, not {value!r}")
        return choices[value]

    def summary(self) -> dict:
        """Return name, label, unit, direction and definition (what `csm metrics` lists)."""
        return {
            "name": self.name,
            "label": self.label,
            "unit": self.unit,
            "direction": self.direction,
            "definition": self.definition,
        }


def col(name: str, dtype: str, label: str, unit: str, direction: str | None = None,
        explain: str = "", **kw) -> ColumnSpec:
    """Return a ColumnSpec (a short spelling for the column tables of the metric modules)."""
    return ColumnSpec(name, dtype, label, unit, direction, explain, **kw)


def dtypes(cols: tuple[ColumnSpec, ...] | list[ColumnSpec]) -> dict[str, str]:
    """Return {name: dtype} of a column table, in order."""
    return {c.name: c.dtype for c in cols}


# Columns that many metrics share, declared once (a metric module puts them in its tables).
CI_LOW = col("ci_low", "float64", "95% interval, low", "number", None,
             "lower end of the 95% confidence interval, in the metric's unit")
CI_HIGH = col("ci_high", "float64", "95% interval, high", "number", None,
              "upper end of the 95% confidence interval, in the metric's unit")
SMALL_N = col("small_n", "bool", "Fewer than 30 responses", "flag", None,
              "true when n < 30: the value moves a lot with a few answers")
ACCOUNT_ID = col("account_id", "object", "Account id", "text")
ACCOUNT_NAME = col("account_name", "object", "Account", "text")
SEGMENT = col("segment", "object", "Segment", "text")
CSM_OWNER = col("csm_owner", "object", "CSM", "text")
