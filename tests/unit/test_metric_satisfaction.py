"""nps, csat and ces on tiny hand-built survey tables."""

import math
from datetime import date, datetime

import numpy as np
import pytest
from scipy import stats as sps

from metrics import registry
from metrics.kpis import satisfaction
from metrics.query import Query

JAN = Query(start=date(2024, 1, 1), end=date(2024, 2, 1), as_of=date(2024, 1, 31))


def answers(survey_type, score_counts, *, day=datetime(2024, 1, 10, 12), scale=None, **extra):
    """Rows for `survey_type`: {score: how many}, one respondent each."""
    rows = []
    for score, count in score_counts.items():
        for i in range(count):
            rows.append(
                {
                    "response_id": f"{survey_type}-{score}-{i}-{day:%m%d}",
                    "account_id": "acme",
                    "respondent": f"p{score}-{i}@acme.test",
                    "survey_type": survey_type,
                    "score": score,
                    "scale": scale,
                    "responded_at": day,
                    **extra,
                }
            )
    return rows


@pytest.fixture
def acme(insert):
    insert("accounts", [{"account_id": "acme", "segment": "SMB", "signup_date": date(2023, 1, 1)}])


def only_row(df):
    assert len(df) == 1
    return df.iloc[0]


def test_nps_of_50_promoters_30_passives_20_detractors_is_30(store, insert, acme):
    insert("survey_responses", answers("nps", {10: 25, 9: 25, 8: 15, 7: 15, 6: 10, 0: 10}))
    row = only_row(satisfaction.nps(store.cursor(), JAN))
    assert (row.responses, row.promoters, row.passives, row.detractors) == (100, 50, 30, 20)
    assert row.nps == pytest.approx(30.0)
    # adjusted-Wald by hand: n_adj 103, p = 50.75/103, d = 20.75/103
    p, d = 50.75 / 103, 20.75 / 103
    half = 196 * math.sqrt((p + d - (p - d) ** 2) / 103)
    assert row.nps_adj == pytest.approx(100 * (p - d))
    assert (row.ci_low, row.ci_high) == pytest.approx((100 * (p - d) - half, 100 * (p - d) + half))
    assert bool(row.small_n) is False


def test_nps_columns_are_exactly_those_of_metrics_md(store, insert, acme):
    insert("survey_responses", answers("nps", {9: 1}))
    df = satisfaction.nps(store.cursor(), JAN)
    assert list(df.columns) == [
        "period",
        "partial",
        "responses",
        "promoters",
        "passives",
        "detractors",
        "nps",
        "nps_adj",
        "ci_low",
        "ci_high",
        "small_n",
    ]
    assert df.iloc[0].period == date(2024, 1, 1)
    assert bool(df.iloc[0].small_n) is True


def test_a_period_with_only_passives_has_nps_0_and_an_interval(store, insert, acme):
    insert("survey_responses", answers("nps", {7: 10, 8: 20}))
    row = only_row(satisfaction.nps(store.cursor(), JAN))
    assert row.nps == 0.0
    half = 196 * math.sqrt(1.5 / 33 / 33)
    assert (row.ci_low, row.ci_high) == pytest.approx((-half, half))


def test_a_period_without_responses_has_null_nps_not_zero(store, insert, acme):
    insert("survey_responses", answers("nps", {10: 3}, day=datetime(2024, 1, 5)))
    insert("survey_responses", answers("nps", {0: 1}, day=datetime(2024, 3, 5)))
    q = Query(start=date(2024, 1, 1), end=date(2024, 4, 1), as_of=date(2024, 3, 31))
    df = satisfaction.nps(store.cursor(), q)
    feb = df[df.period == date(2024, 2, 1)].iloc[0]
    assert (feb.responses, feb.promoters, feb.passives, feb.detractors) == (0, 0, 0, 0)
    assert math.isnan(feb.nps) and math.isnan(feb.ci_low) and math.isnan(feb.ci_high)
    assert list(df.nps)[::2] == [100.0, -100.0]


def test_nps_on_an_empty_database_is_an_empty_frame_with_the_columns(store):
    df = satisfaction.nps(store.cursor(), Query())
    assert df.empty
    assert list(df.columns) == ["period", "partial"] + list(satisfaction.NPS_COLUMNS)


def test_nps_basis_latest_keeps_each_respondents_latest_answer_in_the_period(store, insert, acme):
    base = {"account_id": "acme", "survey_type": "nps"}
    insert(
        "survey_responses",
        [
            {
                **base,
                "response_id": "1",
                "respondent": "ann",
                "score": 0,
                "responded_at": datetime(2024, 1, 3),
            },
            {
                **base,
                "response_id": "2",
                "respondent": "ann",
                "score": 10,
                "responded_at": datetime(2024, 1, 20),
            },
            {
                **base,
                "response_id": "3",
                "respondent": "bob",
                "score": 8,
                "responded_at": datetime(2024, 1, 4),
            },
            # no respondent: each answer is its own respondent
            {
                **base,
                "response_id": "4",
                "respondent": None,
                "score": 3,
                "responded_at": datetime(2024, 1, 5),
            },
            {
                **base,
                "response_id": "5",
                "respondent": None,
                "score": 3,
                "responded_at": datetime(2024, 1, 6),
            },
        ],
    )
    cur = store.cursor()
    everything = only_row(satisfaction.nps(cur, JAN))
    assert (everything.responses, everything.promoters, everything.detractors) == (5, 1, 3)
    latest = only_row(satisfaction.nps(cur, JAN.with_setting("nps_basis", "latest")))
    assert (latest.responses, latest.promoters, latest.passives, latest.detractors) == (4, 1, 1, 2)
    assert latest.nps == pytest.approx(100 * (1 - 2) / 4)


def test_nps_basis_latest_is_judged_within_each_period(store, insert, acme):
    base = {"account_id": "acme", "survey_type": "nps", "respondent": "ann"}
    insert(
        "survey_responses",
        [
            {**base, "response_id": "1", "score": 0, "responded_at": datetime(2024, 1, 3)},
            {**base, "response_id": "2", "score": 10, "responded_at": datetime(2024, 2, 3)},
        ],
    )
    q = Query(start=date(2024, 1, 1), end=date(2024, 3, 1), as_of=date(2024, 2, 29))
    df = satisfaction.nps(store.cursor(), q.with_setting("nps_basis", "latest"))
    assert list(df.nps) == [-100.0, 100.0]


def test_an_unknown_nps_basis_is_refused(store):
    with pytest.raises(ValueError, match="nps_basis"):
        satisfaction.nps(store.cursor(), JAN.with_setting("nps_basis", "newest"))


def test_csat_of_scores_5_4_3_2_1_counted_10_20_10_5_5_is_0_60(store, insert, acme):
    insert("survey_responses", answers("csat", {5: 10, 4: 20, 3: 10, 2: 5, 1: 5}, scale=5))
    row = only_row(satisfaction.csat(store.cursor(), JAN))
    assert (row.responses, row.satisfied) == (50, 30)
    assert row.csat == pytest.approx(0.60)
    # Wilson by hand, z = 1.96, no continuity correction
    z, n, p = 1.96, 50, 0.6
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert (row.ci_low, row.ci_high) == pytest.approx((centre - half, centre + half))
    assert (row.ci_low, row.ci_high) == pytest.approx((0.4618, 0.7239), abs=1e-4)
    assert bool(row.small_n) is False


def test_csat_on_the_10_point_scale_uses_threshold_8(store, insert, acme):
    insert("survey_responses", answers("csat", {10: 1, 9: 1, 8: 1, 7: 1, 5: 1}, scale=10))
    row = only_row(satisfaction.csat(store.cursor(), JAN))
    assert (row.responses, row.satisfied, row.csat) == (5, 3, pytest.approx(0.6))


def test_a_user_csat_threshold_is_on_the_5_point_scale_and_doubled_for_the_10_point_scale(
    store, insert, acme
):
    insert("survey_responses", answers("csat", {3: 2, 2: 1}, scale=5))
    insert(
        "survey_responses", answers("csat", {7: 1, 6: 1, 5: 1}, scale=10, day=datetime(2024, 1, 11))
    )
    row = only_row(satisfaction.csat(store.cursor(), JAN.with_setting("csat_threshold", 3)))
    assert (row.responses, row.satisfied) == (6, 4)  # 3, 3 on 1-5 and 7, 6 on 1-10


def test_csat_without_responses_is_null(store, insert, acme):
    insert("survey_responses", answers("nps", {9: 2}))
    row = only_row(satisfaction.csat(store.cursor(), JAN))
    assert row.responses == 0 and math.isnan(row.csat) and math.isnan(row.ci_low)


def test_ces_is_the_mean_score_with_a_t_interval(store, insert, acme):
    insert("survey_responses", answers("ces", {7: 2, 5: 1, 3: 1}))
    row = only_row(satisfaction.ces(store.cursor(), JAN))
    scores = np.array([7, 7, 5, 3])
    half = sps.t.ppf(0.975, 3) * scores.std(ddof=1) / 2
    assert row.ces == pytest.approx(5.5)
    assert (row.ci_low, row.ci_high) == pytest.approx((5.5 - half, 5.5 + half))


def test_ces_interval_is_null_for_one_response(store, insert, acme):
    insert("survey_responses", answers("ces", {6: 1}))
    row = only_row(satisfaction.ces(store.cursor(), JAN))
    assert row.ces == 6.0 and math.isnan(row.ci_low) and math.isnan(row.ci_high)


def test_nps_by_touchpoint_uses_the_response_column(store, insert, acme):
    insert("survey_responses", answers("nps", {10: 2}, touchpoint="support"))
    insert(
        "survey_responses", answers("nps", {0: 1}, touchpoint="renewal", day=datetime(2024, 1, 12))
    )
    df = registry.compute(store.cursor(), "nps", JAN.with_(by="touchpoint"))
    assert list(df.columns[:3]) == ["period", "partial", "touchpoint"]
    assert dict(zip(df.touchpoint, df.nps, strict=True)) == {"renewal": -100.0, "support": 100.0}


def test_responses_dated_on_as_of_count_and_the_next_day_does_not(store, insert, acme):
    insert("survey_responses", answers("nps", {10: 1}, day=datetime(2024, 1, 31, 23, 59, 59)))
    insert("survey_responses", answers("nps", {0: 1}, day=datetime(2024, 2, 1, 0, 0)))
    q = Query(start=date(2024, 1, 1), end=date(2024, 3, 1), as_of=date(2024, 1, 31))
    df = satisfaction.nps(store.cursor(), q)
    assert list(df.responses) == [1, 0]  # February starts after as-of: partial and empty
    assert list(df.partial) == [False, True]
