"""Notes on accounts: free text a CSM writes (Markdown, always shown escaped, as text)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from metrics.actions import known_account, now, text, write

LIMIT = 10_000  # characters of one note


def add(cur, account_id: str, body: str, who: str, at: datetime | None = None) -> int:
    """Add a note to an account as `who`, audited; return its note_id. Raises ActionError,
    writing nothing, for an unknown account or an empty or overlong note."""
    aid = known_account(cur, account_id)
    body_ = text(body, "note", LIMIT)
    with write(cur, who, "note", f"account {aid}", f"note: {str(body_)[:200]}"):
        nid = int(cur.execute("SELECT nextval('note_seq')").fetchone()[0])
        cur.execute("INSERT INTO notes VALUES (?, ?, ?, ?, ?)", [nid, aid, body_, who,
                                                                  at or now()])
    return nid


def of_account(cur, account_id: str) -> pd.DataFrame:
    """Return one account's notes, newest first: note_id, body, author, created_at."""
    return cur.execute("SELECT note_id, body, author, created_at FROM notes "
                       "WHERE account_id = ? ORDER BY created_at DESC, note_id DESC",
                       [account_id]).df()
