"""Tasks from alert rules and by hand, worked by hand on a real database (metrics/actions)."""

from datetime import date, datetime, timedelta

import pytest

from metrics import alerts, audit
from metrics.actions import ActionError, tasks
from metrics.ingest import load_file

ACCOUNTS = """account_id,name,segment,csm_owner,signup_date
a1,Acme,SMB,Ava,2025-01-01
a2,Bolt,SMB,Ava,2025-01-01
a3,Cogs,Enterprise,Liam,2025-01-01
a4,Dyna,Enterprise,Liam,2025-01-01
"""
RESPONSES = """account_id,survey_type,score,responded_at
a1,nps,3,2026-01-30
"""
T0 = datetime(2026, 2, 1, 9, 0)


@pytest.fixture
def loaded(store, tmp_path):
    p = tmp_path / "accounts.csv"
    p.write_text(ACCOUNTS)
    assert load_file(store, "accounts", p).ok
    return store


def _rule(cur, cooldown=24.0):
    rid, problems = alerts.add_rule(cur, kind="health_red", mrr_min=0, cooldown_hours=cooldown,
                                    creates_tasks=True)
    assert problems == []
    return rid


def test_a_rule_firing_on_three_accounts_at_two_imports_opens_three_tasks_not_six(
        loaded, tmp_path, monkeypatch):
    # The health verdict is fixed (three accounts turned red); the imports, the evaluation
    # after each, its history and the tasks are the real path.
    monkeypatch.setattr(alerts, "evaluate_rule", lambda cur, rule, as_of: alerts.Outcome(
        True, 3.0, 0.0, ["a1", "a2", "a3"], "3 accounts turned red"))
    cur = loaded.cursor()
    _rule(cur)
    for i in (1, 2):
        p = tmp_path / f"r{i}.csv"
        p.write_text(RESPONSES.replace("2026-01-30", f"2026-01-3{i - 1}"))
        res = load_file(loaded, "survey_responses", p, after_load=alerts.after_load)
        assert res.ok, res.message
    assert int(alerts.history(cur)["fired"].sum()) == 2  # the rule fired at both imports
    t = tasks.listing(cur, today=date(2026, 2, 2))
    assert len(t) == 3
    assert sorted(t["account_id"]) == ["a1", "a2", "a3"]
    assert set(t["status"]) == {"open"} and set(t["source"]) == {"alert rule"}
    assert dict(zip(t["account_id"], t["owner"], strict=True)) == {"a1": "Ava", "a2": "Ava",
                                                                    "a3": "Liam"}
    ev = audit.events(cur, action="task")
    assert len(ev) == 3 and set(ev["who"]) == {f"alert rule {t['rule_id'].iloc[0]}"}


def test_closing_one_and_firing_again_reopens_nothing_until_the_cooldown(loaded, monkeypatch):
    monkeypatch.setattr(alerts, "evaluate_rule", lambda cur, rule, as_of: alerts.Outcome(
        True, 3.0, 0.0, ["a1", "a2", "a3"], "3 accounts turned red"))
    cur = loaded.cursor()
    _rule(cur, cooldown=24.0)
    day = date(2026, 1, 31)
    alerts.evaluate(cur, as_of=day, now=T0)
    first = tasks.listing(cur, today=day)
    a1 = int(first.loc[first["account_id"] == "a1", "task_id"].iloc[0])
    tasks.set_status(cur, a1, "done", "ava", reason="called, plan agreed",
                     at=T0 + timedelta(hours=1))
    # fired again 2 h and 23 h after the closing: within the 24 h cooldown, nothing new
    for hours in (3, 24):
        alerts.evaluate(cur, as_of=day, now=T0 + timedelta(hours=hours))
        t = tasks.listing(cur, today=day)
        assert len(t) == 3 and int(t["status"].isin(tasks.OPEN).sum()) == 2
    # 26 h after the closing the cooldown is over: one new task on a1, the closed one stays
    alerts.evaluate(cur, as_of=day, now=T0 + timedelta(hours=27))
    t = tasks.listing(cur, today=day)
    assert len(t) == 4
    on_a1 = t[t["account_id"] == "a1"].sort_values("task_id")
    assert on_a1["status"].tolist() == ["done", "open"]
    assert on_a1["close_reason"].iloc[0] == "called, plan agreed"


def test_a_rule_that_does_not_say_so_opens_no_task(loaded, monkeypatch):
    monkeypatch.setattr(alerts, "evaluate_rule", lambda cur, rule, as_of: alerts.Outcome(
        True, 1.0, 0.0, ["a1"], "1 account turned red"))
    cur = loaded.cursor()
    alerts.add_rule(cur, kind="health_red", mrr_min=0)
    alerts.evaluate(cur, as_of=date(2026, 1, 31), now=T0)
    assert tasks.listing(cur).empty
    assert alerts.read_rules(cur)["creates_tasks"].tolist() == [False]


def test_a_task_by_hand_is_prefilled_checked_and_audited(loaded):
    cur = loaded.cursor()
    f = tasks.prefill(cur, "a3", "risk", "at-risk list", date(2026, 2, 1))
    assert f["title"] == "Save Cogs" and f["owner"] == "Liam"
    assert f["due_date"] == date(2026, 2, 4) and f["priority"] == "high"
    tid = tasks.create(cur, "liam@example.com", **f)
    with pytest.raises(ActionError, match="type"):
        tasks.create(cur, "x", **{**f, "type": "chore"})
    with pytest.raises(ActionError, match="not in the data"):
        tasks.create(cur, "x", **{**f, "account_id": "zz"})
    with pytest.raises(ActionError, match="reason"):
        tasks.set_status(cur, tid, "won't do", "liam@example.com", reason="  ")
    t = tasks.listing(cur, today=date(2026, 2, 10))
    assert len(t) == 1 and bool(t["overdue"].iloc[0]) and t["days_overdue"].iloc[0] == 6
    tasks.set_status(cur, tid, "in progress", "liam@example.com")
    team = tasks.team(tasks.listing(cur, today=date(2026, 2, 10)))
    assert team.to_dict("records") == [{"owner": "Liam", "open": 1, "overdue": 1, "closed": 0}]
    tasks.reassign(cur, tid, "ava@example.com", owner="Ava", due_date="2026-02-20")
    t = tasks.listing(cur, today=date(2026, 2, 10)).iloc[0]
    assert (t["owner"], t["due_date"].date(), bool(t["overdue"])) == ("Ava", date(2026, 2, 20),
                                                                      False)
    ev = audit.events(cur, action="task")
    assert ev["detail"].tolist() == ["task 1: owner Ava, due_date 2026-02-20",
                                     "task 1 open → in progress",
                                     "created risk task: Save Cogs"]


def test_my_tasks_put_the_overdue_first_and_the_scope_limits_the_accounts(loaded):
    from metrics.query import Query

    cur = loaded.cursor()
    for aid, due in (("a1", "2026-03-01"), ("a2", "2026-01-15"), ("a3", "2026-01-20")):
        tasks.create(cur, "t", account_id=aid, title=f"call {aid}", type="renewal", owner="Ava",
                     due_date=due)
    t = tasks.listing(cur, today=date(2026, 2, 1))
    assert tasks.mine(t, "Ava")["account_id"].tolist() == ["a2", "a3", "a1"]
    liam = tasks.listing(cur, Query(csm_owner=("Liam",)), today=date(2026, 2, 1))
    assert liam["account_id"].tolist() == ["a3"]  # a restricted csm's book: their accounts


def test_a_csm_restricted_to_their_book_reads_no_audit_event_about_another_books_account(
        loaded):
    cur = loaded.cursor()
    for aid in ("a1", "a3"):  # a1 is Ava's, a3 Liam's
        tasks.create(cur, "lead@example.com", **tasks.prefill(cur, aid, "risk", "at-risk list",
                                                               date(2026, 2, 1)))
    subjects = {o: audit.events(cur, book_owner=o)["subject"].tolist() for o in ("Ava", "Liam")}
    assert "account a1" in subjects["Ava"] and "account a3" not in subjects["Ava"]
    assert "account a3" in subjects["Liam"] and "account a1" not in subjects["Liam"]
    assert any(s == "accounts.csv" or "accounts" in s for s in subjects["Liam"])  # the load
    assert {"account a1", "account a3"} <= set(audit.events(cur)["subject"])  # unrestricted
