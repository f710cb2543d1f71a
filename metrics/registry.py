"""The metric registry: collects the `SPECS` each metric module declares (metrics.spec) and
answers by name. Pages, KPI cards, the CLI, goals, alerts, the weekly review and "show the
math" read metrics through it; nothing here describes a metric itself.

`compute(cur, name, q)` runs a metric; `list_metrics()` feeds `csm metrics`; `get(name)` returns
its `MetricSpec` (formula, SQL files, column specs, headline, settings and their defaults).
"""

from __future__ import annotations

import pandas as pd

from metrics import accounts
from metrics.health import spec as health_specs
from metrics.kpis import (
    clv,
    cohorts,
    customers,
    feedback,
    followup,
    loyalty,
    renewals,
    retention,
    revenue,
    satisfaction,
    support,
    survival,
    usage,
)
from metrics.query import Query
from metrics.spec import ColumnSpec, MetricSpec, SettingSpec

MetricDef = MetricSpec  # the name pages and tests knew the description by

# In the order `csm metrics` and the metric reference list them by area.
MODULES = (satisfaction, customers, revenue, support, usage, feedback, loyalty, followup,
           health_specs, accounts, retention, cohorts, survival, renewals, clv)


def _collect() -> dict[str, MetricSpec]:
    out: dict[str, MetricSpec] = {}
    for module in MODULES:
        for s in module.SPECS:
            if s.name in out:
                raise ValueError(f"metric {s.name} is declared twice")
            out[s.name] = s
    return out


REGISTRY: dict[str, MetricSpec] = _collect()


def get(name: str) -> MetricSpec:
    """Return a metric's spec; KeyError naming the known metrics when unknown."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"unknown metric {name!r}; choose one of {', '.join(sorted(REGISTRY))}"
        ) from None


def compute(cur, name: str, q: Query) -> pd.DataFrame:
    """Compute metric `name` for query `q` on cursor `cur`; return its output frame."""
    return get(name).fn(cur, q)


def list_metrics() -> list[dict]:
    """Return name, label, unit, direction and definition of every metric, by name."""
    return [REGISTRY[n].summary() for n in sorted(REGISTRY)]


def headline_column(name: str, q: Query | None = None) -> str:
    """Return the column a KPI card shows for metric `name`."""
    return get(name).headline


def retention_column(q: Query | None = None) -> str:
    """Return the headline retention column of logo_churn under `retention_formula`."""
    return get("logo_churn").column_for("retention_formula", q)


def column(name: str, col: str | None = None) -> ColumnSpec:
    """Return the spec of column `col` of metric `name` (its headline when None)."""
    spec = get(name)
    return spec.column(col or spec.headline)


def setting_specs() -> dict[str, SettingSpec]:
    """Return {setting name: SettingSpec} over every metric (the CLI's settings flags). A name
    shared by several metrics has one meaning; the first declaration wins."""
    out: dict[str, SettingSpec] = {}
    for s in REGISTRY.values():
        for st in s.setting_specs:
            out.setdefault(st.name, st)
    return out


# A rate over fewer decided cases than this (responses, renewals, customers) moves a lot with a
# few of them: the card says so and does not colour its change (the SMALL_N rule of surveys).
MIN_N = 30
# A ratio whose money denominator is under this share of its numerator (a quick ratio of 52 over
# $709 lost) swings with one account's loss: shown with its denominator, change not coloured.
MIN_DENOMINATOR_SHARE = 0.05


def basis(name: str, column: str, row: pd.Series | None) -> tuple[str, bool] | None:
    """Return (what the value of `row` rests on, whether that is too little to read a change
    from) for the headline `column` of metric `name`: '1 of 14 decided, 13 pending' or '248
    responses' for a rate over a count (too little below MIN_N); 'MRR gained $37,218 ÷ MRR lost
    $709' for a ratio of money (too little when the denominator is under MIN_DENOMINATOR_SHARE
    of the numerator). None when the column is not the headline, the metric has no such
    denominator or there is no row."""
    from metrics import fmt

    spec = get(name)
    den = spec.denominator
    if row is None or column != spec.headline or den is None or den not in row:
        return None
    d = fmt.number(row[den])
    if d is None:
        return None
    dspec = spec.column(den)
    if dspec.kind == "count" and spec.head.kind in ("rate", "points", "score", "ratio"):
        n = int(d)
        ex = fmt.number(row[spec.excluded]) if spec.excluded and spec.excluded in row else None
        if ex and spec.excluded and spec.column(spec.excluded).kind == "count":
            text = (f"{n:,} of {n + int(ex):,} {dspec.label.lower()}, {int(ex):,} "
                    f"{spec.column(spec.excluded).label.lower()}")
        else:
            text = f"{n:,} {dspec.label.lower()}"
        return text, n < MIN_N
    num = fmt.number(row[spec.numerator]) if spec.numerator and spec.numerator in row else None
    if dspec.kind == "money" and spec.head.kind == "ratio" and num is not None:
        nlabel = spec.column(spec.numerator).label if spec.numerator else ""
        text = (f"{nlabel} {fmt.value(num, dspec.unit)} ÷ {dspec.label} "
                f"{fmt.value(d, dspec.unit)}").strip()
        return text, abs(d) < MIN_DENOMINATOR_SHARE * abs(num)
    return None
