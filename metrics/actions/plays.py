"""Risk plays: an account flagged at risk moves through stages — at risk → plan in place →
saving → recovered or lost — with the ARR involved (12 × its MRR on the day the play opens)
and the time spent in each stage (play_stages: when each stage was entered, by whom).

Outcomes over a week are counted on the Weekly review: plays closed in the week, recovered
and lost, and the ARR of each ("3 recovered, $12k ARR saved, 1 lost").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

from metrics import fmt
from metrics.actions import ActionError, account_row, known_account, now, one_of, text, write
from metrics.dimensions import scope_params
from metrics.kpis import run_sql
from metrics.query import Query

STAGES = ("at risk", "plan in place", "saving", "recovered", "lost")
CLOSED = ("recovered", "lost")


def open_play(cur, account_id: str, who: str, day: date, at: datetime | None = None,
              note: str | None = None) -> int:
    """Open a play at stage "at risk" on an account, its ARR taken on `day` (the data's
    as-of), owned by the account's CSM; return its play_id. Audited. Raises ActionError when
    the account is unknown or already has an open play."""
    aid = known_account(cur, account_id)
    if cur.execute("SELECT count(*) FROM risk_plays WHERE account_id = ? AND closed_at IS NULL",
                   [aid]).fetchone()[0]:
        raise ActionError(f"account {aid} already has an open risk play")
    arr = float(run_sql(cur, "play_arr", {"account_id": aid, "day": day})["arr"].iloc[0])
    owner = (account_row(cur, aid) or (None, None))[1]
    note_ = text(note, "note", 1000, required=False)
    at = at or now()
    with write(cur, who, "risk_play", f"account {aid}",
               f"opened a risk play, ARR {fmt.value(arr, 'USD')}"):
        pid = int(cur.execute("SELECT nextval('play_seq')").fetchone()[0])
        cur.execute("INSERT INTO risk_plays VALUES (?, ?, 'at risk', ?, ?, ?, ?, NULL, ?)",
                    [pid, aid, arr, owner, who, at, note_])
        cur.execute("INSERT INTO play_stages VALUES (?, 'at risk', ?, ?)", [pid, at, who])
    return pid


def move(cur, play_id: int, stage: str, who: str, at: datetime | None = None,
         note: str | None = None) -> None:
    """Move an open play to `stage` (recovered or lost close it); audited. Raises ActionError
    for an unknown or closed play, an unknown stage or the stage it is in."""
    stage = one_of(stage, "stage", STAGES)
    row = cur.execute("SELECT stage, closed_at, account_id FROM risk_plays WHERE play_id = ?",
                      [int(play_id)]).fetchone()
    if row is None:
        raise ActionError(f"risk play {play_id} does not exist")
    if row[1] is not None:
        raise ActionError(f"risk play {play_id} is closed ({row[0]})")
    if stage == row[0]:
        raise ActionError(f"risk play {play_id} is at {stage} already")
    note_ = text(note, "note", 1000, required=False)
    at = at or now()
    with write(cur, who, "risk_play", f"account {row[2]}",
               f"play {play_id} {row[0]} → {stage}" + (f": {note_}" if note_ else "")):
        cur.execute("UPDATE risk_plays SET stage = ?, closed_at = ?, "
                    "note = coalesce(?, note) WHERE play_id = ?",
                    [stage, at if stage in CLOSED else None, note_, int(play_id)])
        cur.execute("INSERT INTO play_stages VALUES (?, ?, ?, ?)", [int(play_id), stage, at, who])


def listing(cur, q: Query | None = None, at: datetime | None = None) -> pd.DataFrame:
    """Return the plays on accounts in `q`'s scope (None: all), open first: stage, arr,
    stage_since, days_in_stage and days_open up to `at` (now)."""
    return run_sql(cur, "plays_list", {**scope_params(cur, q or Query()), "dim": "",
                                       "dim_attribute": "", "now": at or now()})


def stage_times(cur, play_id: int, at: datetime | None = None) -> pd.DataFrame:
    """Return the stages one play went through, in order: stage, entered_at, left_at (None
    for the current stage) and days in it (to `at` for the current one; 0 for a closing)."""
    st = cur.execute("SELECT stage, entered_at, who FROM play_stages WHERE play_id = ? "
                     "ORDER BY entered_at, rowid", [int(play_id)]).df()
    if st.empty:
        return st.assign(left_at=pd.Series(dtype="datetime64[us]"), days=pd.Series(dtype=float))
    st["left_at"] = st["entered_at"].shift(-1)
    end = st["left_at"].where(st["left_at"].notna() | st["stage"].isin(CLOSED), at or now())
    end = end.fillna(st["entered_at"])
    st["days"] = (pd.to_datetime(end) - pd.to_datetime(st["entered_at"])) / timedelta(days=1)
    return st


@dataclass(frozen=True)
class Outcomes:
    """Plays closed in a window: how many recovered and lost, and the ARR of each."""

    recovered: int
    lost: int
    arr_saved: float
    arr_lost: float
    still_open: int

    def line(self) -> str:
        """Return the Weekly review's sentence: "3 recovered, $12k ARR saved, 1 lost"."""
        if not (self.recovered or self.lost):
            return (f"No risk play closed; {fmt.plural(self.still_open, 'play')} open."
                    if self.still_open else "No risk play closed or open.")
        return (f"{fmt.plural(self.recovered, 'play')} recovered, "
                f"{fmt.compact_money(self.arr_saved)} ARR saved, {self.lost:,} lost"
                + (f" ({fmt.compact_money(self.arr_lost)} ARR)" if self.lost else "")
                + (f"; {self.still_open:,} still open" if self.still_open else ""))


def outcomes(plays: pd.DataFrame, start: date, end: date) -> Outcomes:
    """Return the Outcomes of `plays` (a `listing`) closed on days in [start, end), and how
    many were open at the end of that window."""
    if plays.empty:
        return Outcomes(0, 0, 0.0, 0.0, 0)
    closed = pd.to_datetime(plays["closed_at"])
    opened = pd.to_datetime(plays["opened_at"])
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    inside = closed.notna() & (closed >= lo) & (closed < hi)
    rec = inside & (plays["stage"] == "recovered")
    lost = inside & (plays["stage"] == "lost")
    still = (opened < hi) & (closed.isna() | (closed >= hi))
    return Outcomes(int(rec.sum()), int(lost.sum()), float(plays.loc[rec, "arr"].sum()),
                    float(plays.loc[lost, "arr"].sum()), int(still.sum()))
