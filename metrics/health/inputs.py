"""The raw inputs of the health components, read with one SQL query.

`raw_inputs(cur, q, model)` reads them (`metrics/sql/health_inputs.sql`) for every account
active on as-of, from data dated before it. `raw_inputs_many(cur, q, model, dates)` does it for
many as-of dates in one query (`health_inputs_many.sql`, the same rows as one `raw_inputs` per
date): the band mix and the backtest read their 12-13 dates at once.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from metrics import dimensions, periods
from metrics.health.model import PARAMS
from metrics.kpis import run_sql
from metrics.query import Query

OUTCOME_DAYS = 90  # backtest: churned within the next 90 days
INPUT_COLUMNS = [
    "account_id", "name", "segment", "lifecycle_stage", "csm_owner", "renewal_date", "in_scope",
    "seats", "active_users", "features_used", "top_features", "sentiment_type", "sentiment_raw",
    "sentiment_scale", "sentiment_at", "tickets", "open_p1", "missed_sla", "mrr_now", "mrr_base",
    "usage_tracked", "tickets_tracked", "churned_next"]


def raw_inputs(cur, q: Query, model: dict, as_of: date | None = None) -> pd.DataFrame:
    """Return the raw inputs of every account active on as-of (SQL `health_inputs`).

    as-of is `as_of`, else `q.as_of`, else the latest data day. Empty frame when there is no
    data. Columns: account_id, name, segment, lifecycle_stage, csm_owner, renewal_date,
    in_scope, seats, active_users, features_used, top_features, sentiment_type, sentiment_raw,
    sentiment_scale, sentiment_at, tickets, open_p1, missed_sla, mrr_now, mrr_base,
    usage_tracked, tickets_tracked, churned_next; and `as_of`."""
    from metrics.kpis.support import sla_targets

    as_of = as_of or periods.resolve_as_of(cur, q)
    if as_of is None:
        return pd.DataFrame(columns=[*INPUT_COLUMNS, "as_of"])
    c = model["components"]
    get = lambda comp, key: c.get(comp, {}).get(key, PARAMS[comp][key][0])  # noqa: E731
    targets, other = sla_targets(q)
    mrr_day = as_of - timedelta(days=1)
    params = {
        "as_of": as_of,
        "as_of_ts": periods.day_start(as_of),
        "usage_start": as_of - timedelta(days=model["window_days"]),
        "top_features": int(get("adoption", "top_features")),
        "sentiment_start_ts": periods.day_start(as_of - timedelta(days=get("sentiment", "days"))),
        "support_start_ts": periods.day_start(as_of - timedelta(days=get("support", "days"))),
        "sla_priorities": list(targets),
        "sla_hours": [float(v) for v in targets.values()],
        "sla_other": float(other),
        "mrr_day": mrr_day,
        "mrr_base_day": mrr_day - timedelta(days=get("financial", "days")),
        "outcome_end": as_of + timedelta(days=OUTCOME_DAYS),
        **dimensions.scope_params(cur, q),
        **dimensions.dimension_params(dimensions.resolve_dimension(cur, None, "health", None)),
    }
    raw = run_sql(cur, "health_inputs", params)
    raw["as_of"] = as_of
    return raw


def raw_inputs_many(cur, q: Query, model: dict, dates) -> pd.DataFrame:
    """Return the raw inputs of every account active on each of `dates`, in one query (SQL
    `health_inputs_many`): the rows `raw_inputs` returns for each date, one frame ordered by
    as_of then account_id (same columns, `as_of` a date). Empty frame for no dates."""
    from metrics.kpis.support import sla_targets

    dates = sorted(set(dates))
    if not dates:
        return pd.DataFrame(columns=[*INPUT_COLUMNS, "as_of"])
    c = model["components"]
    get = lambda comp, key: c.get(comp, {}).get(key, PARAMS[comp][key][0])  # noqa: E731
    targets, other = sla_targets(q)
    params = {
        "as_of_dates": dates,
        "usage_days": int(model["window_days"]),
        "top_features": int(get("adoption", "top_features")),
        "sentiment_days": int(get("sentiment", "days")),
        "support_days": int(get("support", "days")),
        "financial_days": int(get("financial", "days")),
        "outcome_days": OUTCOME_DAYS,
        "sla_priorities": list(targets),
        "sla_hours": [float(v) for v in targets.values()],
        "sla_other": float(other),
        **dimensions.scope_params(cur, q),
        **dimensions.dimension_params(dimensions.resolve_dimension(cur, None, "health", None)),
    }
    raw = run_sql(cur, "health_inputs_many", params)
    raw["as_of"] = pd.to_datetime(raw["as_of"]).dt.date
    return raw
