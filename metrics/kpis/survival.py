"""Customer survival: Kaplan–Meier curves with Greenwood exponential bands, medians and the
log-rank test across groups (`survival`, METRICS.md). Checked against lifelines."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import special as sspecial  # scipy.stats' import is slow; same functions

from metrics import dimensions, periods
from metrics.kpis import run_sql
from metrics.query import Query
from metrics.spec import MetricSpec, col, dtypes

SURVIVAL_COLS = (
    col("time_days", "int64", "Days since signup", "days", None),
    col("at_risk", "int64", "At risk", "accounts", None, "accounts still observed at the time"),
    col("events", "int64", "Events", "events", "up"),
    col("censored", "int64", "Censored", "accounts", None,
        "accounts still active at as-of (no event yet)"),
    col("survival", "float64", "Survival", "fraction", "up", "Kaplan–Meier S(t)"),
    col("ci_low", "float64", "95% band, low", "fraction", None, "Greenwood exponential"),
    col("ci_high", "float64", "95% band, high", "fraction", None, "Greenwood exponential"),
)
SURVIVAL_COLUMNS = dtypes(SURVIVAL_COLS)
Z95 = float(sspecial.ndtri(0.975))  # norm.ppf(0.975)


def kaplan_meier(durations, events, z: float = Z95) -> pd.DataFrame:
    """Return the Kaplan–Meier table of one group: a row at time 0 and at every distinct
    observed time, with at_risk (T ≥ t), events, censored, survival and the Greenwood
    exponential ("log-log") confidence band; the band is [S, S] where S is 0 or 1.

    Columns: time_days, at_risk, events, censored, survival, ci_low, ci_high."""
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    times = np.unique(np.concatenate([[0.0], t]))
    # counts per distinct time by sorting, not a pass over every account per time
    pos = np.searchsorted(times, t)
    d = np.bincount(pos[e], minlength=len(times)).astype(float)
    c = np.bincount(pos[~e], minlength=len(times)).astype(float)
    n = (d + c)[::-1].cumsum()[::-1]  # at risk: observed at or after the time
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.cumprod(np.where(n > 0, 1.0 - d / n, 1.0))
        # Greenwood's sum; infinite once everyone at risk has had the event (S = 0)
        g = np.cumsum(np.where(n > d, d / (n * (n - d)), np.where(d > 0, np.inf, 0.0)))
        logs = np.log(s)
        half = z * np.sqrt(g) / logs
        a = np.exp(-np.exp(np.log(-logs) + half))
        b = np.exp(-np.exp(np.log(-logs) - half))
    lo = np.minimum(a, b)
    hi = np.maximum(a, b)
    flat = (s <= 0) | (s >= 1) | ~np.isfinite(lo) | ~np.isfinite(hi)
    lo = np.where(flat, s, lo)
    hi = np.where(flat, s, hi)
    return pd.DataFrame({
        "time_days": times.astype("int64"), "at_risk": n.astype("int64"),
        "events": d.astype("int64"), "censored": c.astype("int64"), "survival": s,
        "ci_low": lo, "ci_high": hi,
    })


def median_survival(km: pd.DataFrame) -> float | None:
    """Return the first time the survival is ≤ 0.5, or None when it never is."""
    hit = km[km["survival"] <= 0.5]
    return None if hit.empty else float(hit["time_days"].iloc[0])


def logrank(durations, events, groups) -> dict:
    """Return the log-rank test of equal survival across all groups: {"statistic": χ²,
    "p_value", "df": k − 1} (null statistic and p-value with fewer than two groups)."""
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    g = pd.Series(groups).astype(object).where(pd.Series(groups).notna(), "\0null").to_numpy()
    labels = sorted(set(g), key=str)
    k = len(labels)
    if k < 2:
        return {"statistic": None, "p_value": None, "df": max(k - 1, 0)}
    idx = np.array([labels.index(x) for x in g])
    times = np.unique(t[e])
    if len(times) == 0:
        return {"statistic": None, "p_value": None, "df": k - 1}
    # per group and event time: events, and those still at risk (time ≥ the event time)
    dj = np.zeros((len(times), k))
    nj = np.zeros((len(times), k))
    for j in range(k):
        tj, ej = t[idx == j], e[idx == j]
        pos = np.searchsorted(times, tj[ej])
        dj[:, j] = np.bincount(pos, minlength=len(times))
        nj[:, j] = len(tj) - np.searchsorted(np.sort(tj), times, side="left")
    n = nj.sum(axis=1)
    d = dj.sum(axis=1)
    obs = dj.sum(axis=0)
    exp = (d[:, None] * nj / n[:, None]).sum(axis=0)
    f = np.where(n > 1, d * (n - d) / np.maximum(n - 1, 1), 0.0)
    share = nj / n[:, None]
    var = np.diag((f[:, None] * share).sum(axis=0)) - np.einsum("t,ti,tj->ij", f, share, share)
    diff = (obs - exp)[:-1]
    v = var[:-1, :-1]
    stat = float(diff @ np.linalg.pinv(v) @ diff)
    return {"statistic": stat, "p_value": float(sspecial.chdtrc(k - 1, stat)), "df": k - 1}


def _empty(dim: dimensions.Dimension) -> pd.DataFrame:
    cols = ([dim.name] if dim.active else []) + list(SURVIVAL_COLUMNS)
    return pd.DataFrame({c: pd.Series([], dtype=SURVIVAL_COLUMNS.get(c, "object"))
                         for c in cols})


def survival(cur, q: Query) -> pd.DataFrame | dict:
    """Kaplan–Meier survival of customers since signup, censoring-aware.

    Accounts in scope with signup_date ≤ as-of; time_days = (churn_date if on or before as-of,
    else as-of) − signup_date; event = churned on or before as-of. One row at time 0 and at each
    distinct observed time; 95% Greenwood exponential band. The window (--from/--to) and
    --grain are ignored: every customer up to as-of counts. With --by the result is {"rows":
    frame with the group column first, "logrank": {statistic, p_value, df}, "medians": {group:
    days or null}}.

    Columns: [by], time_days, at_risk, events, censored, survival, ci_low, ci_high.
    """
    dim = dimensions.resolve_dimension(cur, q.by, "survival", None)
    as_of = periods.resolve_as_of(cur, q)
    if as_of is None:
        out = _empty(dim)
        return {"rows": out, "logrank": logrank([], [], []), "medians": {}} if dim.active \
            else out
    raw = run_sql(cur, "survival_accounts", {"as_of": as_of, **dimensions.scope_params(cur, q),
                                             **dimensions.dimension_params(dim)})
    if not dim.active:
        return _empty(dim) if raw.empty else kaplan_meier(raw["time_days"], raw["event"])
    frames, medians = [], {}
    grp = raw["grp"].astype(object).where(raw["grp"].notna(), None)
    for key in sorted(set(grp), key=lambda v: (v is None, str(v))):
        part = raw[grp.map(lambda v, k=key: v == k if k is not None else v is None)]
        km = kaplan_meier(part["time_days"], part["event"])
        km.insert(0, dim.name, key)
        frames.append(km)
        medians[key] = median_survival(km)
    rows = pd.concat(frames, ignore_index=True) if frames else _empty(dim)
    test = logrank(raw["time_days"], raw["event"], grp)
    if test["statistic"] is not None and math.isnan(test["statistic"]):
        test = {**test, "statistic": None, "p_value": None}
    return {"rows": rows, "logrank": test, "medians": medians}


# The metrics of this module, described once (metrics.spec); the registry collects them.
SPECS = (
    MetricSpec(
        name="survival",
        label="Customer survival",
        definition=(
            "Kaplan–Meier share of customers still active t days after signup, with a 95% "
            "band, per "
            "group with medians and a log-rank test."
        ),
        formula=(
            "S(t) = Π_{t_i ≤ t} (1 − d_i ÷ n_i); time = churn_date (≤ as-of) or as-of − "
            "signup_date, censored at as-of; Greenwood exponential band exp(−exp(log(−log S) "
            "± z·√V "
            "÷ log S)), V = Σ d_i ÷ (n_i (n_i − d_i)); median = first t with S ≤ 0.5; log-rank χ² "
            "on k − 1 df"
        ),
        fn=survival,
        cols=SURVIVAL_COLS,
        headline="survival",
        query="survival_accounts",
        denominator="at_risk",
        periods=False,
    ),
)
