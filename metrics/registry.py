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

from metrics import accounts, health
from metrics.kpis import (
    clv,
    cohorts,
    customers,
    feedback,
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
        sql=("mrr", "scoped_subscriptions") + _SCOPE,
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
        sql=("mrr", "scoped_subscriptions") + _SCOPE,
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

_USAGE_DEFS = (
    MetricDef(
        name="support_distribution",
        label="Support time distribution",
        unit="tickets",
        direction="down",
        definition="Tickets created in the window by first response time and by resolution "
        "time, in hour bins (the spread behind the medians).",
        formula="hours = (first_response_at or resolved_at) − created_at; bins [0, 0.5), "
        "[0.5, 1), [1, 2), [2, 4), [4, 8), [8, 12), [12, 24), [24, 48), [48, 72), [72, 168), "
        "[168, 336), ≥ 336 h; a time after as-of is not known yet",
        sql=("support_distribution", "account_scope"),
        fn=support.support_distribution,
        columns=tuple(support.SUPPORT_DISTRIBUTION_COLUMNS),
        headline="tickets",
        periods=False,
    ),
    MetricDef(
        name="support_accounts",
        label="Support load and churn",
        unit="tickets",
        direction="down",
        definition="Per account: tickets per customer-month in the window, its load bucket and "
        "whether it churned in the window.",
        formula="tickets_per_month = tickets ÷ customer_days × 30.4375; churned = churn_date "
        "in the window; churn rate per bucket = churned ÷ accounts",
        sql=("support_accounts", "account_scope"),
        fn=support.support_accounts,
        columns=tuple(support.SUPPORT_ACCOUNTS_COLUMNS),
        headline="tickets_per_month",
        periods=False,
    ),
    MetricDef(
        name="usage",
        label="Product usage",
        unit="users",
        direction="up",
        definition="Active users (DAU, WAU or MAU by grain), mean daily users, stickiness, "
        "active accounts, events and hours per active user.",
        formula="active_users = distinct (account_id, user_id) with an event in the period; "
        "avg_daily_users = Σ daily distinct users ÷ calendar days up to as-of; stickiness = "
        "avg_daily_users ÷ active_users; hours_per_active_user = Σ duration_seconds ÷ 3600 ÷ "
        "active_users; UTC days; read from the usage_daily / usage_monthly rollups",
        sql=("usage",) + _SCOPE,
        fn=usage.usage,
        columns=tuple(usage.USAGE_COLUMNS),
        headline="active_users",
    ),
    MetricDef(
        name="feature_adoption",
        label="Feature adoption",
        unit="fraction",
        direction="up",
        definition="Share of the active customers that used each feature in the window, with "
        "the change against the previous window of equal length.",
        formula="adoption_rate = accounts_using ÷ active_customers (customers on the window's "
        "last day); adoption_rate_prev = the same over the previous window of equal length; "
        "adoption_change = adoption_rate − adoption_rate_prev; events without a feature are "
        "left out",
        sql=("feature_adoption", "account_scope"),
        fn=usage.feature_adoption,
        columns=tuple(c for c in usage.FEATURE_ADOPTION_COLUMNS if c != "feature"),
        headline="adoption_rate",
        numerator="accounts_using",
        denominator="active_customers",
        periods=False,
    ),
    MetricDef(
        name="account_usage",
        label="Usage per account",
        unit="users",
        direction="up",
        definition="Per account: users, events and hours in the window and in the previous "
        "window of equal length, with its latest NPS answer.",
        formula="users = distinct users with an event; users_change = users − users_prev; "
        "events_change = events ÷ events_prev − 1; nps_category from the latest NPS answer on "
        "or before as-of (promoter 9–10, passive 7–8, detractor 0–6)",
        sql=("account_usage", "account_scope"),
        fn=usage.account_usage,
        columns=tuple(usage.ACCOUNT_USAGE_COLUMNS),
        headline="users",
        periods=False,
    ),
)

# Satisfaction page: themes, distribution, comments, revenue by NPS category, coverage, lists.
_NPS_PAGE = ("nps_counted",)
_SATISFACTION_DEFS = (
    MetricDef(
        name="nps_themes",
        label="NPS comment themes",
        unit="points",
        direction="up",
        definition="Per comment theme (keyword rules in metrics/themes.yaml): NPS responses in "
        "the theme, their share, their NPS and the theme's impact on NPS.",
        formula="share = theme responses ÷ all responses; nps = 100 × (P − D) ÷ n of the "
        "theme's responses; impact = NPS of all − NPS of all without the theme's responses",
        sql=("nps_themes",) + _SURVEY + _NPS_PAGE + ("theme_match",),
        fn=feedback.nps_themes,
        columns=tuple(feedback.NPS_THEMES_COLUMNS),
        headline="impact",
        settings={"nps_basis": "all"},
    ),
    MetricDef(
        name="nps_distribution",
        label="NPS score distribution",
        unit="fraction",
        direction="up",
        definition="How many NPS responses gave each score from 0 to 10, with its category.",
        formula="share = responses with the score ÷ all responses; detractor 0–6, passive "
        "7–8, promoter 9–10",
        sql=("nps_distribution",) + _SURVEY + _NPS_PAGE,
        fn=feedback.nps_distribution,
        columns=tuple(feedback.NPS_DISTRIBUTION_COLUMNS),
        headline="share",
        settings={"nps_basis": "all"},
    ),
    MetricDef(
        name="nps_comments",
        label="NPS comments",
        unit="count",
        direction="up",
        definition="The comments of NPS responses in the window, newest first, with account, "
        "score, category and themes.",
        formula="filters: comment_search (text in comment or account name), "
        "comment_categories, comment_theme; at most comment_limit rows; matching = comments "
        "passing the filters",
        sql=("nps_comments",) + _SURVEY + _NPS_PAGE + ("theme_match",),
        fn=feedback.nps_comments,
        columns=tuple(feedback.NPS_COMMENTS_COLUMNS),
        headline="matching",
        settings={"nps_basis": "all", "comment_limit": feedback.COMMENT_LIMIT_DEFAULT},
        periods=False,
    ),
    MetricDef(
        name="nps_revenue",
        label="MRR-weighted NPS",
        unit="points",
        direction="up",
        definition="MRR of paying accounts by the category of their latest NPS answer, and NPS "
        "weighted by that MRR.",
        formula="category = latest NPS answer on the evaluation day (≤ nps_recency_days old); "
        "nps_mrr_weighted = 100 × (promoter_mrr − detractor_mrr) ÷ (promoter + passive + "
        "detractor MRR); nps_accounts = 100 × (promoter − detractor accounts) ÷ answered "
        "accounts",
        sql=("nps_revenue",) + _SCOPE + ("eval_days", "account_mrr", "latest_nps"),
        fn=loyalty.nps_revenue,
        columns=tuple(loyalty.NPS_REVENUE_COLUMNS),
        headline="nps_mrr_weighted",
        settings={"nps_recency_days": loyalty.RECENCY_DAYS_DEFAULT},
    ),
    MetricDef(
        name="feedback_coverage",
        label="Feedback coverage",
        unit="fraction",
        direction="up",
        definition="Share of active customers, and of their MRR, with a survey answer in the "
        "last 90 days.",
        formula="coverage = accounts with an answer of any type in the coverage_days (90) days "
        "up to the evaluation day ÷ active customers; mrr_coverage = their MRR ÷ MRR of active "
        "customers",
        sql=("feedback_coverage",) + _SCOPE + ("eval_days", "account_mrr"),
        fn=loyalty.feedback_coverage,
        columns=tuple(loyalty.FEEDBACK_COVERAGE_COLUMNS),
        headline="coverage",
        numerator="heard_accounts",
        denominator="active_accounts",
        settings={"coverage_days": loyalty.COVERAGE_DAYS_DEFAULT},
    ),
    MetricDef(
        name="unheard_accounts",
        label="Accounts not heard from",
        unit="accounts",
        direction="down",
        definition="Active customers without a survey answer in the last 90 days, largest MRR "
        "first.",
        formula="active on the evaluation day and no answer of any type in the coverage_days "
        "(90) days up to it",
        sql=("unheard_accounts",) + _SCOPE + ("eval_days", "account_mrr"),
        fn=loyalty.unheard_accounts,
        columns=tuple(loyalty.UNHEARD_ACCOUNTS_COLUMNS),
        headline="mrr",
        settings={"coverage_days": loyalty.COVERAGE_DAYS_DEFAULT},
        periods=False,
    ),
    MetricDef(
        name="advocates",
        label="Advocates",
        unit="accounts",
        direction="up",
        definition="Active customers whose latest NPS answer is a promoter (9-10) and whose "
        "health band is green, with the respondent and comment.",
        formula="active on the evaluation day and latest NPS answer (≤ nps_recency_days old) "
        "scores 9 or 10 and health band on that day green (advocates_health = any: any band)",
        sql=("advocates",) + _SCOPE + ("eval_days", "account_mrr", "latest_nps",
                                       "health_inputs"),
        fn=loyalty.advocates,
        columns=tuple(loyalty.ADVOCATES_COLUMNS),
        headline="mrr",
        settings={"nps_recency_days": loyalty.RECENCY_DAYS_DEFAULT,
                  "advocates_health": loyalty.ADVOCATES_HEALTH[0]},
        periods=False,
    ),
)

# Health page (metrics/health.py; model file metrics/health_model.yaml)
_HEALTH_SQL = ("health_inputs", "account_scope")
# the band mix and the backtest read the inputs of all their as-of dates in one query
_HEALTH_MANY_SQL = ("health_inputs_many", "account_scope")
_HEALTH_FORMULA = (
    "component scores 0–100 (usage, adoption, sentiment, support, financial) from data "
    "dated before as-of; w′ᵢ = wᵢ ÷ Σ_present wⱼ over the components with data; "
    "contributionᵢ = w′ᵢ × scoreᵢ; score = Σ contributions; bands green ≥ 70, yellow [40, 70), "
    "red < 40 (the model file may change weights, thresholds and windows, per segment or "
    "lifecycle stage)")
_HEALTH_DEFS = (
    MetricDef(
        name="health",
        label="Health score",
        unit="score",
        direction="up",
        definition="Per active account at as-of: a 0-100 health score from usage, adoption, "
        "sentiment, support and financial components, its band and the path to the next band.",
        formula=_HEALTH_FORMULA,
        sql=_HEALTH_SQL,
        fn=health.health,
        columns=tuple(health.HEALTH_COLUMNS),
        headline="score",
        settings={"health_model": str(health.MODEL_FILE)},
        periods=False,
    ),
    MetricDef(
        name="health_accounts",
        label="Health with its explanation",
        unit="score",
        direction="up",
        definition="The health score per active account with its raw inputs, weights as set "
        "and re-normalised, contributions and missing components.",
        formula=_HEALTH_FORMULA,
        sql=_HEALTH_SQL,
        fn=health.health_accounts,
        columns=tuple(health.HEALTH_COLUMNS),
        headline="score",
        settings={"health_model": str(health.MODEL_FILE)},
        periods=False,
    ),
    MetricDef(
        name="health_inputs",
        label="Health raw inputs",
        unit="accounts",
        direction="up",
        definition="The raw inputs of the health components for every account active on as-of.",
        formula="active users and top features used in the trailing window, latest NPS/CSAT "
        "answer, tickets, open P1 tickets and missed SLAs, MRR now and days ago",
        sql=_HEALTH_SQL,
        fn=health.health_inputs,
        columns=tuple(health.INPUT_COLUMNS),
        headline="active_users",
        settings={"health_model": str(health.MODEL_FILE)},
        periods=False,
    ),
    MetricDef(
        name="health_mix",
        label="Health mix",
        unit="accounts",
        direction="up",
        definition="Accounts per health band at the start of each month of the window and at "
        "as-of, with the mean score.",
        formula=_HEALTH_FORMULA,
        sql=_HEALTH_MANY_SQL,
        fn=health.health_mix,
        columns=tuple(health.MIX_COLUMNS),
        headline="green",
        denominator="accounts",
        settings={"health_model": str(health.MODEL_FILE)},
        periods=False,
    ),
    MetricDef(
        name="account_book",
        label="Book of business",
        unit="accounts",
        direction="up",
        definition="Per active account: MRR, latest NPS answer, open tickets and renewal date.",
        formula="MRR on as-of; latest NPS answer up to as-of; tickets created and not resolved "
        "by the end of as-of",
        sql=("account_book", "account_scope"),
        fn=accounts.account_book,
        columns=tuple(accounts.BOOK_COLUMNS),
        headline="mrr",
        periods=False,
    ),
    MetricDef(
        name="health_backtest",
        label="Health model backtest",
        unit="fraction",
        direction="up",
        definition="For past as-of dates, how well the health score ranked the accounts that "
        "churned in the next 90 days: AUC, red-band lift, churned MRR flagged red or yellow.",
        formula="auc = P(score of a churner < score of a non-churner), ties ½; red_lift = churn "
        "rate of red ÷ overall churn rate; churned_mrr_flagged = MRR at as-of of churners that "
        "were red or yellow ÷ MRR of all churners; outcome = churned within 90 days of as-of",
        sql=_HEALTH_MANY_SQL,
        fn=health.health_backtest,
        columns=tuple(health.BACKTEST_COLUMNS),
        headline="auc",
        settings={"health_model": str(health.MODEL_FILE)},
        periods=False,
    ),
)

# Retention & revenue page: MRR movements, revenue churn, NRR/GRR, LTV, quick ratio.
_MRR_SQL = ("mrr_movements", "scoped_subscriptions") + _SCOPE + ("eval_days",)
_RETENTION_DEFS = (
    MetricDef(
        name="mrr_movements",
        label="MRR movements",
        unit="USD",
        direction="up",
        definition="MRR at the start and end of each period and its movements: new, expansion, "
        "contraction, churn and reactivation, classified per account.",
        formula="per account, m0 = MRR on the previous period's last day, m1 = MRR on this "
        "period's last day (or as-of): 0 → >0 new (never paid before) or reactivation; >0 → 0 "
        "churn; up expansion; down to >0 contraction; mrr_end = mrr_start + new + reactivation "
        "+ expansion − contraction − churn",
        sql=_MRR_SQL,
        fn=retention.mrr_movements,
        columns=tuple(retention.MOVEMENT_COLUMNS),
        headline="mrr_end",
    ),
    MetricDef(
        name="revenue_churn",
        label="Gross MRR churn",
        unit="fraction",
        direction="down",
        definition="MRR lost to churn and contraction as a share of the MRR at the start of "
        "the period, gross and net of expansion and reactivation.",
        formula="gross_mrr_churn_rate = (churn + contraction) ÷ mrr_start; net_mrr_churn_rate "
        "= (churn + contraction − expansion − reactivation) ÷ mrr_start",
        sql=_MRR_SQL,
        fn=retention.revenue_churn,
        columns=tuple(retention.REVENUE_CHURN_COLUMNS),
        headline="gross_mrr_churn_rate",
        denominator="mrr_start",
    ),
    MetricDef(
        name="quick_ratio",
        label="Quick ratio",
        unit="ratio",
        direction="up",
        definition="MRR gained (new, expansion, reactivation) per unit of MRR lost "
        "(contraction, churn) in the period.",
        formula="quick_ratio = (new + expansion + reactivation) ÷ (contraction + churn); null "
        "when nothing was lost",
        sql=_MRR_SQL,
        fn=retention.quick_ratio,
        columns=tuple(retention.QUICK_RATIO_COLUMNS),
        headline="quick_ratio",
        numerator="growth_mrr",
        denominator="lost_mrr",
    ),
    MetricDef(
        name="nrr",
        label="Net revenue retention",
        unit="fraction",
        direction="up",
        definition="MRR now of the accounts paying 12 months ago, as a share of their MRR "
        "then (expansion included, new accounts excluded).",
        formula="base day = last day of the period ending 12 months earlier; nrr = Σ current "
        "MRR of accounts paying on the base day ÷ Σ their base MRR; grr caps each account at "
        "its base MRR",
        sql=("nrr", "scoped_subscriptions") + _SCOPE + ("eval_days",),
        fn=retention.nrr,
        columns=tuple(retention.NRR_COLUMNS),
        headline="nrr",
        numerator="current_mrr",
        denominator="base_mrr",
        settings={"nrr_reactivation": "include"},
    ),
    MetricDef(
        name="grr",
        label="Gross revenue retention",
        unit="fraction",
        direction="up",
        definition="MRR now of the accounts paying 12 months ago, each capped at its MRR then, "
        "as a share of their MRR then (expansion left out).",
        formula="grr = Σ min(current MRR, base MRR) over accounts paying on the base day (last "
        "day of the period ending 12 months earlier) ÷ Σ base MRR",
        sql=("nrr", "scoped_subscriptions") + _SCOPE + ("eval_days",),
        fn=retention.nrr,
        columns=tuple(retention.NRR_COLUMNS),
        headline="grr",
        denominator="base_mrr",
        settings={"nrr_reactivation": "include"},
    ),
    MetricDef(
        name="ltv",
        label="Customer lifetime value",
        unit="USD",
        direction="up",
        definition="ARPA times gross margin divided by the monthly logo churn rate of the last "
        "6 complete months.",
        formula="ltv = arpa × gross_margin ÷ churn_rate, churn_rate = Σ C_start ÷ Σ S over the "
        "6 complete months up to the period; null when no churn was observed",
        sql=("mrr", "scoped_subscriptions", "logo_churn") + _SCOPE,
        fn=retention.ltv,
        columns=tuple(retention.LTV_COLUMNS),
        headline="ltv",
        settings={"gross_margin": retention.GROSS_MARGIN_DEFAULT},
    ),
    MetricDef(
        name="cohort_retention",
        label="Cohort retention",
        unit="fraction",
        direction="up",
        definition="Share of each cohort (month of first activity) still active k months "
        "later, with revenue retention for subscriptions.",
        formula="cohort = month of first MRR > 0 / order / usage event (basis); retention = "
        "accounts active in month k ÷ cohort_size; revenue_retention = cohort MRR on month k's "
        "last day ÷ cohort MRR on month 0's last day",
        sql=("cohort_retention", "account_scope"),
        fn=cohorts.cohort_retention,
        columns=tuple(cohorts.COHORT_COLUMNS),
        headline="retention",
        numerator="retained",
        denominator="cohort_size",
        settings={"basis": "subscriptions"},
        periods=False,
    ),
    MetricDef(
        name="survival",
        label="Customer survival",
        unit="fraction",
        direction="up",
        definition="Kaplan–Meier share of customers still active t days after signup, with a "
        "95% band, per group with medians and a log-rank test.",
        formula="S(t) = Π_{t_i ≤ t} (1 − d_i ÷ n_i); time = churn_date (≤ as-of) or as-of − "
        "signup_date, censored at as-of; Greenwood exponential band exp(−exp(log(−log S) ± "
        "z·√V ÷ log S)), V = Σ d_i ÷ (n_i (n_i − d_i)); median = first t with S ≤ 0.5; "
        "log-rank χ² on k − 1 df",
        sql=("survival_accounts", "account_scope"),
        fn=survival.survival,
        columns=tuple(survival.SURVIVAL_COLUMNS),
        headline="survival",
        denominator="at_risk",
        periods=False,
    ),
    MetricDef(
        name="renewal_rate",
        label="Renewal rate",
        unit="fraction",
        direction="up",
        definition="Share of the renewals that came due in the period (and are decided) that "
        "renewed within 30 days.",
        formula="due = subscription end_date or past renewal_date; renewed = a new subscription "
        "starts within 30 days of the due day; pending = due less than 30 days before as-of "
        "(left out); renewal_rate = renewed ÷ (renewed + churned); ARR = 12 × MRR on the day "
        "before the due day",
        sql=("renewal_rate",) + _SCOPE,
        fn=renewals.renewal_rate,
        columns=tuple(renewals.RENEWAL_COLUMNS),
        headline="renewal_rate",
        numerator="renewed",
        excluded="pending",
    ),
    MetricDef(
        name="clv_model",
        label="Customer value model",
        unit="score",
        direction="up",
        definition="BG/NBD purchase and Gamma-Gamma spend models fitted by maximum likelihood "
        "on the orders as of a date.",
        formula="per account: frequency = repeat purchase days, recency = last − first "
        "purchase day, T = as-of − first purchase day (in time units); BG/NBD (r, α, a, b) and "
        "Gamma-Gamma (p, q, v on frequency > 0) maximise the log-likelihood (scipy)",
        sql=("clv_summary", "account_scope"),
        fn=clv.clv_model,
        columns=tuple(clv.CLV_MODEL_COLUMNS),
        headline="loglik",
        denominator="customers",
        settings={"time_unit": "week"},
        periods=False,
    ),
    MetricDef(
        name="clv",
        label="Predicted customer value",
        unit="USD",
        direction="up",
        definition="Per account: probability of being alive, expected purchases and order "
        "value over the horizon, and the discounted customer lifetime value.",
        formula="clv = Σ_{t=1..H} (E[Y(t)] − E[Y(t−1)]) × E[M | x, m] ÷ (1 + d)^t; P(alive) "
        "and E[Y(t)] from BG/NBD, E[M] = p(v + x·m) ÷ (p·x + q − 1) from Gamma-Gamma",
        sql=("clv_summary", "account_scope"),
        fn=clv.clv,
        columns=tuple(clv.CLV_COLUMNS),
        headline="clv",
        settings={"time_unit": "week", "horizon": clv.HORIZON_DEFAULT,
                  "discount_rate": None},
        periods=False,
    ),
    MetricDef(
        name="clv_simple",
        label="Simple CLV (orders)",
        unit="USD",
        direction="up",
        definition="Classic order-based customer lifetime value per group: average order value "
        "times orders per customer per year times the expected lifespan.",
        formula="clv = (revenue ÷ orders) × (orders ÷ ordering customers ÷ window years) × "
        "lifespan_years (default 3); window up to as-of",
        sql=("clv_simple", "account_scope"),
        fn=clv.clv_simple,
        columns=tuple(clv.CLV_SIMPLE_COLUMNS),
        headline="clv",
        denominator="customers",
        settings={"lifespan_years": clv.LIFESPAN_YEARS_DEFAULT},
        periods=False,
    ),
)

REGISTRY: dict[str, MetricDef] = {
    d.name: d for d in _DEFS + _USAGE_DEFS + _SATISFACTION_DEFS + _HEALTH_DEFS + _RETENTION_DEFS
}


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
