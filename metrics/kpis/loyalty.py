"""Loyalty joined with revenue and accounts: `nps_revenue`, `feedback_coverage`,
`unheard_accounts`, `advocates`.

"Latest NPS answer" of an account on a day = its most recent NPS response on or before that day,
when at most `nps_recency_days` old (default 365; an older answer says little about today, so the
account counts as "no answer"). The day is each period's evaluation day: its last day, or as-of
for a partial period. "Heard from" = a survey answer of any type in the `coverage_days` days
(default 90) up to and including that day.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from metrics import periods as _periods
from metrics import stats
from metrics.kpis import empty_frame, finish, prepare, run_sql
from metrics.query import Query
from metrics.spec import MetricSpec, SettingSpec, col, dtypes

RECENCY_DAYS_DEFAULT = 365
COVERAGE_DAYS_DEFAULT = 90

NPS_REVENUE_COLS = (
    col("accounts", "int64", "Accounts", "accounts", "up", "paying accounts (MRR > 0)"),
    col("mrr", "float64", "MRR", "USD", "up", "monthly recurring revenue"),
    col("promoter_accounts", "int64", "Promoter accounts", "accounts", "up"),
    col("passive_accounts", "int64", "Passive accounts", "accounts", None),
    col("detractor_accounts", "int64", "Detractor accounts", "accounts", "down"),
    col("no_answer_accounts", "int64", "Accounts without an answer", "accounts", "down"),
    col("promoter_mrr", "float64", "Promoter MRR", "USD", "up"),
    col("passive_mrr", "float64", "Passive MRR", "USD", None),
    col("detractor_mrr", "float64", "Detractor MRR", "USD", "down"),
    col("no_answer_mrr", "float64", "MRR without an answer", "USD", "down"),
    col("nps_accounts", "float64", "NPS of accounts", "points", "up",
        "100 × (promoter − detractor accounts) ÷ answered accounts"),
    col("nps_mrr_weighted", "float64", "MRR-weighted NPS", "points", "up",
        "100 × (promoter − detractor MRR) ÷ answered MRR"),
)
NPS_REVENUE_COLUMNS = dtypes(NPS_REVENUE_COLS)
FEEDBACK_COVERAGE_COLS = (
    col("active_accounts", "int64", "Customers", "accounts", "up",
        "customers on as-of (signup_date ≤ as-of, not churned), as on the Overview"),
    col("heard_accounts", "int64", "Accounts heard from", "accounts", "up"),
    col("unheard_accounts", "int64", "Accounts not heard from", "accounts", "down"),
    col("coverage", "float64", "Feedback coverage", "fraction", "up",
        "heard_accounts ÷ active_accounts"),
    col("mrr", "float64", "MRR", "USD", "up", "monthly recurring revenue"),
    col("heard_mrr", "float64", "MRR heard from", "USD", "up"),
    col("mrr_coverage", "float64", "MRR coverage", "fraction", "up", "heard_mrr ÷ mrr"),
)
FEEDBACK_COVERAGE_COLUMNS = dtypes(FEEDBACK_COVERAGE_COLS)
UNHEARD_ACCOUNTS_COLS = (
    col("account_id", "object", "Account id", "text", None),
    col("account_name", "object", "Account", "text", None),
    col("segment", "object", "Segment", "text", None),
    col("csm_owner", "object", "CSM", "text", None),
    col("mrr", "float64", "MRR", "USD", "up", "monthly recurring revenue"),
    col("last_response_at", "datetime64[us]", "Last answer", "date", None),
    col("days_since_response", "Int64", "Days since last answer", "days", "down"),
)
UNHEARD_ACCOUNTS_COLUMNS = dtypes(UNHEARD_ACCOUNTS_COLS)
_ADVOCATES_SQL_COLUMNS = {
    "account_id": "object",
    "account_name": "object",
    "segment": "object",
    "csm_owner": "object",
    "mrr": "float64",
    "score": "int64",
    "respondent": "object",
    "comment": "object",
    "responded_at": "datetime64[us]",
    "touchpoint": "object",
}
# band: the account's health band on the evaluation day (the `health` metric; null = unscored)
ADVOCATES_COLS = (
    col("account_id", "object", "Account id", "text", None),
    col("account_name", "object", "Account", "text", None),
    col("segment", "object", "Segment", "text", None),
    col("csm_owner", "object", "CSM", "text", None),
    col("mrr", "float64", "MRR", "USD", "up", "monthly recurring revenue"),
    col("score", "int64", "Score", "score", None, "0–10"),
    col("respondent", "object", "Respondent", "text", None),
    col("comment", "object", "Comment", "text", None),
    col("responded_at", "datetime64[us]", "Answered", "date", None),
    col("touchpoint", "object", "Touchpoint", "text", None),
    col("band", "object", "Health band", "text", None, "green, yellow or red"),
)
ADVOCATES_COLUMNS = dtypes(ADVOCATES_COLS)
ADVOCATES_HEALTH = ("green", "any")  # `advocates_health`: require a green band, or not


def _days(q: Query, name: str, default: int) -> int:
    raw = q.setting(name, default)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a whole number of days, not {raw!r}") from None
    if value < 1 or value != float(raw):
        raise ValueError(f"{name} must be a whole number of days >= 1, not {raw!r}")
    return value


def recency_days(q: Query) -> int:
    """Return `nps_recency_days`: how old a latest NPS answer may be (default 365)."""
    return _days(q, "nps_recency_days", RECENCY_DAYS_DEFAULT)


def advocates_health(q: Query) -> str:
    """Return `advocates_health` (green | any, default green), validated."""
    value = str(q.setting("advocates_health", ADVOCATES_HEALTH[0])).strip().lower()
    if value not in ADVOCATES_HEALTH:
        raise ValueError(f"advocates_health must be one of {', '.join(ADVOCATES_HEALTH)}, "
                         f"not {value!r}")
    return value


def coverage_days(q: Query) -> int:
    """Return `coverage_days`: the trailing days in which an answer counts as heard (90)."""
    return _days(q, "coverage_days", COVERAGE_DAYS_DEFAULT)


def _ratio(num, den) -> np.ndarray:
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def _nulls(df: pd.DataFrame, columns) -> pd.DataFrame:
    for c in columns:
        df[c] = df[c].astype(object).where(df[c].notna(), None)
    return df


def _run(cur, q: Query, metric: str, extra: dict):
    dim, frame = prepare(cur, q, metric, ("accounts", "subscriptions", "survey_responses"),
                         None)
    if frame is None:
        return dim, None
    return dim, run_sql(cur, metric, {**frame.params, **extra})


def nps_revenue(cur, q: Query) -> pd.DataFrame:
    """Revenue held by promoters, passives and detractors, and NPS weighted by MRR.

    On each period's evaluation day (its last day, or as-of), every paying account (MRR > 0 that
    day) is classified by its latest NPS answer (at most `nps_recency_days` old, default 365):
    promoter 9-10, passive 7-8, detractor 0-6, else no_answer. Per category: accounts and their
    MRR. nps_accounts = 100 (promoter − detractor accounts) ÷ answered accounts (each account
    counts once, by its latest answer); nps_mrr_weighted = 100 (promoter_mrr − detractor_mrr) ÷
    (promoter + passive + detractor MRR). Null when no paying account has an answer.

    Columns: period, partial, [by], accounts, mrr, promoter_accounts, passive_accounts,
    detractor_accounts, no_answer_accounts, promoter_mrr, passive_mrr, detractor_mrr,
    no_answer_mrr, nps_accounts, nps_mrr_weighted.
    """
    dim, raw = _run(cur, q, "nps_revenue", {"recency_days": recency_days(q)})
    if raw is None or raw.empty:
        return empty_frame(NPS_REVENUE_COLUMNS, dim)
    raw["nps_accounts"] = stats.nps_score(
        *(raw[f"{c}_accounts"].to_numpy(dtype=float) for c in ("promoter", "passive", "detractor"))
    )
    pm, mm, dm = (raw[f"{c}_mrr"].to_numpy(dtype=float)
                  for c in ("promoter", "passive", "detractor"))
    raw["nps_mrr_weighted"] = 100.0 * _ratio(pm - dm, pm + mm + dm)
    return finish(raw, NPS_REVENUE_COLUMNS, dim)


def feedback_coverage(cur, q: Query) -> pd.DataFrame:
    """Share of active customers, and of their MRR, heard from recently.

    On each period's evaluation day (its last day, or as-of): active_accounts = active
    customers (signup_date ≤ day, churn_date empty or after it); heard_accounts = those with a
    survey answer of any type in the `coverage_days` days (default 90) up to and including that
    day; unheard_accounts = the others; coverage = heard ÷ active; mrr = MRR of the active
    customers that day; mrr_coverage = heard_mrr ÷ mrr. Null when there is nobody (or no MRR).

    Columns: period, partial, [by], active_accounts, heard_accounts, unheard_accounts, coverage,
    mrr, heard_mrr, mrr_coverage.
    """
    dim, raw = _run(cur, q, "feedback_coverage", {"coverage_days": coverage_days(q)})
    if raw is None or raw.empty:
        return empty_frame(FEEDBACK_COVERAGE_COLUMNS, dim)
    raw["unheard_accounts"] = raw["active_accounts"] - raw["heard_accounts"]
    raw["coverage"] = _ratio(raw["heard_accounts"], raw["active_accounts"])
    raw["mrr_coverage"] = _ratio(raw["heard_mrr"], raw["mrr"])
    return finish(raw, FEEDBACK_COVERAGE_COLUMNS, dim)


def unheard_accounts(cur, q: Query) -> pd.DataFrame:
    """The active customers not heard from: no survey answer of any type in the
    `coverage_days` days (default 90) up to the window's evaluation day (its last day, or as-of).

    One row per account, largest MRR first, with its MRR that day, its latest answer ever up to
    that day (null if it never answered) and how many days before that day it was. One period:
    the whole window (the grain is ignored).

    Columns: period, partial, [by], account_id, account_name, segment, csm_owner, mrr,
    last_response_at, days_since_response.
    """
    dim, raw = _run(cur, q.with_(grain="all"), "unheard_accounts",
                    {"coverage_days": coverage_days(q)})
    if raw is None or raw.empty:
        return empty_frame(UNHEARD_ACCOUNTS_COLUMNS, dim)
    out = finish(raw, UNHEARD_ACCOUNTS_COLUMNS, dim)
    return _nulls(out, ["account_id", "account_name", "segment", "csm_owner"])


def advocates(cur, q: Query) -> pd.DataFrame:
    """Advocates: active customers whose latest NPS answer is a promoter (9-10) and, by
    default, whose health band is green.

    On the window's evaluation day (its last day, or as-of): active customers whose latest NPS
    answer (at most `nps_recency_days` old, default 365) scores 9 or 10, with that answer's
    respondent, comment, date and touchpoint, the account's MRR that day and its health band on
    that day (the registered `health` metric with as-of = the evaluation day; null when
    unscored); largest MRR first. Setting `advocates_health`: green (default) keeps only the
    green accounts (METRICS.md); any keeps every promoter whatever its health. For referral
    and case-study programmes. One period: the whole window.

    Columns: period, partial, [by], account_id, account_name, segment, csm_owner, mrr, score,
    respondent, comment, responded_at, touchpoint, band.
    """
    mode = advocates_health(q)
    dim, raw = _run(cur, q.with_(grain="all"), "advocates", {"recency_days": recency_days(q)})
    if raw is None or raw.empty:
        return empty_frame(ADVOCATES_COLUMNS, dim)
    out = finish(raw, _ADVOCATES_SQL_COLUMNS, dim)
    out["band"] = _bands_on_eval_day(cur, q, out["account_id"])
    if mode == "green":
        out = out[out["band"] == "green"].reset_index(drop=True)
    return _nulls(out, ["account_id", "account_name", "segment", "csm_owner", "respondent",
                        "comment", "touchpoint", "band"])


def _bands_on_eval_day(cur, q: Query, account_ids: pd.Series) -> pd.Series:
    """Return each account's health band on the window's evaluation day (its last day, or
    as-of), from the registered `health` metric (null when unscored)."""
    from metrics import health

    _start, end, as_of = _periods.resolve_window(
        cur, q.with_(grain="all"), ("accounts", "subscriptions", "survey_responses"))
    assert end is not None and as_of is not None  # called with survey answers in the window
    day = min(end - timedelta(days=1), as_of)
    try:
        bands = health.bands_on(cur, q, day)
    except health.ModelError as e:  # say why rather than silently listing no advocates
        raise ValueError(f"advocates need health scores: {e}") from e
    band = account_ids.map(bands).astype(object)
    return band.where(band.notna(), None)


# The metrics of this module, described once (metrics.spec); the registry collects them.
SPECS = (
    MetricSpec(
        name="nps_revenue",
        label="MRR-weighted NPS",
        definition=(
            "MRR of paying accounts by the category of their latest NPS answer, and NPS "
            "weighted by "
            "that MRR."
        ),
        formula=(
            "category = latest NPS answer on the evaluation day (≤ nps_recency_days old); "
            "nps_mrr_weighted = 100 × (promoter_mrr − detractor_mrr) ÷ (promoter + passive + "
            "detractor MRR); nps_accounts = 100 × (promoter − detractor accounts) ÷ answered "
            "accounts"
        ),
        fn=nps_revenue,
        cols=NPS_REVENUE_COLS,
        headline="nps_mrr_weighted",
        query="nps_revenue",
        setting_specs=(
            SettingSpec("nps_recency_days", "int", 365,
                        "an NPS answer older than this many days counts as no answer"),
        ),
    ),
    MetricSpec(
        name="feedback_coverage",
        label="Feedback coverage",
        definition=(
            "Share of active customers, and of their MRR, with a survey answer in the last 90 days."
        ),
        formula=(
            "coverage = accounts with an answer of any type in the coverage_days (90) days up to "
            "the evaluation day ÷ active customers; mrr_coverage = their MRR ÷ MRR of active "
            "customers"
        ),
        fn=feedback_coverage,
        cols=FEEDBACK_COVERAGE_COLS,
        headline="coverage",
        query="feedback_coverage",
        numerator="heard_accounts",
        denominator="active_accounts",
        setting_specs=(
            SettingSpec("coverage_days", "int", 90,
                        "days up to the evaluation day in which an answer counts as heard from"),
        ),
    ),
    MetricSpec(
        name="unheard_accounts",
        label="Accounts not heard from",
        definition=(
            "Active customers without a survey answer in the last 90 days, largest MRR first."
        ),
        formula=(
            "active on the evaluation day and no answer of any type in the coverage_days (90) days "
            "up to it"
        ),
        fn=unheard_accounts,
        cols=UNHEARD_ACCOUNTS_COLS,
        headline="mrr",
        query="unheard_accounts",
        setting_specs=(
            SettingSpec("coverage_days", "int", 90,
                        "days up to the evaluation day in which an answer counts as heard from"),
        ),
        periods=False,
    ),
    MetricSpec(
        name="advocates",
        label="Advocates",
        definition=(
            "Active customers whose latest NPS answer is a promoter (9-10) and whose health "
            "band is "
            "green, with the respondent and comment."
        ),
        formula=(
            "active on the evaluation day and latest NPS answer (≤ nps_recency_days old) scores 9 "
            "or 10 and health band on that day green (advocates_health = any: any band)"
        ),
        fn=advocates,
        cols=ADVOCATES_COLS,
        headline="mrr",
        query="advocates",
        extra_queries=("health_inputs",),
        setting_specs=(
            SettingSpec("nps_recency_days", "int", 365,
                        "an NPS answer older than this many days counts as no answer"),
            SettingSpec("advocates_health", "choice", "green",
                        "require a green health band, or any band", ("green", "any")),
        ),
        periods=False,
    ),
)
