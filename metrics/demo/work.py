"""The team's work the demo data set ships with, so that the Tasks page, the account 360's
timeline and the Weekly review's team actions are not empty on a first look: a few tasks (one
overdue, some closed with their reason), notes, three risk plays (recovered, lost, saving) and
the follow-up of most recent detractors.

Deterministic: the accounts are picked from the data by fixed orders (MRR, then id), every time
is a fixed offset from the data's as-of day, and nothing is added when the database holds any
task, note, play or follow-up already (a team's own work is never touched). Written through
metrics.actions, so each item is audited as done by "csm demo"."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from metrics.actions import followup, notes, plays, tasks

WHO = "csm demo"


def _at(as_of: date, days: int, hour: int = 10) -> datetime:
    """Return `hour` o'clock, `days` days after as-of (negative: before)."""
    return datetime.combine(as_of + timedelta(days=days), time(hour))


def _empty(cur) -> bool:
    return not any(cur.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # fixed names
                   for t in ("tasks", "notes", "risk_plays", "feedback_followups"))


def add_demo_work(cur, as_of: date) -> int:
    """Add the demo's tasks, notes, plays and follow-ups when there is no such work yet;
    return how many items were written."""
    if not _empty(cur):
        return 0
    paying = cur.execute(
        "SELECT a.account_id, a.renewal_date FROM accounts AS a JOIN subscriptions AS s "
        "ON s.account_id = a.account_id AND s.start_date <= ? "
        "AND (s.end_date IS NULL OR s.end_date > ?) WHERE a.churn_date IS NULL "
        "GROUP BY ALL ORDER BY sum(s.mrr) DESC, a.account_id LIMIT 12",
        [as_of, as_of]).fetchall()
    detractors = cur.execute(
        "SELECT response_id, account_id, survey_type, score, responded_at "
        "FROM survey_responses WHERE lower(survey_type) = 'nps' AND score <= 6 "
        "AND responded_at >= ? AND responded_at < ? ORDER BY responded_at DESC, response_id "
        "LIMIT 60", [as_of - timedelta(days=90), as_of + timedelta(days=1)]).fetchall()
    if len(paying) < 8:
        return 0
    n = 0
    ids = [p[0] for p in paying]
    # risk plays: one recovered and one lost in the last days, one still saving
    for aid, stages, opened in ((ids[5], ("plan in place", "saving", "recovered"), -40),
                                (ids[6], ("plan in place", "lost"), -35),
                                (ids[7], ("plan in place", "saving"), -20)):
        pid = plays.open_play(cur, aid, WHO, as_of, at=_at(as_of, opened))
        for i, stage in enumerate(stages, start=1):
            last = i == len(stages) and stage in plays.CLOSED
            plays.move(cur, pid, stage, WHO, at=_at(as_of, -2 if last else opened + 7 * i),
                       note="renewed after an executive call" if stage == "recovered" else
                       "moved to a competitor" if stage == "lost" else None)
        n += 1
    # tasks: risk and renewal tasks, one overdue, two closed with their reason
    specs = ((ids[0], "risk", -10, 5, None), (ids[1], "renewal", -6, 20, None),
             (ids[2], "expansion", -15, -3, None), (ids[3], "onboarding", -20, -10, "done"),
             (ids[4], "risk", -12, -5, "won't do"))
    for aid, kind, created, due, closed in specs:
        f = tasks.prefill(cur, aid, kind, "account 360", as_of + timedelta(days=created))
        f["due_date"] = as_of + timedelta(days=due)
        tid = tasks.create(cur, WHO, at=_at(as_of, created), **f)
        if closed:
            tasks.set_status(cur, tid, closed, WHO, at=_at(as_of, due + 1),
                             reason="kick-off held, admins trained" if closed == "done" else
                             "the customer asked for no call until renewal")
        n += 1
    for days, body in ((-30, "QBR: usage down in **reporting**; champion moving teams.\n"
                              "- agreed: training for the new admin"),
                       (-9, "Called the new admin: training booked for next week.")):
        notes.add(cur, ids[0], body, WHO, at=_at(as_of, days, 15))
        n += 1
    # follow-ups: of the recent detractors, 3 in 5 contacted (most within 7 days), some
    # resolved; the rest left new, so the share is not 100%
    for i, (rid, aid, _kind, score, answered) in enumerate(detractors):
        if i % 5 in (3, 4):
            continue
        late = i % 7 == 6
        at = answered + timedelta(days=9 if late else 1 + i % 4)
        followup.set_state(cur, rid, "contacted", WHO, at=at)
        if i % 5 == 0:
            followup.set_state(cur, rid, "resolved", WHO, note="fixed the export issue",
                               at=at + timedelta(days=3))
        n += 1
        if i == 1:
            f = tasks.prefill(cur, aid, "detractor follow-up", "detractor", as_of,
                              f"NPS {score}", rid)
            tasks.create(cur, WHO, at=answered + timedelta(days=1), **f)
    return n
