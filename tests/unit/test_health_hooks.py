"""Band moves and "turned red" alerts once a `health` metric is registered (the health scores
are built elsewhere: a stand-in metric gives account bands by as-of here)."""

from dataclasses import replace
from datetime import date, datetime

import pandas as pd
import pytest

from metrics import alerts, registry, review
from metrics.ingest import load_file
from metrics.query import Query


def _bands(cur, q: Query) -> pd.DataFrame:
    # 'r' turns red from 2026-06-17 on; 'g' recovers from red on the same day
    late = q.as_of >= date(2026, 6, 17)
    return pd.DataFrame({"account_id": ["r", "g", "y"], "score": [10.0, 90.0, 50.0],
                         "band": ["red" if late else "yellow", "green" if late else "red",
                                  "yellow"]})


@pytest.fixture
def health(monkeypatch):
    fake = replace(registry.REGISTRY["mrr"], name="health", label="Health", fn=_bands,
                   columns=("account_id", "score", "band"), headline="score", periods=False)
    monkeypatch.setitem(registry.REGISTRY, "health", fake)
    assert alerts.health_available()


@pytest.fixture
def book(store, insert):
    insert("accounts", [{"account_id": a, "name": n, "signup_date": date(2025, 1, 1),
                         "renewal_date": date(2026, 7, 1)}
                        for a, n in (("r", "Red Co"), ("g", "Green Co"), ("y", "Yellow Co"))])
    insert("subscriptions", [{"account_id": a, "start_date": date(2025, 1, 1), "mrr": m}
                             for a, m in (("r", 5000), ("g", 300), ("y", 50))])
    # data up to Sunday 2026-06-21, the end of the week reviewed
    insert("survey_responses", [{"response_id": "x", "account_id": "y", "survey_type": "nps",
                                 "score": 8, "responded_at": datetime(2026, 6, 21, 9)}])


def test_the_review_lists_band_moves_and_renewals_with_health(store, book, health):
    r = review.build(store.cursor(), Query(), "2026-W25")
    assert r.health
    assert r.band_moves.account_id.tolist() == ["r", "g"]
    assert r.band_moves.move.tolist() == ["turned red", "recovered"]
    assert r.band_moves.mrr.tolist() == [5000.0, 300.0]
    assert dict(zip(r.renewals.account_id, r.renewals.band, strict=True)) == {
        "r": "red", "g": "green", "y": "yellow"}


def test_a_turned_red_rule_fires_after_an_import_for_accounts_above_the_mrr(
        store, book, health, tmp_path):
    cur = store.cursor()
    rid, problems = alerts.add_rule(cur, kind="health_red", mrr_min=1000, window_days=7)
    assert problems == [] and rid
    f = tmp_path / "r.csv"
    f.write_text("account_id,survey_type,score,responded_at\ny,nps,9,2026-06-20\n")
    assert load_file(store, "survey_responses", f).ok
    row = alerts.history(cur).iloc[0]
    assert row.fired and row.accounts == "r" and row.value == 1.0
    assert row.rule_name == "account turned red with MRR above 1,000"
    # a higher MRR floor: nobody concerned, nothing fired
    ev = alerts.evaluate_rule(cur, {"kind": "health_red", "mrr_min": 10_000,
                                    "window_days": 7, "segment": None}, date(2026, 6, 20))
    assert not ev.fired and ev.accounts == []


def test_without_health_the_review_says_so(store, book):
    if alerts.health_available():
        pytest.skip("a health metric is registered in this build")
    r = review.build(store.cursor(), Query(), "2026-W25")
    assert not r.health and r.band_moves is None
    assert r.renewals.band.isna().all()
