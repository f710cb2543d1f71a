"""nrr / grr on a 13-month ledger and ltv with the gross-margin setting (METRICS.md "Revenue")."""

from datetime import date

import pytest

from metrics import registry
from metrics.kpis import retention
from metrics.query import Query

JAN24 = date(2024, 1, 1)
Q = Query(start=date(2025, 1, 1), end=date(2025, 2, 1), as_of=date(2025, 1, 31))


def sub(account, start, mrr, end=None):
    return {"account_id": account, "start_date": start, "end_date": end, "mrr": mrr}


@pytest.fixture
def ledger(insert):
    insert("accounts", [{"account_id": a, "segment": "SMB" if a in "ab" else "Ent",
                         "signup_date": JAN24} for a in "abcde"])
    insert(
        "subscriptions",
        [
            sub("a", JAN24, 100),
            sub("a", date(2024, 6, 1), 50),  # expansion: 100 -> 150
            sub("b", JAN24, 200, date(2024, 9, 1)),  # contraction: 200 -> 120
            sub("b", date(2024, 9, 1), 120),
            sub("c", JAN24, 100, date(2024, 5, 1)),  # churn: 100 -> 0
            sub("d", date(2024, 3, 1), 80),  # new after the base day: excluded
            sub("e", JAN24, 50, date(2024, 4, 1)),  # churns and comes back: 50 -> 70
            sub("e", date(2024, 8, 1), 70),
        ],
    )


def test_nrr_counts_expansion_but_excludes_new_logos(store, ledger):
    df = retention.nrr(store.cursor(), Q)
    assert list(df.columns) == ["period", "partial", "base_mrr", "current_mrr", "nrr", "grr"]
    row = df.iloc[0]
    assert row.base_mrr == 450  # a, b, c, e paying on 2024-01-31
    assert row.current_mrr == 150 + 120 + 0 + 70
    assert row.nrr == pytest.approx(340 / 450)
    # GRR caps each account at its base MRR: a 100, b 120, c 0, e 50
    assert row.grr == pytest.approx(270 / 450)


def test_reactivation_excluded_counts_a_returning_account_as_zero(store, ledger):
    row = retention.nrr(store.cursor(), Q.with_setting("nrr_reactivation", "exclude")).iloc[0]
    assert row.current_mrr == 150 + 120
    assert row.nrr == pytest.approx(270 / 450)
    assert row.grr == pytest.approx(220 / 450)


def test_the_base_day_is_the_last_day_of_the_period_twelve_months_earlier(store, insert):
    insert("accounts", [{"account_id": a, "signup_date": JAN24} for a in "xy"])
    insert("subscriptions", [sub("x", date(2024, 3, 31), 10), sub("y", date(2024, 4, 1), 99)])
    q = Query(start=date(2025, 3, 1), end=date(2025, 4, 1), as_of=date(2025, 3, 31))
    row = retention.nrr(store.cursor(), q).iloc[0]
    assert row.base_mrr == 10  # March 2025 -> 2024-03-31: y started the next day
    assert row.nrr == 1.0


def test_by_segment_and_no_base_cohort_gives_null(store, ledger):
    df = retention.nrr(store.cursor(), Q.with_(by="segment")).set_index("segment")
    assert df.loc["SMB", "nrr"] == pytest.approx(270 / 300)
    assert df.loc["Ent", "grr"] == pytest.approx(50 / 150)
    early = retention.nrr(store.cursor(), Q.with_(start=JAN24, end=date(2024, 2, 1))).iloc[0]
    assert early.base_mrr == 0 and early.nrr != early.nrr  # null (NaN), never 0


def test_nrr_and_grr_are_registered_with_the_reactivation_setting(store, ledger):
    assert registry.get("nrr").settings == {"nrr_reactivation": "include"}
    assert registry.get("grr").headline == "grr"
    assert registry.compute(store.cursor(), "grr", Q).grr.iloc[0] == pytest.approx(0.6)
    with pytest.raises(ValueError, match="nrr_reactivation"):
        retention.nrr(store.cursor(), Q.with_setting("nrr_reactivation", "maybe"))


@pytest.fixture
def book(insert):
    """Ten accounts paying 100 each from December 2023; one churns on 2024-03-10."""
    d = date(2023, 12, 1)
    insert("accounts", [{"account_id": f"a{i}", "signup_date": d,
                         "churn_date": date(2024, 3, 10) if i == 0 else None}
                        for i in range(10)])
    insert("subscriptions", [sub(f"a{i}", d, 100, date(2024, 3, 10) if i == 0 else None)
                             for i in range(10)])


def test_ltv_pools_churn_over_the_six_complete_months(store, book):
    q = Query(start=date(2024, 7, 1), end=date(2024, 8, 1), as_of=date(2024, 7, 31))
    row = retention.ltv(store.cursor(), q).iloc[0]
    # months February..July: S = 10 + 10 + 9 × 4 = 56, C_start = 1
    assert row.arpa == 100
    assert row.churn_rate == pytest.approx(1 / 56)
    assert row.ltv == pytest.approx(5600)
    half = retention.ltv(store.cursor(), q.with_setting("gross_margin", 0.8)).iloc[0]
    assert half.ltv == pytest.approx(4480)


def test_ltv_of_a_partial_period_uses_the_complete_months_before_it(store, book):
    q = Query(start=date(2024, 9, 1), end=date(2024, 10, 1), as_of=date(2024, 9, 15))
    row = retention.ltv(store.cursor(), q).iloc[0]
    assert bool(row.partial)
    # September is partial: March..August, S = 10 (March, with the churn) + 9 × 5 = 55
    assert row.churn_rate == pytest.approx(1 / 55)


def test_ltv_is_null_when_no_churn_was_observed(store, book):
    q = Query(start=date(2024, 1, 1), end=date(2024, 2, 1), as_of=date(2024, 7, 31))
    assert retention.ltv(store.cursor(), q).ltv.isna().all()
    q = Query(start=date(2024, 10, 1), end=date(2024, 11, 1), as_of=date(2024, 10, 31))
    row = retention.ltv(store.cursor(), q).iloc[0]  # months April..September: no churn
    assert row.churn_rate == 0 and row.ltv != row.ltv
