"""mrr_movements, revenue_churn and quick_ratio on hand-built ledgers (METRICS.md "Revenue")."""

from datetime import date

import pytest

from metrics import registry
from metrics.kpis import retention
from metrics.query import Query

Q = Query(start=date(2024, 1, 1), end=date(2024, 5, 1), as_of=date(2024, 4, 30))
D = date(2023, 12, 1)


def sub(account, start, mrr, end=None):
    return {"account_id": account, "start_date": start, "end_date": end, "mrr": mrr}


@pytest.fixture
def ledger(insert):
    insert(
        "accounts",
        [
            {"account_id": a, "segment": seg, "signup_date": D}
            for a, seg in [("a", "SMB"), ("b", "SMB"), ("c", "Ent"), ("d", "Ent"),
                           ("e", "SMB"), ("f", "Ent")]
        ],
    )
    insert(
        "subscriptions",
        [
            sub("a", D, 100),
            sub("a", date(2024, 2, 1), 20),  # expansion of 20 in February
            sub("b", D, 50, date(2024, 2, 10)),  # churns in February ...
            sub("b", date(2024, 3, 15), 60),  # ... and comes back in March: reactivation
            sub("c", D, 80, date(2024, 3, 1)),  # contraction 80 -> 30 in March
            sub("c", date(2024, 3, 1), 30),
            sub("d", date(2024, 1, 10), 40),  # new in January
            sub("e", date(2024, 2, 5), 70, date(2024, 2, 20)),  # starts and ends in February
            sub("f", D, 90, date(2024, 4, 1)),  # contracts to zero in April: churn
            sub("f", date(2024, 4, 1), 0),
        ],
    )


def test_each_movement_type_is_classified_per_account_and_period(store, ledger):
    df = retention.mrr_movements(store.cursor(), Q)
    assert list(df.columns) == [
        "period", "partial", "mrr_start", "new", "expansion", "contraction", "churn",
        "reactivation", "mrr_end",
    ]
    rows = df.set_index("period")
    assert rows.loc[date(2024, 1, 1)].tolist()[1:] == [320, 40, 0, 0, 0, 0, 360]
    # e started and ended inside February: no net movement at month grain
    assert rows.loc[date(2024, 2, 1)].tolist()[1:] == [360, 0, 20, 0, 50, 0, 330]
    assert rows.loc[date(2024, 3, 1)].tolist()[1:] == [330, 0, 0, 50, 0, 60, 340]
    # a contraction to zero MRR is churn, not contraction
    assert rows.loc[date(2024, 4, 1)].tolist()[1:] == [340, 0, 0, 0, 90, 0, 250]


def test_the_identity_holds_and_each_start_is_the_previous_end(store, ledger):
    df = retention.mrr_movements(store.cursor(), Q)
    rebuilt = (df.mrr_start + df.new + df.reactivation + df.expansion - df.contraction
               - df.churn)
    assert (rebuilt == df.mrr_end).all()
    assert list(df.mrr_start.iloc[1:]) == list(df.mrr_end.iloc[:-1])


def test_at_day_grain_a_subscription_inside_a_month_shows_as_new_then_churn(store, ledger):
    q = Query(start=date(2024, 2, 1), end=date(2024, 3, 1), as_of=date(2024, 4, 30),
              grain="day")
    df = retention.mrr_movements(store.cursor(), q).set_index("period")
    assert df.loc[date(2024, 2, 5), "new"] == 70
    assert df.loc[date(2024, 2, 20), "churn"] == 70
    assert df.loc[date(2024, 2, 10), "churn"] == 50  # b: end_date is exclusive
    assert df.loc[date(2024, 2, 1), "expansion"] == 20
    assert df.new.sum() == 70 and df.churn.sum() == 120


def test_by_account_id_lists_the_accounts_behind_each_movement(store, ledger):
    df = retention.mrr_movements(store.cursor(), Q.with_(by="account_id"))
    march = df[df.period == date(2024, 3, 1)].set_index("account_id")
    assert march.loc["b", "reactivation"] == 60
    assert march.loc["c", "contraction"] == 50
    assert "e" not in set(df.account_id)  # never paying on an evaluation day
    totals = df.groupby("period")[["mrr_start", "churn", "mrr_end"]].sum()
    whole = retention.mrr_movements(store.cursor(), Q).set_index("period")
    assert (totals.values == whole[["mrr_start", "churn", "mrr_end"]].values).all()


def test_by_segment_splits_the_movements(store, ledger):
    df = retention.mrr_movements(store.cursor(), Q.with_(by="segment"))
    feb = df[df.period == date(2024, 2, 1)].set_index("segment")
    assert feb.loc["SMB", "churn"] == 50 and feb.loc["SMB", "expansion"] == 20
    assert feb.loc["Ent", "mrr_end"] == 80 + 40 + 90


def test_chartmogul_worked_example_gives_gross_0_20_and_net_0_10(store, insert):
    insert("accounts", [{"account_id": a, "signup_date": D} for a in "pqr"])
    insert(
        "subscriptions",
        [
            sub("p", D, 10, date(2024, 1, 15)),  # churn 10
            sub("q", D, 30, date(2024, 1, 15)),  # contraction 10
            sub("q", date(2024, 1, 15), 20),
            sub("r", D, 60),  # expansion 10
            sub("r", date(2024, 1, 20), 10),
        ],
    )
    q = Query(start=date(2024, 1, 1), end=date(2024, 2, 1), as_of=date(2024, 1, 31))
    row = retention.revenue_churn(store.cursor(), q).iloc[0]
    assert row.mrr_start == 100
    assert (row.churn, row.contraction, row.expansion) == (10, 10, 10)
    assert row.gross_mrr_churn_rate == pytest.approx(0.20)
    assert row.net_mrr_churn_rate == pytest.approx(0.10)
    qr = retention.quick_ratio(store.cursor(), q).iloc[0]
    assert (qr.growth_mrr, qr.lost_mrr, qr.quick_ratio) == (10, 20, 0.5)


def test_rates_are_null_without_starting_mrr_and_quick_ratio_without_losses(store, ledger):
    q = Query(start=date(2023, 11, 1), end=date(2024, 2, 1), as_of=date(2024, 4, 30))
    rc = retention.revenue_churn(store.cursor(), q).set_index("period")
    assert rc.gross_mrr_churn_rate.isna()[date(2023, 11, 1)]
    assert rc.gross_mrr_churn_rate.isna()[date(2023, 12, 1)]  # all new: mrr_start 0
    qr = retention.quick_ratio(store.cursor(), q).set_index("period")
    assert qr.quick_ratio.isna()[date(2024, 1, 1)]  # new 40, nothing lost


def test_the_registry_serves_the_movement_metrics(store, ledger):
    for name in ("mrr_movements", "revenue_churn", "quick_ratio"):
        df = registry.compute(store.cursor(), name, Q)
        assert len(df) == 4, name


def test_an_empty_database_gives_empty_frames(store):
    for fn in (retention.mrr_movements, retention.revenue_churn, retention.quick_ratio):
        assert fn(store.cursor(), Query()).empty


def test_a_segment_filter_keeps_its_accounts_and_drops_orphans(store, ledger, insert):
    insert("subscriptions", [sub("ghost", D, 1000)])  # an account missing from accounts
    whole = retention.mrr_movements(store.cursor(), Q).set_index("period")
    assert whole.loc[date(2024, 1, 1), "mrr_start"] == 1320  # orphans count unfiltered
    ent = retention.mrr_movements(store.cursor(), Q.with_(segment=("Ent",))).set_index("period")
    assert ent.loc[date(2024, 1, 1)].tolist()[1:] == [170, 40, 0, 0, 0, 0, 210]
    assert ent.loc[date(2024, 4, 1), "churn"] == 90
