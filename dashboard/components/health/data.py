"""Health data for the Health and Accounts pages: raw inputs cached per as-of date under the
model's input settings only (so editing weights or bands re-scores in pandas without reading
the data again), scored with the model being shown (saved or previewed).

The model is passed as the object itself (the validated dict, `_model`: Streamlit does not hash
it); each cache keys on `health.model_key` of it, a hash of its canonical JSON."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from dashboard import context
from metrics import health
from metrics.query import Query


@st.cache_data(ttl=3600, max_entries=256, show_spinner=False)
def _raw(q: Query, model_key: str, version: int, _model: dict) -> pd.DataFrame:
    """Return `health_inputs` of `q` under `_model` (cached on its key and the data version)."""
    context.notify("metric", "health_inputs")
    with context.read_cursor() as cur:
        return health.health_inputs(cur, q, model=_model)


def raw_at(q: Query, model: dict, as_of: date) -> pd.DataFrame:
    """Return the raw inputs of every account active on `as_of` (cached per data version under
    the model's input settings), masked in presentation-safe mode."""
    inputs = health.inputs_model(model)
    return context.shown(_raw(q.with_(as_of=as_of), health.model_key(inputs),
                              context.data_version(), inputs))


@st.cache_data(ttl=3600, max_entries=256, show_spinner=False)
def _scored(raw: pd.DataFrame, model_key: str, _model: dict) -> pd.DataFrame:
    return health.score_accounts(raw, _model)


def scored_at(q: Query, model: dict, as_of: date, in_scope: bool = True) -> pd.DataFrame:
    """Return the scored accounts on `as_of` (score_accounts), the filtered ones only unless
    `in_scope` is False."""
    s = _scored(raw_at(q, model, as_of), health.model_key(model), model)
    if in_scope and len(s):
        s = s[s["in_scope"].astype(bool)].reset_index(drop=True)
    return s


# What the charts over many dates keep of each scored account (small enough to cache).
_OVER_DATES_COLUMNS = ["as_of", "account_id", "in_scope", "score", "band", "model_version"] + [
    f"{c}_{k}" for c in health.COMPONENTS for k in ("score", "contribution")]


# a "scores" entry holds every account on 13 dates (tens of MB on 50k accounts): few entries
@st.cache_data(ttl=3600, max_entries=32, show_spinner=False)
def _over_dates(kind: str, q: Query, model_key: str, dates: tuple, version: int,
                _model: dict) -> pd.DataFrame:
    """Return, for the as-of `dates` (their scores stored at import, or read in one query and
    scored per date without the path search: `health.scores_by_date`): per date the band mix
    and the backtest row (kind "summary": health_mix columns, then the backtest's with its
    `accounts` as `accounts_scored`), or every active account's scores per date ("scores",
    `_OVER_DATES_COLUMNS`), under `_model`."""
    with context.read_cursor() as cur:
        # stored at import when model, settings and data version match; else computed
        scored = health.scores_by_date(cur, q, _model, dates, health.SUMMARY_COLUMNS
                                       if kind == "summary" else _OVER_DATES_COLUMNS)
    if kind == "summary":  # the band mix and the backtest row of every date
        bt = health.backtest_frame([health.backtest_row(scored[d], d) for d in dates])
        return health.mix_frame(scored, _model).merge(
            bt.rename(columns={"accounts": "accounts_scored"}), on="as_of", how="left")
    frames = [s for s in scored.values() if len(s)]
    return (pd.concat(frames, ignore_index=True) if frames
            else pd.DataFrame(columns=_OVER_DATES_COLUMNS))


def _over(kind: str, q: Query, model: dict, dates: list[date]) -> pd.DataFrame:
    # the window and as-of do not change the raw inputs of given dates: one cache entry
    key_q = q.with_(start=None, end=None, as_of=None)
    return _over_dates(kind, key_q, health.model_key(model), tuple(dates),
                       context.data_version(), model)


def _summary(q: Query, model: dict, as_of: date, latest: date, dates: list[date]
             ) -> pd.DataFrame:
    """Return the summary rows of `dates`, read with those of the band mix to `as_of` and of the
    backtest before `latest` (most dates are in both: the page reads them in one query)."""
    both = sorted(set(health.mix_dates_for(q, as_of)) | set(health.backtest_dates_before(latest))
                  | set(dates))
    s = _over("summary", q, model, both)
    return s[s["as_of"].isin(dates)].reset_index(drop=True)


def _page_as_of(q: Query, latest: date) -> date:
    """The Health page's as-of: the window's last day capped at the latest data day."""
    return min(q.end - timedelta(days=1), latest) if q.end else latest


def mix(q: Query, model: dict, as_of: date) -> pd.DataFrame:
    """Return the band mix over time (health_mix columns) under `model`."""
    latest = context.as_of_default() or as_of
    return _summary(q, model, as_of, latest, health.mix_dates_for(q, as_of))[health.MIX_COLUMNS]


def backtest(q: Query, model: dict, latest: date) -> pd.DataFrame:
    """Return the backtest rows (health_backtest columns) under `model`."""
    s = _summary(q, model, _page_as_of(q, latest), latest, health.backtest_dates_before(latest))
    return s.drop(columns="accounts").rename(columns={"accounts_scored": "accounts"})[
        health.BACKTEST_COLUMNS].reset_index(drop=True)


def scores_over(q: Query, model: dict, as_of: date, in_scope: bool = True) -> pd.DataFrame:
    """Return every active account's score, band and contributions (`_OVER_DATES_COLUMNS`) at
    each date of the band mix of the last 12 months to `as_of`; the filtered accounts only
    unless `in_scope` is False."""
    s = _over("scores", q, model, health.mix_dates_for(q.with_(start=None), as_of))
    if in_scope and len(s):
        s = s[s["in_scope"].astype(bool)].reset_index(drop=True)
    return s


def history(q: Query, model: dict, as_of: date, account_id: str) -> pd.DataFrame:
    """Return one account's scores and contributions at each date of the band mix (its health
    history; empty when it was active on none of them)."""
    s = scores_over(q, model, as_of, in_scope=False)
    return s[s["account_id"] == account_id].reset_index(drop=True) if len(s) else pd.DataFrame()
