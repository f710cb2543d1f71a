"""The Health page's at-risk lists: red accounts whose score fell over 30 days, and red
accounts with no score then (onboarding), each with the path to the next band."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from dashboard.components.health import data as hd
from dashboard.components.health.explain import path_text
from dashboard.components.table import columns, download_csv
from dashboard.components.tasks import at_risk as tk_at_risk
from metrics import fmt
from metrics.health import risk as risk_rules

COLUMNS = ["name", "account_id", "csm_owner", "renewal_date", "mrr_now", "score", "change_30d",
           "missing", "path"]
CONFIG = {"mrr_now": st.column_config.NumberColumn("MRR at stake", format="$%,.0f"),
          "score": st.column_config.NumberColumn(format="%.1f"),
          "change_30d": st.column_config.NumberColumn("change vs 30 days ago", format="%+.1f"),
          "missing": "no data for", "renewal_date": st.column_config.DateColumn("renewal date")}


def at_risk_section(q, model, scored: pd.DataFrame, as_of: date
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Draw the at-risk lists of the accounts `scored` on `as-of`; return (falling,
    onboarding) as metrics.health.risk.at_risk gives them."""
    st.subheader("At risk: red and falling")
    before = hd.scored_at(q, model, as_of - timedelta(days=risk_rules.WINDOW_DAYS))
    risk, onboarding = risk_rules.at_risk(scored, before)
    if risk.empty:
        st.info("No red account whose score fell over the last 30 days.")
    else:
        risk["path"] = risk["path_to_next_band"].map(path_text)
        st.dataframe(risk[COLUMNS], hide_index=True, width="stretch",
                     column_config=columns(risk[COLUMNS], **CONFIG), key="hl_risk")
        download_csv(risk[COLUMNS], "at_risk.csv")
        st.caption(f"{fmt.plural(len(risk), 'account')}, "
                   f"{fmt.value(risk['mrr_now'].sum(), 'USD')} MRR; sorted by MRR. "
                   "Falling: red now and lower than their score 30 days ago.")
    if len(onboarding):
        st.markdown("**Red and new: onboarding** — "
                    f"{fmt.plural(len(onboarding), 'red account')} had no score "
                    "30 days ago (new accounts, or no data then), so they are not called falling.")
        onboarding["path"] = onboarding["path_to_next_band"].map(path_text)
        shown = onboarding[[c for c in COLUMNS if c != "change_30d"]]
        st.dataframe(shown, hide_index=True, width="stretch",
                     column_config=columns(shown, **CONFIG), key="hl_onboarding")
    tk_at_risk.actions(risk, onboarding)
    return risk, onboarding
