"""The metric registry: every metric described once (METRICS.md), read by pages, KPI cards, the
CLI and the "show the math" panel.

`compute(cur, name, q)` runs a metric; `list_metrics()` feeds `csm metrics`; `get(name)` returns
the full `MetricDef` (formula, SQL files, columns, headline, settings and their defaults).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from metrics.kpis import customers, revenue, satisfaction, support
from metrics.query import Query


@dataclass(frozen=True)
class MetricDef:
    name: str
    label: str
    unit: str  # points | fraction | USD | hours | accounts | score
    direction: str  # "up": higher is better; "down": lower is better
    definition: str  # one sentence
    formula: str  # formula text for "show the math"
    sql: tuple[str, ...]  # metrics/sql/*.sql files (without .sql), fragments included
    fn: Callable[[Any, Query], pd.DataFrame]
    columns: tuple[str, ...]  # output columns after period, partial and the --by column
    headline: str  # the column a KPI card shows
    numerator: str | None = None  # columns of the headline's ratio, when it is one
    denominator: str | None = None
    excluded: str | None = None  # column counting rows left out of the headline
    settings: dict[str, Any] = field(default_factory=dict)  # name -> default
    # A setting that picks which column is the headline of a concept, e.g.
    # {"retention_formula": {"standard": "retention_rate", "classic": "retention_rate_classic"}}
    setting_columns: dict[str, dict[str, str]] = field(default_factory=dict)
    periods: bool = True  # has `period`/`partial` and honours --grain

    def column_for(self, setting: str, q: Query | None = None) -> str:
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


_SCOPE = ("account_scope", "period_grid")
_SURVEY = _SCOPE + ("survey_scope",)

_DEFS = (
    MetricDef(
        name="nps",
        label="Net Promoter Score",
        unit="points",
        direction="up",
        definition="Share of promoters (9-10) minus share of detractors (0-6) among NPS answers, "
        "in points.",
        formula="NPS = 100 × (promoters − detractors) ÷ responses; adjusted-Wald interval: "
        "n_adj = n + 3, p̂ = (P + ¾)/n_adj, d̂ = (D + ¾)/n_adj, NPS_adj = 100(p̂ − d̂), "
        "CI = NPS_adj ± 1.96·100·√((p̂ + d̂ − (p̂ − d̂)²)/n_adj), clipped to [−100, 100]",
        sql=("nps",) + _SURVEY,
        fn=satisfaction.nps,
        columns=tuple(satisfaction.NPS_COLUMNS),
        headline="nps",
        denominator="responses",
        settings={"nps_basis": "all"},
    ),
    MetricDef(
        name="csat",
        label="CSAT",
        unit="fraction",
        direction="up",
        definition="Share of CSAT answers at or above the satisfied threshold (4 of 5, 8 of 10).",
        formula="CSAT = satisfied ÷ responses, satisfied = score ≥ csat_threshold (1–5 scale; "
        "2 × csat_threshold on the 1–10 scale); Wilson score interval, z = 1.96",
        sql=("csat",) + _SURVEY,
        fn=satisfaction.csat,
        columns=tuple(satisfaction.CSAT_COLUMNS),
        headline="csat",
        numerator="satisfied",
        denominator="responses",
        settings={"csat_threshold": satisfaction.CSAT_THRESHOLD_DEFAULT},
    ),
    MetricDef(
        name="ces",
        label="Customer Effort Score",
        unit="score",
        direction="up",
        definition="Mean customer effort score on the 1-7 scale, higher meaning easier.",
        formula="CES = mean(score); t interval mean ± t(0.975, n − 1) · sd ÷ √n (n ≥ 2)",
        sql=("ces",) + _SURVEY,
        fn=satisfaction.ces,
        columns=tuple(satisfaction.CES_COLUMNS),
        headline="ces",
        denominator="responses",
    ),
    MetricDef(
        name="logo_churn",
        label="Logo churn",
        unit="fraction",
        direction="down",
        definition="Share of the customers active at the start of the period who churned in it.",
        formula="churn_rate = C_start ÷ S (C_start: churned who were among the S customers "
        "active on the previous period's last day); retention_rate = (S − C_start) ÷ S; "
        "retention_rate_classic = (E − N) ÷ S; S + N − C = E",
        sql=("logo_churn",) + _SCOPE,
        fn=customers.logo_churn,
        columns=tuple(customers.LOGO_CHURN_COLUMNS),
        headline="churn_rate",
        denominator="customers_start",
        settings={"retention_formula": "standard"},
        setting_columns={
            "retention_formula": {
                "standard": "retention_rate",
                "classic": "retention_rate_classic",
            }
        },
    ),
    MetricDef(
        name="mrr",
        label="MRR",
        unit="USD",
        direction="up",
        definition="Monthly recurring revenue of active subscriptions on the period's last day "
        "(or as-of).",
        formula="MRR(d) = Σ mrr of subscriptions with start_date ≤ d < end_date (open when "
        "end_date is empty); accounts = accounts with MRR > 0; arpa = mrr ÷ accounts",
        sql=("mrr",) + _SCOPE,
        fn=revenue.mrr,
        columns=tuple(revenue.MRR_COLUMNS),
        headline="mrr",
    ),
    MetricDef(
        name="arpa",
        label="ARPA",
        unit="USD",
        direction="up",
        definition="Average MRR per paying account on the period's last day (or as-of).",
        formula="arpa = MRR ÷ paying accounts on the same day (accounts with MRR > 0)",
        sql=("mrr",) + _SCOPE,
        fn=revenue.mrr,
        columns=tuple(revenue.MRR_COLUMNS),
        headline="arpa",
        numerator="mrr",
        denominator="accounts",
    ),
    MetricDef(
        name="support",
        label="Support",
        unit="hours",
        direction="down",
        definition="Support tickets by creation period: first response and resolution times, "
        "first contact resolution, backlog and SLA attainment.",
        formula="first response = first_response_at − created_at in hours (median, p90 linear, "
        "mean); fcr_rate = resolved with contacts ≤ 1 and not reopened ÷ resolved (null "
        "contacts/reopened excluded); sla_attainment = answered within target ÷ (answered + "
        "unanswered past target); targets P1 1 h, P2 4 h, P3 24 h, P4 72 h, others 24 h",
        sql=("support",) + _SCOPE,
        fn=support.support,
        columns=tuple(support.SUPPORT_COLUMNS),
        headline="first_response_median_h",
        excluded="fcr_excluded",
        settings={
            "sla_targets": {**support.SLA_TARGETS_DEFAULT, "other": support.SLA_OTHER_DEFAULT}
        },
    ),
)

REGISTRY: dict[str, MetricDef] = {d.name: d for d in _DEFS}


def get(name: str) -> MetricDef:
    """Return a metric's definition; KeyError naming the known metrics when unknown."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"unknown metric {name!r}; choose one of {', '.join(sorted(REGISTRY))}"
        ) from None


def compute(cur, name: str, q: Query) -> pd.DataFrame:
    """Compute metric `name` for query `q` on cursor `cur`."""
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
