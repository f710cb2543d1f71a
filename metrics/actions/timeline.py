"""One account's timeline for the account 360: notes, tasks, risk-play stages, follow-ups,
survey answers, tickets (account_timeline.sql), health band changes, MRR movements and the
loads that touched the account, newest first."""

from __future__ import annotations

import re
from datetime import datetime

import pandas as pd

from metrics import fmt
from metrics.kpis import run_sql

_SNAP = re.compile(r"undo_l\d+_added_[a-z_]+")
COLUMNS = ["at", "kind", "what", "detail", "who"]


def band_changes(history: pd.DataFrame) -> pd.DataFrame:
    """Return the timeline rows of the days an account's health band changed, from its
    history (as_of, band, score: the 360's health history)."""
    if history.empty or "band" not in history:
        return pd.DataFrame(columns=COLUMNS)
    h = history.dropna(subset=["band"]).sort_values("as_of")
    moved = h[h["band"] != h["band"].shift()].iloc[1:]
    before = h["band"].shift().loc[moved.index]
    return pd.DataFrame({
        "at": pd.to_datetime(moved["as_of"]), "kind": "health",
        "what": [f"Health {b} → {a} (score {fmt.value(s, 'score')})"
                 for b, a, s in zip(before, moved["band"], moved["score"], strict=True)],
        "detail": None, "who": None})


def mrr_moves(mrr: pd.DataFrame) -> pd.DataFrame:
    """Return the timeline rows of an account's MRR movements (account_mrr_history: day, mrr,
    movement, change)."""
    if mrr.empty:
        return pd.DataFrame(columns=COLUMNS)
    m = mrr[mrr["movement"].notna()]
    return pd.DataFrame({
        "at": pd.to_datetime(m["day"]), "kind": "MRR",
        "what": [f"MRR {mv}: {fmt.change(c, 'USD')} to {fmt.value(v, 'USD')}"
                 for mv, c, v in zip(m["movement"], m["change"], m["mrr"], strict=True)],
        "detail": None, "who": None})


def loads(cur, account_id: str) -> pd.DataFrame:
    """Return the timeline rows of the loads that touched the account: the append loads
    whose added rows (kept for undo) name it, and each table's replace loads when the table
    holds the account now (a replace rewrites every row). Undone loads are left out."""
    snaps = cur.execute(
        "SELECT s.load_id, s.table_name, s.snapshot, l.file_name, l.mode, l.loaded_by, "
        "l.finished_at FROM load_snapshots AS s JOIN loads AS l ON l.load_id = s.load_id "
        "WHERE s.kind = 'added' AND l.undone_at IS NULL AND l.outcome = 'loaded'").fetchall()
    rows = []
    for lid, table, snap, file, mode, by, at in snaps:
        cols = {r[0] for r in cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
            [snap]).fetchall()}
        # `snap` goes into SQL as an identifier: only a name metrics.ingest.undo makes
        if (_SNAP.fullmatch(snap) and "account_id" in cols and cur.execute(
                f"SELECT 1 FROM {snap} WHERE account_id = ? LIMIT 1", [account_id]).fetchone()):
            rows.append((at, lid, table, file, mode, by))
    for lid, table, file, mode, by, at in cur.execute(
            "SELECT load_id, table_name, file_name, mode, loaded_by, finished_at FROM loads "
            "WHERE mode = 'replace' AND outcome = 'loaded' AND undone_at IS NULL").fetchall():
        if table in ("accounts", "subscriptions", "survey_responses", "tickets", "orders",
                     "usage_events") and cur.execute(
                f"SELECT 1 FROM {table} WHERE account_id = ? LIMIT 1", [account_id]).fetchone():
            rows.append((at, lid, table, file, mode, by))
    return pd.DataFrame({
        "at": pd.to_datetime([r[0] for r in rows]), "kind": "load",
        "what": [f"Load {r[1]}: {r[2]} ({r[4]}) from {r[3]}" for r in rows],
        "detail": None, "who": [r[5] for r in rows]}, columns=COLUMNS)


def timeline(cur, account_id: str, as_of_end: datetime, history: pd.DataFrame | None = None,
             mrr: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return the account's timeline, newest first: at, kind (note, task, risk play,
    follow-up, survey, ticket, health, MRR, load), what, detail, who. `history` and `mrr` are
    the 360's health history and MRR history (their rows are left out when None)."""
    parts = [run_sql(cur, "account_timeline", {"account_id": account_id,
                                                "as_of_end": as_of_end}),
             loads(cur, account_id)]
    if history is not None:
        parts.append(band_changes(history))
    if mrr is not None:
        parts.append(mrr_moves(mrr))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(parts, ignore_index=True)[COLUMNS]
    out["at"] = pd.to_datetime(out["at"])
    return out.sort_values("at", ascending=False, kind="stable").reset_index(drop=True)
