"""The Health and Accounts pages' charts over many as-of dates (band mix, backtest, score
trends, an account's history) read all their dates in one query and score them without the path
search: they equal scoring each date on its own (`scored_at`, one query per date)."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from dashboard import context
from dashboard.components.health import data as hd
from metrics import health
from metrics.query import Query


def _mix_one_by_one(q, model, as_of):
    rows = []
    for d in health.mix_dates_for(q, as_of):
        s = hd.scored_at(q, model, d)
        counts = s["band"].value_counts() if len(s) else {}
        rows.append({"as_of": d, "accounts": len(s),
                     **{b: int(counts.get(b, 0)) for b in ("green", "yellow", "red")},
                     "unscored": int(s["score"].isna().sum()) if len(s) else 0,
                     "mean_score": float(s["score"].mean()) if len(s) else math.nan,
                     "model_version": model["version"]})
    return pd.DataFrame(rows, columns=health.MIX_COLUMNS)


def test_charts_over_dates_equal_scoring_each_date_on_its_own(demo_db, monkeypatch):
    monkeypatch.setenv("CSM_DB", str(demo_db))
    st.cache_resource.clear()
    st.cache_data.clear()
    latest = context.as_of_default()
    model = health.default_model()
    for q in (Query(), Query(segment=("SMB",))):
        mix = hd.mix(q, model, latest)
        assert len(mix) == 13
        pd.testing.assert_frame_equal(mix, _mix_one_by_one(q, model, latest), check_dtype=False)
        expected = health.backtest_frame([health.backtest_row(hd.scored_at(q, model, d), d)
                                          for d in health.backtest_dates_before(latest)])
        pd.testing.assert_frame_equal(hd.backtest(q, model, latest), expected)
        dates = health.mix_dates_for(q, latest)
        trend = hd.scores_over(q, model, latest)
        one = pd.concat([hd.scored_at(q, model, d).assign(as_of=d) for d in dates],
                        ignore_index=True)
        cols = ["as_of", "account_id", "score", "band"] + [
            f"{c}_contribution" for c in health.COMPONENTS]
        key = ["as_of", "account_id"]
        pd.testing.assert_frame_equal(
            trend[cols].sort_values(key).reset_index(drop=True),
            one[cols].sort_values(key).reset_index(drop=True), check_dtype=False)
        acc = one["account_id"].iloc[0]
        hist = hd.history(q, model, latest, acc)
        assert list(hist["as_of"]) == sorted(one.loc[one["account_id"] == acc, "as_of"])
    st.cache_resource.clear()
    st.cache_data.clear()
