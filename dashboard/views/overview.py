"""Overview: the headline KPIs with their change, significance and targets, and a trend."""

import streamlit as st

from dashboard import context, filters
from dashboard.catalogue import targets
from dashboard.components.health.mix_card import health_mix_card
from dashboard.components.kpi_card import card_target, kpi_card
from metrics import fmt, goals, registry
from metrics.kpis.satisfaction import change_test
from render import charts

# What the page computes on open (dashboard/catalogue.py and the benchmark read it).
CALLS = (("metric", "logo_churn"), ("metric", "mrr"), ("metric", "nps"), ("metric", "csat"),
         ("metric", "support"), ("metric", "nrr"), ("metric", "grr"), ("metric", "health_inputs"),
         *(targets(k) for k in ("customers_end", "mrr", "logo_churn", "nps", "csat", "support",
                                "fcr_rate", "nrr", "grr", "new_customers", "tickets")))

# The cards, as (metric, column): label, unit, direction and explanation are the column's spec.
CARDS = [("logo_churn", "customers_end"), ("mrr", "mrr"), ("logo_churn", "churn_rate"),
         ("nps", "nps"), ("csat", "csat"), ("support", "first_response_median_h"),
         ("support", "fcr_rate"), ("nrr", "nrr"), ("grr", "grr"),
         ("logo_churn", "new_customers"), ("support", "tickets")]

st.title("Overview")
GRAINS = ["week", "month", "quarter"]
grain = st.segmented_control("Period", GRAINS, default=filters.url_grain(GRAINS, "month"),
                             key="ov_grain") or "month"
grain = filters.fit_grain(grain)
q = filters.current_query(grain=grain)

if context.as_of_default() is None:
    st.info("No data yet. Load your CSV exports on the **Data** page, or create the demo data "
            "set with `csm demo`.")
    st.stop()


# Targets are per segment: the company-wide one without a segment filter, the segment's own
# with exactly one segment selected, none for a mix of segments.
target_segment = q.segment[0] if len(q.segment) == 1 else None
show_targets = len(q.segment) <= 1

partial_note = None
for i, (name, column) in enumerate(CARDS):
    if i % 3 == 0:
        cols = st.columns(3)  # one row of three, so cards of a row line up
    frame = context.metric(name, q)
    complete = frame[~frame["partial"]] if len(frame) else frame
    cur = complete.iloc[-1] if len(complete) else None
    prev = complete.iloc[-2] if len(complete) > 1 else None
    if len(frame) and frame["partial"].iloc[-1]:
        partial_note = frame["period"].iloc[-1]
    conv = ""
    if name == "nps":
        conv = f"basis: {q.setting('nps_basis', 'all')} responses"
    elif name == "csat":
        conv = "satisfied = 4–5 of 5 (8–10 of 10)"
    test = change_test(name, prev, cur)
    label = registry.column(name, column).label
    with cols[i % 3]:
        kpi_card(name, cur, prev, complete[column] if len(complete) else complete,
                 period_label=grain, significance=test and (test[2], test[1]),
                 target=card_target(q, name, column, cur, grain),
                 convention=conv, column=column,
                 label=f"{label} · {fmt.period(cur['period'], grain)}" if cur is not None
                 else label)

if partial_note is not None:
    st.caption(f"{fmt.period(partial_note, grain)} is not complete yet: the cards "
               "show the last complete one; the chart draws the partial one hollow.")


with st.columns(3)[0]:
    health_mix_card(q)

st.subheader("Trend")
name, column = st.selectbox("Metric", CARDS, key="ov_trend",
                            format_func=lambda c: registry.column(*c).label)
spec = registry.column(name, column)
key = name if column == registry.get(name).headline else column
frame = context.metric(name, q)
if frame.empty:
    st.info("No data in the selected window.")
else:
    ci = ("ci_low", "ci_high") if name in ("nps", "csat") else None
    targets = (context.targets(key, target_segment)
               if show_targets and goals.target_applies(key, grain) else None)
    fig = charts.plot_trend(frame, column, title=f"{spec.label} by {grain}", unit=spec.unit,
                            ci=ci, targets=targets)
    st.plotly_chart(fig, key="ov_trend_chart")
