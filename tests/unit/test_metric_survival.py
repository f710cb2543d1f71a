"""survival: Kaplan–Meier, Greenwood exponential band, medians and log-rank, checked against
lifelines on its shipped Waltons data set and on a hand-built book (METRICS.md)."""

from datetime import date

import numpy as np
import pytest

from metrics import registry
from metrics.kpis import survival
from metrics.query import Query

lifelines = pytest.importorskip("lifelines")


def test_kaplan_meier_and_its_band_match_lifelines_on_the_waltons_data():
    from lifelines import KaplanMeierFitter
    from lifelines.datasets import load_waltons

    df = load_waltons()
    ours = survival.kaplan_meier(df["T"], df["E"]).set_index("time_days")
    kmf = KaplanMeierFitter().fit(df["T"], df["E"])
    theirs = kmf.survival_function_.iloc[:, 0]
    ci = kmf.confidence_interval_survival_function_
    assert list(ours.index) == [int(t) for t in theirs.index]
    assert np.allclose(ours["survival"], theirs.to_numpy(), atol=1e-12)
    assert np.allclose(ours["ci_low"], ci.iloc[:, 0].to_numpy(), atol=1e-9)
    assert np.allclose(ours["ci_high"], ci.iloc[:, 1].to_numpy(), atol=1e-9)
    table = kmf.event_table
    assert list(ours["at_risk"]) == list(table["at_risk"])
    assert list(ours["events"]) == list(table["observed"])
    assert list(ours["censored"]) == list(table["censored"])
    assert survival.median_survival(ours.reset_index()) == kmf.median_survival_time_


def test_log_rank_matches_lifelines_for_two_and_three_groups():
    from lifelines.datasets import load_waltons
    from lifelines.statistics import multivariate_logrank_test

    df = load_waltons()
    ours = survival.logrank(df["T"], df["E"], df["group"])
    theirs = multivariate_logrank_test(df["T"], df["group"], df["E"])
    assert ours["df"] == 1
    assert ours["statistic"] == pytest.approx(theirs.test_statistic, rel=1e-9)
    assert ours["p_value"] == pytest.approx(theirs.p_value, rel=1e-6)
    three = np.where(df.index % 3 == 0, "c", df["group"])
    ours3 = survival.logrank(df["T"], df["E"], three)
    theirs3 = multivariate_logrank_test(df["T"], three, df["E"])
    assert ours3["df"] == 2
    assert ours3["statistic"] == pytest.approx(theirs3.test_statistic, rel=1e-9)


@pytest.fixture
def book(insert):
    d = date(2024, 1, 1)
    insert("accounts", [
        {"account_id": "a", "segment": "SMB", "signup_date": d, "churn_date": date(2024, 1, 11)},
        {"account_id": "b", "segment": "SMB", "signup_date": d, "churn_date": d},  # time 0
        {"account_id": "c", "segment": "Ent", "signup_date": d},
        # churns after as-of: censored at as-of (day 30)
        {"account_id": "d", "segment": "Ent", "signup_date": d, "churn_date": date(2024, 3, 1)},
        {"account_id": "late", "segment": "Ent", "signup_date": date(2024, 2, 5)},  # after as-of
    ])


def test_censoring_at_as_of_and_an_event_on_the_signup_day(store, book):
    df = survival.survival(store.cursor(), Query(as_of=date(2024, 1, 31)))
    assert list(df.columns) == list(survival.SURVIVAL_COLUMNS)
    assert list(df.time_days) == [0, 10, 30]
    assert list(df.at_risk) == [4, 3, 2]
    assert list(df.events) == [1, 1, 0]
    assert list(df.censored) == [0, 0, 2]
    assert list(df.survival) == pytest.approx([0.75, 0.5, 0.5])
    assert survival.median_survival(df) == 10


def test_by_segment_gives_rows_logrank_and_medians(store, book):
    out = registry.compute(store.cursor(), "survival",
                           Query(as_of=date(2024, 1, 31), by="segment"))
    assert set(out) == {"rows", "logrank", "medians"}
    assert out["rows"].columns[0] == "segment"
    assert out["medians"] == {"Ent": None, "SMB": 0.0}
    assert out["logrank"]["df"] == 1 and 0 <= out["logrank"]["p_value"] <= 1


def test_band_is_flat_where_survival_is_one_or_zero():
    km = survival.kaplan_meier([1, 2, 3], [False, True, True])
    assert km.loc[0, "ci_low"] == km.loc[0, "ci_high"] == 1.0
    assert km.survival.iloc[-1] == 0 and km.ci_low.iloc[-1] == km.ci_high.iloc[-1] == 0


def test_an_empty_database_gives_an_empty_frame(store):
    assert survival.survival(store.cursor(), Query()).empty
