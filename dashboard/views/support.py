"""Support: FCR, response and resolution times, volume and backlog, SLA; breakdowns; churn."""

from datetime import date

import streamlit as st

from dashboard import context, filters
from dashboard.catalogue import targets
from dashboard.components.kpi_card import card_target, kpi_card
from dashboard.components.support.tickets import churn_by_load, show_tickets
from dashboard.components.support.times import benchmarks, cards_caption, time_charts
from metrics import fmt, registry
from metrics.periods import next_period
from metrics.query import page_query
from render import charts

# What the page computes on open (dashboard/catalogue.py and the benchmark read it).
# (default view: grain month, breakdown by channel)
CALLS = (("metric", "support"), ("metric", "support", {"grain": "all", "by": "channel"}),
         ("metric", "support_distribution", {"grain": "all"}),
         ("metric", "support_accounts", {"grain": "all"}), ("metric", "ticket_backlog"),
         *(targets(k) for k in ("tickets", "fcr_rate", "support", "first_response_p90_h",
                                "resolution_median_h", "sla_attainment", "ticket_backlog")))

BY = {"channel": "Channel", "priority": "Priority", "segment": "Segment"}
MEASURES = ["fcr_rate", "first_response_median_h", "resolution_median_h", "sla_attainment",
            "tickets"]  # the breakdown's choices; labels and units are the columns' specs
CARDS = ["tickets", "fcr_rate", "first_response_median_h", "first_response_p90_h",
         "resolution_median_h", "sla_attainment"]

st.title("Support")
c1, c2 = st.columns(2)
grain = c1.segmented_control("Period", ["week", "month"], default="month", key="sp_grain") \
    or "month"
by = c2.segmented_control("Break down by", list(BY), format_func=BY.get, default="channel",
                          key="sp_by") or "channel"
grain = filters.fit_grain(grain)
q = filters.current_query(grain=grain)
if context.as_of_default() is None:
    st.info("No data yet. Load tickets on the **Data** page, or create the demo data set with "
            "`csm demo`.")
    st.stop()
frame = context.metric("support", q)
if frame.empty or frame["tickets"].sum() == 0:
    st.info("No tickets in the selected window and filters.")
    st.stop()

complete = frame[~frame["partial"]]
cur = complete.iloc[-1] if len(complete) else None
prev = complete.iloc[-2] if len(complete) > 1 else None
cols = st.columns(4) + st.columns(4)
for col, column in zip(cols, CARDS, strict=False):
    with col:
        kpi_card("support", cur, prev, complete[column], period_label=grain, column=column,
                 label=registry.column("support", column).short_label,
                 target=card_target(q, "support", column, cur, grain))
cards_caption(q, cur, grain)
time_charts(q, frame, grain)
backlog = context.metric("ticket_backlog", q)
done = backlog[~backlog["partial"]]  # the same last complete period as the cards
last = done.iloc[-1] if len(done) else None
with cols[len(CARDS)]:  # the cards row's last slot, filled once the charts are sent
    kpi_card("ticket_backlog", last, done.iloc[-2] if len(done) > 1 else None,
             done["backlog_end"], period_label=grain,
             target=card_target(q, "ticket_backlog", "backlog_end", last, grain))

st.subheader("Volume and backlog")
st.caption("Click a bar to list its tickets. The backlog counts every ticket open at a "
           f"{grain}'s end, whenever it was created.")
left, right = st.columns(2)
vol = left.plotly_chart(charts.plot_volume(frame, title=f"Tickets created and still open, by "
                        f"{grain}"), key="sp_volume", on_select="rerun", selection_mode="points")
right.plotly_chart(charts.plot_lines(backlog, {"backlog_end": "open at the end", "aged_over_7d":
                   "open over 7 days", "opened": "opened", "closed": "closed"},
                   title=f"Backlog by {grain}", unit="tickets"), key="sp_backlog")
points = vol.selection.points if vol else []
if points:
    start = date.fromisoformat(str(points[0]["x"])[:10])
    show_tickets(fmt.period(start, grain),
                 q.with_(start=start, end=next_period(start, grain)))

st.subheader(f"By {BY[by].lower()}")
measure = st.selectbox("Measure", MEASURES, key="sp_measure",
                       format_func=lambda m: registry.column("support", m).short_label)
q_by = page_query(q, {"grain": "all", "by": by})
groups = context.metric("support", q_by)
label, unit = (registry.column("support", measure).short_label,
               registry.column("support", measure).unit)
sel = st.plotly_chart(charts.plot_category_bars(
    groups, by, measure, title=f"{label} by {BY[by].lower()} (whole window)", unit=unit,
    x_title=BY[by], bands=benchmarks()[0] if measure == "fcr_rate" else None),
    key=f"sp_by_chart_{by}_{measure}", on_select="rerun", selection_mode="points")
if sel and sel.selection.points:
    value = sel.selection.points[0].get("customdata") or None
    show_tickets(f"{BY[by]} = {value or '(none)'}", q_by, group=value, any_group=False)

churn_by_load(q)
