"""Tasks (calls to action) on accounts: created by hand, one click and pre-filled, from the
at-risk list, the account 360, a detractor's answer or a renewal; or by an alert rule that
says so (`alert_rules.creates_tasks`), one per account and rule while it is open.

An alert rule firing again on an account whose task from that rule is open adds nothing; once
that task is closed, the rule opens a new one only after its cooldown (`cooldown_hours`,
counted from the closing): closing a task is not undone by the next import.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd

from metrics import audit
from metrics.actions import ActionError, account_row, known_account, now, one_of, text, write
from metrics.dimensions import scope_params
from metrics.kpis import run_sql
from metrics.query import Query

TYPES = ("risk", "onboarding", "renewal", "expansion", "detractor follow-up")
STATUSES = ("open", "in progress", "done", "won't do")
OPEN = ("open", "in progress")
CLOSED = ("done", "won't do")
PRIORITIES = ("high", "medium", "low")
SOURCES = ("manual", "at-risk list", "account 360", "detractor", "renewal", "alert rule")
# days from today to the due date of a pre-filled task, by type
DUE_DAYS = {"risk": 3, "onboarding": 7, "renewal": 14, "expansion": 14,
            "detractor follow-up": 2}
_COLUMNS = ("task_id, account_id, title, type, owner, due_date, priority, status, close_reason, "
            "source, rule_id, response_id, created_by, created_at, updated_at, closed_at")


def _due(v) -> date | None:
    if v is None or v is pd.NaT or v != v or v == "":
        return None
    try:
        return pd.Timestamp(v).date()
    except (TypeError, ValueError):
        raise ActionError(f"due date: {v!r} is not a date") from None


def _insert(cur, fields: dict, who: str, at: datetime) -> int:
    """Insert one checked task (caller's transaction); return its task_id."""
    tid = int(cur.execute("SELECT nextval('task_seq')").fetchone()[0])
    cur.execute(f"INSERT INTO tasks ({_COLUMNS}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, 'open', NULL, ?, ?, ?, ?, ?, ?, NULL)",
                [tid, fields["account_id"], fields["title"], fields["type"], fields["owner"],
                 fields["due_date"], fields["priority"], fields["source"], fields.get("rule_id"),
                 fields.get("response_id"), who, at, at])
    return tid


def check(cur, account_id, title, type, owner=None, due_date=None, priority="medium",
          source="manual", rule_id=None, response_id=None) -> dict:
    """Return the fields of a new task, checked; raise ActionError naming the first bad one."""
    return {"account_id": known_account(cur, account_id), "title": text(title, "title", 200),
            "type": one_of(type, "type", TYPES), "owner": text(owner, "owner", 200, False),
            "due_date": _due(due_date), "priority": one_of(priority, "priority", PRIORITIES),
            "source": one_of(source, "source", SOURCES), "rule_id": rule_id,
            "response_id": text(response_id, "response", 200, False)}


def create(cur, who: str, at: datetime | None = None, **fields) -> int:
    """Create a task (fields of `check`) as `who`, audited; return its task_id. Raises
    ActionError with nothing written when a field is bad."""
    f = check(cur, **fields)
    with write(cur, who, "task", f"account {f['account_id']}",
               f"created {f['type']} task: {f['title']}"):
        return _insert(cur, f, who, at or now())


def prefill(cur, account_id: str, type: str, source: str, today: date,
            detail: str | None = None, response_id: str | None = None) -> dict:
    """Return the fields of a one-click task on `account_id`: a title naming the account (and
    `detail`, e.g. "NPS 3" or "renews 2026-07-01"), the account's CSM as owner, due
    `DUE_DAYS[type]` days after `today`, priority high for risk and detractor follow-ups."""
    row = account_row(cur, account_id)
    if row is None:
        raise ActionError(f"account: {account_id!r} is not in the data")
    name = row[0] or account_id
    verb = {"risk": "Save", "onboarding": "Onboard", "renewal": "Renew",
            "expansion": "Expand", "detractor follow-up": "Follow up with"}[type]
    title = f"{verb} {name}" + (f" ({detail})" if detail else "")
    return {"account_id": account_id, "title": title[:200], "type": type, "owner": row[1],
            "due_date": today + timedelta(days=DUE_DAYS[type]),
            "priority": "high" if type in ("risk", "detractor follow-up") else "medium",
            "source": source, "response_id": response_id}


def _get(cur, task_id: int) -> tuple:
    row = cur.execute("SELECT status, account_id, title FROM tasks WHERE task_id = ?",
                      [int(task_id)]).fetchone()
    if row is None:
        raise ActionError(f"task {task_id} does not exist")
    return row


def set_status(cur, task_id: int, status: str, who: str, reason: str | None = None,
               at: datetime | None = None) -> None:
    """Move a task to `status`; closing it (done, won't do) needs a reason and stamps
    closed_at; reopening clears both. Audited; raises ActionError, changing nothing, on a bad
    status, a missing reason or an unknown task."""
    status = one_of(status, "status", STATUSES)
    why = text(reason, "reason", 500, required=status in CLOSED) if status in CLOSED else None
    old, account, title = _get(cur, task_id)
    at = at or now()
    with write(cur, who, "task", f"account {account}",
               f"task {task_id} {old} → {status}" + (f": {why}" if why else "")):
        cur.execute("UPDATE tasks SET status = ?, close_reason = ?, updated_at = ?, "
                    "closed_at = CASE WHEN ? THEN coalesce(closed_at, ?) END WHERE task_id = ?",
                    [status, why, at, status in CLOSED, at, int(task_id)])


def reassign(cur, task_id: int, who: str, owner=None, due_date=None, priority=None,
             at: datetime | None = None) -> None:
    """Change a task's owner, due date and priority (None keeps one); audited."""
    _old, account, _title = _get(cur, task_id)
    sets = {"owner": text(owner, "owner", 200, False) if owner is not None else None,
            "due_date": _due(due_date),
            "priority": one_of(priority, "priority", PRIORITIES) if priority else None}
    sets = {k: v for k, v in sets.items() if v is not None}
    if not sets:
        return
    with write(cur, who, "task", f"account {account}", f"task {task_id}: " + ", ".join(
            f"{k} {v}" for k, v in sets.items())):
        for k, v in sets.items():  # k is one of three fixed names above
            cur.execute(f"UPDATE tasks SET {k} = ?, updated_at = ? WHERE task_id = ?",
                        [v, at or now(), int(task_id)])


def from_alert(cur, rule: dict, accounts: list[str], at: datetime) -> int:
    """Inside an alert evaluation's transaction: open a risk task for each of `accounts` the
    rule names, unless one from this rule is open on the account, or one was closed less than
    the rule's cooldown ago; return how many were opened (each audited)."""
    rid = int(rule["rule_id"])
    cooldown = timedelta(hours=float(rule.get("cooldown_hours") or 0))
    opened = 0
    for account in sorted(set(accounts)):
        row = account_row(cur, account)
        if row is None:
            continue
        last = cur.execute(
            "SELECT count(*) FILTER (WHERE status IN ('open', 'in progress')), "
            "max(closed_at) FROM tasks WHERE rule_id = ? AND account_id = ?",
            [rid, account]).fetchone()
        if last[0] or (last[1] is not None and at - last[1] < cooldown):
            continue
        fields = {"account_id": account, "title": f"{rule['name']}: {row[0] or account}"[:200],
                  "type": "risk", "owner": row[1], "due_date": at.date() + timedelta(days=3),
                  "priority": "high", "source": "alert rule", "rule_id": rid}
        tid = _insert(cur, fields, f"alert rule {rid}", at)
        audit.record(cur, f"alert rule {rid}", "task", f"account {account}",
                     f"task {tid} opened by rule {rid}: {fields['title']}")
        opened += 1
    return opened


def listing(cur, q: Query | None = None, today: date | None = None,
            status: tuple[str, ...] = ()) -> pd.DataFrame:
    """Return the tasks on the accounts of `q`'s scope (None: every account), with
    account_name, csm_owner, overdue and days_overdue on `today`: overdue first, then by due
    date and priority."""
    params = {**scope_params(cur, q or Query()), "dim": "", "dim_attribute": "",
              "today": today or now().date(), "status": list(status)}
    return run_sql(cur, "tasks_list", params)


def mine(tasks: pd.DataFrame, owner: str | None) -> pd.DataFrame:
    """Return the open and in-progress tasks of `owner` (all owners when None), in the
    listing's order (overdue first)."""
    t = tasks[tasks["status"].isin(OPEN)]
    return (t if owner is None else t[t["owner"] == owner]).reset_index(drop=True)


def team(tasks: pd.DataFrame) -> pd.DataFrame:
    """Return one row per owner ("(nobody)" for unassigned): open (open or in progress),
    overdue and closed tasks, most overdue first."""
    if tasks.empty:
        return pd.DataFrame(columns=["owner", "open", "overdue", "closed"])
    t = tasks.assign(owner=tasks["owner"].fillna("(nobody)"),
                     is_open=tasks["status"].isin(OPEN), is_closed=tasks["status"].isin(CLOSED))
    out = t.groupby("owner").agg(open=("is_open", "sum"), overdue=("overdue", "sum"),
                                 closed=("is_closed", "sum")).reset_index()
    out[["open", "overdue", "closed"]] = out[["open", "overdue", "closed"]].astype("int64")
    return out.sort_values(["overdue", "open", "owner"],
                           ascending=[False, False, True]).reset_index(drop=True)


def accounts_in(cur, q: Query | None = None) -> pd.DataFrame:
    """Return the accounts of `q`'s scope a task may be created on: account_id, name,
    csm_owner; customers first, then by name."""
    return run_sql(cur, "scope_accounts", {**scope_params(cur, q or Query()), "dim": "",
                                           "dim_attribute": ""})
