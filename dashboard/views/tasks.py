"""Tasks: calls to action on accounts — my tasks (overdue first), the team's open and overdue
tasks per owner, risk plays through their stages, and the closed-loop follow-up of detractors
with the share followed up within 7 days. Accounts: the sidebar filters."""

import streamlit as st

from dashboard import auth, context, filters
from dashboard.catalogue import targets
from dashboard.components.tasks import followup as fu
from dashboard.components.tasks import lists
from dashboard.components.tasks import plays as play_parts
from dashboard.components.tasks.write import flash, reading, shown
from metrics.actions import tasks

# What the page computes on open (dashboard/catalogue.py and the benchmark read it).
# (the follow-up card's target; the tasks, plays and follow-ups are read uncached, as they
# change without a load: components/tasks/write.py)
CALLS = (targets("followup_share"),)
OTHER_CALLS = (("metric", "followup_share", {"grain": "month"}),)

st.title("Tasks")
as_of = context.as_of_default()
if as_of is None:
    st.info("No data yet. Load accounts on the **Data** page, or create the demo data set with "
            "`csm demo`.")
    st.stop()
q = context.restricted(filters.current_query())
flash()
if not auth.can("edit_tasks"):
    st.caption(auth.refusal("edit_tasks"))
all_tasks = lists.load(q)
all_plays = play_parts.load(q)
n_open = int(all_tasks["status"].isin(tasks.OPEN).sum())
n_over = int(all_tasks["overdue"].sum())
c = st.columns([1, 1, 1, 1.6])
c[0].metric("Open tasks", f"{n_open:,}", border=True)
c[1].metric("Overdue", f"{n_over:,}", border=True, help="Open or in progress, due before today.")
c[2].metric("Open risk plays", f"{int(all_plays['closed_at'].isna().sum()):,}", border=True)
with c[3]:
    fu.card(q)

# Only the open tab runs (its label is `tasks_tab` in the URL, so a link opens the same tab).
mine, team, plays_tab, fu_tab = st.tabs(["My tasks", "Team", "Risk plays", "Follow-up"],
                                        key="tasks_tab", bind="query-params")
if mine.open:
    with mine:
        lists.my_tasks(all_tasks)
        with reading() as cur:
            accounts = shown(tasks.accounts_in(cur, q))  # pseudonyms in presentation-safe mode
        lists.new_task(accounts)
if team.open:
    with team:
        lists.team_view(all_tasks)
if plays_tab.open:
    with plays_tab:
        play_parts.section(all_plays)
if fu_tab.open:
    with fu_tab:
        start, end = fu.window(q, as_of)
        fu.section(q, start, end)
