"""The Accounts page's book of business: one row per account, clickable, a page of rows at a
time (a book of 50,000 accounts sent whole took seconds at every rerun)."""

from __future__ import annotations

import math

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


PAGE_ROWS = 500  # accounts a page of the table (a whole book at the small demo's size)


def page_of(mine: pd.DataFrame, where=st) -> tuple[pd.DataFrame, str]:
    """Return the rows of the page of `mine` chosen under the table (`PAGE_ROWS` a page, in the
    order given) and a caption of which rows they are ('' when one page holds them all)."""
    pages = max(1, math.ceil(len(mine) / PAGE_ROWS))
    if pages == 1:
        return mine, ""
    if st.session_state.get("ac_page", 1) > pages:  # a search left fewer pages
        st.session_state["ac_page"] = pages
    n = int(where.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, step=1,
                               key="ac_page"))
    start = (n - 1) * PAGE_ROWS
    part = mine.iloc[start:start + PAGE_ROWS].reset_index(drop=True)
    return part, f"Rows {start + 1:,}–{start + len(part):,} of {len(mine):,}."


def with_trend(part: pd.DataFrame, trend: pd.DataFrame) -> pd.DataFrame:
    """Return `part` with its accounts' scores over time (`trend`: account_id, score, as_of)
    as a `trend` list column, for the sparkline; only the rows shown are computed."""
    t = trend[trend["account_id"].isin(part["account_id"])].sort_values("as_of")
    spark = t.groupby("account_id")["score"].apply(
        lambda s: [None if v != v else round(v, 1) for v in s])
    return part.assign(trend=part["account_id"].map(spark))
