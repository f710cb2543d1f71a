"""Risk plays on the Tasks page and the account 360: the plays with their stage, ARR and time
in stage; moving a play on (recovered or lost close it); opening one on an account."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import auth, context
from dashboard.components.table import columns
from dashboard.components.tasks.write import act, flash, for_table, reading, shown
from dashboard.components.text import md_escape
from metrics import fmt
from metrics.actions import now, plays

SHOWN = ["account_name", "stage", "arr", "days_in_stage", "days_open", "owner", "opened_at",
         "closed_at", "note", "account_id", "play_id"]
CONFIG = {"account_name": "account", "arr": st.column_config.NumberColumn("ARR", format="$%,.0f"),
          "days_in_stage": st.column_config.NumberColumn("days in stage", format="%d"),
          "days_open": st.column_config.NumberColumn("days open", format="%d"),
          "opened_at": "opened", "closed_at": "closed",
          "account_id": "account id", "play_id": "play"}


def load(q) -> pd.DataFrame:
    """Return the plays on the accounts of `q`, open first."""
    with reading() as cur:
        return plays.listing(cur, q, now())


def section(all_plays: pd.DataFrame) -> None:
    """Draw the plays (open ones first) with their stage counts and the stage mover."""
    if all_plays.empty:
        st.info("No risk play. Start one from an account's 360 (Accounts) or the at-risk list "
                "(Health).")
        return
    open_ = all_plays[all_plays["closed_at"].isna()]
    counts = all_plays["stage"].value_counts()
    cols = st.columns(len(plays.STAGES))
    for col, stage in zip(cols, plays.STAGES, strict=True):
        arr = all_plays.loc[all_plays["stage"] == stage, "arr"].sum()
        col.metric(stage.capitalize(), f"{int(counts.get(stage, 0)):,}", border=True,
                   help=f"{fmt.value(arr, 'USD')} ARR")
    view = for_table(all_plays[SHOWN])
    st.dataframe(view, hide_index=True, width="stretch", key="tk_plays",
                 column_config=columns(view, **CONFIG))
    if len(open_):
        mover(open_)


def mover(open_plays: pd.DataFrame) -> None:
    """Draw the form that moves one open play to another stage."""
    labels = {int(r.play_id): f"#{r.play_id} {r.account_name} ({r.stage})"
              for r in shown(open_plays).itertuples()}
    with st.form("tk_play_form", border=True):
        c1, c2, c3 = st.columns([3, 1, 2])
        pid = c1.selectbox("Play", list(labels), format_func=labels.get, key="tk_play")
        stage = c2.selectbox("Move to", plays.STAGES[1:], key="tk_stage")
        note = c3.text_input("Note", key="tk_play_note", max_chars=1000)
        if st.form_submit_button("Move play", icon=":material/moving:"):
            aid = open_plays.loc[open_plays["play_id"] == pid, "account_id"].iloc[0]
            act(plays.move, f"Play #{pid} moved to {stage}.", aid, pid, stage, note=note)


def start_button(where, account_id: str, key: str) -> None:
    """Draw "Start risk play" for an account (ARR on the data's as-of day)."""
    allowed = auth.can("edit_tasks")
    if where.button("Start risk play", key=key, icon=":material/flag:", disabled=not allowed,
                    help=None if allowed else auth.refusal("edit_tasks")):
        act(plays.open_play, "Risk play started.", account_id, account_id,
            day=context.as_of_default(), key=key)
    flash(key, where)


def of_account(account_id: str, stages: bool = True) -> None:
    """Draw the plays of one account, and the stages of its latest with the days in each."""
    with reading() as cur:
        p = cur.execute("SELECT play_id, stage, arr, opened_at, closed_at FROM risk_plays "
                        "WHERE account_id = ? ORDER BY play_id DESC", [account_id]).df()
        times = plays.stage_times(cur, int(p["play_id"].iloc[0])) if len(p) else None
    if p.empty:
        return
    latest = p.iloc[0]
    st.markdown(f"**Risk play #{int(latest['play_id'])}**: {md_escape(latest['stage'])}, "
                f"{fmt.value(latest['arr'], 'USD')} ARR")
    if stages and times is not None:
        st.caption(" → ".join(f"{md_escape(s)} ({fmt.value(d, 'days')})" for s, d in
                              zip(times["stage"], times["days"], strict=True)))
