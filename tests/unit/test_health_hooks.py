"""Band moves and "turned red" alerts on the registered `health` metric, with real scores.

With NPS answers and flat MRR only, two components have data: sentiment (NPS × 10, weight 0.20)
and financial (50 for flat MRR, weight 0.15); re-normalised, score = (0.20 S + 0.15 × 50) / 0.35:
NPS 6 → 55.7 (yellow), 2 → 32.9 (red), 1 → 27.1 (red), 10 → 78.6 (green), 8 → 67.1 (yellow).
"""

from datetime import date, datetime

import pytest

from metrics import alerts, registry, review
from metrics.ingest import load_file
from metrics.query import Query


def _nps(rid, account, score, day):
    return {"response_id": rid, "account_id": account, "survey_type": "nps", "score": score,
            "responded_at": datetime(2026, 6, day, 9)}


@pytest.fixture
def book(store, insert):
    insert("accounts", [{"account_id": a, "name": n, "signup_date": date(2025, 1, 1),
                         "renewal_date": date(2026, 7, 1)}
                        for a, n in (("r", "Red Co"), ("g", "Green Co"), ("y", "Yellow Co"))])
    insert("subscriptions", [{"account_id": a, "start_date": date(2025, 1, 1), "mrr": m}
                             for a, m in (("r", 5000), ("g", 300), ("y", 50))])
    # 'r' yellow then red from an answer on 2026-06-16; 'g' red then green; 'y' stays yellow.
    # Data up to Sunday 2026-06-21, the end of the week reviewed.
    insert("survey_responses", [_nps("r1", "r", 6, 1), _nps("g1", "g", 1, 1),
                                _nps("y1", "y", 8, 1), _nps("r2", "r", 2, 16),
                                _nps("g2", "g", 10, 16), _nps("x", "y", 8, 21)])


def test_the_health_scores_of_the_book_are_the_hand_worked_ones(store, book):
    df = registry.compute(store.cursor(), "health", Query(as_of=date(2026, 6, 21)))
    got = {a: (round(s, 1), b) for a, s, b in zip(df.account_id, df.score, df.band, strict=True)}
    assert got == {"r": (32.9, "red"), "g": (78.6, "green"), "y": (67.1, "yellow")}


def test_the_review_lists_band_moves_and_renewals_with_health(store, book):
    r = review.build(store.cursor(), Query(), "2026-W25")
    assert r.health
    assert r.band_moves.account_id.tolist() == ["r", "g"]
    assert r.band_moves.move.tolist() == ["turned red", "recovered"]
    assert r.band_moves.mrr.tolist() == [5000.0, 300.0]
    assert dict(zip(r.renewals.account_id, r.renewals.band, strict=True)) == {
        "r": "red", "g": "green", "y": "yellow"}


def test_a_turned_red_rule_fires_after_an_import_for_accounts_above_the_mrr(
        store, book, tmp_path):
    cur = store.cursor()
    rid, problems = alerts.add_rule(cur, kind="health_red", mrr_min=1000, window_days=7)
    assert problems == [] and rid
    f = tmp_path / "r.csv"
    f.write_text("account_id,survey_type,score,responded_at\ny,nps,9,2026-06-20\n")
    assert load_file(store, "survey_responses", f, after_load=alerts.after_load).ok
    row = alerts.history(cur).iloc[0]
    assert row.fired and row.accounts == "r" and row.value == 1.0
    assert row.rule_name == "account turned red with MRR above 1,000"
    # a higher MRR floor: nobody concerned, nothing fired
    ev = alerts.evaluate_rule(cur, {"kind": "health_red", "mrr_min": 10_000,
                                    "window_days": 7, "segment": None}, date(2026, 6, 20))
    assert not ev.fired and ev.accounts == []
