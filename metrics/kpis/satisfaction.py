"""Loyalty and satisfaction: `nps`, `csat`, `ces` (METRICS.md).

SQL counts the answers per period and group; the scores and intervals come from
`metrics.stats`, vectorised over the frame, so the dashboard's significance tests use the very
same formulas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metrics import stats
from metrics.kpis import empty_frame, finish, prepare, run_sql
from metrics.query import Query
from metrics.spec import MetricSpec, SettingSpec, col, dtypes

SMALL_N = 30  # fewer responses than this: small_n
NPS_BASES = ("all", "latest")
CSAT_THRESHOLD_DEFAULT = 4  # on the 1-5 scale

NPS_COLS = (
    col("responses", "int64", "Responses", "responses", "up"),
    col("promoters", "int64", "Promoters", "responses", "up", "answers 9–10"),
    col("passives", "int64", "Passives", "responses", None, "answers 7–8"),
    col("detractors", "int64", "Detractors", "responses", "down", "answers 0–6"),
    col("nps", "float64", "NPS", "points", "up", "100 × (promoters − detractors) ÷ responses"),
    col("nps_adj", "float64", "Adjusted NPS", "points", None,
        "the adjusted-Wald centre of the interval"),
    col("ci_low", "float64", "95% interval, low", "points", None, "adjusted-Wald"),
    col("ci_high", "float64", "95% interval, high", "points", None, "adjusted-Wald"),
    col("small_n", "bool", "Fewer than 30 responses", "flag", None,
        "n < 30: the value moves a lot with a few answers"),
)
NPS_COLUMNS = dtypes(NPS_COLS)
CSAT_COLS = (
    col("responses", "int64", "Responses", "responses", "up"),
    col("satisfied", "int64", "Satisfied", "responses", "up", "score ≥ csat_threshold"),
    col("csat", "float64", "CSAT", "fraction", "up", "satisfied ÷ responses"),
    col("ci_low", "float64", "95% interval, low", "fraction", None, "Wilson"),
    col("ci_high", "float64", "95% interval, high", "fraction", None, "Wilson"),
    col("small_n", "bool", "Fewer than 30 responses", "flag", None,
        "n < 30: the value moves a lot with a few answers"),
)
CSAT_COLUMNS = dtypes(CSAT_COLS)
CES_COLS = (
    col("responses", "int64", "Responses", "responses", "up"),
    col("ces", "float64", "CES (1–7)", "score", "up", "mean effort score, 1–7, higher is easier",
        range=(1.0, 7.0)),
    col("ci_low", "float64", "95% interval, low", "score", None, "t interval"),
    col("ci_high", "float64", "95% interval, high", "score", None, "t interval"),
    col("small_n", "bool", "Fewer than 30 responses", "flag", None,
        "n < 30: the value moves a lot with a few answers"),
)
CES_COLUMNS = dtypes(CES_COLS)
_COUNTS = ("responses", "promoters", "passives", "detractors")


def nps_basis(q: Query) -> str:
    """Return the `nps_basis` setting (all | latest), validated."""
    value = str(q.setting("nps_basis", "all")).strip().lower()
    if value not in NPS_BASES:
        raise ValueError(f"nps_basis must be one of {', '.join(NPS_BASES)}, not {value!r}")
    return value


def csat_thresholds(q: Query) -> tuple[float, float]:
    """Return the satisfied thresholds (1-5 scale, 1-10 scale).

    `csat_threshold` is given on the 1-5 scale (default 4); the 1-10 scale uses twice it, which
    gives the documented default 8 and keeps a user's choice proportional on both scales."""
    raw = q.setting("csat_threshold", CSAT_THRESHOLD_DEFAULT)
    try:
        t5 = float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"csat_threshold must be a number on the 1-5 scale, not {raw!r}") from None
    if not 1 <= t5 <= 5:
        raise ValueError(f"csat_threshold is on the 1-5 scale (1 to 5), not {raw!r}")
    return t5, 2 * t5


def _survey(cur, q: Query, metric: str, extra: dict):
    dim, frame = prepare(cur, q, metric, ("survey_responses",), "survey_responses")
    if frame is None:
        return dim, None
    params = {**frame.params, "survey_type": metric, **extra}
    return dim, run_sql(cur, metric, params)


def nps(cur, q: Query) -> pd.DataFrame:
    """Net Promoter Score per period: 100 (P - D) / n with the adjusted-Wald interval.

    Promoters 9-10, passives 7-8, detractors 0-6; passives count in n. nps_adj, ci_low and ci_high
    follow METRICS.md (n_adj = n + 3, +3/4 to promoters and detractors, 95%, clipped to
    [-100, 100]). No responses: nps, nps_adj, ci_low, ci_high null. Setting `nps_basis`: `all`
    (default) or `latest` (each respondent's latest answer within the period; a response without
    respondent counts as its own respondent). small_n: fewer than 30 responses.

    Columns: period, partial, [by], responses, promoters, passives, detractors, nps, nps_adj,
    ci_low, ci_high, small_n.
    """
    dim, raw = _survey(cur, q, "nps", {"nps_basis": nps_basis(q)})
    if raw is None or raw.empty:
        return empty_frame(NPS_COLUMNS, dim)
    p, m, d = (raw[c].to_numpy(dtype=float) for c in ("promoters", "passives", "detractors"))
    raw["nps"] = stats.nps_score(p, m, d)
    raw["nps_adj"], raw["ci_low"], raw["ci_high"], _, _ = stats.nps_interval(p, m, d)
    raw["small_n"] = raw["responses"] < SMALL_N
    return finish(raw, NPS_COLUMNS, dim)


def csat(cur, q: Query) -> pd.DataFrame:
    """Customer satisfaction per period: share of scores >= the threshold, Wilson interval.

    Threshold: `csat_threshold` on the 1-5 scale (default 4); answers stored with scale 10 use
    twice it (default 8); answers without a recorded scale are on the 1-5 scale. Wilson score
    interval without continuity correction, z = 1.96. No responses: csat and interval null.

    Columns: period, partial, [by], responses, satisfied, csat, ci_low, ci_high, small_n.
    """
    t5, t10 = csat_thresholds(q)
    dim, raw = _survey(cur, q, "csat", {"threshold_5": t5, "threshold_10": t10})
    if raw is None or raw.empty:
        return empty_frame(CSAT_COLUMNS, dim)
    k, n = raw["satisfied"].to_numpy(dtype=float), raw["responses"].to_numpy(dtype=float)
    low, high = stats.wilson(k, n)
    raw["ci_low"], raw["ci_high"] = np.atleast_1d(low), np.atleast_1d(high)
    raw["small_n"] = raw["responses"] < SMALL_N
    return finish(raw, CSAT_COLUMNS, dim)


def ces(cur, q: Query) -> pd.DataFrame:
    """Customer effort score per period: mean score (1-7, higher = easier), t interval.

    95% Student t interval on the sample standard deviation; null for fewer than 2 responses.
    No responses: ces null.

    Columns: period, partial, [by], responses, ces, ci_low, ci_high, small_n.
    """
    dim, raw = _survey(cur, q, "ces", {})
    if raw is None or raw.empty:
        return empty_frame(CES_COLUMNS, dim)
    low, high = stats.t_interval(
        raw["ces"].to_numpy(dtype=float),
        raw["sd"].to_numpy(dtype=float),
        raw["responses"].to_numpy(dtype=float),
    )
    raw["ci_low"], raw["ci_high"] = np.atleast_1d(low), np.atleast_1d(high)
    raw["small_n"] = raw["responses"] < SMALL_N
    return finish(raw, CES_COLUMNS, dim)


# ---------------------------------------------------------------------------------------------
# Changes between periods and league tables (shared by the dashboard and the weekly review)

HEADLINE = {"nps": "nps", "csat": "csat", "ces": "ces"}


def ces_sd(ces_mean, ci_high, n):
    """Return the sample standard deviation behind a CES t interval (exact inverse of
    `stats.t_interval`: sd = (ci_high − mean) √n ÷ t(0.975, n − 1)); NaN for n < 2."""
    from scipy import special  # stdtrit is scipy.stats' t.ppf, without its slow import

    mean, high, n = (np.asarray(x, dtype=float) for x in (ces_mean, ci_high, n))
    ok = n >= 2
    nn = np.where(ok, n, 2.0)
    t = special.stdtrit(nn - 1, 0.975)
    sd = np.where(ok, (high - mean) * np.sqrt(nn) / t, np.nan)
    return sd.item() if sd.ndim == 0 else sd


def change_test(metric: str, prev, cur) -> tuple[float, float, bool] | None:
    """Return (statistic, p_value, significant) of the change from row `prev` to row `cur` of a
    survey metric frame (METRICS.md "Changes between periods"): NPS — difference of adjusted-Wald
    NPS with summed variances; CSAT — pooled two-proportion z-test; CES — Welch t (sd recovered
    from the t interval). None when a row is missing or the metric has no test. A period without
    responses gives NaN and not significant."""
    if prev is None or cur is None or metric not in HEADLINE:
        return None
    if metric == "nps":
        z, p, sig = stats.nps_change_test(prev["promoters"], prev["passives"],
                                          prev["detractors"], cur["promoters"],
                                          cur["passives"], cur["detractors"])
    elif metric == "csat":
        z, p, sig = stats.two_proportion_test(prev["satisfied"], prev["responses"],
                                              cur["satisfied"], cur["responses"])
    else:
        sd1 = ces_sd(prev["ces"], prev["ci_high"], prev["responses"])
        sd2 = ces_sd(cur["ces"], cur["ci_high"], cur["responses"])
        z, p, sig = stats.welch_t(prev["ces"], sd1, prev["responses"],
                                  cur["ces"], sd2, cur["responses"])
    return float(z), float(p), bool(sig)


def with_changes(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Return a period frame (no --by) of nps, csat or ces with the change of the headline
    against the previous period and its test: columns change, p_value, significant, compared.

    A period is compared only when it and the previous period are both complete (a partial
    period is never compared as if complete) and both have a value; otherwise change and
    p_value are null, significant False and compared False."""
    col = HEADLINE[metric]
    out = frame.sort_values("period").reset_index(drop=True).copy()
    change, pval, sig, compared = [], [], [], []
    for i in range(len(out)):
        cur = out.iloc[i]
        prev = out.iloc[i - 1] if i > 0 else None
        ok = (prev is not None and not bool(cur["partial"]) and not bool(prev["partial"])
              and pd.notna(cur[col]) and pd.notna(prev[col]))
        test = change_test(metric, prev, cur) if ok else None
        change.append(float(cur[col] - prev[col]) if ok and prev is not None else np.nan)
        pval.append(test[1] if test else np.nan)
        sig.append(bool(test[2]) if test else False)
        compared.append(bool(ok))
    out["change"] = np.array(change, dtype=float)
    out["p_value"] = np.array(pval, dtype=float)
    out["significant"] = np.array(sig, dtype=bool)
    out["compared"] = np.array(compared, dtype=bool)
    return out


def league_table(frame: pd.DataFrame, metric: str, group: str) -> pd.DataFrame:
    """Rank the groups of a one-period frame of nps, csat or ces by their interval.

    rank = 1 + the number of groups whose whole interval lies above this group's (so groups
    nobody beats clearly share rank 1); tied_with = the other groups whose 95% intervals overlap
    this one's ("; "-separated; they cannot be told apart), tied = it has any. A group without an
    interval (no responses, or CES with one) gets no rank and is not compared. Sorted by rank,
    then value, best first; the input's columns are kept."""
    col = HEADLINE[metric]
    out = frame.copy().reset_index(drop=True)
    low = out["ci_low"].to_numpy(dtype=float)
    high = out["ci_high"].to_numpy(dtype=float)
    names = ["(none)" if pd.isna(g) else str(g) for g in out[group]]
    has = np.isfinite(low) & np.isfinite(high)
    ranks, ties = [], []
    for i in range(len(out)):
        if not has[i]:
            ranks.append(np.nan)
            ties.append("")
            continue
        above = int(np.sum(has & (low > high[i])))
        overlap = [names[j] for j in range(len(out))
                   if j != i and has[j] and low[j] <= high[i] and low[i] <= high[j]]
        ranks.append(float(1 + above))
        ties.append("; ".join(overlap))
    out["rank"] = pd.array([None if np.isnan(r) else int(r) for r in ranks], dtype="Int64")
    out["tied_with"] = ties
    out["tied"] = out["tied_with"] != ""
    order = out.assign(_r=out["rank"].astype(float).fillna(np.inf), _v=-out[col].astype(float))
    return out.loc[order.sort_values(["_r", "_v"], na_position="last").index].reset_index(
        drop=True)


# The metrics of this module, described once (metrics.spec); the registry collects them.
SPECS = (
    MetricSpec(
        name="nps",
        label="Net Promoter Score",
        definition=(
            "Share of promoters (9-10) minus share of detractors (0-6) among NPS answers, in "
            "points."
        ),
        formula=(
            "NPS = 100 × (promoters − detractors) ÷ responses; adjusted-Wald interval: n_adj = n + "
            "3, p̂ = (P + ¾)/n_adj, d̂ = (D + ¾)/n_adj, NPS_adj = 100(p̂ − d̂), CI = NPS_adj ± "
            "1.96·100·√((p̂ + d̂ − (p̂ − d̂)²)/n_adj), clipped to [−100, 100]"
        ),
        fn=nps,
        cols=NPS_COLS,
        headline="nps",
        query="nps",
        denominator="responses",
        setting_specs=(
            SettingSpec("nps_basis", "choice", "all",
                        "all responses, or the latest answer per respondent in the window",
                        ("all", "latest")),
        ),
    ),
    MetricSpec(
        name="csat",
        label="CSAT",
        definition="Share of CSAT answers at or above the satisfied threshold (4 of 5, 8 of 10).",
        formula=(
            "CSAT = satisfied ÷ responses, satisfied = score ≥ csat_threshold (1–5 scale; 2 × "
            "csat_threshold on the 1–10 scale); Wilson score interval, z = 1.96"
        ),
        fn=csat,
        cols=CSAT_COLS,
        headline="csat",
        query="csat",
        numerator="satisfied",
        denominator="responses",
        setting_specs=(
            SettingSpec("csat_threshold", "float", 4,
                        "lowest satisfied score on the 1–5 scale (doubled on the 1–10 scale)"),
        ),
    ),
    MetricSpec(
        name="ces",
        label="Customer Effort Score",
        definition="Mean customer effort score on the 1-7 scale, higher meaning easier.",
        formula="CES = mean(score); t interval mean ± t(0.975, n − 1) · sd ÷ √n (n ≥ 2)",
        fn=ces,
        cols=CES_COLS,
        headline="ces",
        query="ces",
        denominator="responses",
    ),
)
