"""The Data page's past loads (with undo) and audit trail."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import auth, context
from dashboard.components.table import columns
from dashboard.components.text import md_escape
from metrics import audit, fmt
from metrics.ingest import undo

ORDER = ["load_id", "time", "table", "file", "mode", "outcome", "undo", "rows_in_file",
         "rows_loaded", "rows_rejected", "rows_skipped_duplicate", "orphans", "message",
         "loaded_by", "undone_at", "undone_by", "sha256"]


def past_loads(store, who: str) -> None:
    """Draw the loads log with whether each load can be undone, and the undo of one load
    (confirmed, then done read-write alone); `who` is recorded as the one who undid it."""
    if "last_undo" in st.session_state:
        st.success(md_escape(st.session_state.pop("last_undo")))
    hist = context.named_query("loads_history")
    if hist.empty:
        st.info("No loads yet.")
        return
    with context.read_cursor() as cur:
        why_not = undo.undoable(cur)
    hist = hist.assign(undo=[why_not.get(int(i), "can be undone") for i in hist["load_id"]])
    st.dataframe(hist, width="stretch", hide_index=True, column_order=ORDER,
                 column_config=columns(hist, sha256=st.column_config.TextColumn(width="small"),
                                       message=st.column_config.TextColumn(width="large")))
    if not auth.can("undo_load"):
        st.caption(auth.refusal("undo_load"))
        return
    can = hist[hist["undo"] == "can be undone"]
    if can.empty:
        st.caption("No load can be undone now.")
        return
    st.markdown("**Undo a load** — its table goes back to exactly what it was before it.")
    labels = {int(r.load_id): f"load {r.load_id}: {r.mode} of {r.file} into {r.table} "
              f"({fmt.plural(r.rows_loaded, 'row')}, {pd.Timestamp(r.time):%Y-%m-%d %H:%M} UTC)"
              for r in can.itertuples()}
    load_id = st.selectbox("Load", list(labels), format_func=labels.get, key="undo_load")
    sure = st.checkbox(f"Undo load {load_id}", key=f"undo_sure_{load_id}")
    if st.button("Undo", key="undo_btn", disabled=not sure):
        try:
            done = undo_load(store, int(load_id), who)
        except undo.UndoRefused as e:
            st.error(f"**Nothing was changed.** {md_escape(e)}")
            return
        st.session_state["last_undo"] = done["message"]
        st.rerun()


def undo_load(store, load_id: int, who: str) -> dict:
    """Undo load `load_id` (read-write, alone) and return what was put back; raises
    UndoRefused. Stops the run unless the user may undo loads (checked where it writes,
    whatever the widgets showed)."""
    auth.require("undo_load")
    with store.write() as rw:
        cur = rw.cursor()
        try:
            return undo.undo(cur, load_id, who)
        finally:
            cur.close()


def audit_trail() -> None:
    """Draw the newest audit events: who loaded, undid or changed what, when."""
    with context.read_cursor() as cur:
        # a csm restricted to their book sees no event about another book's account
        ev = audit.events(cur, limit=500, book_owner=auth.book_owner())
    if ev.empty:
        st.info("Nothing recorded yet: loads, undos and changes to targets, alert rules and "
                "the health model appear here.")
        return
    shown = ev.drop(columns=["event_id"], errors="ignore")  # an internal number
    st.dataframe(shown.rename(columns={"happened_at": "time (UTC)"}), width="stretch",
                 hide_index=True, column_config={
                     "detail": st.column_config.TextColumn(width="large")})
    st.caption("Also `csm audit`.")
