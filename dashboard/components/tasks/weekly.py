"""The Weekly review's team actions: the risk plays closed ("3 plays recovered, $12k ARR
saved, 1 lost") and the tasks closed in the week, with one-click tasks for renewals due."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from dashboard.components.table import columns
from dashboard.components.tasks.write import for_table, quick_task, reading, shown, today
from metrics import fmt
from metrics.actions import now, plays, tasks

SHOWN = ["closed_at", "title", "account_name", "status", "close_reason", "owner", "type"]


def window(start: date, end: date, newest: bool) -> tuple[date, date]:
    """Return the days whose closed work is counted: the week [start, end); for the newest
    week, on to today (the meeting reviews what was done since its Monday)."""
    return start, max(end, today() + timedelta(days=1)) if newest else end


def section(q, start: date, end: date, newest: bool) -> None:
    """Draw the plays' outcomes and the tasks closed in the window of the week."""
    lo, hi = window(start, end, newest)
    with reading() as cur:
        all_plays = plays.listing(cur, q, now())
        done = tasks.listing(cur, q, today(), status=tasks.CLOSED)
    o = plays.outcomes(all_plays, lo, hi)
    st.markdown(f"**Risk plays:** {o.line()}")
    closed = pd.to_datetime(done["closed_at"])
    done = done[(closed >= pd.Timestamp(lo)) & (closed < pd.Timestamp(hi))].sort_values(
        "closed_at", ascending=False)
    st.caption(f"Closed {fmt.span(lo, hi)}: {fmt.plural(len(done), 'task')}"
               + (f", {int((done['status'] == 'done').sum()):,} done" if len(done) else "")
               + ". Tasks and plays are closed in wall-clock time.")
    if len(done):
        view = for_table(done[SHOWN])
        st.dataframe(view, hide_index=True, width="stretch", key="wk_tasks_done",
                     column_config=columns(view, closed_at="closed", account_name="account",
                                           close_reason="reason"))


def renewal_task(due: pd.DataFrame) -> None:
    """Draw a picker of the renewals due and a one-click renewal task on the one picked."""
    if due.empty or "account_id" not in due:
        return
    names = dict(zip(due["account_id"], shown(due)["account_name"].fillna(due["account_id"]),
                     strict=True))
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    aid = c1.selectbox("Renewal", list(names), format_func=lambda a: f"{names[a]} ({a})",
                       key="wk_renewal")
    r = due[due["account_id"] == aid].iloc[0]
    quick_task(c2, aid, "renewal", "renewal", key="wk_renewal_task",
               detail=f"renews {fmt.date_(r['renewal_date'])}")
