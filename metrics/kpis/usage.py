"""Product usage: `usage`, `feature_adoption`, `account_usage` (METRICS.md "Product usage").

A user is the pair (account_id, user_id). Every query reads the usage rollups of
`metrics.rollup` (refreshed at import), never the raw usage_events.
"""

from __future__ import annotations

import pandas as pd
from pandas.api.types import pandas_dtype

from metrics.kpis import empty_frame, finish, prepare, prepare_window, run_sql
from metrics.query import Query
from metrics.spec import MetricSpec, col, dtypes

USAGE_COLS = (
    col("active_users", "int64", "Active users", "users", "up",
        "distinct users with an event in the period (DAU, WAU or MAU by grain)"),
    col("avg_daily_users", "float64", "Mean daily users", "users", "up"),
    col("stickiness", "float64", "Stickiness", "fraction", "up", "avg_daily_users ÷ active_users"),
    col("active_accounts", "int64", "Accounts with usage", "accounts", "up",
        "accounts with at least one usage event in the period (not every customer uses the "
        "product in every period: see Customers on the Overview)"),
    col("events", "int64", "Events", "events", "up"),
    col("hours_per_active_user", "float64", "Hours per active user", "hours", "up",
        "Σ duration ÷ 3600 ÷ active_users"),
)
USAGE_COLUMNS = dtypes(USAGE_COLS)

FEATURE_ADOPTION_COLS = (
    col("accounts_using", "int64", "Accounts using", "accounts", "up",
        "accounts with an event of the feature in the window"),
    col("active_customers", "int64", "Active customers", "accounts", "up",
        "active customers on the window's last day"),
    col("adoption_rate", "float64", "Adoption", "fraction", "up",
        "accounts_using ÷ active_customers"),
    col("users", "int64", "Users", "users", "up", "users of the feature"),
    col("events", "int64", "Events", "events", "up"),
    col("adoption_rate_prev", "float64", "Adoption, previous window", "fraction", "up"),
    col("adoption_change", "float64", "Adoption change", "change", "up",
        "adoption_rate − adoption_rate_prev"),
)
FEATURE_ADOPTION_COLUMNS = {"feature": "object", **dtypes(FEATURE_ADOPTION_COLS)}

ACCOUNT_USAGE_COLS = (
    col("account_id", "object", "Account id", "text", None),
    col("name", "object", "Account", "text", None),
    col("segment", "object", "Segment", "text", None),
    col("csm_owner", "object", "CSM", "text", None),
    col("active_customer", "bool", "Active customer", "flag", None,
        "an active customer on the window's last day"),
    col("nps_score", "float64", "Latest NPS answer", "score", None, "0–10"),
    col("nps_category", "object", "NPS category", "text", None),
    col("users", "int64", "Users", "users", "up"),
    col("events", "int64", "Events", "events", "up"),
    col("hours", "float64", "Hours", "hours", "up", "hours of use in the window"),
    col("users_prev", "int64", "Users, previous window", "users", None),
    col("events_prev", "int64", "Events, previous window", "events", None),
    col("hours_prev", "float64", "Hours, previous window", "hours", None),
    col("users_change", "int64", "Users change", "number", "up", "users − users_prev"),
    col("events_change", "float64", "Events change", "rate", "up", "events ÷ events_prev − 1"),
)
ACCOUNT_USAGE_COLUMNS = dtypes(ACCOUNT_USAGE_COLS)

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
            out[name] = pd.to_numeric(raw[name], errors="coerce").astype(pandas_dtype(dtype))
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
            out[name] = pd.to_numeric(col, errors="coerce").astype(pandas_dtype(dtype))
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


# The metrics of this module, described once (metrics.spec); the registry collects them.
SPECS = (
    MetricSpec(
        name="usage",
        label="Product usage",
        definition=(
            "Active users (DAU, WAU or MAU by grain), mean daily users, stickiness, active "
            "accounts, events and hours per active user."
        ),
        formula=(
            "active_users = distinct (account_id, user_id) with an event in the period; "
            "avg_daily_users = Σ daily distinct users ÷ calendar days up to as-of; stickiness = "
            "avg_daily_users ÷ active_users; hours_per_active_user = Σ duration_seconds ÷ 3600 ÷ "
            "active_users; UTC days; read from the usage_daily / usage_monthly rollups"
        ),
        fn=usage,
        cols=USAGE_COLS,
        headline="active_users",
        query="usage",
    ),
    MetricSpec(
        name="feature_adoption",
        label="Feature adoption",
        definition=(
            "Share of the active customers that used each feature in the window, with the change "
            "against the previous window of equal length."
        ),
        formula=(
            "adoption_rate = accounts_using ÷ active_customers (customers on the window's last "
            "day); adoption_rate_prev = the same over the previous window of equal length; "
            "adoption_change = adoption_rate − adoption_rate_prev; events without a feature are "
            "left out"
        ),
        fn=feature_adoption,
        cols=FEATURE_ADOPTION_COLS,
        headline="adoption_rate",
        query="feature_adoption",
        numerator="accounts_using",
        denominator="active_customers",
        periods=False,
    ),
    MetricSpec(
        name="account_usage",
        label="Usage per account",
        definition=(
            "Per account: users, events and hours in the window and in the previous window "
            "of equal "
            "length, with its latest NPS answer."
        ),
        formula=(
            "users = distinct users with an event; users_change = users − "
            "users_prev; events_change "
            "= events ÷ events_prev − 1; nps_category from the latest NPS answer on or "
            "before as-of "
            "(promoter 9–10, passive 7–8, detractor 0–6)"
        ),
        fn=account_usage,
        cols=ACCOUNT_USAGE_COLS,
        headline="users",
        query="account_usage",
        periods=False,
    ),
)
