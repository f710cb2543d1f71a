"""The health raw inputs of many as-of dates in one query (`raw_inputs_many`, SQL
`health_inputs_many`) equal the single-date query's (`raw_inputs`, SQL `health_inputs`) row for
row, on random and hand-made data sets; and the band mix and the backtest built on it equal
scoring each date on its own."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from metrics import health, registry, rollup
from metrics.query import Query

START = date(2025, 1, 1)
DAYS = 540  # data from 2025-01-01 to mid 2026


def _ts(rng: random.Random, lo: int = 0, hi: int = DAYS) -> datetime:
    """A random timestamp; one in four exactly at midnight (the as-of boundaries)."""
    day = datetime.combine(START, datetime.min.time()) + timedelta(days=rng.randrange(lo, hi))
    return day if rng.random() < 0.25 else day + timedelta(minutes=rng.randrange(1, 1440))


def _random_book(insert, seed: int, n: int = 30) -> None:
    rng = random.Random(seed)
    accounts, attrs, subs, events, surveys, tickets = [], [], [], [], [], []
    segments = ["SMB", "Mid", "Enterprise", None]
    for i in range(n):
        acc = f"A{i:02d}"
        signup = START + timedelta(days=rng.randrange(0, 300))
        churn = signup + timedelta(days=rng.randrange(30, 500)) if rng.random() < 0.35 else None
        accounts.append({"account_id": acc, "name": f"Account {i}", "signup_date": signup,
                         "churn_date": churn, "segment": rng.choice(segments),
                         "region": rng.choice(["EU", "US"]),
                         "lifecycle_stage": rng.choice(["onboarding", "mature", None]),
                         "csm_owner": rng.choice(["Kim", "Lee"])})
        if rng.random() < 0.7:  # some accounts without seats, some with a non-number
            attrs.append({"account_id": acc, "attribute": rng.choice(["seats", " Seats "]),
                          "value": rng.choice(["5", "12", "40", "0", "many"])})
        d = signup
        for _ in range(rng.randrange(0, 4)):  # consecutive subscription periods
            end = d + timedelta(days=rng.randrange(20, 200))
            subs.append({"account_id": acc, "start_date": d,
                         "end_date": end if rng.random() < 0.7 else None,
                         "mrr": rng.choice([0, 50, 99.5, 120, 400])})
            d = end - timedelta(days=rng.randrange(0, 10))  # overlaps too
        for _ in range(rng.randrange(0, 60)):
            events.append({"account_id": acc, "user_id": f"u{rng.randrange(8)}",
                           "occurred_at": _ts(rng),
                           "feature": rng.choice(["f1", "f2", "f3", "f4", "f5", None])})
        for k in range(rng.randrange(0, 6)):
            kind = rng.choice(["nps", "csat", "ces"])
            surveys.append({"response_id": f"r{i}_{k}", "account_id": acc, "survey_type": kind,
                            "score": rng.randrange(0, 11) if kind == "nps" else rng.randrange(1, 6),
                            "scale": {"nps": 11, "csat": rng.choice([5, None]), "ces": 7}[kind],
                            "responded_at": _ts(rng)})
        for k in range(rng.randrange(0, 8)):
            created = _ts(rng)
            first = created + timedelta(hours=rng.choice([1, 5, 30, 100])) \
                if rng.random() < 0.8 else None
            resolved = created + timedelta(days=rng.randrange(0, 120)) \
                if rng.random() < 0.7 else None
            tickets.append({"ticket_id": f"t{i}_{k}", "account_id": acc, "created_at": created,
                            "first_response_at": first, "resolved_at": resolved,
                            "priority": rng.choice(["P1", "p1 ", "P2", "P3", "P4", None])})
    insert("accounts", accounts)
    insert("account_attributes", attrs)
    insert("subscriptions", subs)
    insert("usage_events", events)
    insert("survey_responses", surveys)
    insert("tickets", tickets)


def _dates(seed: int) -> list[date]:
    rng = random.Random(seed + 100)
    firsts = [date(2025 + (m - 1) // 12, (m - 1) % 12 + 1, 1) for m in range(2, 19)]
    return sorted(set(rng.sample(firsts, 8) + [START + timedelta(days=rng.randrange(0, DAYS))
                                               for _ in range(4)] + [START, date(2027, 1, 1)]))


def _single(cur, q, model, dates) -> pd.DataFrame:
    frames = [health.raw_inputs(cur, q, model, as_of=d) for d in dates]
    return pd.concat([f for f in frames if len(f)], ignore_index=True)


def _assert_same(many: pd.DataFrame, single: pd.DataFrame) -> None:
    assert list(many.columns) == list(single.columns)
    key = ["as_of", "account_id"]
    a = many.sort_values(key).reset_index(drop=True)
    b = single.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


def _models() -> list[dict]:
    base = health.default_model()
    other = health.default_model()
    other["window_days"] = 7
    other["components"]["adoption"]["top_features"] = 2
    other["components"]["sentiment"]["days"] = 20
    other["components"]["support"]["days"] = 15
    other["components"]["financial"]["days"] = 45
    return [base, health.validate_model(other)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_many_dates_equal_one_query_per_date_on_random_data(store, insert, seed):
    _random_book(insert, seed)
    cur = store.cursor()
    rollup.refresh(cur)
    dates = _dates(seed)
    for model in _models():
        for q in (Query(), Query(segment=("SMB", "Mid")), Query(attributes=(("seats", ("5",)),))):
            many = health.raw_inputs_many(cur, q, model, dates)
            assert len(many) > 0
            _assert_same(many, _single(cur, q, model, dates))


def test_many_dates_on_the_hand_made_book_and_edge_cases(store, insert):
    # A: P1 tickets created long before the support window, one still open and one resolved
    # exactly on as-of (open on as-of), another recent one resolved on as-of; usage exactly on
    # the window's first day and on as-of
    insert("accounts", [
        {"account_id": "A", "segment": "SMB", "signup_date": date(2025, 1, 1)},
        {"account_id": "B", "segment": "SMB", "signup_date": date(2026, 3, 1)},  # signs up on as-of
        {"account_id": "C", "segment": "SMB", "signup_date": date(2025, 1, 1),
         "churn_date": date(2026, 3, 1)},  # churns on as-of: not active
    ])
    insert("usage_events", [
        {"account_id": "A", "user_id": "u1", "occurred_at": datetime(2026, 1, 30), "feature": "f1"},
        {"account_id": "A", "user_id": "u2", "occurred_at": datetime(2026, 3, 1), "feature": "f2"},
        {"account_id": "C", "user_id": "u1", "occurred_at": datetime(2026, 2, 3), "feature": "f1"},
    ])
    insert("tickets", [
        {"ticket_id": "t1", "account_id": "A", "created_at": datetime(2025, 2, 1),
         "priority": "P1"},
        {"ticket_id": "t2", "account_id": "A", "created_at": datetime(2026, 2, 1),
         "resolved_at": datetime(2026, 3, 1), "priority": "P1"},
        {"ticket_id": "t3", "account_id": "A", "created_at": datetime(2026, 2, 27, 23),
         "priority": "P2"},
        {"ticket_id": "t4", "account_id": "A", "created_at": datetime(2025, 6, 1),
         "resolved_at": datetime(2026, 3, 1), "priority": "P1"},  # old, resolved on as-of
    ])
    insert("survey_responses", [  # answers of the same second: the highest id; NPS first
        {"response_id": "n1", "account_id": "A", "survey_type": "nps", "score": 3, "scale": 11,
         "responded_at": datetime(2026, 2, 1, 10)},
        {"response_id": "n2", "account_id": "A", "survey_type": "nps", "score": 9, "scale": 11,
         "responded_at": datetime(2026, 2, 1, 10)},
        {"response_id": "c1", "account_id": "A", "survey_type": "csat", "score": 2, "scale": 5,
         "responded_at": datetime(2026, 2, 20)},
        # exactly on the first day of the 180-day window of 2026-01-01: counts
        {"response_id": "n0", "account_id": "A", "survey_type": "nps", "score": 6, "scale": 11,
         "responded_at": datetime(2025, 7, 5)},
        {"response_id": "n3", "account_id": "A", "survey_type": "nps", "score": 0, "scale": 11,
         "responded_at": datetime(2026, 3, 1)},  # on as-of: not before it
    ])
    insert("subscriptions", [
        {"account_id": "A", "start_date": date(2025, 1, 1), "end_date": date(2026, 2, 28),
         "mrr": 100},
        {"account_id": "A", "start_date": date(2026, 2, 28), "mrr": 150},
    ])
    cur = store.cursor()
    rollup.refresh(cur)
    dates = [date(2026, 1, 1), date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 2)]
    model = health.default_model()
    many = health.raw_inputs_many(cur, Query(), model, dates)
    _assert_same(many, _single(cur, Query(), model, dates))
    a = many[(many["as_of"] == date(2026, 3, 1)) & (many["account_id"] == "A")].iloc[0]
    assert a["open_p1"] == 3 and a["tickets"] == 2 and a["active_users"] == 1
    assert a["mrr_now"] == 150 and a["mrr_base"] == 100
    assert a["sentiment_type"] == "nps" and a["sentiment_raw"] == 9
    jan = many[(many["as_of"] == date(2026, 1, 1)) & (many["account_id"] == "A")].iloc[0]
    assert jan["sentiment_raw"] == 6
    assert sorted(many.loc[many["as_of"] == date(2026, 3, 1), "account_id"]) == ["A", "B"]


def test_no_dates_and_an_empty_database(store):
    cur = store.cursor()
    model = health.default_model()
    assert health.raw_inputs_many(cur, Query(), model, []).empty
    out = health.raw_inputs_many(cur, Query(), model, [date(2026, 1, 1)])
    assert out.empty and list(out.columns) == [*health.INPUT_COLUMNS, "as_of"]


def _mix_one_by_one(cur, q, model):
    rows = []
    for d in health.mix_dates(cur, q):
        s = health.score_accounts(health.raw_inputs(cur, q, model, as_of=d), model)
        s = s[s["in_scope"].astype(bool)] if len(s) else s
        counts = s["band"].value_counts() if len(s) else {}
        rows.append({"as_of": d, "accounts": len(s),
                     **{b: int(counts.get(b, 0)) for b in ("green", "yellow", "red")},
                     "unscored": int(s["score"].isna().sum()) if len(s) else 0,
                     "mean_score": float(s["score"].mean()) if len(s) else math.nan,
                     "model_version": model["version"]})
    return pd.DataFrame(rows, columns=health.MIX_COLUMNS)


@pytest.mark.parametrize("seed", [4, 5])
def test_the_band_mix_and_backtest_equal_scoring_each_date_on_its_own(store, insert, seed):
    _random_book(insert, seed, n=60)
    cur = store.cursor()
    rollup.refresh(cur)
    model = health.default_model()
    for q in (Query(start=date(2025, 3, 1), end=date(2026, 3, 1)), Query(segment=("SMB",))):
        mix = registry.compute(cur, "health_mix", q)
        assert len(mix) > 1
        pd.testing.assert_frame_equal(mix, _mix_one_by_one(cur, q, model), check_dtype=False)
        bt = registry.compute(cur, "health_backtest", q)
        expected = health.backtest_frame([
            health.backtest_row(health.score_accounts(
                health.raw_inputs(cur, q, model, as_of=d), model), d)
            for d in health.backtest_dates(cur, q)])
        pd.testing.assert_frame_equal(bt, expected)
