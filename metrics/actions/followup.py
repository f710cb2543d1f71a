"""Closed-loop feedback: every NPS detractor (0-6) and every CSAT answer of 2 or less gets a
follow-up state — new (nothing recorded), contacted, resolved — with the first contact's time.
`metrics.kpis.followup.followup_share` counts those contacted within 7 days."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from metrics.actions import ActionError, now, one_of, text, write
from metrics.dimensions import scope_params
from metrics.kpis import run_sql
from metrics.kpis.followup import FOLLOWUP_DAYS_DEFAULT
from metrics.query import Query

STATES = ("new", "contacted", "resolved")


def set_state(cur, response_id: str, state: str, who: str, note: str | None = None,
              at: datetime | None = None) -> None:
    """Record the follow-up state of one answer as `who`, audited. contacted stamps the first
    contact (kept when it was contacted before); resolved stamps the resolution, and the
    contact too when none was recorded; new clears both. Raises ActionError, writing nothing,
    for an unknown answer, an answer that needs no follow-up or an unknown state."""
    state = one_of(state, "state", STATES)
    row = cur.execute(
        "SELECT account_id, survey_type, score, scale FROM survey_responses "
        "WHERE response_id = ?", [str(response_id)]).fetchone()
    if row is None:
        raise ActionError(f"answer {response_id!r} is not in the data")
    kind, score, scale = str(row[1]).lower(), row[2], row[3]
    if not ((kind == "nps" and score <= 6)
            or (kind == "csat" and score <= (4 if scale == 10 else 2))):
        raise ActionError(f"answer {response_id} ({kind} {score}) needs no follow-up: only NPS "
                          "detractors (0-6) and CSAT of 2 or less do")
    note_ = text(note, "note", 1000, required=False)
    at = at or now()
    contacted = None if state == "new" else at
    resolved = at if state == "resolved" else None
    with write(cur, who, "followup", f"account {row[0]}",
               f"answer {response_id}: {state}" + (f": {note_}" if note_ else "")):
        cur.execute(
            "INSERT INTO feedback_followups VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (response_id) DO UPDATE SET state = excluded.state, "
            "note = coalesce(excluded.note, feedback_followups.note), "
            "contacted_at = CASE WHEN excluded.state = 'new' THEN NULL "
            "ELSE coalesce(feedback_followups.contacted_at, excluded.contacted_at) END, "
            "resolved_at = excluded.resolved_at, updated_by = excluded.updated_by, "
            "updated_at = excluded.updated_at",
            [str(response_id), row[0], state, who, note_, contacted, resolved, who, at])


def listing(cur, start: date, end: date, q: Query | None = None,
            days: int = FOLLOWUP_DAYS_DEFAULT) -> pd.DataFrame:
    """Return the answers needing a follow-up answered in [start, end) on accounts in `q`'s
    scope, newest first, with state, contacted_at, resolved_at and in_time (contacted within
    `days` days)."""
    if start >= end:
        raise ActionError("the window is empty")
    return run_sql(cur, "followup_list", {**scope_params(cur, q or Query()), "dim": "",
                                          "dim_attribute": "", "start": start, "end": end,
                                          "followup_days": days})
