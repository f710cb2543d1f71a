"""Usage: active users and stickiness, feature adoption, falling accounts, usage by NPS."""

import streamlit as st

from dashboard import context, filters
from dashboard.components.kpi_card import kpi_card
from dashboard.components.table import columns
from dashboard.components.usage.adoption import adoption_section
from dashboard.components.usage.nps import usage_by_nps
from metrics import registry
from metrics.kpis import usage
from metrics.query import page_query
from render import charts

# What the page computes on open (dashboard/catalogue.py and the benchmark read it).
# (default view: grain month, adoption over the last 30 days)
CALLS = (("metric", "usage"), ("metric", "usage", {"by": "segment"}),
         ("metric", "feature_adoption", {"days": 30}),
         ("metric", "feature_adoption", {"days": 30, "by": "segment"}),
         ("metric", "account_usage", {"days": 30}))

ACTIVE = {"day": "DAU", "week": "WAU", "month": "MAU"}
# the cards and the by-segment measures: labels and units are the columns' specs
CARDS = ["active_users", "avg_daily_users", "stickiness", "active_accounts",
         "hours_per_active_user"]
MEASURES = ["active_users", "stickiness", "active_accounts", "hours_per_active_user"]
WINDOWS = {30: "last 30 days", 90: "last 90 days"}

st.title("Usage")
c1, c2 = st.columns(2)
grain = c1.segmented_control("Period", ["day", "week", "month"], default="month",
                             key="us_grain") or "month"
days = c2.segmented_control("Adoption window", list(WINDOWS), format_func=WINDOWS.get,
                            default=30, key="us_window") or 30
grain = filters.fit_grain(grain)
q = filters.current_query(grain=grain)
if context.as_of_default() is None:
    st.info("No data yet. Load usage events on the **Data** page, or create the demo data set "
            "with `csm demo`.")
    st.stop()
frame = context.metric("usage", q)
if frame.empty or frame["events"].sum() == 0:
    st.info("No usage events in the selected window and filters.")
    st.stop()

complete = frame[~frame["partial"]]
cur = complete.iloc[-1] if len(complete) else None
prev = complete.iloc[-2] if len(complete) > 1 else None
for col, column in zip(st.columns(len(CARDS)), CARDS, strict=True):
    with col:  # label, unit and direction: the column's spec (the active users' by grain)
        kpi_card("usage", cur, prev, complete[column], period_label=grain, column=column,
                 label=ACTIVE[grain] if column == "active_users" else None)

left, right = st.columns(2)
left.plotly_chart(charts.plot_lines(
    frame, {"active_users": f"active users ({ACTIVE[grain]})",
            "avg_daily_users": "mean daily users (DAU)"},
    title=f"Active users by {grain}", unit="users"), key="us_users")
measure = right.selectbox("By segment", MEASURES, key="us_measure",
                          format_func=lambda m: registry.column("usage", m).label)
seg = context.metric("usage", page_query(q, {"by": "segment"}))
spec = registry.column("usage", measure)
right.plotly_chart(charts.plot_group_lines(seg, measure, "segment", title=f"{spec.label} by "
                   f"segment and {grain}", unit=spec.unit), key="us_segments")

adoption_section(q, days, WINDOWS[days])

accounts = context.metric("account_usage", page_query(q, {"days": days}))
st.subheader("Accounts whose usage fell most")
st.caption(f"Active users {WINDOWS[days]} vs the {days} days before: largest drop first.")
fell = usage.fell_most(accounts)
if fell.empty:
    st.info("No account lost active users between the two windows.")
else:
    st.dataframe(fell[["account_id", "name", "segment", "csm_owner", "users_prev", "users",
                       "users_change", "events_prev", "events", "events_change"]],
                 hide_index=True, width="stretch",
                 column_config=columns(fell, "account_usage"))

usage_by_nps(accounts, WINDOWS[days])
