"""Closed-loop feedback on the Tasks page: the share of detractors and low CSAT answers
followed up within 7 days (the `followup_share` card, with its target), the answers with their
follow-up state, a state change, and a one-click follow-up task."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from dashboard.components.kpi_card import card_target, kpi_card
from dashboard.components.table import columns
from dashboard.components.tasks.write import act, for_table, quick_task, reading, shown
from metrics import fmt, registry
from metrics.actions import followup

SHOWN = ["responded_at", "account_name", "survey_type", "score", "comment", "state",
         "contacted_at", "in_time", "respondent", "csm_owner", "response_id"]
CONFIG = {"responded_at": "answered", "contacted_at": "contacted",
          "in_time": st.column_config.CheckboxColumn("within 7 days"),
          "comment": st.column_config.TextColumn("comment", width="large"),
          "account_name": "account", "survey_type": "survey", "csm_owner": "CSM",
          "response_id": "answer id"}


def card(q) -> None:
    """Draw the followup_share card of the last complete period of `q` (grain month when the
    page's is finer than a week), against the period before and the team's target."""
    grain = q.grain if q.grain in ("month", "quarter", "year") else "month"
    q = q.with_(grain=grain)
    with reading() as cur:  # follow-ups change without a load: not cached
        frame = registry.compute(cur, "followup_share", q)
    complete = frame[~frame["partial"]] if len(frame) else frame
    cur_row = complete.iloc[-1] if len(complete) else None
    prev = complete.iloc[-2] if len(complete) > 1 else None
    label = "Followed up in 7 days"
    kpi_card("followup_share", cur_row, prev,
             complete["followup_share"] if len(complete) else complete, period_label=grain,
             target=card_target(q, "followup_share", "followup_share", cur_row, grain),
             label=f"{label} · {fmt.period(cur_row['period'], grain)}" if cur_row is not None
             else label)


def section(q, start, end) -> None:
    """Draw the answers needing a follow-up answered in [start, end), newest first, with the
    state editor and the one-click follow-up task."""
    with reading() as cur:
        answers = followup.listing(cur, start, end, q)
    if answers.empty:
        st.info("No NPS detractor or CSAT answer of 2 or less in the selected dates.")
        return
    counts = answers["state"].value_counts()
    st.caption(f"{fmt.plural(len(answers), 'answer')} needing a follow-up, answered "
               f"{fmt.span(start, end)}: " + ", ".join(
                   f"{int(counts.get(s, 0)):,} {s}" for s in followup.STATES) + ".")
    view = for_table(answers[SHOWN])
    st.dataframe(view, hide_index=True, width="stretch", key="tk_followups",
                 column_config=columns(view, **CONFIG))
    labels = {r.response_id: f"{r.responded_at:%Y-%m-%d} {r.account_name} "
              f"{r.survey_type.upper()} {r.score} ({r.state})"
              for r in shown(answers).itertuples()}
    with st.form("tk_followup_form", border=True):
        c1, c2, c3 = st.columns([3, 1, 2])
        rid = c1.selectbox("Answer", list(labels), format_func=labels.get, key="tk_answer")
        state = c2.selectbox("State", followup.STATES, index=1, key="tk_state")
        note = c3.text_input("Note", key="tk_fu_note", max_chars=1000)
        if st.form_submit_button("Save follow-up", icon=":material/mark_chat_read:"):
            aid = answers.loc[answers["response_id"] == rid, "account_id"].iloc[0]
            act(followup.set_state, f"Follow-up saved: {state}.", aid, rid, state, note=note)
    row = answers[answers["response_id"] == st.session_state.get("tk_answer")]
    if len(row):
        r = row.iloc[0]
        quick_task(st, r["account_id"], "detractor follow-up", "detractor", key="tk_fu_task",
                   detail=f"{str(r['survey_type']).upper()} {r['score']}",
                   response_id=r["response_id"],
                   label="Create a follow-up task for this answer")


def window(q, as_of) -> tuple:
    """Return [start, end) of the answers listed: the filters' dates, else the 90 days to
    as-of."""
    end = q.end or (as_of + timedelta(days=1))
    start = q.start or (end - timedelta(days=90))
    return start, end


