"""The team's work on accounts: tasks (calls to action), notes, risk plays and the closed-loop
follow-up of detractors — tables tasks, notes, risk_plays, play_stages and feedback_followups
(schema version 5).

Every write runs in one `metrics.store.transaction` with its audit event (metrics/audit.py), the
path loads take; a refused write (an ActionError) changes nothing. Reads take the account scope
of `metrics.dimensions` (the global filters; a restricted csm's book), so a list shows only the
accounts the page shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from metrics import audit
from metrics.store import transaction


class ActionError(ValueError):
    """A task, note, play or follow-up was refused; the message says why, for a person."""


def now() -> datetime:
    """Return the wall-clock time in UTC without a zone (how the tables store times)."""
    return datetime.now(UTC).replace(tzinfo=None)


def text(v, field: str, limit: int, required: bool = True) -> str | None:
    """Return `v` trimmed, or None when empty and not required; raise ActionError when it is
    required and empty or longer than `limit` characters."""
    s = "" if v is None or v != v else str(v).strip()
    if not s:
        if required:
            raise ActionError(f"{field}: it cannot be empty")
        return None
    if len(s) > limit:
        raise ActionError(f"{field}: at most {limit:,} characters ({len(s):,} given)")
    return s


def one_of(v, field: str, allowed: tuple[str, ...]) -> str:
    """Return `v` when it is one of `allowed`, else raise ActionError naming them."""
    if v not in allowed:
        raise ActionError(f"{field}: {v!r} is not one of {', '.join(allowed)}")
    return str(v)


def account_row(cur, account_id: str) -> tuple | None:
    """Return (name, csm_owner) of an account, or None when it is not in the data."""
    return cur.execute("SELECT name, csm_owner FROM accounts WHERE account_id = ?",
                       [account_id]).fetchone()


def known_account(cur, account_id) -> str:
    """Return the account id when the account is in the data, else raise ActionError."""
    aid = text(account_id, "account", 200)
    assert aid is not None
    if account_row(cur, aid) is None:
        raise ActionError(f"account: {aid!r} is not in the data")
    return aid


@contextmanager
def write(cur, who: str, action: str, subject: str, detail: str) -> Iterator:
    """Run the block in one transaction with its audit event (`action` of metrics.audit);
    yields `cur`. An ActionError raised inside rolls everything back."""
    with transaction(cur):
        yield cur
        audit.record(cur, who, action, subject, detail)
