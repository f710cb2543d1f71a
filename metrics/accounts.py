"""The Accounts page: a CSM's book of business and the team view (PRODUCT.md page 6).

`account_book(cur, q)` is a registered metric; `team_view` combines the book, health scores
and the per-owner `nrr`, `nps` and `logo_churn` metric frames into one row per CSM owner (pure
pandas). The account 360 reads one account through the `account_*` named queries.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
from pandas.api.types import pandas_dtype

from metrics import dimensions, periods
from metrics.kpis import run_sql
from metrics.query import Query
from metrics.spec import MetricSpec, col, dtypes

BOOK_COLS = (
    col("account_id", "object", "Account id", "text", None),
    col("name", "object", "Account", "text", None),
    col("segment", "object", "Segment", "text", None),
    col("plan", "object", "Plan", "text", None),
    col("csm_owner", "object", "CSM", "text", None),
    col("lifecycle_stage", "object", "Lifecycle stage", "text", None),
    col("mrr", "float64", "MRR", "USD", "up", "MRR on as-of"),
    col("last_nps", "float64", "Latest NPS answer", "score", None, "0–10"),
    col("last_nps_date", "object", "Latest NPS answer on", "date", None),
    col("open_tickets", "int64", "Open tickets", "tickets", "down",
        "created in the period and not resolved by as-of"),
    col("renewal_date", "object", "Renewal date", "date", None),
)
BOOK_COLUMNS = dtypes(BOOK_COLS)
TEAM_COLUMNS = ["csm_owner", "accounts", "mrr", "green", "yellow", "red", "mean_score", "nrr",
                "logo_churn", "nps", "nps_responses", "at_risk_renewals", "at_risk_mrr"]
RENEWAL_DAYS = 90  # a red or yellow account renewing within this many days is an at-risk renewal


def account_book(cur, q: Query) -> pd.DataFrame:
    """The in-scope accounts that are customers on as-of: MRR on as-of, latest NPS answer up to
    as-of (score and date), tickets open at the end of as-of, next renewal date.

    Columns: account_id, name, segment, plan, csm_owner, lifecycle_stage, mrr, last_nps,
    last_nps_date, open_tickets, renewal_date."""
    as_of = periods.resolve_as_of(cur, q)
    if as_of is None:
        return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in BOOK_COLUMNS.items()})
    params = {"as_of": as_of, "as_of_end": periods.day_start(as_of + timedelta(days=1)),
              **dimensions.scope_params(cur, q),
              **dimensions.dimension_params(dimensions.resolve_dimension(cur, None, "x", None))}
    raw = run_sql(cur, "account_book", params)
    out = pd.DataFrame(index=raw.index)
    for c, t in BOOK_COLUMNS.items():
        col = raw[c]
        if t == "object":
            col = col.astype(object).where(col.notna(), None)
            if c.endswith("date"):
                col = col.map(lambda v: v.date() if isinstance(v, datetime) else v)
            out[c] = col
        else:
            out[c] = pd.to_numeric(col, errors="coerce").astype(pandas_dtype(t))
    return out.reset_index(drop=True)


def _count_of(x: pd.Series, band: str) -> int:
    return int((x == band).sum())


def team_view(book: pd.DataFrame, scored: pd.DataFrame, nrr: pd.DataFrame,
              nps: pd.DataFrame, churn: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Return one row per CSM owner (null owner = '(no owner)'): accounts and MRR of the book,
    accounts per health band and mean score, NRR over the trailing 12 months ending on as-of
    (the registered `nrr` metric by csm_owner, grain all, as-of: the number `csm metric nrr
    --by csm_owner` prints; owners as now, null for an owner without a base cohort), logo
    churn and NPS over the window (`logo_churn` and `nps` frames by csm_owner, grain all), and
    at-risk renewals: red or yellow accounts renewing within 90 days after as-of, with their
    MRR."""
    key = "(no owner)"
    b = book.assign(csm_owner=book["csm_owner"].fillna(key))
    s = scored[["account_id", "band", "score"]] if len(scored) else pd.DataFrame(
        columns=["account_id", "band", "score"])
    b = b.merge(s, on="account_id", how="left")
    renew = pd.to_datetime(b["renewal_date"], errors="coerce")
    horizon = pd.Timestamp(as_of + timedelta(days=RENEWAL_DAYS))
    b["at_risk"] = b["band"].isin(["red", "yellow"]) & (renew > pd.Timestamp(as_of)) & (
        renew <= horizon)
    g = b.groupby("csm_owner")
    out = pd.DataFrame({
        "accounts": g.size(), "mrr": g["mrr"].sum(),
        **{band: g["band"].apply(_count_of, band=band)
           for band in ("green", "yellow", "red")},
        "mean_score": g["score"].mean(),
        "at_risk_renewals": g["at_risk"].sum().astype(int),
        # pandas 2.3 (what we run) needs include_groups=False; pandas-stubs 3 dropped it
        "at_risk_mrr": g.apply(  # type: ignore[call-overload]
            lambda x: x.loc[x["at_risk"], "mrr"].sum(), include_groups=False),
    })
    def by_owner(frame: pd.DataFrame, col: str) -> pd.Series:
        if frame is None or frame.empty:
            return pd.Series(dtype=float)
        return frame.assign(csm_owner=frame["csm_owner"].fillna(key)).set_index(
            "csm_owner")[col]

    out["nrr"] = by_owner(nrr, "nrr").reindex(out.index)
    out["logo_churn"] = by_owner(churn, "churn_rate").reindex(out.index)
    out["nps"] = by_owner(nps, "nps").reindex(out.index)
    out["nps_responses"] = by_owner(nps, "responses").reindex(out.index).fillna(0).astype(int)
    out = out.reset_index().rename(columns={"index": "csm_owner"})
    return out[TEAM_COLUMNS].sort_values("mrr", ascending=False).reset_index(drop=True)


# The metrics of this module, described once (metrics.spec); the registry collects them.
SPECS = (
    MetricSpec(
        name="account_book",
        label="Book of business",
        definition="Per active account: MRR, latest NPS answer, open tickets and renewal date.",
        formula=(
            "MRR on as-of; latest NPS answer up to as-of; tickets created and not resolved by the "
            "end of as-of"
        ),
        fn=account_book,
        cols=BOOK_COLS,
        headline="mrr",
        query="account_book",
        periods=False,
    ),
)


def scope_account_ids(cur, q: Query) -> list[str]:
    """Return the ids of the accounts passing `q`'s global filters (every account when it has
    none), in no given order: `scope_accounts.sql` (the `account_scope` fragment every metric
    reads)."""
    params = {**dimensions.scope_params(cur, q),
              **dimensions.dimension_params(dimensions.NO_DIMENSION)}
    return [str(a) for a in run_sql(cur, "scope_accounts", params)["account_id"]]
