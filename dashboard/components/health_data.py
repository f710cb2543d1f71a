"""Health data for the Health and Accounts pages: raw inputs cached per as-of date under the
model's input settings only (so editing weights or bands re-scores in pandas without reading
the data again), scored with the model being shown (saved or previewed)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboard import context
from metrics import health
from metrics.query import Query


def raw_at(q: Query, model: dict, as_of: date) -> pd.DataFrame:
    """Return the raw inputs of every account active on `as_of` (cached per data version)."""
    key = health.dump_model(health.inputs_model(model))
    return context.metric("health_inputs", q.with_(as_of=as_of).with_setting(
        "health_model_yaml", key))


@st.cache_data(ttl=3600, max_entries=256, show_spinner=False)
def _scored(raw: pd.DataFrame, model_yaml: str) -> pd.DataFrame:
    return health.score_accounts(raw, health.parse_model(model_yaml))


def scored_at(q: Query, model: dict, as_of: date, in_scope: bool = True) -> pd.DataFrame:
    """Return the scored accounts on `as_of` (score_accounts), the filtered ones only unless
    `in_scope` is False."""
    s = _scored(raw_at(q, model, as_of), health.dump_model(model))
    if in_scope and len(s):
        s = s[s["in_scope"].astype(bool)].reset_index(drop=True)
    return s


def mix(q: Query, model: dict, as_of: date) -> pd.DataFrame:
    """Return the band mix over time (health_mix columns) under `model`."""
    rows = []
    for d in health.mix_dates_for(q, as_of):
        s = scored_at(q, model, d)
        counts = s["band"].value_counts() if len(s) else pd.Series(dtype=int)
        rows.append({"as_of": d, "accounts": len(s),
                     **{b: int(counts.get(b, 0)) for b in ("green", "yellow", "red")},
                     "unscored": int(s["score"].isna().sum()) if len(s) else 0,
                     "mean_score": float(s["score"].mean()) if len(s) else float("nan"),
                     "model_version": model["version"]})
    return pd.DataFrame(rows, columns=health.MIX_COLUMNS)


def backtest(q: Query, model: dict, latest: date) -> pd.DataFrame:
    """Return the backtest rows (health_backtest columns) under `model`."""
    rows = [health.backtest_row(scored_at(q, model, d), d)
            for d in health.backtest_dates_before(latest)]
    return health.backtest_frame(rows)


def history(q: Query, model: dict, as_of: date, account_id: str) -> pd.DataFrame:
    """Return one account's scored rows at each date of the band mix (its health history)."""
    frames = []
    for d in health.mix_dates_for(q.with_(start=None), as_of):
        s = scored_at(q, model, d, in_scope=False)
        if len(s):
            frames.append(s[s["account_id"] == account_id])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
