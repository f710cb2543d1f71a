"""The alert history limited to a book (metrics/sql/alert_history_in_scope.sql): only the
evaluations naming accounts of the scope, with those accounts alone, their count as the value
and in the message; nothing over a whole segment or the team. Hand-made rows, real DuckDB."""

from __future__ import annotations

from datetime import date, datetime

from metrics import alerts
from metrics.query import Query


def _history(insert, store) -> None:
    insert("accounts", [
        {"account_id": "A1", "name": "Acme", "csm_owner": "Ava", "segment": "SMB"},
        {"account_id": "A2", "name": "Bolt", "csm_owner": "Ava", "segment": "SMB"},
        {"account_id": "B1", "name": "Crux", "csm_owner": "Ben", "segment": "SMB"},
        {"account_id": "B2", "name": "Dune", "csm_owner": "Ben", "segment": "Enterprise"},
    ])
    rows = [
        # event, rule, fired, suppressed, value, accounts, message, as_of
        (1, "red", True, False, 3.0, "A1, B1, B2", "3 account(s) turned red in the 7 days to "
         "2026-06-28", date(2026, 6, 28)),
        (2, "red", True, False, 2.0, "B1, B2", "2 account(s) turned red in the 7 days to "
         "2026-06-21", date(2026, 6, 21)),
        (3, "nps", True, False, 12.0, None, "nps = 12 over the 30 days to 2026-06-28: below 20",
         date(2026, 6, 28)),
        (4, "red", True, True, 2.0, "A2, A1", "2 account(s) turned red in the 7 days to "
         "2026-06-28 (within the cooldown: not repeated)", date(2026, 6, 28)),
    ]
    cur = store.cursor()
    for e, name, f, s, v, acc, msg, day in rows:
        cur.execute("INSERT INTO alert_history VALUES (?, 1, ?, ?, ?, 'manual', NULL, ?, ?, ?, "
                    "0, ?, ?)", [e, name, datetime(2026, 6, 30, 9, e), day, f, s, v, acc, msg])


def test_a_book_sees_only_the_evaluations_naming_its_accounts_and_only_those(store, insert):
    _history(insert, store)
    h = alerts.history(store.cursor(), scope=Query(csm_owner=("Ava",)))
    assert list(h["event_id"]) == [4, 1]
    assert list(h["accounts"]) == ["A1, A2", "A1"]
    assert list(h["value"]) == [2.0, 1.0]
    # recounted and written as fmt.plural does, also from a message of the older form
    assert h["message"].iloc[1] == "1 account turned red in the 7 days to 2026-06-28"
    assert h["message"].iloc[0].endswith("(within the cooldown: not repeated)")


def test_another_book_and_the_unscoped_history(store, insert):
    _history(insert, store)
    cur = store.cursor()
    ben = alerts.history(cur, scope=Query(csm_owner=("Ben",)))
    assert list(ben["event_id"]) == [2, 1]
    assert list(ben["accounts"]) == ["B1, B2", "B1, B2"]
    assert list(ben["value"]) == [2.0, 2.0]
    # without a scope: every evaluation as recorded, team-wide ones included
    everything = alerts.history(cur)
    assert list(everything["event_id"]) == [4, 3, 2, 1]
    assert everything.loc[everything.event_id == 1, "accounts"].iloc[0] == "A1, B1, B2"


def test_fired_in_scope_keeps_the_week_and_leaves_out_the_held_back(store, insert):
    _history(insert, store)
    cur = store.cursor()
    week = (date(2026, 6, 22), date(2026, 6, 29))
    assert list(alerts.fired(cur, *week, Query(csm_owner=("Ava",)))["event_id"]) == [1]
    assert list(alerts.fired(cur, *week, Query(csm_owner=("Ben",)))["event_id"]) == [1]
    assert list(alerts.fired(cur, *week, Query(segment=("Enterprise",)))["accounts"]) == ["B2"]
    assert alerts.fired(cur, *week, Query(csm_owner=("Nobody",))).empty
    assert list(alerts.fired(cur, *week)["event_id"]) == [3, 1]
