"""The audit trail: who changed what, when — every load, undo, target change, alert-rule change,
health-model save, task, note, risk play and follow-up, from the dashboard (the signed-in user)
or the command line (the OS user), and every delivery `csm send` made (`send`: the server
accepted it) or failed to make (`send_failed`). `csm audit` prints it; the Data page shows it."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

ACTIONS = ("load", "undo", "targets", "alert_rule", "health_model", "send", "send_failed", "task",
           "note", "risk_play", "followup")


def record(cur, who: str, action: str, subject: str, detail: str) -> None:
    """Add one event (inside the caller's transaction when there is one); returns nothing.
    `subject` is what changed (a table, a rule, a model file), `detail` says how."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; one of {', '.join(ACTIONS)}")
    cur.execute("INSERT INTO audit VALUES (nextval('audit_seq'), ?, ?, ?, ?, ?)",
                [datetime.now(UTC).replace(tzinfo=None), who or "unknown", action, subject,
                 detail[:4000]])


def events(cur, limit: int = 1000, action: str | None = None,
           book_owner: str | None = None) -> pd.DataFrame:
    """Return the newest `limit` events (optionally of one action), newest first: event_id,
    happened_at (UTC), who, action, subject, detail. With `book_owner` (a csm restricted to
    their book), an event about an account (subject 'account ID': tasks, notes, plays,
    follow-ups) is returned only when that account is in the owner's book."""
    return cur.execute(
        "SELECT event_id, happened_at, who, action, subject, detail FROM audit AS a "
        "WHERE ($action IS NULL OR action = $action) AND ($owner IS NULL "
        "  OR NOT starts_with(a.subject, 'account ') OR EXISTS (SELECT 1 FROM accounts AS c "
        "  WHERE c.account_id = a.subject[9:] AND c.csm_owner = $owner)) "
        "ORDER BY event_id DESC LIMIT $limit",
        {"action": action, "limit": int(limit), "owner": book_owner}).df()


def sent(cur, subject: str) -> pd.DataFrame:
    """Return the successful deliveries recorded under `subject` (e.g. 'mail 2026-W26'),
    newest first: event_id, happened_at (UTC), who, detail. Empty when it was never sent (a
    failed attempt, `send_failed`, does not count)."""
    return cur.execute(
        "SELECT event_id, happened_at, who, detail FROM audit "
        "WHERE action = 'send' AND subject = ? ORDER BY event_id DESC", [subject]).df()
