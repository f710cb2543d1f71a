"""The Support page's extra numbers on hand-built tickets: SLA over a hand-built week, the time
distribution, tickets behind a bar, and support load against churn."""

from datetime import date, datetime, timedelta

import pytest

from metrics.kpis import support
from metrics.query import Query

H = timedelta(hours=1)
WEEK = Query(start=date(2024, 1, 1), end=date(2024, 1, 8), as_of=date(2024, 1, 7), grain="week")


def t(i, acc, created, first=None, resolved=None, priority="P3", channel="email", contacts=1,
      reopened=False):
    return {"ticket_id": f"t{i}", "account_id": acc, "created_at": created,
            "first_response_at": None if first is None else created + first * H,
            "resolved_at": None if resolved is None else created + resolved * H,
            "priority": priority, "channel": channel, "contacts": contacts, "reopened": reopened}


@pytest.fixture
def week(insert):
    insert("accounts", [
        {"account_id": "acme", "segment": "SMB", "signup_date": date(2023, 1, 1)},
        {"account_id": "beta", "segment": "Enterprise", "signup_date": date(2023, 1, 1),
         "churn_date": date(2024, 1, 6)},
        {"account_id": "calm", "segment": "SMB", "signup_date": date(2023, 1, 1)},
    ])
    mon = datetime(2024, 1, 1, 9)
    insert("tickets", [
        t(1, "acme", mon, first=0.5, resolved=2, priority="P1"),            # P1 met (1 h)
        t(2, "acme", mon, first=3, resolved=30, priority="P1", contacts=2),  # P1 missed
        t(3, "beta", mon + 24 * H, first=20, resolved=50, reopened=True),    # P3 met (24 h)
        t(4, "beta", mon + 48 * H, first=None, priority="P2", channel="chat"),  # unanswered, due
        t(5, "acme", datetime(2024, 1, 7, 23), first=None, priority="P4"),  # not due yet (72 h)
    ])


def test_sla_attainment_on_a_hand_built_week(store, week):
    row = support.support(store.cursor(), WEEK).iloc[0]
    # met: t1, t3; due: t1, t2, t3 answered + t4 unanswered past 4 h; t5 not due at as-of
    assert row.sla_attainment == pytest.approx(2 / 4)
    assert row.tickets == 5 and row.open_tickets == 2
    assert row.fcr_rate == pytest.approx(1 / 3)  # t1 only; t2 two contacts, t3 reopened


def test_a_stricter_sla_setting_changes_attainment(store, week):
    q = WEEK.with_setting("sla_targets", "P1=4,P3=10")
    row = support.support(store.cursor(), q).iloc[0]
    assert row.sla_attainment == pytest.approx(2 / 4)  # t2 now met, t3 now missed


def test_the_distribution_puts_each_time_in_its_hour_bin(store, week):
    d = support.support_distribution(store.cursor(), WEEK.with_(grain="all"))
    fr = d[d.measure == "first_response"].set_index("bin_lo_h")["tickets"]
    assert (fr[0.5], fr[2.0], fr[12.0], fr[0.0]) == (1, 1, 1, 0)  # 0.5 h, 3 h, 20 h
    assert fr.sum() == 3
    res = d[d.measure == "resolution"].set_index("bin_lo_h")["tickets"]
    assert (res[2.0], res[24.0], res[48.0]) == (1, 1, 1)
    assert d[d.measure == "resolution"]["bin_hi_h"].isna().sum() == 1  # open-ended last bin


def test_tickets_behind_a_channel_bar(store, week):
    rows = support.tickets_behind(store.cursor(), WEEK.with_(by="channel"), group="chat",
                                  any_group=False)
    assert rows.ticket_id.tolist() == ["t4"]
    assert rows.status.tolist() == ["open"]
    everything = support.tickets_behind(store.cursor(), WEEK)
    assert everything.ticket_id.tolist() == ["t5", "t4", "t3", "t1", "t2"]


def test_support_load_against_churn(store, week):
    acc = support.support_accounts(store.cursor(), WEEK).set_index("account_id")
    assert acc.loc["acme", "tickets"] == 3 and acc.loc["acme", "customer_days"] == 7
    assert acc.loc["acme", "tickets_per_month"] == pytest.approx(3 / 7 * 30.4375)
    assert bool(acc.loc["beta", "churned"]) and acc.loc["beta", "customer_days"] == 5
    assert acc.loc["calm", "ticket_load"] == "none"
    by = support.churn_by_ticket_load(acc.reset_index()).set_index("ticket_load")
    assert by.loc["3 or more a month", "accounts"] == 2
    assert by.loc["3 or more a month", "churn_rate"] == pytest.approx(1 / 2)
    assert by.loc["none", "churn_rate"] == 0.0
    assert by["churn_rate"].isna().sum() == 2  # buckets without accounts
