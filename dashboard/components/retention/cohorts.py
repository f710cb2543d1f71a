"""Retention & revenue page: cohort retention heatmaps (click a cell: the accounts)."""

from __future__ import annotations

import streamlit as st

from dashboard import context
from dashboard.components.table import show
from metrics import fmt
from metrics.query import Query
from render import charts

BASES = {"subscriptions": "subscriptions (MRR > 0)", "orders": "orders", "usage": "usage"}


def cohorts(q: Query) -> None:
    """Heatmap of retention by cohort month and months since, logo or revenue."""
    c1, c2 = st.columns(2)
    basis = c1.segmented_control("Cohort basis", list(BASES), format_func=BASES.get,
                                 default="subscriptions", key="rr_basis") or "subscriptions"
    kinds = {"retention": "logo"} | ({"revenue_retention": "revenue"}
                                     if basis == "subscriptions" else {})
    kind = c2.segmented_control("Retention of", list(kinds), format_func=kinds.get,
                                default="retention", key=f"rr_kind_{basis}") or "retention"
    qb = q.with_(grain="month").with_setting("basis", basis)
    frame = context.metric("cohort_retention", qb)
    if frame.empty:
        st.info(f"No {basis} activity in the selected window and filters.")
        return
    st.caption("Cohort = the month of each account's first activity on the basis (not the "
               "signup date); a cell is the share of the cohort active k months later"
               + (" (revenue: cohort MRR on month k's last day ÷ month 0's)"
                  if kind == "revenue_retention" else "") + ". Click a cell for its accounts.")
    sel = st.plotly_chart(charts.plot_cohorts(frame, kind, title=f"{kinds[kind].capitalize()} "
                                              f"retention by cohort ({basis})"),
                          key=f"rr_cohorts_{basis}_{kind}", on_select="rerun",
                          selection_mode="points")
    points = sel.selection.points if sel else []
    if points and points[0].get("customdata"):
        cohort, k = points[0]["customdata"][:2]
        rows = context.detail("cohort_accounts", qb, cohort=str(cohort), period_number=int(k))
        kept = int(rows["retained"].sum()) if len(rows) else 0
        st.markdown(f"Cohort **{str(cohort)[:7]}**, month **{int(k)}**: {kept:,} of "
                    f"{fmt.plural(len(rows), 'account')} active")
        show(rows, download="cohort_accounts.csv")
