"""ticket_backlog on hand-built tickets: the backlog as a stock per period, worked out by hand
below (metrics/kpis/support.py, metrics/sql/ticket_backlog.sql)."""

from datetime import date, datetime

import pytest

from metrics import registry
from metrics.kpis import support
from metrics.query import Query

# Jan and Feb complete, March partial: as-of 15 March, so March ends at 16 March 00:00.
Q = Query(start=date(2024, 1, 1), end=date(2024, 4, 1), as_of=date(2024, 3, 15))


def ticket(tid, created, resolved=None, account="acme", priority="P3"):
    return {"ticket_id": tid, "account_id": account, "created_at": created,
            "resolved_at": resolved, "priority": priority}


TICKETS = [
    ticket("a", datetime(2023, 12, 20), datetime(2024, 1, 5)),  # open on 1 Jan, closed in Jan
    ticket("b", datetime(2023, 12, 28)),  # never resolved: open at every end, aged
    ticket("c", datetime(2023, 11, 1), datetime(2023, 12, 15)),  # closed before: never counted
    ticket("d", datetime(2024, 1, 10), datetime(2024, 2, 3), priority="P1"),
    ticket("e", datetime(2024, 1, 31, 20), datetime(2024, 2, 1, 2)),  # open at Jan's end, 4 h
    ticket("f", datetime(2024, 2, 10, 9), datetime(2024, 2, 10, 12)),  # opened and closed in Feb
    ticket("g", datetime(2024, 3, 1, 10), datetime(2024, 3, 20)),  # resolved after as-of: open
    ticket("h", datetime(2024, 3, 14, 9), datetime(2024, 3, 13)),  # resolved "before" creation
    ticket("i", datetime(2024, 3, 20)),  # created after as-of: not yet
]


@pytest.fixture
def tickets(insert):
    insert("accounts", [{"account_id": "acme", "signup_date": date(2023, 1, 1),
                         "segment": "SMB"},
                        {"account_id": "big", "signup_date": date(2023, 1, 1),
                         "segment": "Enterprise"}])
    insert("tickets", TICKETS)


COLS = ["backlog_start", "opened", "closed", "backlog_end", "aged_over_7d"]


def test_each_month_counts_open_at_start_opened_closed_open_at_end_and_aged(store, tickets):
    df = support.ticket_backlog(store.cursor(), Q)
    assert list(df["period"]) == [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)]
    assert list(df["partial"]) == [False, False, True]
    rows = df[COLS].values.tolist()
    # Jan: a, b open on 1 Jan; d, e opened; a closed; b, d, e open on 1 Feb, of which b (28 Dec)
    # and d (10 Jan) were created before 25 Jan
    assert rows[0] == [2, 2, 1, 3, 2]
    # Feb: f opened; d, e, f closed; b left, aged
    assert rows[1] == [3, 1, 3, 1, 1]
    # Mar up to the end of as-of (16 Mar 00:00): g, h opened; h closed at its creation; b and g
    # open, both created before 9 Mar
    assert rows[2] == [1, 2, 1, 2, 2]
    for start, opened, closed, end, _ in rows:
        assert end == start + opened - closed
    assert list(df["backlog_start"].iloc[1:]) == list(df["backlog_end"].iloc[:-1])


def test_the_whole_window_as_one_period(store, tickets):
    df = support.ticket_backlog(store.cursor(), Q.with_(grain="all"))
    assert df[COLS].values.tolist() == [[2, 5, 5, 2, 2]]  # opened d e f g h; closed a d e f h


def test_by_priority_and_a_segment_filter(store, insert, tickets):
    insert("tickets", [ticket("x", datetime(2024, 1, 2), account="big"),
                       ticket("y", datetime(2024, 1, 3), account="nobody")])  # an orphan
    jan = Query(start=date(2024, 1, 1), end=date(2024, 2, 1), as_of=date(2024, 3, 15))
    every = support.ticket_backlog(store.cursor(), jan)
    assert every["backlog_end"].tolist() == [5]  # b d e, and x, y of no filtered account
    by = support.ticket_backlog(store.cursor(), jan.with_(by="priority")).set_index("priority")
    assert by.loc["P1", "backlog_end"] == 1 and by.loc["P3", "backlog_end"] == 4
    smb = support.ticket_backlog(store.cursor(), jan.with_(segment=("SMB",)))
    assert smb["backlog_end"].tolist() == [3]  # acme's only: the orphan left out under a filter


def test_no_tickets_gives_zeros_and_the_spec_describes_the_columns(store, insert):
    insert("accounts", [{"account_id": "acme", "signup_date": date(2023, 1, 1)}])
    insert("tickets", [ticket("z", datetime(2022, 1, 1), datetime(2022, 1, 2))])
    df = support.ticket_backlog(store.cursor(), Q)
    assert df[COLS].values.tolist() == [[0] * 5] * 3
    spec = registry.get("ticket_backlog")
    assert list(df.columns) == ["period", "partial", *spec.columns]
    assert spec.head.label == "Open backlog" and spec.head.unit == "tickets"
    assert spec.sql == ("ticket_backlog", "account_scope", "period_grid")
