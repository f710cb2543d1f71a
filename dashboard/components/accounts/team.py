"""The Accounts page's team tab: per CSM owner, book, health mix, NRR, NPS, churn, risk."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboard import context
from dashboard.components.table import columns
from metrics import accounts
from metrics.query import Query
from render import charts


def team_tab(q: Query, book: pd.DataFrame, scored: pd.DataFrame, as_of: date) -> None:
    """Draw the table and the health mix per CSM owner as of `as_of`."""
    qa = q.with_(grain="all", by="csm_owner")
    team = accounts.team_view(
        book, scored, context.metric("nrr", qa.with_(as_of=as_of)), context.metric("nps", qa),
        context.metric("logo_churn", qa), as_of)
    st.caption(f"Per CSM owner, as of {as_of:%Y-%m-%d}. NPS and logo churn over the selected "
               "window; NRR over the 12 months to as-of (the `nrr` metric, as `csm metric nrr "
               "--by csm_owner` prints it): MRR now of the accounts paying 12 months earlier ÷ "
               "their MRR then, by today's owner; at-risk renewals: red or yellow accounts "
               f"renewing within {accounts.RENEWAL_DAYS} days.")
    st.dataframe(team, hide_index=True, width="stretch", column_config=columns(team, **{
        "mrr": st.column_config.NumberColumn("MRR", format="$%,.0f"),
        "mean_score": st.column_config.NumberColumn("mean health", format="%.1f"),
        "nrr": st.column_config.NumberColumn("NRR", format="percent"),
        "logo_churn": st.column_config.NumberColumn("logo churn", format="percent"),
        "nps": st.column_config.NumberColumn("NPS", format="%.1f"),
        "at_risk_mrr": st.column_config.NumberColumn("at-risk MRR", format="$%,.0f")}))
    st.plotly_chart(charts.plot_owner_mix(team, title="Health mix per CSM owner"),
                    key="ac_team_mix")
