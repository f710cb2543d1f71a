"""Writing tasks, notes, plays and follow-ups from the dashboard: as the session's user, only
with the role that may (`edit_tasks`: not a viewer), only on the accounts the session may see
(a restricted csm's book), through the store's write path; then the page reruns with a message.

Reads of these tables go straight to the store, not through the data caches: they change
without a load, so a cache keyed on the data version would show them late."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

import pandas as pd
import streamlit as st

from dashboard import auth, context
from dashboard.components.text import md_escape
from metrics.actions import ActionError, tasks

FLASH = "tk_flash"


def today() -> date:
    """Return today's date (UTC): tasks fall due and are closed in wall-clock time."""
    from metrics.actions import now

    return now().date()


def flash(key: str | None = None, where=None) -> None:
    """Show the message of the last write of this session (once), in `where` (default: the
    page): the write of the button or form `key`, or any write when `key` is None."""
    got = st.session_state.get(FLASH)
    if got and (key is None or got[0] == key):
        del st.session_state[FLASH]
        (where or st).success(got[1], icon=":material/task_alt:")


def _in_book(cur, account_id: str | None) -> bool:
    owner = auth.book_owner()
    if owner is None or account_id is None:
        return True
    row = cur.execute("SELECT csm_owner FROM accounts WHERE account_id = ?",
                      [account_id]).fetchone()
    return row is not None and row[0] == owner


def act(fn: Callable, done: str, account_id: str | None, *args, key: str | None = None,
        **kw) -> bool:
    """Run `fn(cur, *args, who=…, **kw)` (a metrics.actions write) as this session's user and
    rerun with `done` as the message (`flash(key)` shows it); show why instead when the role
    may not, the account is not in the session's book, or the write was refused. Returns False
    when nothing was written (it reruns otherwise)."""
    if not auth.can("edit_tasks"):
        st.error(auth.refusal("edit_tasks"), icon=":material/lock:")
        return False
    try:
        with context.write_cursor() as cur:
            if not _in_book(cur, account_id):
                raise ActionError("this account is not in your book")
            fn(cur, *args, who=context.who(), **kw)
    except ActionError as e:
        st.error(f"Not saved: {md_escape(e)}")
        return False
    st.session_state[FLASH] = (key, done)
    st.rerun()
    return True  # unreachable: st.rerun raises


@contextmanager
def reading() -> Iterator:
    """Yield a cursor for reading the work tables (uncached)."""
    with context.read_cursor() as cur:
        yield cur


def quick_task(where, account_id: str, type: str, source: str, key: str,
               detail: str | None = None, response_id: str | None = None,
               label: str | None = None) -> None:
    """Draw a one-click button that creates a pre-filled task of `type` on the account
    (`tasks.prefill`: title, its CSM as owner, due date, priority); disabled, with the reason
    as help, for a role that may not."""
    allowed = auth.can("edit_tasks")
    if where.button(label or f"Create {type} task", key=key, icon=":material/add_task:",
                    disabled=not allowed, help=None if allowed else auth.refusal("edit_tasks")):
        with reading() as cur:
            f = tasks.prefill(cur, account_id, type, source, today(), detail, response_id)
        from dashboard.filters import masked, person_label

        title = "a task" if masked() else f['title']  # the title names the account
        owner = person_label(f["owner"]) if f["owner"] else "nobody"
        act(lambda cur, who: tasks.create(cur, who, **f),
            f"Task created: {md_escape(title)} (due {f['due_date']:%d %b %Y}, "
            f"owner {md_escape(owner)}).",
            account_id, key=key)
    flash(key, where)


def shown(df: pd.DataFrame) -> pd.DataFrame:
    """Return `df` as the page may show it (masked in presentation-safe mode)."""
    return context.shown(df)


def for_table(df: pd.DataFrame) -> pd.DataFrame:
    """Return `df` as a table shows it: masked in presentation-safe mode, times as
    'YYYY-MM-DD' ('YYYY-MM-DD HH:MM' when a time of day is set), and '—' for every missing
    text or time (Streamlit would print None)."""
    from dashboard.components.table import for_people

    out = shown(df).copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            t = out[c]
            whole = bool((t.dropna() == t.dropna().dt.normalize()).all())
            out[c] = t.dt.strftime("%Y-%m-%d" if whole else "%Y-%m-%d %H:%M").astype(object)
            out[c] = out[c].where(t.notna(), None)
        elif out[c].dtype == object:
            out[c] = out[c].map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
    return for_people(out)
