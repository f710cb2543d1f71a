"""Closed-loop feedback and risk plays, worked by hand on a small book (metrics/actions)."""

from datetime import date, datetime, timedelta

import pytest

from metrics import audit, registry
from metrics.actions import ActionError, followup, notes, plays, tasks, timeline
from metrics.ingest import load_file
from metrics.query import Query

ACCOUNTS = """account_id,name,segment,csm_owner,signup_date
a1,Acme,SMB,Ava,2025-01-01
a2,Bolt,SMB,Ava,2025-01-01
a3,Cogs,Enterprise,Liam,2025-01-01
a4,Dyna,Enterprise,Liam,2025-01-01
"""
RESPONSES = """response_id,account_id,survey_type,score,scale,responded_at,comment
r1,a1,nps,3,,2026-01-05,slow support
r2,a2,nps,6,,2026-01-10,
r3,a3,csat,2,5,2026-01-12,
r4,a1,csat,1,5,2026-01-28,
r5,a4,nps,2,,2026-01-29,
r6,a2,nps,9,,2026-01-20,
r7,a3,csat,4,5,2026-01-21,
r8,a4,csat,4,10,2026-01-15,
"""
SUBSCRIPTIONS = """account_id,start_date,mrr
a1,2025-01-01,1000
a3,2025-01-01,2500
"""


@pytest.fixture
def book(store, tmp_path):
    for table, text in (("accounts", ACCOUNTS), ("survey_responses", RESPONSES),
                        ("subscriptions", SUBSCRIPTIONS)):
        p = tmp_path / f"{table}.csv"
        p.write_text(text)
        res = load_file(store, table, p)
        assert res.ok, res.message
    return store


def test_the_share_followed_up_within_7_days_by_hand(book):
    cur = book.cursor()
    # r1 contacted after 3 days (in time), r2 after 10 (late), r4 after 1 (in time, though
    # its 7 days are not over at as-of), r3 and r8 never (their 7 days are over: due, not in
    # time), r5 never but answered 2 days before as-of (pending); r6 (NPS 9) and r7 (CSAT 4 of
    # 5) need none. Due 5 (r1 r2 r3 r4 r8), followed up 2 (r1 r4): 2 / 5 = 40%.
    followup.set_state(cur, "r1", "contacted", "ava", at=datetime(2026, 1, 8, 10))
    followup.set_state(cur, "r2", "contacted", "ava", at=datetime(2026, 1, 20, 10))
    followup.set_state(cur, "r2", "resolved", "ava", note="refund", at=datetime(2026, 1, 22))
    followup.set_state(cur, "r4", "resolved", "ava", at=datetime(2026, 1, 29, 9))
    q = Query(start=date(2026, 1, 1), end=date(2026, 2, 1), grain="month",
              as_of=date(2026, 1, 31))
    row = registry.compute(cur, "followup_share", q).iloc[0]
    assert (row.due_answers, row.followed_up, row.pending_answers) == (5, 2, 1)
    assert row.followup_share == pytest.approx(0.4)
    by_owner = registry.compute(cur, "followup_share", q.with_(by="csm_owner"))
    # Ava: r1 r2 r4 due, r1 r4 in time; Liam: r3 r8 due, none in time, r5 pending
    assert dict(zip(by_owner["csm_owner"], by_owner["followup_share"], strict=True)) == {
        "Ava": pytest.approx(2 / 3), "Liam": 0.0}
    lst = followup.listing(cur, date(2026, 1, 1), date(2026, 2, 1))
    assert lst["response_id"].tolist() == ["r5", "r4", "r8", "r3", "r2", "r1"]
    state = dict(zip(lst["response_id"], lst["state"], strict=True))
    assert state == {"r5": "new", "r4": "resolved", "r8": "new", "r3": "new", "r2": "resolved",
                     "r1": "contacted"}
    # the first contact is kept when it is resolved later
    assert lst.set_index("response_id").loc["r2", "contacted_at"] == datetime(2026, 1, 20, 10)
    with pytest.raises(ActionError, match="needs no follow-up"):
        followup.set_state(cur, "r6", "contacted", "ava")
    assert len(audit.events(cur, action="followup")) == 4


def test_a_risk_play_moves_through_its_stages_and_counts_on_the_week(book):
    cur = book.cursor()
    t0 = datetime(2026, 1, 5, 9)
    p1 = plays.open_play(cur, "a3", "liam", date(2026, 1, 31), at=t0)
    with pytest.raises(ActionError, match="already has an open"):
        plays.open_play(cur, "a3", "liam", date(2026, 1, 31))
    plays.move(cur, p1, "plan in place", "liam", at=t0 + timedelta(days=2))
    plays.move(cur, p1, "saving", "liam", at=t0 + timedelta(days=5))
    plays.move(cur, p1, "recovered", "liam", note="renewed", at=t0 + timedelta(days=9))
    with pytest.raises(ActionError, match="closed"):
        plays.move(cur, p1, "lost", "liam")
    p2 = plays.open_play(cur, "a1", "ava", date(2026, 1, 31), at=t0)
    plays.move(cur, p2, "lost", "ava", at=t0 + timedelta(days=8))
    plays.open_play(cur, "a2", "ava", date(2026, 1, 31), at=t0)
    times = plays.stage_times(cur, p1)
    assert times["stage"].tolist() == ["at risk", "plan in place", "saving", "recovered"]
    assert times["days"].tolist() == [2.0, 3.0, 4.0, 0.0]
    listed = plays.listing(cur, at=t0 + timedelta(days=10))
    assert listed.set_index("play_id").loc[p1, "arr"] == 30_000.0  # 12 × 2,500
    o = plays.outcomes(listed, date(2026, 1, 12), date(2026, 1, 19))
    assert (o.recovered, o.lost, o.arr_saved, o.arr_lost, o.still_open) == (1, 1, 30_000.0,
                                                                            12_000.0, 1)
    assert o.line() == "1 play recovered, $30k ARR saved, 1 lost ($12k ARR); 1 still open"
    assert plays.outcomes(listed, date(2026, 1, 19), date(2026, 1, 26)).line() == (
        "No risk play closed; 1 play open.")


def test_the_timeline_holds_notes_tasks_answers_and_loads_newest_first(book):
    cur = book.cursor()
    notes.add(cur, "a1", "**Call** <script>x</script> went well", "ava",
              at=datetime(2026, 2, 1, 10))
    tid = tasks.create(cur, "ava", at=datetime(2026, 2, 1, 11), account_id="a1",
                       title="Send the plan", type="risk", due_date="2026-02-03")
    tasks.set_status(cur, tid, "done", "ava", reason="sent", at=datetime(2026, 2, 2, 9))
    with pytest.raises(ActionError, match="empty"):
        notes.add(cur, "a1", "   ", "ava")
    tl = timeline.timeline(cur, "a1", datetime(2026, 2, 1))
    kinds = tl["kind"].tolist()
    # the three loads ran today (wall-clock), after the dated work below
    assert kinds[:6] == ["load", "load", "load", "task", "task", "note"]
    assert tl["what"].iloc[:3].tolist() == [
        "Load 3: subscriptions (append) from subscriptions.csv",
        "Load 2: survey_responses (append) from survey_responses.csv",
        "Load 1: accounts (replace) from accounts.csv"]
    assert tl["what"].iloc[3] == "Task done: Send the plan" and tl["detail"].iloc[3] == "sent"
    assert tl["detail"].iloc[5] == "**Call** <script>x</script> went well"  # kept as written
    assert kinds.count("survey") == 2 and "ticket" not in kinds
    assert tl["at"].is_monotonic_decreasing
