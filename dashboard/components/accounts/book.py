"""The Accounts page's book of business: one row per account, clickable."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components.table import columns, download_csv


def book_table(mine: pd.DataFrame) -> list[int]:
    """Draw the accounts of `mine` (the book with health score, band and trend) and return the
    positions of the row a click selected ([] when none)."""
    cols = ["name", "account_id", "csm_owner", "band", "score", "trend", "mrr", "last_nps",
            "open_tickets", "renewal_date", "segment", "plan"]
    sel = st.dataframe(
        mine[cols],
        hide_index=True, width="stretch", key="ac_table", on_select="rerun",
        selection_mode="single-row", column_config=columns(mine, **{
            "score": st.column_config.NumberColumn("health", format="%.1f"),
            "trend": st.column_config.LineChartColumn("health, last 12 months", y_min=0,
                                                      y_max=100),
            "mrr": st.column_config.NumberColumn("MRR", format="$%,.0f"),
            "last_nps": st.column_config.NumberColumn("last NPS", format="%d"),
            "open_tickets": "open tickets",
            "renewal_date": st.column_config.DateColumn("renewal date")}))
    download_csv(mine[[c for c in cols if c != "trend"]], "accounts.csv")
    return list(sel.selection.rows) if sel else []
