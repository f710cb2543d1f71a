"""renewal_rate and the upcoming renewals on hand-built contracts (METRICS.md)."""

from datetime import date

import pytest

from metrics import registry
from metrics.kpis import renewals
from metrics.query import Query

Q = Query(start=date(2024, 1, 1), end=date(2024, 4, 1), as_of=date(2024, 3, 20))


def sub(account, start, mrr, end=None):
    return {"account_id": account, "start_date": start, "end_date": end, "mrr": mrr}


@pytest.fixture
def book(insert):
    d = date(2023, 1, 1)
    insert("accounts", [
        {"account_id": "a", "segment": "SMB", "signup_date": d},
        {"account_id": "b", "segment": "SMB", "signup_date": d},
        {"account_id": "c", "segment": "Ent", "signup_date": d},
        {"account_id": "d", "segment": "Ent", "signup_date": d},
        {"account_id": "e", "segment": "Ent", "signup_date": d,
         "renewal_date": date(2024, 9, 1)},
    ])
    insert("subscriptions", [
        sub("a", d, 100, date(2024, 1, 15)),  # renewed the same day
        sub("a", date(2024, 1, 15), 120),
        sub("b", d, 50, date(2024, 1, 20)),  # renewed 40 days later: too late, churned
        sub("b", date(2024, 2, 29), 50),
        sub("c", d, 200, date(2024, 2, 10)),  # renewed 30 days later: in time
        sub("c", date(2024, 3, 11), 200),
        sub("d", d, 10, date(2024, 3, 1)),  # due 19 days before as-of: pending
        sub("e", d, 300),
    ])


def test_renewed_within_30_days_churned_after_and_recent_dues_pending(store, book):
    df = renewals.renewal_rate(store.cursor(), Q).set_index("period")
    assert list(df.columns) == ["partial", "due", "renewed", "churned", "decided", "pending",
                                "renewal_rate", "arr_due", "arr_renewed"]
    jan = df.loc[date(2024, 1, 1)]
    assert (jan.due, jan.renewed, jan.churned, jan.pending) == (2, 1, 1, 0)
    assert jan.renewal_rate == 0.5
    assert (jan.arr_due, jan.arr_renewed) == (12 * 150, 12 * 100)
    feb = df.loc[date(2024, 2, 1)]
    assert (feb.due, feb.renewed, feb.renewal_rate) == (1, 1, 1.0)
    mar = df.loc[date(2024, 3, 1)]
    assert (mar.due, mar.pending, mar.renewed, mar.churned, mar.decided) == (1, 1, 0, 0, 0)
    assert jan.decided == 2
    assert mar.renewal_rate != mar.renewal_rate  # null: nothing decided yet


def test_by_segment_and_registry(store, book):
    df = registry.compute(store.cursor(), "renewal_rate", Q.with_(grain="all", by="segment"))
    rows = df.set_index("segment")
    assert rows.loc["SMB", "renewal_rate"] == 0.5
    assert rows.loc["Ent", "renewed"] == 1 and rows.loc["Ent", "pending"] == 1


def test_upcoming_renewals_come_from_renewal_date_with_arr_now(store, book):
    up = renewals.upcoming_renewals(store.cursor(), Q)
    assert list(up.account_id) == ["e"]
    assert up.arr.iloc[0] == 3600 and up.month.iloc[0] == date(2024, 9, 1)
    assert renewals.upcoming_renewals(store.cursor(), Q, days=30).empty


def test_an_empty_database_gives_empty_frames(store):
    assert renewals.renewal_rate(store.cursor(), Query()).empty
    assert renewals.upcoming_renewals(store.cursor(), Query()).empty


# Health bands of upcoming renewals, on real health scores. With NPS answers and flat MRR only,
# two components have data: sentiment (NPS × 10, weight 0.20) and financial (50 for flat MRR,
# weight 0.15); score = (0.20 S + 0.15 × 50) / 0.35: NPS 10 → 78.6 green, 8 → 67.1 yellow,
# 2 → 32.9 red, 1 → 27.1 red. 'n' signed up 50 days before as-of: no MRR 90 days back and no
# answer, so no component has data: unscored.
AS_OF = date(2026, 6, 21)


@pytest.fixture
def health_book(insert):
    old, new = date(2025, 1, 1), date(2026, 5, 2)
    rows = [  # id, MRR, NPS, renewal date (days after as-of)
        ("g", 300, 10, date(2026, 7, 10)),  # 19 days
        ("n", 100, None, date(2026, 7, 5)),  # 14 days
        ("y", 50, 8, date(2026, 8, 15)),  # 55 days
        ("r", 5000, 2, date(2026, 9, 10)),  # 81 days
        ("r2", 1000, 1, date(2026, 12, 1)),  # 163 days: beyond 90
    ]
    insert("accounts", [{"account_id": a, "segment": "SMB" if m < 1000 else "Ent",
                         "signup_date": new if a == "n" else old, "renewal_date": ren}
                        for a, m, _s, ren in rows])
    insert("subscriptions", [sub(a, new if a == "n" else old, m) for a, m, _s, _r in rows])
    insert("survey_responses", [
        {"response_id": f"s{a}", "account_id": a, "survey_type": "nps", "score": s,
         "responded_at": date(2026, 6, 1)} for a, _m, s, _r in rows if s is not None])


def test_upcoming_renewals_carry_the_health_band_on_as_of(store, health_book):
    q = Query(as_of=AS_OF)
    up = renewals.upcoming_renewals(store.cursor(), q)
    assert list(up.columns) == ["account_id", "name", "segment", "renewal_date", "month", "arr",
                                "days_to", "band"]
    assert list(up.account_id) == ["n", "g", "y", "r", "r2"]
    assert list(up.band) == [None, "green", "yellow", "red", "red"]
    assert list(up.days_to) == [14, 19, 55, 81, 163]
    # the same bands as the registered health metric prints
    health = registry.compute(store.cursor(), "health", q).set_index("account_id")["band"]
    assert health.to_dict() == {"g": "green", "n": None, "y": "yellow", "r": "red",
                                "r2": "red"}


def test_at_risk_arr_is_red_and_yellow_due_within_30_60_90_days(store, health_book):
    up = renewals.upcoming_renewals(store.cursor(), Query(as_of=AS_OF))
    risk = renewals.at_risk_renewals(up).set_index("within_days")
    assert list(risk.index) == [30, 60, 90]
    # 30 days: n (unscored, 1,200) and g (green, 3,600): nothing at risk
    assert (risk.loc[30, "accounts"], risk.loc[30, "arr"]) == (2, 4800.0)
    assert (risk.loc[30, "at_risk_accounts"], risk.loc[30, "at_risk_arr"]) == (0, 0.0)
    # 60 days: + y (yellow, 600)
    assert (risk.loc[60, "at_risk_accounts"], risk.loc[60, "at_risk_arr"]) == (1, 600.0)
    # 90 days: + r (red, 60,000); r2 renews after 163 days
    assert (risk.loc[90, "at_risk_accounts"], risk.loc[90, "at_risk_arr"]) == (2, 60600.0)
    assert risk.loc[90, "at_risk_share"] == pytest.approx(60600 / 65400)
    none = renewals.at_risk_renewals(up.iloc[0:0])
    assert list(none.at_risk_arr) == [0.0] * 3 and none.at_risk_share.isna().all()


def test_the_calendar_stacks_arr_by_band_in_band_colours(store, health_book):
    from render import charts

    up = renewals.upcoming_renewals(store.cursor(), Query(as_of=AS_OF))
    fig = charts.plot_renewal_calendar(up, title="t", by="band")
    assert [t.name for t in fig.data] == ["red", "yellow", "green", "unscored"]
    assert fig.data[0].marker.color == charts.BAND_COLORS["red"]
    july = next(t for t in fig.data if t.name == "unscored")
    assert list(july.y) == [1200.0] and july.customdata[0][1] == "unscored"
    by_segment = charts.plot_renewal_calendar(up, title="t", by="segment")
    assert [t.name for t in by_segment.data] == ["Ent", "SMB"]
