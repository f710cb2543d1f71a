"""Retention & revenue page: renewal rate of past renewals and the upcoming renewals calendar."""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboard import context
from dashboard.components.table import show
from dashboard.components.text import md_escape
from metrics import fmt
from metrics.kpis import renewals as renewals_kpi
from metrics.query import Query
from render import charts

SPLITS = {"band": "health band", "segment": "segment"}  # the first is the default


def renewals(q: Query, grain: str) -> None:
    """Renewal rate by period, the at-risk ARR (red or yellow health) due in the next 30 / 60 /
    90 days and the ARR coming up for renewal by month and health band (or segment)."""
    # periods with pending renewals are drawn apart like a partial period: not final yet
    rate = renewals_kpi.provisional(context.metric("renewal_rate", q))
    left, right = st.columns(2)
    if len(rate) and rate["due"].sum():
        left.plotly_chart(charts.plot_trend(rate, "renewal_rate", title=f"Renewal rate by "
                                            f"{grain}", unit="fraction"), key="rr_renew_rate")
        right.plotly_chart(charts.plot_lines(rate, {"arr_due": "ARR due", "arr_renewed":
                                                    "ARR renewed"}, title=f"ARR due and "
                                             f"renewed by {grain}", unit="USD"),
                           key="rr_renew_arr")
        st.caption("Due = a subscription end or a past renewal date; renewed = a new "
                   "subscription within 30 days. Dues less than 30 days before as-of are "
                   f"pending ({int(rate['pending'].sum()):,} in the window) and left out of "
                   "the rate; a period with pending renewals is drawn hollow, apart from the "
                   "line, until they are decided.")
    else:
        left.info("No renewals came due in the selected window.")
    up = context.detail("upcoming_renewals", q)
    st.subheader("Upcoming renewals (next 12 months)")
    if up.empty:
        st.info("No renewal dates ahead: load accounts with a renewal_date column.")
        return
    risk = renewals_kpi.at_risk_renewals(up)
    cols = st.columns(len(risk))
    for col, r in zip(cols, risk.itertuples(), strict=True):
        share = ("" if r.at_risk_share != r.at_risk_share
                 else f" ({fmt.value(r.at_risk_share, 'fraction')} of ARR due)")
        col.metric(f"At-risk ARR due in {r.within_days} days", fmt.value(r.at_risk_arr, "USD"),
                   help=f"{fmt.plural(r.at_risk_accounts, 'red or yellow account')} of "
                   f"{r.accounts:,} "
                   f"renewing within {r.within_days} days{share}; ARR due in all: "
                   f"{fmt.value(r.arr, 'USD')}.")
    st.caption("At risk = red or yellow health on as-of (each horizon includes the shorter): "
               + "; ".join(f"{r.at_risk_accounts:,} of {fmt.plural(r.accounts, 'renewal')} within "
                           f"{r.within_days} days"
                           + ("" if r.at_risk_share != r.at_risk_share
                              else f" ({fmt.value(r.at_risk_share, 'fraction')} of their ARR)")
                           for r in risk.itertuples()) + ".")
    split = st.radio("Split by", list(SPLITS), horizontal=True, key="rr_renew_split",
                     format_func=SPLITS.get)
    st.caption("ARR now (12 × MRR on as-of) of active accounts by the month of their "
               "renewal_date, split by their health band on as-of (the Health page's model; "
               "unscored = no component with data) or by segment. Click a bar for its "
               "accounts.")
    sel = st.plotly_chart(charts.plot_renewal_calendar(up, title="ARR coming up for renewal "
                                                       f"by month and {SPLITS[split]}", by=split),
                          key="rr_calendar", on_select="rerun", selection_mode="points")
    points = sel.selection.points if sel else []
    if points and points[0].get("customdata"):
        month, key = points[0]["customdata"][:2]
        m = date.fromisoformat(str(month)[:10])
        empty = "unscored" if split == "band" else "(none)"
        rows = up[(up["month"] == m) & (up[split].fillna(empty) == key)]
        st.markdown(f"**{fmt.plural(len(rows), 'account')}** of **{md_escape(key)}** renewing in "
                    f"**{fmt.period(m, 'month')}**")
        show(rows, download="renewals_accounts.csv")
    else:
        show(up.head(50), download="renewals_upcoming.csv")
