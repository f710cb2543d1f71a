"""Revenue retention: `mrr_movements`, `revenue_churn`, `quick_ratio`, `nrr` / `grr` and `ltv`
(METRICS.md "Revenue", ChartMogul and SaaS Capital conventions)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from metrics import periods as _periods
from metrics.kpis import customers, empty_frame, finish, prepare, revenue, run_sql
from metrics.query import Query
from metrics.spec import MetricSpec, SettingSpec, col, dtypes

MOVEMENT_COLS = (
    col("mrr_start", "float64", "MRR at start", "USD", None),
    col("new", "float64", "New MRR", "USD", "up", "MRR of accounts paying for the first time"),
    col("expansion", "float64", "Expansion MRR", "USD", "up"),
    col("contraction", "float64", "Contraction MRR", "USD", "down",
        "MRR lost by accounts that stay paying"),
    col("churn", "float64", "Churned MRR", "USD", "down", "MRR of accounts going from > 0 to 0"),
    col("reactivation", "float64", "Reactivation MRR", "USD", "up"),
    col("mrr_end", "float64", "MRR at end", "USD", "up"),
)
MOVEMENT_COLUMNS = dtypes(MOVEMENT_COLS)
REVENUE_CHURN_COLS = (
    col("mrr_start", "float64", "MRR at start", "USD", None),
    col("churn", "float64", "Churned MRR", "USD", "down", "MRR of accounts going from > 0 to 0"),
    col("contraction", "float64", "Contraction MRR", "USD", "down",
        "MRR lost by accounts that stay paying"),
    col("expansion", "float64", "Expansion MRR", "USD", "up"),
    col("reactivation", "float64", "Reactivation MRR", "USD", "up"),
    col("gross_mrr_churn_rate", "float64", "Gross MRR churn", "fraction", "down",
        "(churn + contraction) ÷ mrr_start"),
    col("net_mrr_churn_rate", "float64", "Net MRR churn", "rate", "down",
        "(churn + contraction − expansion − reactivation) ÷ mrr_start"),
)
REVENUE_CHURN_COLUMNS = dtypes(REVENUE_CHURN_COLS)
QUICK_RATIO_COLS = (
    col("growth_mrr", "float64", "MRR gained", "USD", "up", "new + expansion + reactivation"),
    col("lost_mrr", "float64", "MRR lost", "USD", "down", "contraction + churn"),
    col("quick_ratio", "float64", "Quick ratio", "ratio", "up",
        "(new + expansion + reactivation) ÷ (contraction + churn)"),
)
QUICK_RATIO_COLUMNS = dtypes(QUICK_RATIO_COLS)
NRR_COLS = (
    col("base_mrr", "float64", "Base MRR", "USD", None,
        "MRR on the base day of the accounts paying then"),
    col("current_mrr", "float64", "Current MRR", "USD", "up", "MRR now of the base accounts"),
    col("nrr", "float64", "NRR (12 months)", "rate", "up",
        "Σ current MRR ÷ Σ base MRR of the base accounts", range=(0.0, 3.0)),
    col("grr", "float64", "GRR (12 months)", "fraction", "up",
        "Σ min(current, base MRR) ÷ Σ base MRR"),
)
NRR_COLUMNS = dtypes(NRR_COLS)
LTV_COLS = (
    col("arpa", "float64", "ARPA", "USD", "up", "MRR ÷ paying accounts"),
    col("churn_rate", "float64", "Monthly churn, 6 months", "fraction", "down",
        "Σ C_start ÷ Σ S over the 6 complete months"),
    col("ltv", "float64", "LTV", "USD", "up", "arpa × gross_margin ÷ churn_rate"),
)
LTV_COLUMNS = dtypes(LTV_COLS)

NRR_REACTIVATION = ("include", "exclude")
GROSS_MARGIN_DEFAULT = 1.0
LTV_CHURN_MONTHS = 6


def mrr_movements(cur, q: Query) -> pd.DataFrame:
    """MRR at the start and end of each period and the movements between them.

    Per account: MRR on the previous evaluation day (m0) and on the period's (m1, its last day
    or as-of). 0 -> > 0 is new (never paying before the period) or reactivation; > 0 -> 0 churn;
    up expansion; down to a positive value contraction. Net per account per period, so an
    account starting and ending inside a period contributes nothing. mrr_end = mrr_start + new
    + reactivation + expansion - contraction - churn. `--by account_id` lists the accounts
    paying at the start or the end of each period.

    Columns: period, partial, [by], mrr_start, new, expansion, contraction, churn,
    reactivation, mrr_end.
    """
    dim, frame = prepare(cur, q, "mrr_movements", ("subscriptions",), None)
    if frame is None:
        return empty_frame(MOVEMENT_COLUMNS, dim)
    raw = run_sql(cur, "mrr_movements", frame.params)
    return finish(raw, MOVEMENT_COLUMNS, dim)


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """Return num / den with NaN where den is 0 (a zero denominator is undefined)."""
    den = den.astype("float64")
    return (num.astype("float64") / den.where(den != 0)).astype("float64")


def _lead(df: pd.DataFrame, value_columns) -> list[str]:
    return [c for c in df.columns if c not in MOVEMENT_COLUMNS and c not in value_columns]


def revenue_churn(cur, q: Query) -> pd.DataFrame:
    """Gross and net MRR churn rates per period from the MRR movements.

    gross_mrr_churn_rate = (churn + contraction) / mrr_start; net_mrr_churn_rate = (churn +
    contraction - expansion - reactivation) / mrr_start; null when mrr_start is 0.

    Columns: period, partial, [by], mrr_start, churn, contraction, expansion, reactivation,
    gross_mrr_churn_rate, net_mrr_churn_rate.
    """
    m = mrr_movements(cur, q)
    lead = _lead(m, REVENUE_CHURN_COLUMNS)
    out = m[lead + ["mrr_start", "churn", "contraction", "expansion", "reactivation"]].copy()
    lost = m["churn"] + m["contraction"]
    out["gross_mrr_churn_rate"] = _ratio(lost, m["mrr_start"])
    out["net_mrr_churn_rate"] = _ratio(lost - m["expansion"] - m["reactivation"], m["mrr_start"])
    return out.reset_index(drop=True)


def quick_ratio(cur, q: Query) -> pd.DataFrame:
    """SaaS quick ratio per period: MRR gained over MRR lost.

    growth_mrr = new + expansion + reactivation; lost_mrr = contraction + churn; quick_ratio =
    growth_mrr / lost_mrr, null when nothing was lost.

    Columns: period, partial, [by], growth_mrr, lost_mrr, quick_ratio.
    """
    m = mrr_movements(cur, q)
    out = m[_lead(m, QUICK_RATIO_COLUMNS)].copy()
    out["growth_mrr"] = (m["new"] + m["expansion"] + m["reactivation"]).astype("float64")
    out["lost_mrr"] = (m["contraction"] + m["churn"]).astype("float64")
    out["quick_ratio"] = _ratio(out["growth_mrr"], out["lost_mrr"])
    return out.reset_index(drop=True)


def nrr_reactivation(q: Query) -> str:
    """Return the `nrr_reactivation` setting (include | exclude), validated."""
    value = str(q.setting("nrr_reactivation", "include")).strip().lower()
    if value not in NRR_REACTIVATION:
        raise ValueError(
            f"nrr_reactivation must be one of {', '.join(NRR_REACTIVATION)}, not {value!r}"
        )
    return value


def nrr(cur, q: Query) -> pd.DataFrame:
    """Net and gross revenue retention over the trailing 12 months, per period.

    Base day = the last day of the period ending 12 months before this period's end; base
    cohort = accounts paying on it. nrr = their MRR on the evaluation day / their MRR on the
    base day; grr = the same with each account capped at its base MRR. Accounts not paying on
    the base day are excluded. Setting `nrr_reactivation`: include (default) counts a base
    account that fell to 0 and came back with its MRR now; exclude counts it 0.

    Columns: period, partial, [by], base_mrr, current_mrr, nrr, grr.
    """
    mode = nrr_reactivation(q)
    dim, frame = prepare(cur, q, "nrr", ("subscriptions",), None)
    if frame is None:
        return empty_frame(NRR_COLUMNS, dim)
    raw = run_sql(cur, "nrr", {**frame.params, "reactivation": mode})
    return finish(raw, NRR_COLUMNS, dim)


def gross_margin(q: Query) -> float:
    """Return the `gross_margin` setting (a fraction in (0, 1], default 1.0), validated."""
    value = float(q.setting("gross_margin", GROSS_MARGIN_DEFAULT))
    if not (0 < value <= 1):
        raise ValueError(f"gross_margin must be a fraction in (0, 1], not {value!r}")
    return value


def _month_floor(d: date) -> date:
    return date(d.year, d.month, 1)


def _months_back(d: date, n: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 - n, 12)
    return date(y, m + 1, 1)


def ltv(cur, q: Query) -> pd.DataFrame:
    """Customer lifetime value per period: ARPA × gross margin ÷ monthly logo churn rate.

    arpa as in `mrr` (the period's evaluation day); churn_rate = Σ C_start ÷ Σ S of logo_churn
    over the 6 complete calendar months ending on or before the period's end (or as-of); ltv is
    null when that rate is 0 or undefined ("no churn observed"). Setting `gross_margin`.

    Columns: period, partial, [by], arpa, churn_rate, ltv.
    """
    margin = gross_margin(q)
    a = revenue.mrr(cur, q)
    lead = [c for c in a.columns if c not in revenue.MRR_COLUMNS]
    out = a[lead + ["arpa"]].copy()
    if a.empty:
        for c in ("churn_rate", "ltv"):
            out[c] = pd.Series([], dtype="float64")
        return out
    as_of = _periods.resolve_as_of(cur, q)
    assert as_of is not None  # `a` has rows, so there is data to take as-of from
    by = [c for c in lead if c not in ("period", "partial")]
    # last complete month (exclusive end) for each period
    ends = []
    for p in out["period"]:
        if q.grain == "all":
            p_end = q.end or as_of + timedelta(days=1)
        else:
            p_end = _periods.next_period(p, q.grain)
        limit = min(p_end, as_of + timedelta(days=1))
        ends.append(_month_floor(limit))
    first = _months_back(min(ends), LTV_CHURN_MONTHS)
    churn = customers.logo_churn(
        cur, q.with_(grain="month", start=first, end=max(ends), as_of=as_of)
    )
    s = churn["customers_start"].astype("float64")
    churn["c_start"] = (churn["churn_rate"].fillna(0.0) * s).round()
    rates = []
    for i, e in enumerate(ends):
        lo = _months_back(e, LTV_CHURN_MONTHS)
        sel = (churn["period"] >= lo) & (churn["period"] < e)
        for c in by:
            sel &= churn[c].astype(object).eq(out[c].iloc[i]) | (
                churn[c].isna() & pd.isna(out[c].iloc[i])
            )
        win = churn[sel]
        den = float(win["customers_start"].sum())
        rates.append(float(win["c_start"].sum()) / den if den > 0 else np.nan)
    out["churn_rate"] = pd.Series(rates, index=out.index, dtype="float64")
    rate = out["churn_rate"].where(out["churn_rate"] > 0)
    out["ltv"] = (out["arpa"] * margin / rate).astype("float64")
    return out.reset_index(drop=True)


def accounts_behind(cur, q: Query, movement: str | None = None) -> pd.DataFrame:
    """Return the accounts behind one MRR movement of the query's window (all movements when
    `movement` is None): account_id, name, segment, period, mrr_start, mrr_end and the
    movement's amount, largest first."""
    if movement is not None and movement not in MOVEMENT_COLUMNS:
        raise ValueError(f"unknown movement {movement!r}")
    df = mrr_movements(cur, q.with_(by="account_id"))
    if movement is not None:
        df = df[df[movement] > 0]
    else:
        df = df[df[["new", "expansion", "contraction", "churn", "reactivation"]].gt(0).any(axis=1)]
    names = run_sql(cur, "account_names", {"ids": [str(a) for a in df["account_id"]]})
    out = df.merge(names, on="account_id", how="left")
    keep = ["account_id", "name", "segment", "period", "mrr_start", "mrr_end"]
    if movement is not None:
        keep.append(movement)
        out = out.sort_values(movement, ascending=False)
    else:
        keep += ["new", "expansion", "contraction", "churn", "reactivation"]
    return out[keep].reset_index(drop=True)


# The metrics of this module, described once (metrics.spec); the registry collects them.
SPECS = (
    MetricSpec(
        name="mrr_movements",
        label="MRR movements",
        definition=(
            "MRR at the start and end of each period and its movements: new, expansion, "
            "contraction, churn and reactivation, classified per account."
        ),
        formula=(
            "per account, m0 = MRR on the previous period's last day, m1 = MRR on this period's "
            "last day (or as-of): 0 → >0 new (never paid before) or reactivation; >0 → 0 churn; up "
            "expansion; down to >0 contraction; mrr_end = mrr_start + new + reactivation + "
            "expansion − contraction − churn"
        ),
        fn=mrr_movements,
        cols=MOVEMENT_COLS,
        headline="mrr_end",
        query="mrr_movements",
        in_review=False,
    ),
    MetricSpec(
        name="revenue_churn",
        label="Gross MRR churn",
        definition=(
            "MRR lost to churn and contraction as a share of the MRR at the start of the period, "
            "gross and net of expansion and reactivation."
        ),
        formula=(
            "gross_mrr_churn_rate = (churn + contraction) ÷ mrr_start; net_mrr_churn_rate = (churn "
            "+ contraction − expansion − reactivation) ÷ mrr_start"
        ),
        fn=revenue_churn,
        cols=REVENUE_CHURN_COLS,
        headline="gross_mrr_churn_rate",
        query="mrr_movements",
        denominator="mrr_start",
    ),
    MetricSpec(
        name="quick_ratio",
        label="Quick ratio",
        definition=(
            "MRR gained (new, expansion, reactivation) per unit of MRR lost (contraction, "
            "churn) in "
            "the period."
        ),
        formula=(
            "quick_ratio = (new + expansion + reactivation) ÷ (contraction + churn); null when "
            "nothing was lost"
        ),
        fn=quick_ratio,
        cols=QUICK_RATIO_COLS,
        headline="quick_ratio",
        query="mrr_movements",
        numerator="growth_mrr",
        denominator="lost_mrr",
    ),
    MetricSpec(
        name="nrr",
        label="Net revenue retention",
        definition=(
            "MRR now of the accounts paying 12 months ago, as a share of their MRR then (expansion "
            "included, new accounts excluded)."
        ),
        formula=(
            "base day = last day of the period ending 12 months earlier; nrr = Σ current MRR of "
            "accounts paying on the base day ÷ Σ their base MRR; grr caps each account at its base "
            "MRR"
        ),
        fn=nrr,
        cols=NRR_COLS,
        headline="nrr",
        query="nrr",
        numerator="current_mrr",
        denominator="base_mrr",
        setting_specs=(
            SettingSpec("nrr_reactivation", "choice", "include",
                        "count a base account that churned and came back, or not",
                        ("include", "exclude")),
        ),
    ),
    MetricSpec(
        name="grr",
        label="Gross revenue retention",
        definition=(
            "MRR now of the accounts paying 12 months ago, each capped at its MRR then, as a share "
            "of their MRR then (expansion left out)."
        ),
        formula=(
            "grr = Σ min(current MRR, base MRR) over accounts paying on the base day (last day of "
            "the period ending 12 months earlier) ÷ Σ base MRR"
        ),
        fn=nrr,
        cols=NRR_COLS,
        headline="grr",
        query="nrr",
        denominator="base_mrr",
        setting_specs=(
            SettingSpec("nrr_reactivation", "choice", "include",
                        "count a base account that churned and came back, or not",
                        ("include", "exclude")),
        ),
    ),
    MetricSpec(
        name="ltv",
        label="Customer lifetime value",
        definition=(
            "ARPA times gross margin divided by the monthly logo churn rate of the last 6 complete "
            "months."
        ),
        formula=(
            "ltv = arpa × gross_margin ÷ churn_rate, churn_rate = Σ C_start ÷ Σ S over the 6 "
            "complete months up to the period; null when no churn was observed"
        ),
        fn=ltv,
        review_note=(
            "a week's LTV divides the ARPA on the week's last day by the churn of the 6 "
            "complete months before the week ends, so it is not the LTV of its month on the "
            "Retention page (whose 6 months end with that month)"),
        cols=LTV_COLS,
        headline="ltv",
        query="mrr",
        extra_queries=("logo_churn",),
        setting_specs=(
            SettingSpec("gross_margin", "float", 1.0,
                        "gross margin applied to ARPA (0–1)"),
        ),
    ),
)
