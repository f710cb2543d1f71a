"""Retention & revenue page: renewal rate of past renewals and the upcoming renewals calendar."""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboard import charts, context
from metrics.query import Query


def renewals(q: Query, grain: str) -> None:
    """Renewal rate by period and the ARR coming up for renewal by month and segment."""
    rate = context.metric("renewal_rate", q)
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
                   "the rate.")
    else:
        left.info("No renewals came due in the selected window.")
    up = context.detail("upcoming_renewals", q)
    st.subheader("Upcoming renewals (next 12 months)")
    if up.empty:
        st.info("No renewal dates ahead: load accounts with a renewal_date column.")
        return
    st.caption("ARR now (12 × MRR on as-of) of active accounts by the month of their "
               "renewal_date, split by segment until health scores exist. Click a bar for its "
               "accounts.")
    sel = st.plotly_chart(charts.plot_renewal_calendar(up, title="ARR coming up for renewal "
                                                       "by month"), key="rr_calendar",
                          on_select="rerun", selection_mode="points")
    points = sel.selection.points if sel else []
    if points and points[0].get("customdata"):
        month, seg = points[0]["customdata"][:2]
        m = date.fromisoformat(str(month)[:10])
        rows = up[(up["month"] == m) & (up["segment"].fillna("(none)") == seg)]
        st.markdown(f"**{len(rows):,} accounts** of **{seg}** renewing in **{m:%B %Y}**")
        st.dataframe(rows, hide_index=True, width="stretch")
    else:
        st.dataframe(up.head(50), hide_index=True, width="stretch")
