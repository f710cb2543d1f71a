"""The weekly review (PRODUCT.md page 2): what changed in one ISO week, as plain frames that the
page and the meeting pack (render/report/) both show.

The "what changed" lists are pure functions of frames (tested on hand-built weeks); `build`
reads the database once for a week and returns every section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from metrics import alerts, fmt, goals, plausible, registry, reuse
from metrics.dimensions import scope_params
from metrics.kpis import run_sql
from metrics.kpis.satisfaction import change_test
from metrics.periods import floor_period, resolve_as_of
from metrics.query import Query

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
RENEWAL_HORIZONS = (30, 60, 90)
# KPIs shown first, in this order; any other registered metric with periods follows (so a new
# metric appears in the review by being added to the registry). (metric, column) pairs.
KPI_ORDER = [("nps", "nps"), ("csat", "csat"), ("ces", "ces"), ("logo_churn", "churn_rate"),
             ("logo_churn", "new_customers"), ("mrr", "mrr"), ("arpa", "arpa"),
             ("support", "first_response_median_h"), ("support", "fcr_rate"),
             ("support", "tickets"), ("usage", "active_users")]
SURVEY = ("nps", "csat", "ces")


def parse_week(text: str) -> date:
    """Return the Monday of ISO week 'YYYY-Www'; ValueError for anything else, a week
    outside the plausible range of dates (metrics/plausible.py) included."""
    m = _WEEK.match((text or "").strip())
    if not m:
        raise ValueError(f"not an ISO week (YYYY-Www, e.g. 2026-W26): {text!r}")
    try:
        monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError as e:
        raise ValueError(f"no such ISO week: {text!r}") from e
    # The week's last day is compared and shifted too: both its ends must be plausible.
    why = plausible.problem(monday) or plausible.problem(monday + timedelta(days=6))
    if why:
        raise ValueError(f"week {text.strip()}: {why}")
    return monday


def week_label(monday: date) -> str:
    """Return 'YYYY-Www' of the ISO week holding `monday`."""
    y, w, _ = monday.isocalendar()
    return f"{y}-W{w:02d}"


def last_complete_week(as_of: date) -> date:
    """Return the Monday of the last ISO week that is complete on `as_of` (the week ending on
    as-of when it is a Sunday, else the week before as-of's)."""
    monday = floor_period(as_of, "week")
    return monday if as_of.weekday() == 6 else monday - timedelta(days=7)


# ---------------------------------------------------------------------------------------------
# Pure "what changed" functions


def kpi_row(metric: str, column: str, prev: pd.Series | None, cur: pd.Series | None,
            target: float | None) -> dict:
    """Return one KPI line: metric, column, label, unit, direction, value, previous, change,
    p_value, significant (None when no test applies), target, vs_target, target_met."""
    d = registry.REGISTRY[metric]
    c = d.column(column)
    unit, direction = c.unit, c.direction or "up"
    value = fmt.number(cur[column]) if cur is not None else None
    previous = fmt.number(prev[column]) if prev is not None else None
    change = value - previous if value is not None and previous is not None else None
    p_value = significant = None
    if metric in SURVEY and column == d.headline and change is not None:
        test = change_test(metric, prev, cur)
        if test is not None and fmt.number(test[1]) is not None:  # no p without responses
            p_value, significant = fmt.number(test[1]), bool(test[2])
    met = None
    if target is not None and value is not None:
        met = value >= target if direction == "up" else value <= target
    # a metric's own name for its headline (the area: "Net Promoter Score"), else the column's
    label = d.label if column == d.headline and column == metric else c.label
    return {"metric": metric, "column": column, "label": label, "unit": unit,
            "direction": direction, "value": value, "previous": previous, "change": change,
            "p_value": p_value, "significant": significant, "target": target,
            "vs_target": value - target if value is not None and target is not None else None,
            "target_met": met}


def band_moves(before: pd.DataFrame, after: pd.DataFrame, accounts: pd.DataFrame
               ) -> pd.DataFrame:
    """Return the accounts whose health band changed between two frames (account_id, band):
    account_id, account_name, band_before, band_after, move ('turned red', 'recovered' — from
    red —, 'worsened', 'improved'), mrr (accounts' mrr_after). Turned red first, then by MRR."""
    rank = {"green": 0, "yellow": 1, "red": 2}
    m = after.merge(before, on="account_id", how="left", suffixes=("_after", "_before"))
    m = m[m["band_before"].notna() & (m["band_before"] != m["band_after"])].copy()
    cols = ["account_id", "account_name", "band_before", "band_after", "move", "mrr"]
    if m.empty:
        return pd.DataFrame(columns=cols)

    def move(b, a):
        if a == "red":
            return "turned red"
        if b == "red":
            return "recovered"
        return "worsened" if rank.get(a, 0) > rank.get(b, 0) else "improved"

    m["move"] = [move(b, a) for b, a in zip(m["band_before"], m["band_after"], strict=True)]
    info = accounts.set_index("account_id")
    m["account_name"] = m["account_id"].map(info["account_name"]) if "account_name" in info \
        else None
    m["mrr"] = m["account_id"].map(info["mrr_after"]).astype(float) if "mrr_after" in info \
        else np.nan
    order = {"turned red": 0, "worsened": 1, "recovered": 2, "improved": 3}
    m["_o"] = m["move"].map(order)
    m = m.sort_values(["_o", "mrr", "account_id"], ascending=[True, False, True])
    return m[cols].reset_index(drop=True)


def mrr_movers(accounts: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """Return the `n` accounts whose MRR changed most (by size) between the two days of a
    `review_accounts` frame: account_id, account_name, segment, mrr_before, mrr_after, change,
    movement (new, expansion, contraction, churn, reactivation)."""
    cols = ["account_id", "account_name", "segment", "mrr_before", "mrr_after", "change",
            "movement"]
    if accounts.empty:
        return pd.DataFrame(columns=cols)
    a = accounts.copy()
    a["change"] = a["mrr_after"] - a["mrr_before"]
    a = a[a["change"].abs() > 0.005].copy()
    if a.empty:
        return pd.DataFrame(columns=cols)

    def movement(r):
        if r.mrr_before == 0:
            return "reactivation" if r.paid_before else "new"
        if r.mrr_after == 0:
            return "churn"
        return "expansion" if r.change > 0 else "contraction"

    a["movement"] = [movement(r) for r in a.itertuples(index=False)]
    a["_abs"] = a["change"].abs()
    a = a.sort_values(["_abs", "account_id"], ascending=[False, True]).head(n)
    return a[cols].reset_index(drop=True)


def new_churns(accounts: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """Return the accounts whose churn_date lies in [start, end): account_id, account_name,
    segment, csm_owner, churn_date, mrr_before (MRR just before the week)."""
    cols = ["account_id", "account_name", "segment", "csm_owner", "churn_date", "mrr_before"]
    if accounts.empty:
        return pd.DataFrame(columns=cols)
    d = pd.to_datetime(accounts["churn_date"])
    hit = accounts[(d >= pd.Timestamp(start)) & (d < pd.Timestamp(end))].copy()
    hit["churn_date"] = pd.to_datetime(hit["churn_date"]).dt.date
    return hit.sort_values(["mrr_before", "account_id"], ascending=[False, True])[cols] \
        .reset_index(drop=True)


def reactivations(accounts: pd.DataFrame) -> pd.DataFrame:
    """Return the accounts whose MRR went from 0 to above 0 and that had paid before:
    account_id, account_name, segment, csm_owner, mrr_after."""
    cols = ["account_id", "account_name", "segment", "csm_owner", "mrr_after"]
    if accounts.empty:
        return pd.DataFrame(columns=cols)
    hit = accounts[(accounts["mrr_before"] == 0) & (accounts["mrr_after"] > 0)
                   & accounts["paid_before"].astype(bool)]
    return hit.sort_values(["mrr_after", "account_id"], ascending=[False, True])[cols] \
        .reset_index(drop=True)


def renewals_due(upcoming: pd.DataFrame, accounts: pd.DataFrame,
                 horizons: tuple[int, ...] = RENEWAL_HORIZONS) -> pd.DataFrame:
    """Return the renewals of `upcoming` (kpis.renewals.upcoming_renewals: the one definition,
    days counted from its as-of, the Retention page's too) due within the largest horizon:
    account_id, account_name, segment, csm_owner (from `accounts`, a review_accounts frame),
    renewal_date, days_to, due_within (the shortest horizon holding it, '30 days', ...), mrr
    (ARR ÷ 12 on as-of), band. Soonest first."""
    cols = ["account_id", "account_name", "segment", "csm_owner", "renewal_date", "days_to",
            "due_within", "mrr", "band"]
    a = upcoming[(upcoming["days_to"] > 0) & (upcoming["days_to"] <= max(horizons))].copy()
    if a.empty:
        return pd.DataFrame(columns=cols)
    a["days_to"] = a["days_to"].astype(int)
    a["due_within"] = [f"{next(h for h in sorted(horizons) if d <= h)} days"
                       for d in a["days_to"]]
    a["account_name"] = a["name"]
    owner = accounts.set_index("account_id")["csm_owner"] if len(accounts) else pd.Series()
    a["csm_owner"] = a["account_id"].map(owner)
    a["mrr"] = a["arr"] / 12
    return a.sort_values(["days_to", "account_id"])[cols].reset_index(drop=True)


def renewals_line(r: Review) -> str:
    """Return the renewals-due summary of a review for people, cumulative counts from the day
    they are counted from: '27 within 30 days, 64 within 60 days, 99 within 90 days of 30 Nov
    2026 (each includes the shorter; as on the Retention page).'"""
    counts = renewal_counts(r.renewals)
    return (", ".join(f"{n:,} within {h} days" for h, n in counts.items())
            + f" of {r.renewals_from:%d %b %Y} (each includes the shorter; as on the Retention "
            "page).")


def renewal_counts(renewals: pd.DataFrame, horizons: tuple[int, ...] = RENEWAL_HORIZONS
                   ) -> dict[int, int]:
    """Return {horizon: renewals due within it}, cumulative (60 days includes the first 30),
    as the Retention page counts them."""
    days = renewals["days_to"] if len(renewals) else pd.Series(dtype=int)
    return {h: int((days <= h).sum()) for h in horizons}


# ---------------------------------------------------------------------------------------------
# One week, read from the database


@dataclass
class Review:
    """Every section of one week's review. `health` says whether band sections could be made."""

    week: str
    start: date  # Monday
    end: date  # the next Monday (exclusive)
    as_of: date  # the day the week is judged on (its Sunday, or the data's as-of if earlier)
    kpi_as_of: date  # the day the KPIs are read as of (the data's as-of, as everywhere else)
    renewals_from: date  # renewals due are counted in days from this day (the data's as-of)
    kpis: pd.DataFrame
    band_moves: pd.DataFrame | None
    mrr_movers: pd.DataFrame
    new_churns: pd.DataFrame
    reactivations: pd.DataFrame
    detractors: pd.DataFrame
    renewals: pd.DataFrame
    alerts: pd.DataFrame
    health: bool
    notes: list[str] = field(default_factory=list)


def kpi_specs() -> list[tuple[str, str]]:
    """Return the (metric, column) pairs of the review's KPI table: KPI_ORDER's registered ones,
    then every other registered metric with periods that belongs in the review (its
    headline; `MetricSpec.in_review`)."""
    out = [(m, c) for m, c in KPI_ORDER if m in registry.REGISTRY
           and c in registry.REGISTRY[m].columns]
    seen = {m for m, _ in out}
    for name in sorted(registry.REGISTRY):
        d = registry.REGISTRY[name]
        if name not in seen and d.periods and d.in_review:
            out.append((name, d.headline))
    return out


def kpis(cur, q: Query, start: date, as_of: date) -> tuple[pd.DataFrame, list[str]]:
    """Return (the KPI table of the week starting `start` against the week before, notes).
    Targets are those of the single selected segment (everyone without a segment filter; none
    for several segments), for the period holding the week's Monday."""
    seg = q.segment[0] if len(q.segment) == 1 else None
    show_targets = len(q.segment) <= 1
    wq = q.with_(start=start - timedelta(days=7), end=start + timedelta(days=7), grain="week",
                 as_of=as_of, by=None)
    rows, notes, frames = [], [], {}
    for metric, column in kpi_specs():
        try:
            if metric not in frames:
                frames[metric] = registry.compute(cur, metric, wq)
        except Exception as e:  # noqa: BLE001 - one metric failing must not hide the rest
            notes.append(f"{metric} could not be computed: {e}")
            continue
        f = frames[metric]
        if f.empty or column not in f or f["period"].duplicated().any():
            continue  # no data, or a metric with several rows a period (themes, scores)
        f = f.sort_values("period")
        cur_row = f[f["period"] == start]
        prev_row = f[f["period"] == start - timedelta(days=7)]
        key = metric if column == registry.REGISTRY[metric].headline else column
        target = (goals.target_for(cur, key, seg, start)
                  if show_targets and goals.target_applies(key, "week") else None)
        rows.append(kpi_row(metric, column, prev_row.iloc[0] if len(prev_row) else None,
                            cur_row.iloc[0] if len(cur_row) else None, target))
    for metric in dict.fromkeys(r["metric"] for r in rows):
        if registry.REGISTRY[metric].review_note:
            notes.append(f"{registry.REGISTRY[metric].label}: "
                         f"{registry.REGISTRY[metric].review_note}.")
    monthly = [r["label"] for r in rows if not goals.target_applies(
        r["metric"] if r["column"] == registry.REGISTRY[r["metric"]].headline else r["column"],
        "week")]
    if show_targets and monthly:
        notes.append(f"{', '.join(monthly)}: targets are monthly rates; a week's value is not "
                     "compared with them (see the Overview page).")
    return pd.DataFrame(rows), notes


def build(cur, q: Query, week: date | str | None = None, movers: int = 10,
          kpis_as_of: str = "data", own_book: bool = False) -> Review | None:
    """Return the review of ISO week `week` (its Monday or 'YYYY-Www'; default the last
    complete week at the data's as-of) for the accounts in `q`'s filters; None without data.

    The KPIs are read as of the data's as-of (`kpis_as_of="data"`: the same numbers as the
    Overview, Support and `csm metric` for that week) or as they stood on the week's last day
    (`"week_end"`, the meeting's record; labelled). Band moves, MRR movers and churns are the
    week's own; renewals due count from the data's as-of, as on the Retention page.

    `own_book`: `q` is a csm's own book, to which they are restricted; the alerts are then
    limited to it too (only those naming its accounts, with those alone: alerts.history), where
    otherwise they are the team's whatever the filters."""
    if kpis_as_of not in ("data", "week_end"):
        raise ValueError(f"kpis_as_of must be 'data' or 'week_end', not {kpis_as_of!r}")
    # derived KPIs re-read their bases (ltv: mrr and logo_churn; grr: nrr's query): once each
    with reuse.reusing():
        return _build(cur, q, week, movers, kpis_as_of, own_book)


def _build(cur, q: Query, week: date | str | None, movers: int, kpis_as_of: str,
           own_book: bool) -> Review | None:
    """Return the review `build` describes."""
    from metrics.kpis import renewals as renewals_kpi

    data_as_of = resolve_as_of(cur, Query())
    if data_as_of is None:
        return None
    start = parse_week(week) if isinstance(week, str) else (
        floor_period(week, "week") if week else last_complete_week(data_as_of))
    end = start + timedelta(days=7)
    as_of = min(end - timedelta(days=1), data_as_of)
    kpi_day = data_as_of if kpis_as_of == "data" else as_of
    before = start - timedelta(days=1)
    notes = []
    if as_of < end - timedelta(days=1):
        notes.append(f"The week is not complete: the data ends on {data_as_of}.")
    if kpi_day > as_of:
        notes.append(f"KPIs as the data stands on {kpi_day:%d %b %Y} (as on the Overview, "
                     "Support and csm metric): later tickets and answers about the week count.")
    elif kpi_day < data_as_of:
        notes.append(f"KPIs as they stood on {kpi_day:%d %b %Y}, the week's last day; the "
                     f"Overview reads them as of {data_as_of:%d %b %Y}.")
    table, knotes = kpis(cur, q, start, kpi_day)
    notes += knotes
    params = {**scope_params(cur, q), "dim": "", "dim_attribute": ""}
    acc = run_sql(cur, "review_accounts", {**params, "day_before": before, "day_after": as_of})
    health = alerts.health_available()
    moves = None
    if health:
        bands_before = alerts.health_bands(cur, before)
        bands_now = alerts.health_bands(cur, as_of)
        moves = band_moves(bands_before, bands_now, acc)
        moves = moves[moves["account_id"].isin(acc["account_id"])].reset_index(drop=True)
    up = renewals_kpi.upcoming_renewals(cur, q.with_(as_of=data_as_of),
                                        days=max(RENEWAL_HORIZONS))
    det = run_sql(cur, "review_detractors", {**params, "week_start": start, "week_end": end})
    if own_book:
        notes.append("Alerts: only those naming accounts of your book; rules over a whole "
                     "segment or the team are not shown.")
    return Review(
        week=week_label(start), start=start, end=end, as_of=as_of, kpi_as_of=kpi_day,
        renewals_from=data_as_of, kpis=table,
        band_moves=moves, mrr_movers=mrr_movers(acc, movers),
        new_churns=new_churns(acc, start, end), reactivations=reactivations(acc),
        detractors=det, renewals=renewals_due(up, acc),
        alerts=alerts.fired(cur, start, end, q if own_book else None), health=health,
        notes=notes,
    )


# The Overview's URL parameters (dashboard/filters.py reads from/to, the Overview its grain).
DETAIL_GRAIN = "week"


def detail_range(r: Review) -> tuple[date, date]:
    """Return the first and last day the Overview opens on for review `r`: the week before and
    the week itself, so its cards (the last complete week against the one before) compare what
    the review compares and the page stays at week grain (two complete weeks)."""
    return r.start - timedelta(days=7), r.end - timedelta(days=1)


def detail_params(r: Review) -> dict[str, str]:
    """Return the URL query parameters that open the Overview on review `r`'s week: grain
    and the from/to days of `detail_range`, as the dashboard's filters read them."""
    first, last = detail_range(r)
    return {"grain": DETAIL_GRAIN, "from": first.isoformat(), "to": last.isoformat()}


def detail_text(r: Review) -> str:
    """Return where the review's detail is, for the pack: the Overview by week on its days,
    and the query to add to the dashboard's address."""
    first, last = detail_range(r)
    query = "&".join(f"{k}={v}" for k, v in detail_params(r).items())
    return (f"the Overview page of the dashboard by week, "
            f"{fmt.span(first, last + timedelta(days=1))} (the dashboard's address followed "
            f"by ?{query})")


def kpi_display(kpis: pd.DataFrame) -> pd.DataFrame:
    """Return the KPI table as text columns for people: KPI, this week, previous week, change,
    real or noise, target, vs target."""
    rows = []
    for r in kpis.to_dict("records"):
        sig = r["significant"]
        verdict = ("—" if sig is None or r["change"] is None else
                   (f"real (p = {r['p_value']:.3f})" if sig else
                    f"noise (p = {r['p_value']:.2f})"))
        met = r["target_met"]
        rows.append({
            "KPI": r["label"], "this week": fmt.value(r["value"], r["unit"]),
            "previous week": fmt.value(r["previous"], r["unit"]),
            "change": fmt.change(r["change"], r["unit"]), "real or noise": verdict,
            "target": fmt.value(r["target"], r["unit"]) if r["target"] is not None else "—",
            "vs target": "—" if met is None else (
                f"{'met' if met else 'missed'} ({fmt.change(r['vs_target'], r['unit'])})"),
        })
    return pd.DataFrame(rows, columns=["KPI", "this week", "previous week", "change",
                                       "real or noise", "target", "vs target"])


def kpi_numbers(kpis: pd.DataFrame) -> pd.DataFrame:
    """Return the KPI table for a spreadsheet, values as numbers: KPI, unit, this week,
    previous week, change, p value, target, vs target, target met (rates as fractions)."""
    cols = {"label": "KPI", "unit": "unit", "value": "this week", "previous": "previous week",
            "change": "change", "p_value": "p value", "target": "target",
            "vs_target": "vs target", "target_met": "target met"}
    if kpis.empty:
        return pd.DataFrame(columns=list(cols.values()))
    out = kpis[list(cols)].rename(columns=cols)
    for c in ("this week", "previous week", "change", "p value", "target", "vs target"):
        out[c] = pd.to_numeric(out[c], errors="coerce")
    return out.reset_index(drop=True)
