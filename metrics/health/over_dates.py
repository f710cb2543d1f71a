"""Health over many as-of dates: the band mix over time and the backtest of how well the score
ranked the accounts that churned in the next 90 days (AUC, red lift, churned MRR flagged).

Both read the raw inputs of all their dates in one query (`raw_inputs_many`) and score each
date on its own without the path search (`scored_by_date`).
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from metrics import periods
from metrics.health.inputs import OUTCOME_DAYS
from metrics.health.scoring import score_accounts
from metrics.query import Query

MIX_COLUMNS = ["as_of", "accounts", "green", "yellow", "red", "unscored", "mean_score",
               "model_version"]
BACKTEST_COLUMNS = ["as_of", "accounts", "churners", "auc", "red_lift", "churned_mrr_flagged"]


def scored_by_date(raw: pd.DataFrame, model: dict, dates, paths: bool = False
                   ) -> dict[date, pd.DataFrame]:
    """Return {as_of: score_accounts(rows of that as_of)} for each of `dates` from a
    `raw_inputs_many` frame (an empty frame for a date without active accounts). Each date is
    scored on its own: segment percentiles compare accounts on the same as-of."""
    dates = list(dates)
    empty = raw.iloc[0:0].reset_index(drop=True)
    if paths:  # the path search compares the accounts of one as-of: one date at a time
        parts = dict(iter(raw.groupby("as_of", sort=True))) if len(raw) else {}
        return {d: score_accounts(parts.get(d, empty).reset_index(drop=True), model, paths=True)
                for d in dates}
    # Without paths every value is the account's own but the usage percentile, which compares
    # accounts of the same as-of and segment: so all dates are scored in one pass (the same
    # values as date by date, at the cost of one date; a load stores ~16 of them).
    keep = raw[raw["as_of"].isin(dates)] if len(raw) else empty
    scored = score_accounts(keep.reset_index(drop=True), model, paths=False)
    parts = dict(iter(scored.groupby("as_of", sort=True))) if len(scored) else {}
    none = score_accounts(empty, model, paths=False)
    return {d: parts[d].reset_index(drop=True) if d in parts else none.copy() for d in dates}


def mix_dates(cur, q: Query) -> list[date]:
    """Return the as-of dates of the band mix: the first day of each month inside the query's
    window (at most the last 12), then its as-of."""
    return mix_dates_for(q, periods.resolve_as_of(cur, q))


def mix_dates_for(q: Query, as_of: date | None) -> list[date]:
    """`mix_dates` for a known as-of."""
    if as_of is None:
        return []
    end = min(q.end - timedelta(days=1), as_of) if q.end else as_of
    start = q.start or date(end.year - 1, end.month, 1)
    out, d = [], periods.ceil_period(start, "month")
    while d < end:
        out.append(d)
        d = periods.next_period(d, "month")
    return out[-12:] + [end]


def mix_frame(scored: dict[date, pd.DataFrame], model: dict) -> pd.DataFrame:
    """Return the band mix (health_mix columns) of the scored accounts of each as-of date
    ({as_of: score_accounts frame}, in date order), the in-scope accounts only."""
    rows = []
    for d, s in scored.items():
        s = s[s["in_scope"].astype(bool)] if len(s) else s
        counts: Any = s["band"].value_counts() if len(s) else {}
        rows.append({"as_of": d, "accounts": len(s),
                     **{b: int(counts.get(b, 0)) for b in ("green", "yellow", "red")},
                     "unscored": int(s["score"].isna().sum()) if len(s) else 0,
                     "mean_score": float(s["score"].mean()) if len(s) else math.nan,
                     "model_version": model["version"]})
    df = pd.DataFrame(rows, columns=MIX_COLUMNS)
    for c in ("accounts", "green", "yellow", "red", "unscored", "model_version"):
        df[c] = df[c].astype("int64")
    df["mean_score"] = df["mean_score"].astype(float)
    return df


def auc(scores: np.ndarray, churned: np.ndarray) -> float:
    """Return P(score of a churner < score of a non-churner), ties counting ½ (NaN when either
    group is empty). Computed from mid-ranks (the Mann-Whitney U statistic), O(n log n)."""
    scores = np.asarray(scores, dtype=float)
    churned = np.asarray(churned, dtype=bool)
    n1, n0 = churned.sum(), (~churned).sum()
    if n1 == 0 or n0 == 0:
        return math.nan
    ranks = pd.Series(scores).rank(method="average").to_numpy()
    # U of non-churners: pairs where the non-churner scores higher (ties ½)
    u0 = ranks[~churned].sum() - n0 * (n0 + 1) / 2
    return float(u0 / (n0 * n1))


def backtest_row(scored: pd.DataFrame, as_of: date) -> dict:
    """Return one backtest row from the scored accounts of one as-of date (scored ones only)."""
    s = scored[scored["in_scope"].astype(bool) & scored["score"].notna()] if len(scored) else scored
    n = len(s)
    if n == 0:
        return {"as_of": as_of, "accounts": 0, "churners": 0, "auc": math.nan,
                "red_lift": math.nan, "churned_mrr_flagged": math.nan}
    churned = s["churned_next"].astype(bool).to_numpy()
    rate = churned.mean()
    red = (s["band"] == "red").to_numpy()
    red_rate = churned[red].mean() if red.any() else math.nan
    mrr = s["mrr_now"].astype(float).fillna(0).to_numpy()
    churned_mrr = mrr[churned].sum()
    flagged = mrr[churned & s["band"].isin(["red", "yellow"]).to_numpy()].sum()
    return {"as_of": as_of, "accounts": int(n), "churners": int(churned.sum()),
            "auc": auc(s["score"].to_numpy(), churned),
            "red_lift": red_rate / rate if rate > 0 else math.nan,
            "churned_mrr_flagged": flagged / churned_mrr if churned_mrr > 0 else math.nan}


def backtest_dates(cur, q: Query) -> list[date]:
    """Return the backtest's as-of dates: `q.as_of` alone when given, else the first day of each
    of the 12 months ending 90 days before the latest data day."""
    if q.as_of is not None:
        return [q.as_of]
    return backtest_dates_before(periods.resolve_as_of(cur, Query()))


def backtest_dates_before(latest: date | None) -> list[date]:
    """Return the first day of each of the 12 months ending 90 days before `latest`."""
    if latest is None:
        return []
    last = (latest - timedelta(days=OUTCOME_DAYS)).replace(day=1)
    out = []
    for k in range(11, -1, -1):
        m = last.month - 1 - k
        out.append(date(last.year + m // 12, m % 12 + 1, 1))
    return out


def backtest_frame(rows: list[dict]) -> pd.DataFrame:
    """Return backtest rows as the metric's frame."""
    df = pd.DataFrame(rows, columns=BACKTEST_COLUMNS)
    for c in ("accounts", "churners"):
        df[c] = df[c].astype("int64")
    for c in ("auc", "red_lift", "churned_mrr_flagged"):
        df[c] = df[c].astype(float)
    return df
