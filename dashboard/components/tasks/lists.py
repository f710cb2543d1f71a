"""The Tasks page's lists: "My tasks" (open and in progress, overdue first), the team's open
and overdue tasks per owner, a task's status (closing needs a reason) and a new task by hand."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import auth, filters
from dashboard.components.table import columns
from dashboard.components.tasks.write import act, for_table, reading, shown, today
from metrics import fmt
from metrics.actions import tasks

SHOWN = ["overdue", "due_date", "title", "account_name", "type", "priority", "status", "owner",
         "source", "account_id", "task_id"]
CONFIG = {"overdue": st.column_config.CheckboxColumn("overdue"), "due_date": "due",
          "account_name": "account", "account_id": "account id", "task_id": "task"}


def load(q) -> pd.DataFrame:
    """Return the tasks on the accounts of `q` (the filters; a restricted csm's book)."""
    with reading() as cur:
        return tasks.listing(cur, q, today())


def table(df: pd.DataFrame, key: str, empty: str) -> None:
    """Draw a task list (masked in presentation-safe mode), or `empty` when there is none."""
    if df.empty:
        st.info(empty)
        return
    view = for_table(df[SHOWN])
    st.dataframe(view, hide_index=True, width="stretch", key=key,
                 column_config=columns(view, **CONFIG))


def my_tasks(all_tasks: pd.DataFrame) -> None:
    """Draw the owner picker (default: this person's own name among the owners) and their
    open tasks, overdue first, with the status editor below."""
    owners = sorted(o for o in all_tasks["owner"].dropna().unique())
    me = auth.current_user().owner
    options = ["Everyone", *owners]
    pick = st.selectbox("Owner", options, index=options.index(me) if me in options else 0,
                        key="tk_owner", format_func=lambda o: o if o == "Everyone"
                        else filters.person_label(o))
    mine = tasks.mine(all_tasks, None if pick == "Everyone" else pick)
    n_over = int(mine["overdue"].sum()) if len(mine) else 0
    st.caption(f"{fmt.plural(len(mine), 'open task')}, {n_over:,} overdue (due before "
               f"{today():%d %b %Y}). Overdue first, then by due date and priority.")
    table(mine, "tk_mine", "No open task. Create one from the at-risk list (Health), an "
          "account's 360 (Accounts), a detractor (Follow-up tab) or a renewal (Weekly review).")
    if len(mine):
        status_editor(mine)


def status_editor(open_tasks: pd.DataFrame) -> None:
    """Draw the form that moves one task to another status (a reason is needed to close)."""
    labels = {int(r.task_id): f"#{r.task_id} {r.title}" for r in
              shown(open_tasks).itertuples()}
    with st.form("tk_status_form", border=True):
        c1, c2, c3 = st.columns([3, 1, 2])
        tid = c1.selectbox("Task", list(labels), format_func=labels.get, key="tk_pick")
        status = c2.selectbox("New status", tasks.STATUSES, index=2, key="tk_status")
        reason = c3.text_input("Reason (needed to close)", key="tk_reason", max_chars=500)
        if st.form_submit_button("Save status", icon=":material/check:"):
            row = open_tasks[open_tasks["task_id"] == tid].iloc[0]
            act(tasks.set_status, f"Task #{tid} is {status}.", row["account_id"], tid, status,
                reason=reason)


def team_view(all_tasks: pd.DataFrame) -> None:
    """Draw the open, overdue and closed tasks per owner."""
    per = tasks.team(all_tasks)
    if per.empty:
        st.info("No task in the selected filters.")
        return
    per = shown(per)
    st.dataframe(per, hide_index=True, width="stretch", key="tk_team", column_config={
        "owner": "owner", "open": st.column_config.NumberColumn("open", format="%d"),
        "overdue": st.column_config.NumberColumn("overdue", format="%d"),
        "closed": st.column_config.NumberColumn("closed", format="%d")})
    st.caption("Open = open or in progress; overdue = open and due before today; closed = done "
               "or won't do. Accounts: the sidebar filters.")
    table(all_tasks[all_tasks["overdue"]], "tk_overdue", "Nothing overdue.")


def new_task(accounts: pd.DataFrame) -> None:
    """Draw the form that creates a task by hand on one of `accounts` (account_id, name)."""
    if accounts.empty or not auth.can("edit_tasks"):
        return
    names = dict(zip(accounts["account_id"], accounts["name"].fillna(accounts["account_id"]),
                     strict=True))
    with st.expander("New task"), st.form("tk_new", border=False):
        c1, c2, c3 = st.columns(3)
        aid = c1.selectbox("Account", list(names), format_func=lambda a: f"{names[a]} ({a})")
        kind = c2.selectbox("Type", tasks.TYPES)
        prio = c3.selectbox("Priority", tasks.PRIORITIES, index=1)
        title = st.text_input("Title", max_chars=200)
        d1, d2 = st.columns(2)
        due = d1.date_input("Due", value=today() + pd.Timedelta(days=7))
        owner = d2.text_input("Owner (empty: the account's CSM)")
        if st.form_submit_button("Create task", icon=":material/add_task:"):
            with reading() as cur:
                owner = owner.strip() or (tasks.account_row(cur, aid) or (None, None))[1]
            act(tasks.create, "Task created.", aid, account_id=aid, title=title, type=kind,
                priority=prio, due_date=due, owner=owner, source="manual")
