"""support on hand-built tickets (METRICS.md "Support")."""

import math
from datetime import date, datetime, timedelta

import numpy as np
import pytest

from metrics.kpis import support
from metrics.query import Query

JAN = Query(start=date(2024, 1, 1), end=date(2024, 2, 1), as_of=date(2024, 1, 31))
T0 = datetime(2024, 1, 10, 9, 0)
H = timedelta(hours=1)


def ticket(
    i, *, created=T0, first=None, resolved=None, contacts=1, reopened=False, priority="P3", **x
):
    return {
        "ticket_id": f"t{i}",
        "account_id": "acme",
        "created_at": created,
        "first_response_at": None if first is None else created + first * H,
        "resolved_at": None if resolved is None else created + resolved * H,
        "contacts": contacts,
        "reopened": reopened,
        "priority": priority,
        **x,
    }


@pytest.fixture
def acme(insert):
    insert("accounts", [{"account_id": "acme", "signup_date": date(2023, 1, 1)}])


def only_row(store, q=JAN):
    df = support.support(store.cursor(), q)
    assert len(df) == 1
    return df.iloc[0]


def test_response_and_resolution_times_are_median_p90_and_mean_in_hours(store, insert, acme):
    firsts = [1.0, 2.0, 3.0, 10.0, 0.5]
    resolutions = [5.0, 8.0, 30.0, 100.0]
    rows = [
        ticket(i, first=f, resolved=resolutions[i] if i < 4 else None) for i, f in enumerate(firsts)
    ]
    rows.append(ticket(9, first=None, resolved=None))  # neither answered nor resolved
    insert("tickets", rows)
    row = only_row(store)
    assert row.tickets == 6
    assert row.first_response_median_h == pytest.approx(np.percentile(firsts, 50))
    assert row.first_response_p90_h == pytest.approx(np.percentile(firsts, 90))
    assert row.first_response_p90_h == pytest.approx(7.2)  # 3 + 0.6 * (10 - 3)
    assert row.first_response_mean_h == pytest.approx(np.mean(firsts))
    assert row.resolution_median_h == pytest.approx(19.0)
    assert row.resolution_p90_h == pytest.approx(np.percentile(resolutions, 90))
    assert row.resolution_mean_h == pytest.approx(35.75)


def test_fcr_counts_resolved_tickets_and_leaves_out_unknown_contacts_or_reopened(
    store, insert, acme
):
    insert(
        "tickets",
        [
            ticket(1, first=1, resolved=2, contacts=1, reopened=False),  # first contact
            ticket(2, first=1, resolved=2, contacts=0, reopened=False),  # 0 contacts counts
            ticket(3, first=1, resolved=2, contacts=2, reopened=False),
            ticket(4, first=1, resolved=2, contacts=1, reopened=True),
            ticket(5, first=1, resolved=2, contacts=None, reopened=False),  # excluded
            ticket(6, first=1, resolved=2, contacts=1, reopened=None),  # excluded
            ticket(7, first=1, resolved=None, contacts=1, reopened=False),  # open: not resolved
        ],
    )
    row = only_row(store)
    assert row.fcr_rate == pytest.approx(2 / 4)
    assert row.fcr_excluded == 2
    assert row.open_tickets == 1


def test_open_tickets_are_those_not_resolved_by_as_of(store, insert, acme):
    insert(
        "tickets",
        [
            ticket(1, created=datetime(2024, 1, 30, 8), first=1, resolved=2),
            ticket(2, created=datetime(2024, 1, 30, 8), first=1, resolved=None),
            ticket(3, created=datetime(2024, 1, 30, 8), first=1, resolved=48),  # Feb 1: after as-of
        ],
    )
    row = only_row(store)
    assert row.open_tickets == 2
    assert row.resolution_median_h == pytest.approx(2.0)  # the late resolution is not known yet


def test_sla_counts_unanswered_tickets_past_their_target_and_ignores_those_not_yet_due(
    store, insert, acme
):
    late = datetime(2024, 1, 31, 22, 0)  # two hours before the end of as-of
    insert(
        "tickets",
        [
            ticket(1, first=0.5, priority="P1"),  # met (1 h)
            ticket(2, first=5, priority="P2"),  # missed (4 h)
            ticket(3, first=None, priority="P1"),  # unanswered, far past 1 h: missed
            ticket(4, created=late, first=None, priority="P4"),  # unanswered, 72 h not over
            ticket(5, first=20, priority=None),  # no priority: 24 h, met
            ticket(6, first=30, priority=" p3 "),  # P3 24 h, missed (trimmed, any case)
        ],
    )
    row = only_row(store)
    assert row.sla_attainment == pytest.approx(2 / 5)
    relaxed = JAN.with_setting("sla_targets", {"P2": 6, "P3": 48})
    assert only_row(store, relaxed).sla_attainment == pytest.approx(4 / 5)


def test_sla_targets_accept_the_command_line_form():
    targets, other = support.sla_targets(Query().with_setting("sla_targets", "p1=2, other=12"))
    assert targets == {"P1": 2.0, "P2": 4.0, "P3": 24.0, "P4": 72.0}
    assert other == 12.0
    with pytest.raises(ValueError, match="hours"):
        support.sla_targets(Query().with_setting("sla_targets", {"P1": "soon"}))


def test_a_period_without_tickets_has_zero_counts_and_null_times(store, insert, acme):
    insert("tickets", [ticket(1, first=1, resolved=2)])
    q = Query(start=date(2024, 1, 1), end=date(2024, 3, 1), as_of=date(2024, 2, 29))
    feb = support.support(store.cursor(), q).iloc[1]
    assert (feb.tickets, feb.fcr_excluded, feb.open_tickets) == (0, 0, 0)
    for col in ("first_response_median_h", "resolution_mean_h", "fcr_rate", "sla_attainment"):
        assert math.isnan(feb[col]), col


def test_support_by_priority_and_channel(store, insert, acme):
    insert(
        "tickets",
        [
            ticket(1, first=1, priority="P1", channel="email"),
            ticket(2, first=3, priority="P2", channel="chat"),
            ticket(3, first=5, priority="P2", channel="chat"),
        ],
    )
    df = support.support(store.cursor(), JAN.with_(by="priority"))
    assert dict(zip(df.priority, df.first_response_mean_h, strict=True)) == {"P1": 1.0, "P2": 4.0}
    df = support.support(store.cursor(), JAN.with_(by="channel"))
    assert dict(zip(df.channel, df.tickets, strict=True)) == {"chat": 2, "email": 1}
