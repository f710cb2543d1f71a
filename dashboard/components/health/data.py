"""Health data for the Health and Accounts pages: raw inputs cached per as-of date under the
model's input settings only (so editing weights or bands re-scores in pandas without reading
the data again), scored with the model being shown (saved or previewed).

Inputs and scores do not depend on the global filters (every active account is scored; segment
percentiles compare all of them): the caches hold every account, keyed without the filters, and
`in_scope` is set afterwards from the filtered account ids (`_scope`, one small query). A filter
change then costs that query, not another pass over the usage data (seconds on 50,000 accounts).

The model is passed as the object itself (the validated dict, `_model`: Streamlit does not hash
it); each cache keys on `health.model_key` of it, a hash of its canonical JSON."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from dashboard import context
from metrics import health
from metrics.accounts import scope_account_ids
from metrics.query import Query


def _all(q: Query) -> Query:
    """Return `q` without its global filters (the key of the filter-free caches)."""
    return q.without_filters()


@st.cache_data(ttl=3600, max_entries=256, show_spinner=False)
def _scope(q: Query, version: int) -> frozenset[str]:
    """Return the ids of the accounts in `q`'s filters (all: the filters only)."""
    with context.read_cursor() as cur:
        return frozenset(scope_account_ids(cur, q))


def _in_scope(frame: pd.DataFrame, q: Query) -> pd.DataFrame:
    """Return a shallow copy of `frame` (every account, shared by the cache: never changed in
    place) with `in_scope` marking the accounts in `q`'s filters. Setting a whole column
    replaces it in the copy and leaves the cached frame as it was."""
    out = frame.copy(deep=False)
    if len(out) and q != _all(q):
        # keyed on the filters alone: the same ids whatever the window or settings
        ids = _scope(Query(segment=q.segment, region=q.region, csm_owner=q.csm_owner,
                           plan=q.plan, attributes=q.attributes), context.data_version())
        out["in_scope"] = out["account_id"].isin(ids)
    return out


# The filter-free frames are large (every account) and read on every rerun: held as shared
# objects (cache_resource: no pickled copy per read, ~0.5 s a rerun on 50,000 accounts), which
# is why nothing may change them in place (`_in_scope` returns a copy).
@st.cache_resource(ttl=3600, max_entries=16, show_spinner=False)
def _raw(q: Query, model_key: str, version: int, _model: dict) -> pd.DataFrame:
    """Return `health_inputs` of `q` under `_model` (cached on its key and the data version)."""
    context.notify("metric", "health_inputs")
    with context.read_cursor() as cur:
        return health.health_inputs(cur, q, model=_model)


def raw_at(q: Query, model: dict, as_of: date) -> pd.DataFrame:
    """Return the raw inputs of every account active on `as_of` (cached per data version under
    the model's input settings, without the filters; `in_scope` marks `q`'s), masked in
    presentation-safe mode."""
    inputs = health.inputs_model(model)
    raw = _raw(_all(q).with_(as_of=as_of), health.model_key(inputs), context.data_version(),
               inputs)
    return context.shown(_in_scope(raw, q))


@st.cache_resource(ttl=3600, max_entries=16, show_spinner=False)
def _scored(q_all: Query, model_key: str, version: int, _model: dict) -> pd.DataFrame:
    """Return score_accounts of every account active on `q_all`'s as-of under `_model`."""
    inputs = health.inputs_model(_model)
    raw = _raw(q_all, health.model_key(inputs), version, inputs)
    return health.score_accounts(raw, _model)


def scored_at(q: Query, model: dict, as_of: date, in_scope: bool = True) -> pd.DataFrame:
    """Return the scored accounts on `as_of` (score_accounts), masked in presentation-safe
    mode; the filtered ones only unless `in_scope` is False (then `in_scope` marks them)."""
    s = _scored(_all(q).with_(as_of=as_of), health.model_key(model), context.data_version(),
                model)
    s = context.shown(_in_scope(s, q))
    if in_scope and len(s):
        s = s[s["in_scope"].astype(bool)].reset_index(drop=True)
    return s


# What the charts over many dates keep of each scored account (small enough to cache).
_OVER_DATES_COLUMNS = ["as_of", "account_id", "in_scope", "score", "band", "model_version"] + [
    f"{c}_{k}" for c in health.COMPONENTS for k in ("score", "contribution")]


# the summary needs each account's id to be marked in or out of the filters
_SUMMARY_COLUMNS = list(dict.fromkeys(["as_of", "account_id", *health.SUMMARY_COLUMNS]))


# an entry holds every account on 13-16 dates (tens of MB on 50k accounts): few entries
@st.cache_resource(ttl=3600, max_entries=8, show_spinner=False)
def _scores_over_dates(kind: str, q_all: Query, model_key: str, dates: tuple, version: int,
                       _model: dict) -> pd.DataFrame:
    """Return every active account's scores on each of `dates` under `_model` (their scores
    stored at import, or read in one query and scored per date without the path search:
    `health.scores_by_date`), one frame: `_SUMMARY_COLUMNS` (kind "summary") or
    `_OVER_DATES_COLUMNS` ("scores"); `q_all` has no filters."""
    columns = _SUMMARY_COLUMNS if kind == "summary" else _OVER_DATES_COLUMNS
    with context.read_cursor() as cur:
        # stored at import when model, settings and data version match; else computed
        scored = health.scores_by_date(cur, q_all, _model, dates, columns)
    frames = [s for s in scored.values() if len(s)]
    return (pd.concat(frames, ignore_index=True) if frames
            else pd.DataFrame(columns=columns))


@st.cache_data(ttl=3600, max_entries=64, show_spinner=False)
def _summary_over(q: Query, model_key: str, dates: tuple, version: int,
                  _model: dict) -> pd.DataFrame:
    """Return per as-of date of `dates` the band mix and the backtest row of the accounts in
    `q`'s filters (health_mix columns, then the backtest's with its `accounts` as
    `accounts_scored`) under `_model`: a few rows, cached per filter."""
    every = _in_scope(_scores_over_dates("summary", _all(q), model_key, dates, version,
                                         _model), q)
    parts = dict(iter(every.groupby("as_of", sort=True))) if len(every) else {}
    empty = every.iloc[0:0]
    scored = {d: parts.get(d, empty).reset_index(drop=True) for d in dates}
    bt = health.backtest_frame([health.backtest_row(scored[d], d) for d in dates])
    return health.mix_frame(scored, _model).merge(
        bt.rename(columns={"accounts": "accounts_scored"}), on="as_of", how="left")


def _over(kind: str, q: Query, model: dict, dates: list[date]) -> pd.DataFrame:
    """Return `_summary_over` (kind "summary") or every active account's scores on `dates`
    with `in_scope` marking `q`'s filters ("scores", `_OVER_DATES_COLUMNS`; a shallow copy of
    the shared frame, not a cached copy per filter: pickling it cost a second)."""
    # the window and as-of do not change the raw inputs of given dates: one cache entry
    key_q = q.with_(start=None, end=None, as_of=None)
    key, version = health.model_key(model), context.data_version()
    if kind == "summary":
        return _summary_over(key_q, key, tuple(dates), version, model)
    return _in_scope(_scores_over_dates(kind, _all(key_q), key, tuple(dates), version, model),
                     q)


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


def clear_caches() -> None:
    """Empty the shared (cache_resource) health frames, as `st.cache_data.clear()` empties
    the others: for a caller measuring what a page computes from nothing."""
    for f in (_raw, _scored, _scores_over_dates):
        f.clear()
