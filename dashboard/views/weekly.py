"""Weekly review: what changed this week, for the team meeting on a shared screen — KPI changes
(real or noise), band moves, MRR movers, churns and reactivations, new detractors, renewals due,
alerts fired, risk plays and tasks closed — and the meeting pack as HTML, PDF or PowerPoint."""

from datetime import timedelta

import streamlit as st

from dashboard import context, filters
from dashboard.components.tasks import weekly as tk_weekly
from dashboard.components.weekly import parts as wp
from metrics import fmt, review
from render import charts

CALLS = ()  # read by dashboard/catalogue.py and the benchmark; review.build's work is there

st.title("Weekly review")
as_of = context.as_of_default()
if as_of is None:
    st.info("No data yet. Load data on the **Data** page, or create the demo data set with "
            "`csm demo`.")
    st.stop()

monday = wp.week_picker(as_of)
q = filters.current_query()
r = wp.get_review(q, monday)
st.caption(f"{r.start:%A %d %B} to {r.as_of:%A %d %B %Y}, against the week before. Accounts: "
           "the sidebar filters (the date range does not apply here)."
           + (" Presentation-safe mode is on." if filters.masked() else ""))
for note in r.notes:
    st.caption(wp.md_escape(note))  # text from the data: shown as text

st.subheader("Key figures")
if r.kpis.empty:
    st.info("No KPI has data for this week.")
else:
    wp.kpi_cards(r.kpis)
first, last = review.detail_range(r)
st.page_link("views/overview.py", label="Trends and the math behind each KPI: Overview by "
             f"week, {fmt.span(first, last + timedelta(days=1))}", icon=":material/dashboard:",
             query_params={**review.detail_params(r), filters.LINK_URL: "1"})

st.subheader("Accounts that moved band")
if not r.health:
    st.info("Health scores are not available yet.")
else:
    wp.table(r.band_moves, "No account changed health band this week.",
             ["account_name", "band_before", "band_after", "move", "mrr", "account_id"],
             account_name="account", band_before="band before", band_after="band after",
             account_id="account id",
             mrr=st.column_config.NumberColumn("MRR", format="$%,.0f"))

left, right = st.columns(2)
with left:
    st.subheader("Largest MRR movers")
    if len(r.mrr_movers):
        st.plotly_chart(charts.plot_mrr_movers(context.shown(r.mrr_movers), title="MRR "
                        f"change over {fmt.span(r.start, r.as_of + timedelta(days=1))}"),
                        key="wk_movers")
    wp.table(r.mrr_movers, "No account's MRR changed this week.",
             ["account_name", "change", "movement", "mrr_after", "mrr_before"],
             mrr_before=st.column_config.NumberColumn("MRR before", format="$%,.0f"),
             mrr_after=st.column_config.NumberColumn("MRR after", format="$%,.0f"),
             change=st.column_config.NumberColumn("change (USD)", format="%+.0f"))
with right:
    st.subheader("New churns")
    wp.table(r.new_churns, "No account churned this week.",
             ["account_name", "churn_date", "mrr_before", "segment"],
             mrr_before=st.column_config.NumberColumn("MRR before", format="$%,.0f"))
    st.subheader("Reactivations")
    wp.table(r.reactivations, "No account came back this week.",
             ["account_name", "mrr_after", "segment"],
             mrr_after=st.column_config.NumberColumn("MRR", format="$%,.0f"))

st.subheader("New detractors")
wp.table(r.detractors, "No NPS answer from 0 to 6 this week.",
         ["responded_at", "account_name", "score", "comment", "respondent"],
         comment=st.column_config.TextColumn("comment", width="large"))
st.page_link("views/satisfaction.py", label="Themes and all comments: Satisfaction",
             icon=":material/sentiment_satisfied:")

wp.renewals_section(r)

wp.alerts_section(r)

st.subheader("Team actions: risk plays and tasks closed")
tk_weekly.section(q, r.start, r.end, newest=(as_of - r.as_of).days < 7)
st.page_link("views/tasks.py", label="All tasks, plays and follow-ups: Tasks",
             icon=":material/task_alt:")

st.divider()
wp.pack_download(r, q)
