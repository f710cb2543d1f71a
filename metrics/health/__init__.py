"""Health scores that explain themselves (METRICS.md "Health score").

The package, by step:
- `model`: the versioned YAML model file, validated into a dict (`ModelError` when invalid),
  saved with its version bumped; `model_key` hashes a model for caches.
- `inputs`: the components' raw inputs per account, one SQL query for one or many as-of dates.
- `scoring`: component scores, weights re-normalised over the components with data,
  contributions, bands and the path to the next band (pure pandas).
- `over_dates`: the band mix over time and the backtest (AUC, red lift, churned MRR flagged).
- `explain`: one account's raw inputs in words.
- `stored`: the scores of the dates pages ask for, stored at import (`health_scores`) and read
  instead of recomputed when model, settings and data version match.

The metric functions below are registered (`metrics.registry`, `fn(cur, q)`): they score with
the saved model the query names (the `health_model` setting is a file path, else the app's
model file). A page previewing an unsaved model passes it as `model=` instead.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from metrics import periods
from metrics.health.explain import explain_inputs
from metrics.health.inputs import INPUT_COLUMNS, OUTCOME_DAYS, raw_inputs, raw_inputs_many
from metrics.health.model import (
    BANDS,
    COMPONENTS,
    MODEL_FILE,
    PARAMS,
    ModelError,
    default_model,
    dump_model,
    inputs_model,
    load_model,
    model_changes,
    model_for,
    model_key,
    model_path,
    parse_model,
    resolve_model,
    save_model,
    validate_model,
)
from metrics.health.over_dates import (
    BACKTEST_COLUMNS,
    MIX_COLUMNS,
    auc,
    backtest_dates,
    backtest_dates_before,
    backtest_frame,
    backtest_row,
    mix_dates,
    mix_dates_for,
    mix_frame,
    scored_by_date,
)
from metrics.health.scoring import (
    HEALTH_COLUMNS,
    PATH_INPUT,
    account_models,
    apply_path,
    component_scores,
    health_frame,
    score_accounts,
)
from metrics.health.stored import SCORE_COLUMNS, SUMMARY_COLUMNS, scores_by_date
from metrics.query import Query

__all__ = [
    "BACKTEST_COLUMNS", "BANDS", "COMPONENTS", "HEALTH_COLUMNS", "INPUT_COLUMNS", "MIX_COLUMNS",
    "MODEL_FILE", "ModelError", "OUTCOME_DAYS", "PARAMS", "PATH_INPUT", "SCORE_COLUMNS",
    "SUMMARY_COLUMNS", "account_models", "apply_path", "auc", "backtest_dates",
    "backtest_dates_before", "backtest_frame", "backtest_row", "bands_on", "component_scores",
    "default_model",
    "dump_model", "explain_inputs", "health", "health_accounts", "health_backtest", "health_frame",
    "health_inputs", "health_mix", "inputs_model", "load_model", "mix_dates", "mix_dates_for",
    "mix_frame", "model_changes", "model_for", "model_key", "model_path", "parse_model", "periods",
    "raw_inputs", "raw_inputs_many", "resolve_model", "save_model", "score_accounts",
    "scored_by_date", "scores_by_date", "validate_model",
]


def health(cur, q: Query, model: dict | None = None) -> pd.DataFrame:
    """Health per in-scope account active on as-of, from data dated before as-of (METRICS.md;
    see score_accounts). path_to_next_band is {component, input, from, to} or null. `model`:
    the model to score with (None: the saved one the query names; see `resolve_model`).

    Columns: account_id, score, band, model_version, usage_score, usage_contribution,
    adoption_score, adoption_contribution, sentiment_score, sentiment_contribution,
    support_score, support_contribution, financial_score, financial_contribution, next_band,
    path_to_next_band."""
    model = resolve_model(q, model)
    return health_frame(score_accounts(raw_inputs(cur, q, model), model))


def bands_on(cur, q: Query, day: date) -> pd.Series:
    """Return the health band on `day` of every account active then (indexed by account_id),
    under the saved model `q` names (ModelError when it cannot be used): the bands
    `health(cur, q)` gives, read from the scores stored at import when `day` is one of their
    dates, else scored without the path to the next band (most of the scoring time). `q`'s
    filters do not matter (bands do not depend on them): the caller picks its accounts."""
    q_all = q.without_filters().with_(as_of=day, by=None)
    df = scores_by_date(cur, q_all, resolve_model(q_all), [day], ["account_id", "band"])[day]
    return (df.set_index("account_id")["band"] if len(df)
            else pd.Series([], dtype=object, name="band"))


def health_accounts(cur, q: Query, model: dict | None = None) -> pd.DataFrame:
    """Health with its explanation per in-scope account: raw inputs, weights as set and
    re-normalised, contributions, missing components, thresholds, path (score_accounts), under
    `model` (None: the saved one the query names).

    Columns: those of `health_inputs`, then account_id, score, band, model_version,
    usage_score, usage_contribution, adoption_score, adoption_contribution, sentiment_score,
    sentiment_contribution, support_score, support_contribution, financial_score,
    financial_contribution (and each component's _weight and _effective_weight), green, yellow,
    override, missing, next_band, path_to_next_band."""
    model = resolve_model(q, model)
    scored = score_accounts(raw_inputs(cur, q, model), model)
    if scored.empty:
        return scored
    return scored[scored["in_scope"].astype(bool)].reset_index(drop=True)


def health_inputs(cur, q: Query, model: dict | None = None) -> pd.DataFrame:
    """The raw inputs of every account active on as-of (all accounts, `in_scope` marks the
    filtered ones): what a page scores with an edited model without reading the data again.
    The model's windows, days and top features choose the inputs (None: the saved model).

    Columns: account_id, name, segment, lifecycle_stage, csm_owner, renewal_date, in_scope,
    seats, active_users, features_used, top_features, sentiment_type, sentiment_raw,
    sentiment_scale, sentiment_at, tickets, open_p1, missed_sla, mrr_now, mrr_base,
    usage_tracked, tickets_tracked, churned_next, as_of."""
    return raw_inputs(cur, q, resolve_model(q, model))


def health_backtest(cur, q: Query, model: dict | None = None) -> pd.DataFrame:
    """Per backtest as-of date: accounts scored, churners in the next 90 days, AUC, red lift
    and the share of churned MRR that was red or yellow (METRICS.md health_backtest), under
    `model` (None: the saved one the query names).

    Columns: as_of, accounts, churners, auc, red_lift, churned_mrr_flagged."""
    model = resolve_model(q, model)
    dates = backtest_dates(cur, q)
    scored = scores_by_date(cur, q, model, dates, SUMMARY_COLUMNS)
    return backtest_frame([backtest_row(scored[d], d) for d in dates])


def health_mix(cur, q: Query, model: dict | None = None) -> pd.DataFrame:
    """The band mix over time: per as-of date (the first day of each month of the window, at
    most 12, and the window's last day capped at as-of), the in-scope active accounts, how many
    are green, yellow, red or unscored, and the mean score, under `model` (None: the saved one
    the query names).

    Columns: as_of, accounts, green, yellow, red, unscored, mean_score, model_version."""
    model = resolve_model(q, model)
    dates = mix_dates(cur, q)
    return mix_frame(scores_by_date(cur, q, model, dates, SUMMARY_COLUMNS), model)
