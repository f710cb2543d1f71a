"""The account 360's actions and timeline: one-click task and play buttons, a note, the open
tasks and the latest play of the account, and everything that happened to it, newest first.
Notes are Markdown written by people: shown escaped, as text, never rendered."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from dashboard import auth, filters
from dashboard.components.tasks import plays as play_parts
from dashboard.components.tasks.write import act, flash, quick_task, reading, today
from dashboard.components.text import md_escape
from metrics import fmt
from metrics.actions import notes, tasks, timeline
from metrics.mask import maybe

KINDS = ("note", "task", "risk play", "follow-up", "health", "MRR", "survey", "ticket", "load")


def _real_name(cur, account_id: str) -> dict:
    # the real name, to hide it inside titles and notes in presentation-safe mode
    row = tasks.account_row(cur, account_id)
    return {row[0]: 1} if row and row[0] else {}


def actions(account_id: str) -> None:
    """Draw the account's buttons (a risk task, a renewal task, a risk play) and its open
    tasks."""
    c1, c2, c3 = st.columns(3)
    quick_task(c1, account_id, "risk", "account 360", key="ac_task_risk")
    quick_task(c2, account_id, "renewal", "account 360", key="ac_task_renewal")
    play_parts.start_button(c3, account_id, key="ac_play")
    with reading() as cur:
        open_ = tasks.mine(tasks.listing(cur, None, today()), None)
        names = _real_name(cur, account_id)
    open_ = open_[open_["account_id"] == account_id]
    if len(open_):
        # each task's text escaped on its own, so only the program's "overdue" is bold
        parts = [md_escape(f"#{r.task_id} {r.title} (due {fmt.date_(r.due_date)}, "
                           f"{r.owner or 'nobody'})") + (" **overdue**" if r.overdue else "")
                 for r in maybe(open_, filters.masked(), names).itertuples()]
        st.caption("Open tasks: " + " · ".join(parts))
    play_parts.of_account(account_id)


def note_form(account_id: str) -> None:
    """Draw the note box (for the roles that may write)."""
    if not auth.can("edit_tasks"):
        return
    with st.form("ac_note_form", clear_on_submit=True, border=False):
        body = st.text_area("Add a note", key="ac_note", max_chars=notes.LIMIT, height=90,
                            placeholder="What was said, what was agreed (shown as text)")
        if st.form_submit_button("Add note", icon=":material/edit_note:"):
            act(notes.add, "Note added.", account_id, account_id, body, key="ac_note_form")
    flash("ac_note_form")


def show(account_id: str, as_of_end: datetime, history: pd.DataFrame | None,
         mrr: pd.DataFrame | None) -> None:
    """Draw the timeline of one account with a filter on the kinds of event."""
    note_form(account_id)
    with reading() as cur:
        tl = timeline.timeline(cur, account_id, as_of_end, history, mrr)
        names = _real_name(cur, account_id)
    if tl.empty:
        st.info("Nothing has happened to this account yet.")
        return
    kinds = [k for k in KINDS if k in set(tl["kind"])]
    # keyed on the kinds present, so a kind that appears (a first note) is shown, not left out
    picked = st.pills("Show", kinds, selection_mode="multi", default=kinds,
                      key=f"ac_tl_kinds_{'_'.join(kinds)}")
    tl = tl[tl["kind"].isin(picked or kinds)]
    tl = maybe(tl, filters.masked(), names)
    st.caption(f"{fmt.plural(len(tl), 'event')}, newest first. Notes, tasks, plays and "
               "follow-ups in wall-clock time; answers, tickets and MRR up to as-of.")
    for r in tl.head(200).itertuples():
        head = f"`{r.at:%Y-%m-%d %H:%M}` · **{md_escape(r.kind)}** · {md_escape(r.what)}"
        who = f" — {md_escape(r.who)}" if isinstance(r.who, str) and r.who else ""
        st.markdown(head + who)
        if isinstance(r.detail, str) and r.detail.strip():
            # a note's Markdown is shown as the text it is (escaped), line breaks kept
            st.markdown("> " + "  \n> ".join(md_escape(line) for line in r.detail.splitlines()))
    if len(tl) > 200:
        st.caption(f"The newest 200 of {len(tl):,} events.")
