"""The Usage page's section on promoters, passives and detractors."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components.table import show
from metrics import fmt
from metrics.kpis import usage
from render import charts


def usage_by_nps(accounts: pd.DataFrame, window: str) -> None:
    """Hours per active user by the latest NPS answer; a click lists the accounts."""
    st.subheader("Usage of promoters, passives and detractors")
    nps = usage.by_nps_category(accounts)
    st.caption("Active customers grouped by their latest NPS answer up to as-of; usage "
               f"{window}. Click a bar to list the accounts.")
    pick = st.plotly_chart(charts.plot_category_bars(
        nps, "nps_category", "hours_per_active_user", title="Hours per active user by latest NPS "
        "answer", unit="hours", x_title="latest NPS answer",
        text=[f"{fmt.value(h, 'hours')} · {fmt.plural(n, 'account')} · "
              f"{fmt.value(a, 'fraction')} active" if n else "no accounts"
              for h, n, a in zip(nps["hours_per_active_user"].fillna(0), nps["accounts"],
                                 nps["active_share"].fillna(0), strict=True)]),
        key="us_nps", on_select="rerun", selection_mode="points")
    if pick and pick.selection.points:
        category = pick.selection.points[0].get("customdata")
        rows = accounts[accounts["active_customer"]]
        rows = rows[rows["nps_category"].fillna("no answer") == category]
        show(rows, download="usage_nps_accounts.csv")
