"""The Support page's drill-down: the tickets behind a clicked bar."""

from __future__ import annotations

import streamlit as st

from dashboard import context
from dashboard.components.table import columns, show
from dashboard.components.text import md_escape
from metrics import fmt
from metrics.kpis import support
from metrics.query import Query, page_query
from render import charts


def show_tickets(selection, q_sel, group=None, any_group=True):
    """List the tickets behind the clicked bar."""
    rows = context.detail("support_tickets", q_sel, group=group, any_group=any_group)
    st.caption(f"{fmt.plural(len(rows), 'ticket')} behind **{md_escape(selection)}** (newest "
               "first, at most 500)")
    show(rows, download="tickets.csv")


def churn_by_load(q: Query) -> None:
    """Churn rate by tickets per customer-month; a click lists the bucket's accounts."""
    st.subheader("Do heavy support users churn more?")
    accounts = context.metric("support_accounts", page_query(q, {"grain": "all"}))
    load = support.churn_by_ticket_load(accounts)
    churn = st.plotly_chart(charts.plot_category_bars(
        load, "ticket_load", "churn_rate", title="Churn rate in the window by tickets per "
        "customer-month", unit="fraction", x_title="tickets per customer-month",
        text=[f"{fmt.value(r, 'fraction')} of {n:,}" if n else "no accounts" for r, n in
              zip(load["churn_rate"].fillna(0), load["accounts"], strict=True)]),
        key="sp_churn", on_select="rerun", selection_mode="points")
    if churn and churn.selection.points:
        bucket = churn.selection.points[0].get("customdata")
        rows = accounts[accounts["ticket_load"] == bucket].sort_values(
            "tickets_per_month", ascending=False)
        st.dataframe(rows, hide_index=True, width="stretch",
                     column_config=columns(rows, "support_accounts"))
