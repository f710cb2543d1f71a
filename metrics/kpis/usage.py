"""Product usage: `usage`, `feature_adoption`, `account_usage` (METRICS.md "Product usage").

A user is the pair (account_id, user_id). Every query reads the usage rollups of
`metrics.rollup` (refreshed at import), never the raw usage_events.
"""

from __future__ import annotations

import pandas as pd

from metrics.kpis import empty_frame, finish, prepare, prepare_window, run_sql
from metrics.query import Query

USAGE_COLUMNS = {
    "active_users": "int64",
    "avg_daily_users": "float64",
    "stickiness": "float64",
    "active_accounts": "int64",
    "events": "int64",
    "hours_per_active_user": "float64",
}

FEATURE_ADOPTION_COLUMNS = {
    "feature": "object",
    "accounts_using": "int64",
    "active_customers": "int64",
    "adoption_rate": "float64",
    "users": "int64",
    "events": "int64",
    "adoption_rate_prev": "float64",
    "adoption_change": "float64",
}

ACCOUNT_USAGE_COLUMNS = {
    "account_id": "object",
    "name": "object",
    "segment": "object",
    "csm_owner": "object",
    "active_customer": "bool",
    "nps_score": "float64",
    "nps_category": "object",
    "users": "int64",
    "events": "int64",
    "hours": "float64",
    "users_prev": "int64",
    "events_prev": "int64",
    "hours_prev": "float64",
    "users_change": "int64",
    "events_change": "float64",
}

NPS_CATEGORIES = ("promoter", "passive", "detractor", "no answer")


def usage(cur, q: Query) -> pd.DataFrame:
    """Product usage per period: active users (DAU/WAU/MAU by grain), stickiness, accounts.

    active_users = distinct (account_id, user_id) with an event in the period (up to as-of);
    avg_daily_users = mean over every calendar day of the period up to as-of of that day's
    distinct users (days without events count 0); stickiness = avg_daily_users / active_users
    (DAU/MAU at month grain, DAU/WAU at week grain); active_accounts = accounts with an event;
    hours_per_active_user = sum of duration_seconds / 3600 / active_users. Days are UTC days.

    Columns: period, partial, [by], active_users, avg_daily_users, stickiness, active_accounts,
    events, hours_per_active_user.
    """
    dim, frame = prepare(cur, q, "usage", ("usage_events",), None)
    if frame is None:
        return empty_frame(USAGE_COLUMNS, dim)
    p = frame.periods
    # Complete calendar months of a month-grain query are read from usage_monthly.
    monthly_end = p["period"].iloc[0]
    if q.grain == "month" and (~p["partial"]).any():
        monthly_end = p.loc[~p["partial"], "period_end"].max()
    raw = run_sql(cur, "usage", {**frame.params, "monthly_end": monthly_end})
    return finish(raw, USAGE_COLUMNS, dim)


def feature_adoption(cur, q: Query) -> pd.DataFrame:
    """Feature adoption over the window, with the same rate over the previous window.

    Per feature (events without a feature left out): accounts_using = accounts with an event of
    the feature in the window; active_customers = accounts that are active customers on the
    window's last day (capped at as-of); adoption_rate = accounts_using / active_customers;
    users (distinct users of the feature); events; adoption_rate_prev = the same rate over the
    previous window of equal length (customers judged on the day before the window);
    adoption_change = adoption_rate - adoption_rate_prev. Ignores --grain.

    Columns: feature, [by], accounts_using, active_customers, adoption_rate, users, events,
    adoption_rate_prev, adoption_change.
    """
    dim, win = prepare_window(cur, q, "feature_adoption", ("usage_events",), None)
    cols = dict(FEATURE_ADOPTION_COLUMNS)
    lead = ["feature"] + ([dim.name] if dim.active else [])
    if win is None:
        out = empty_frame({k: v for k, v in cols.items() if k != "feature"}, dim)
        out.insert(0, "feature", pd.Series([], dtype=object))
        return out[lead + [c for c in cols if c != "feature"]]
    raw = run_sql(cur, "feature_adoption", win.params)
    raw["adoption_change"] = raw["adoption_rate"] - raw["adoption_rate_prev"]
    out = pd.DataFrame({"feature": raw["feature"].astype(object)})
    if dim.active:
        out[dim.name] = raw["grp"].astype(object).where(raw["grp"].notna(), None)
    for name, dtype in cols.items():
        if name != "feature":
            out[name] = pd.to_numeric(raw[name], errors="coerce").astype(dtype)
    return out.reset_index(drop=True)


def account_usage(cur, q: Query) -> pd.DataFrame:
    """Usage per account in the window and in the previous window of equal length.

    Accounts in scope that are customers on the window's last day or used the product in
    either window. users = distinct users, events, hours = sum of duration_seconds / 3600 in
    the window; *_prev the same in the previous window; users_change = users - users_prev;
    events_change = events / events_prev - 1 (null without previous events). nps_score and
    nps_category (promoter 9-10, passive 7-8, detractor 0-6) are the account's latest NPS answer
    on or before as-of (null when it never answered). Ignores --grain and --by.

    Columns: account_id, name, segment, csm_owner, active_customer, nps_score, nps_category,
    users, events, hours, users_prev, events_prev, hours_prev, users_change, events_change.
    """
    _dim, win = prepare_window(cur, q.with_(by=None), "account_usage", ("usage_events",), None)
    if win is None:
        return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in ACCOUNT_USAGE_COLUMNS.items()})
    raw = run_sql(cur, "account_usage", win.params)
    raw["users_change"] = raw["users"] - raw["users_prev"]
    prev = raw["events_prev"].where(raw["events_prev"] > 0)
    raw["events_change"] = raw["events"] / prev - 1
    out = pd.DataFrame(index=raw.index)
    for name, dtype in ACCOUNT_USAGE_COLUMNS.items():
        col = raw[name]
        if dtype == "object":
            out[name] = col.astype(object).where(col.notna(), None)
        elif dtype == "bool":
            out[name] = col.fillna(False).astype(bool)
        else:
            out[name] = pd.to_numeric(col, errors="coerce").astype(dtype)
    return out.reset_index(drop=True)


def by_nps_category(accounts: pd.DataFrame) -> pd.DataFrame:
    """Usage of promoters, passives, detractors and accounts without an answer.

    From `account_usage` rows of active customers: accounts; active_share = accounts with an
    active user / accounts; users_per_account = mean users (0 for idle accounts);
    events_per_user and hours_per_active_user = sums / users (null without users).

    Columns: nps_category, accounts, active_share, users_per_account, events_per_user,
    hours_per_active_user.
    """
    a = accounts[accounts["active_customer"]].copy()
    a["nps_category"] = a["nps_category"].fillna("no answer")
    g = a.groupby("nps_category", sort=False).agg(
        accounts=("account_id", "size"), active=("users", lambda s: int((s > 0).sum())),
        users=("users", "sum"), events=("events", "sum"), hours=("hours", "sum"))
    g = g.reindex(list(NPS_CATEGORIES))
    g["accounts"] = g["accounts"].fillna(0).astype("int64")
    users = g["users"].where(g["users"] > 0)
    out = pd.DataFrame({
        "nps_category": list(NPS_CATEGORIES),
        "accounts": g["accounts"].to_numpy(),
        "active_share": (g["active"] / g["accounts"].where(g["accounts"] > 0)).to_numpy(float),
        "users_per_account": (g["users"] / g["accounts"].where(g["accounts"] > 0)).to_numpy(
            float),
        "events_per_user": (g["events"] / users).to_numpy(float),
        "hours_per_active_user": (g["hours"] / users).to_numpy(float),
    })
    return out


def fell_most(accounts: pd.DataFrame, n: int = 20) -> pd.DataFrame:
    """Return the `n` accounts whose usage fell most: the largest drop in active users from the
    previous window, then the largest relative drop in events (accounts that had users)."""
    a = accounts[(accounts["users_prev"] > 0) & (accounts["users_change"] < 0)]
    return a.sort_values(["users_change", "events_change", "account_id"],
                         ascending=[True, True, True], na_position="last").head(n)


def accounts_behind(cur, q: Query, feature: str, group: str | None = None,
                    any_group: bool = True) -> pd.DataFrame:
    """The accounts behind a feature adoption bar or heatmap cell: accounts in scope that used
    `feature` in the window of `q`, of the `q.by` group `group` unless `any_group`.

    Columns: account_id, name, segment, csm_owner, users, events, hours, last_used."""
    _dim, win = prepare_window(cur, q, "feature_adoption", ("usage_events",), None)
    if win is None:
        return pd.DataFrame(columns=["account_id", "name", "segment", "csm_owner", "users",
                                     "events", "hours", "last_used"])
    return run_sql(cur, "feature_accounts", {**win.params, "feature": str(feature),
                                              "group_value": group, "any_group": bool(any_group)})

