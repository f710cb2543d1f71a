"""Usage: active users and stickiness, feature adoption, falling accounts, usage by NPS."""

import streamlit as st

from dashboard import context, filters
from dashboard.components.kpi_card import kpi_card
from dashboard.components.table import columns, show
from dashboard.components.usage.nps import usage_by_nps
from metrics import fmt
from metrics.kpis import usage
from metrics.query import page_query
from render import charts

ACTIVE = {"day": "DAU", "week": "WAU", "month": "MAU"}
MEASURES = {"active_users": ("Active users", "users"),
            "stickiness": ("Stickiness (daily ÷ period users)", "fraction"),
            "active_accounts": ("Accounts with usage", "accounts"),
            "hours_per_active_user": ("Hours per active user", "hours")}
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
cards = [("active_users", ACTIVE[grain], "count"),
         ("avg_daily_users", "Mean daily users", "count"),
         ("stickiness", "Stickiness", "fraction"),
         ("active_accounts", "Accounts with usage", "accounts"),
         ("hours_per_active_user", "Hours per active user", "hours")]
for col, (column, label, unit) in zip(st.columns(len(cards)), cards, strict=True):
    with col:
        kpi_card("usage", cur, prev, complete[column], period_label=grain, column=column,
                 label=label, unit=unit, direction="up")

left, right = st.columns(2)
left.plotly_chart(charts.plot_lines(
    frame, {"active_users": f"active users ({ACTIVE[grain]})",
            "avg_daily_users": "mean daily users (DAU)"},
    title=f"Active users by {grain}", unit="users"), key="us_users")
measure = right.selectbox("By segment", list(MEASURES), format_func=lambda m: MEASURES[m][0],
                          key="us_measure")
seg = context.metric("usage", page_query(q, {"by": "segment"}))
right.plotly_chart(charts.plot_group_lines(
    seg, measure, "segment", title=f"{MEASURES[measure][0]} by segment and {grain}",
    unit=MEASURES[measure][1]), key="us_segments")

st.subheader(f"Feature adoption — {WINDOWS[days]} vs the {days} days before")
q_win = page_query(q, {"days": days})
adoption = context.metric("feature_adoption", q_win)
q_seg = page_query(q, {"days": days, "by": "segment"})
by_seg = context.metric("feature_adoption", q_seg)
if adoption.empty:
    st.info("No feature was used in this window.")
else:
    st.caption("Share of the customers active on the window's last day that used each feature "
               "(bar), the previous window (mark) and the change in percentage points; it can "
               "pass 100% when users of a feature churned before that day. Click a bar or a "
               "cell to list the accounts.")
    left, right = st.columns(2)
    bars = left.plotly_chart(charts.plot_adoption(adoption, title="Adoption by feature"),
                             key="us_adoption", on_select="rerun", selection_mode="points")
    cells = right.plotly_chart(charts.plot_heatmap(
        by_seg, "segment", "feature", "adoption_rate", title="Adoption: feature × segment",
        x_title="segment", y_title="feature"), key="us_heatmap", on_select="rerun",
        selection_mode="points")
    picked = None
    if bars and bars.selection.points:
        feature = bars.selection.points[0].get("customdata")
        picked = (f"feature {feature}", context.detail("feature_accounts", q_win,
                                                        feature=feature))
    if cells and cells.selection.points:
        segment, feature = cells.selection.points[0].get("customdata")
        value = None if segment == "(none)" else segment
        picked = (f"feature {feature} in {segment}", context.detail(
            "feature_accounts", q_seg, feature=feature, group=value, any_group=False))
    if picked:
        st.caption(f"{fmt.plural(len(picked[1]), 'account')} behind **{picked[0]}**")
        show(picked[1])

accounts = context.metric("account_usage", q_win)
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
