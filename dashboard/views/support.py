"""Support: FCR, response and resolution times, volume and backlog, SLA; breakdowns; churn."""

from datetime import date

import streamlit as st

from dashboard import context, filters
from dashboard.components.kpi_card import card_target, kpi_card
from dashboard.components.support.tickets import churn_by_load, show_tickets
from metrics import fmt, registry
from metrics.benchmarks import cite, load_benchmarks
from metrics.kpis import support
from metrics.periods import next_period
from metrics.query import page_query
from render import charts

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

bench = load_benchmarks()
fcr_bands = [(b["lo"], b["hi"], b["label"]) for k, b in bench.items() if k.startswith("fcr_")]
email = bench["email_first_response"]
complete = frame[~frame["partial"]]
cur = complete.iloc[-1] if len(complete) else None
prev = complete.iloc[-2] if len(complete) > 1 else None
cols = st.columns(4) + st.columns(4)
for col, column in zip(cols, CARDS, strict=False):
    with col:
        kpi_card("support", cur, prev, complete[column], period_label=grain, column=column,
                 label=registry.column("support", column).short_label,
                 target=card_target(q, "support", column, cur, grain))
cols[len(CARDS)].metric("Open backlog", f"{int(frame['open_tickets'].sum()):,}", border=True,
                        help="Tickets created in the window and not resolved by as-of.")
targets, other = support.sla_targets(q)
st.caption(
    f"Cards: the last complete {grain}" + (f" ({fmt.period(cur['period'], grain)})"
                                             if cur is not None else "")
    + ". SLA first-response targets: "
    + ", ".join(f"{k} {v:g} h" for k, v in targets.items()) + f", others {other:g} h. "
    f"Benchmarks: FCR — {cite(bench['fcr_good'])}; email first response — {cite(email)}.")

left, right = st.columns(2)
left.plotly_chart(charts.plot_lines(frame, {"fcr_rate": "FCR"}, title=f"First contact "
                  f"resolution by {grain}", unit="fraction", bands=fcr_bands), key="sp_fcr")
right.plotly_chart(charts.plot_lines(
    frame, {"first_response_median_h": "median", "first_response_p90_h": "p90",
            "first_response_mean_h": "mean"}, title=f"First response time by {grain}",
    unit="hours", refs=[(email["value"], f"email benchmark ≈ {email['value']:g} h "
                         f"({email['source'].split(',')[0]})")]), key="sp_frt")
left.plotly_chart(charts.plot_lines(
    frame, {"resolution_median_h": "median", "resolution_p90_h": "p90",
            "resolution_mean_h": "mean"}, title=f"Resolution time by {grain}", unit="hours"),
    key="sp_res")
right.plotly_chart(charts.plot_lines(frame, {"sla_attainment": "SLA attainment"},
                   title=f"SLA attainment by {grain}", unit="fraction"), key="sp_sla")

dist = context.metric("support_distribution", page_query(q, {"grain": "all"}))
left.plotly_chart(charts.plot_distribution(dist[dist.measure == "first_response"],
                  title="First response times (tickets in the window)",
                  ref=(email["value"], "email ≈ 12 h")), key="sp_dist_frt")
right.plotly_chart(charts.plot_distribution(dist[dist.measure == "resolution"],
                   title="Resolution times (tickets in the window)"), key="sp_dist_res")


st.subheader("Volume and backlog")
st.caption("Click a bar to list its tickets.")
vol = st.plotly_chart(charts.plot_volume(frame, title=f"Tickets created and still open, by "
                      f"{grain}"), key="sp_volume", on_select="rerun", selection_mode="points")
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
    x_title=BY[by], bands=fcr_bands if measure == "fcr_rate" else None),
    key=f"sp_by_chart_{by}_{measure}", on_select="rerun", selection_mode="points")
if sel and sel.selection.points:
    value = sel.selection.points[0].get("customdata") or None
    show_tickets(f"{BY[by]} = {value or '(none)'}", q_by, group=value, any_group=False)

churn_by_load(q)
