"""Health scores (METRICS.md "Health score"): hand-worked scores, re-normalisation, per-segment
models, the path to the next band, the model file's validation and round trip, the backtest."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from metrics import health, registry, rollup
from metrics.query import Query

AS_OF = date(2026, 3, 1)


def _events(acc, users, features, day=datetime(2026, 2, 20, 10)):
    return [{"account_id": acc, "user_id": f"u{i}", "occurred_at": day + timedelta(hours=i),
             "feature": features[i % len(features)]} for i in range(users)]


@pytest.fixture
def book(store, insert):
    """Three accounts with known inputs as of 2026-03-01 (see each test's arithmetic)."""
    insert("accounts", [
        {"account_id": "A", "segment": "SMB", "signup_date": date(2025, 1, 1), "csm_owner": "Kim"},
        {"account_id": "B", "segment": "SMB", "signup_date": date(2025, 1, 1)},
        {"account_id": "C", "segment": "Enterprise", "signup_date": date(2025, 1, 1)},
        # churned before as-of: not scored; churns after: scored, an outcome for the backtest
        {"account_id": "X", "segment": "SMB", "signup_date": date(2025, 1, 1),
         "churn_date": date(2026, 2, 1)},
    ])
    insert("account_attributes", [
        {"account_id": "A", "attribute": "seats", "value": "10"},
        {"account_id": "B", "attribute": "seats", "value": "5"},
        {"account_id": "C", "attribute": "seats", "value": "20"},
    ])
    # A: 4 users (usage 40), feature f1 of the window's two features (adoption 50);
    # B: 5 users on f1 and f2 (usage 100, adoption 100); C: 2 users on f1 (usage 10, adoption 50)
    ev = _events("A", 4, ["f1"]) + _events("B", 5, ["f1", "f2"]) + _events("C", 2, ["f1"])
    # events on or after as-of and before the 30-day window do not count
    ev += _events("A", 9, ["f3"], day=datetime(2026, 3, 1, 0)) + _events(
        "A", 9, ["f4"], day=datetime(2026, 1, 20))
    insert("usage_events", ev)
    insert("survey_responses", [
        {"response_id": "r1", "account_id": "A", "survey_type": "nps", "score": 8, "scale": 11,
         "responded_at": datetime(2026, 2, 1)},
        {"response_id": "r0", "account_id": "A", "survey_type": "csat", "score": 1, "scale": 5,
         "responded_at": datetime(2026, 2, 15)},  # an NPS answer comes first
        {"response_id": "r2", "account_id": "B", "survey_type": "nps", "score": 0, "scale": 11,
         "responded_at": datetime(2025, 6, 1)},  # older than 180 days: B has no sentiment
        {"response_id": "r3", "account_id": "B", "survey_type": "nps", "score": 0, "scale": 11,
         "responded_at": datetime(2026, 3, 1)},  # on as-of: not before it
    ])
    insert("tickets", [  # A: one P3 ticket answered in 2 h (target 24 h): 1 ticket / 10 seats
        {"ticket_id": "t1", "account_id": "A", "created_at": datetime(2026, 2, 10, 9),
         "first_response_at": datetime(2026, 2, 10, 11), "resolved_at": datetime(2026, 2, 11),
         "priority": "P3"},
    ])
    insert("subscriptions", [  # A: 100 then 120 (+20%: financial 60); B 50, C 200 flat (50)
        {"account_id": "A", "start_date": date(2025, 1, 1), "mrr": 100},
        {"account_id": "A", "start_date": date(2026, 1, 15), "mrr": 20},
        {"account_id": "B", "start_date": date(2025, 1, 1), "mrr": 50},
        {"account_id": "C", "start_date": date(2025, 1, 1), "mrr": 200},
    ])
    cur = store.cursor()
    rollup.refresh(cur)
    return cur


def _row(df, acc):
    return df.set_index("account_id").loc[acc]


def test_hand_worked_score_contributions_add_up_exactly(book):
    df = registry.compute(book, "health", Query(as_of=AS_OF))
    assert list(df.columns) == health.HEALTH_COLUMNS
    assert sorted(df.account_id) == ["A", "B", "C"]
    a = _row(df, "A")
    # usage 4/10 → 40, adoption 1/2 → 50, sentiment NPS 8 → 80,
    # support 100 − 50 × (1 ticket / 10 seats) = 95, financial 50 + 50 × 0.2 = 60
    assert [a[f"{c}_score"] for c in health.COMPONENTS] == pytest.approx([40, 50, 80, 95, 60])
    # 0.3 × 40 + 0.2 × 50 + 0.2 × 80 + 0.15 × 95 + 0.15 × 60 = 12 + 10 + 16 + 14.25 + 9
    assert a["score"] == pytest.approx(61.25)
    assert a["band"] == "yellow" and a["next_band"] == "green" and a["model_version"] == 1
    for _, r in df.iterrows():
        assert sum(r[f"{c}_contribution"] for c in health.COMPONENTS
                   if not math.isnan(r[f"{c}_contribution"])) == r["score"]


def test_a_missing_component_drops_out_and_the_other_weights_are_renormalised(book):
    df = registry.compute(book, "health", Query(as_of=AS_OF))
    b = _row(df, "B")
    assert math.isnan(b["sentiment_score"]) and math.isnan(b["sentiment_contribution"])
    # present weights 0.3 + 0.2 + 0.15 + 0.15 = 0.8 → 0.375, 0.25, 0.1875, 0.1875;
    # usage 100, adoption 100, support 100 (no tickets), financial 50
    assert b["usage_contribution"] == pytest.approx(37.5)
    assert b["adoption_contribution"] == pytest.approx(25)
    assert b["support_contribution"] == pytest.approx(18.75)
    assert b["financial_contribution"] == pytest.approx(9.375)
    assert b["score"] == pytest.approx(90.625) and b["band"] == "green"
    assert b["next_band"] is None or pd.isna(b["next_band"])
    assert b["path_to_next_band"] is None
    full = _row(registry.compute(book, "health_accounts", Query(as_of=AS_OF)), "B")
    assert full["missing"] == "sentiment"
    assert full["sentiment_effective_weight"] != full["sentiment_effective_weight"]  # NaN
    assert full["usage_effective_weight"] == pytest.approx(0.375)


def _enterprise_model(tmp_path):
    doc = health.default_model()
    doc["segments"] = {"Enterprise": {
        "weights": {"usage": 0.5, "adoption": 0.5, "sentiment": 0, "support": 0, "financial": 0},
        "bands": {"green": 80, "yellow": 50}}}
    path = tmp_path / "model.yaml"
    health.save_model(doc, path, bump=False)
    return path


def test_a_per_segment_model_uses_its_own_weights_and_bands(book, tmp_path):
    default = _row(registry.compute(book, "health", Query(as_of=AS_OF)), "C")
    # default: usage 10, adoption 50, support 100, financial 50, no sentiment (0.8 of weight):
    # (0.3 × 10 + 0.2 × 50 + 0.15 × 100 + 0.15 × 50) / 0.8 = 35.5 / 0.8
    assert default["score"] == pytest.approx(44.375) and default["band"] == "yellow"
    q = Query(as_of=AS_OF, settings=(("health_model", str(_enterprise_model(tmp_path))),))
    df = registry.compute(book, "health", q)
    c = _row(df, "C")
    # Enterprise: 0.5 × 10 + 0.5 × 50 = 30, red under its own yellow threshold of 50
    assert c["score"] == pytest.approx(30) and c["band"] == "red" and c["next_band"] == "yellow"
    assert math.isnan(c["support_contribution"])
    assert _row(df, "A")["score"] == pytest.approx(61.25)  # SMB keeps the base model


def test_the_path_to_the_next_band_is_the_least_change_and_applying_it_gets_there(book, tmp_path):
    model = health.default_model()
    raw = health.raw_inputs(book, Query(as_of=AS_OF), model)
    scored = health.score_accounts(raw, model)
    path = _row(scored, "A")["path_to_next_band"]
    # gap 70 − 61.25 = 8.75: usage needs 40 + 8.75 / 0.3 = 69.2 → 7 users of 10 (+30 points);
    # adoption would need 2 of 2 features (+50); sentiment, support, financial cannot get there
    assert path == {"component": "usage", "input": "active users", "from": 4, "to": 7}
    after = _row(health.score_accounts(health.apply_path(raw, "A", path), model), "A")
    assert after["band"] == "green"
    # one user fewer than the path says is not enough
    short = dict(path, to=6)
    assert _row(health.score_accounts(health.apply_path(raw, "A", short), model),
                "A")["band"] == "yellow"
    # per-segment model: C is red (30 < 50) → 10 users of 20 gives 0.5 × 50 + 0.5 × 50 = 50
    model = health.load_model(_enterprise_model(tmp_path))
    scored = health.score_accounts(raw, model)
    path = _row(scored, "C")["path_to_next_band"]
    assert path == {"component": "usage", "input": "active users", "from": 2, "to": 10}
    assert _row(health.score_accounts(health.apply_path(raw, "C", path), model),
                "C")["band"] == "yellow"


def _synthetic_raw(n=300, seed=7):
    rng = np.random.default_rng(seed)
    seats = np.where(rng.random(n) < 0.5, rng.integers(1, 40, n).astype(float), np.nan)
    nps = rng.random(n) < 0.6
    return pd.DataFrame({
        "account_id": [f"a{i}" for i in range(n)],
        "segment": rng.choice(["SMB", "Mid", None], n),
        "lifecycle_stage": rng.choice(["onboarding", "mature"], n),
        "in_scope": True,
        "seats": seats,
        "active_users": rng.integers(0, 40, n),
        "features_used": rng.integers(0, 11, n),
        "top_features": 10,
        "sentiment_type": np.where(rng.random(n) < 0.2, None, np.where(nps, "nps", "csat")),
        "sentiment_raw": np.where(nps, rng.integers(0, 11, n), rng.integers(1, 6, n)).astype(float),
        "sentiment_scale": np.where(nps, 11.0, 5.0),
        "tickets": rng.integers(0, 8, n),
        "open_p1": rng.integers(0, 4, n),
        "missed_sla": rng.integers(0, 3, n),
        "mrr_now": rng.integers(0, 500, n).astype(float),
        "mrr_base": np.where(rng.random(n) < 0.8, rng.integers(1, 500, n), 0).astype(float),
        "usage_tracked": True,
        "tickets_tracked": True,
        "churned_next": rng.random(n) < 0.1,
    }).assign(sentiment_raw=lambda d: d["sentiment_raw"].where(d["sentiment_type"].notna()))


def test_every_suggested_path_moves_its_account_to_the_next_band_on_varied_inputs():
    model = health.default_model()
    model["lifecycle_stages"] = {"onboarding": {"weights": {"usage": 0.5, "financial": 0.0},
                                                "bands": {"green": 75, "yellow": 45}}}
    model = health.validate_model(model)
    raw = _synthetic_raw()
    scored = health.score_accounts(raw, model)
    checked = 0
    for _, r in scored[scored["path_to_next_band"].notna()].iterrows():
        after = health.score_accounts(health.apply_path(raw, r["account_id"],
                                                        r["path_to_next_band"]), model)
        assert _row(after, r["account_id"])["band"] == r["next_band"], r["path_to_next_band"]
        checked += 1
    assert checked > 50
    # contributions add up exactly everywhere
    contrib = scored[[f"{c}_contribution" for c in health.COMPONENTS]].fillna(0.0)
    total = contrib["usage_contribution"]
    for c in health.COMPONENTS[1:]:
        total = total + contrib[f"{c}_contribution"]
    assert (total[scored["score"].notna()] == scored["score"].dropna()).all()


def test_scoring_many_dates_in_one_pass_equals_scoring_each_date_on_its_own():
    # half the accounts lack seats, so the usage score is the percentile within the segment:
    # the one value that compares accounts, which must compare those of the same as-of only
    first, second = _synthetic_raw(seed=7), _synthetic_raw(n=200, seed=8)
    days = [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    raw = pd.concat([first.assign(as_of=days[0]), second.assign(as_of=days[2])],
                    ignore_index=True)
    model = health.default_model()
    got = health.scored_by_date(raw, model, days)
    assert list(got) == days and got[days[1]].empty
    for day, part in ((days[0], first), (days[2], second)):
        alone = health.score_accounts(part.assign(as_of=day), model, paths=False)
        pd.testing.assert_frame_equal(got[day], alone, check_exact=True)
        assert got[day]["usage_score"].notna().sum() > 100


def test_data_on_or_after_as_of_is_not_used(book):
    later = registry.compute(book, "health", Query(as_of=date(2026, 3, 2)))
    b = _row(later, "B")
    assert b["sentiment_score"] == 0  # the answer of 2026-03-01 counts from the next day on


# --- the model file ---------------------------------------------------------------------------


@pytest.mark.parametrize("change, message", [
    (lambda m: m["components"]["usage"].update(weight=-0.1), "weight of usage is negative"),
    (lambda m: m.update(bands={"green": 40, "yellow": 70}), "band thresholds out of order"),
    (lambda m: m["components"].update(happiness={"weight": 0.1}),
     "unknown component 'happiness'"),
    (lambda m: m.update(segments={"SMB": {"weights": {"vibes": 1}}}),
     "unknown component 'vibes'"),
    (lambda m: m.update(lifecycle_stages={"onboarding": {"bands": {"green": 101, "yellow": 3}}}),
     "out of order"),
])
def test_an_invalid_model_is_refused_with_a_clear_message_and_the_saved_one_kept(
        tmp_path, change, message):
    path = tmp_path / "model.yaml"
    path.write_text(health.MODEL_FILE.read_text())
    before = path.read_bytes()
    bad = health.default_model()
    change(bad)
    with pytest.raises(health.ModelError, match=message):
        health.save_model(bad, path)
    assert path.read_bytes() == before


def test_the_model_round_trips_unchanged_and_a_save_bumps_the_version(tmp_path):
    model = health.default_model()
    assert health.parse_model(health.dump_model(model)) == model
    path = tmp_path / "model.yaml"
    path.write_text(health.MODEL_FILE.read_text())
    health.save_model(model, path, bump=False)
    assert health.load_model(path) == model
    assert path.read_text().startswith("# The health model")  # the comment header is kept
    edited = health.load_model(path)
    edited["components"]["usage"]["weight"] = 0.4
    saved = health.save_model(edited, path)
    assert saved["version"] == model["version"] + 1
    assert health.load_model(path)["components"]["usage"]["weight"] == 0.4


def test_a_save_removes_the_temporary_files_of_dead_writers_and_keeps_live_ones(tmp_path):
    import os
    import subprocess
    import sys
    import time

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # its pid names a writer killed between the write and the rename
    dead = tmp_path / f".health_model.{gone.pid}.k3x9"
    live = tmp_path / f".health_model.{os.getpid()}.q7w2"  # a save under way in this process
    old_unnamed = tmp_path / ".health_model.a8d0zq"  # named before the pid was in the name
    new_unnamed = tmp_path / ".health_model.b1c2rt"
    for f in (dead, live, old_unnamed, new_unnamed):
        f.write_text("version: 1\n")
    hours_ago = time.time() - 2 * 3600
    os.utime(old_unnamed, (hours_ago, hours_ago))
    target = tmp_path / "health_model.yaml"
    health.save_model(health.default_model(), target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [target.name, live.name, new_unnamed.name])
    assert health.load_model(target)["components"] == health.default_model()["components"]


def test_the_shipped_default_model_matches_metrics_md():
    m = health.default_model()
    assert {k: v["weight"] for k, v in m["components"].items()} == {
        "usage": 0.3, "adoption": 0.2, "sentiment": 0.2, "support": 0.15, "financial": 0.15}
    assert m["bands"] == {"green": 70, "yellow": 40}
    assert m["window_days"] == 30


# --- backtest ---------------------------------------------------------------------------------


def test_auc_is_one_when_every_churner_scores_below_every_other_account():
    scores = np.array([10, 20, 30, 70, 80, 90, 95])
    churned = np.array([True, True, True, False, False, False, False])
    assert health.auc(scores, churned) == 1.0
    assert health.auc(scores, ~churned) == 0.0


def test_auc_counts_ties_as_half_and_matches_the_pairwise_definition():
    rng = np.random.default_rng(1)
    scores = rng.integers(0, 10, 60).astype(float)
    churned = rng.random(60) < 0.3
    pairs = [(1.0 if s1 < s0 else 0.5 if s1 == s0 else 0.0)
             for s1 in scores[churned] for s0 in scores[~churned]]
    assert health.auc(scores, churned) == pytest.approx(np.mean(pairs))
    assert health.auc(np.full(10, 5.0), np.arange(10) < 3) == 0.5


def test_auc_of_random_scores_is_about_one_half():
    # Under no association AUC has mean ½ and standard deviation √((n₀ + n₁ + 1) / (12 n₀ n₁))
    # (Mann-Whitney): with 200 churners and 1,800 others that is 0.0215; 4 sd = 0.086 would be
    # exceeded by chance about once in 16,000 seeds.
    rng = np.random.default_rng(2026)
    churned = np.arange(2000) < 200
    sd = math.sqrt((1800 + 200 + 1) / (12 * 1800 * 200))
    assert abs(health.auc(rng.random(2000) * 100, churned) - 0.5) < 4 * sd


def test_backtest_row_lift_and_flagged_mrr():
    scored = pd.DataFrame({
        "in_scope": True, "score": [10, 20, 50, 60, 80, 90],
        "band": ["red", "red", "yellow", "yellow", "green", "green"],
        "churned_next": [True, False, True, False, False, True],
        "mrr_now": [100, 50, 200, 50, 50, 300],
    })
    row = health.backtest_row(scored, AS_OF)
    assert row["accounts"] == 6 and row["churners"] == 3
    assert row["red_lift"] == pytest.approx(0.5 / 0.5)  # red churn 1/2 ÷ overall 3/6
    assert row["churned_mrr_flagged"] == pytest.approx(300 / 600)
    # pairs churner < other: 10<20,50,80 (3); 50<60,80 (2); 90 < none → 5 of 9
    assert row["auc"] == pytest.approx(5 / 9)


def test_backtest_dates_are_the_twelve_month_starts_ending_90_days_before_the_data(book):
    df = registry.compute(book, "health_backtest", Query())
    assert list(df.columns) == health.BACKTEST_COLUMNS
    # latest data day 2026-03-01 (an event and an answer) − 90 days = 2025-12-01
    assert df["as_of"].iloc[-1] == date(2025, 12, 1) and df["as_of"].iloc[0] == date(2025, 1, 1)
    assert len(df) == 12
    one = registry.compute(book, "health_backtest", Query(as_of=AS_OF))
    assert list(one["as_of"]) == [AS_OF] and one["accounts"].iloc[0] == 3


def test_an_empty_database_gives_empty_frames(store):
    cur = store.cursor()
    assert registry.compute(cur, "health", Query()).empty
    assert list(registry.compute(cur, "health", Query()).columns) == health.HEALTH_COLUMNS
    assert registry.compute(cur, "health_backtest", Query()).empty


# --- DATA.md's promise about the small demo set --------------------------------------------------


@pytest.fixture(scope="module")
def demo_cur(tmp_path_factory):
    from metrics import demo
    from metrics.store import Store

    store = Store(tmp_path_factory.mktemp("health_demo") / "demo.duckdb")
    demo.generate(store, "small", end=date(2026, 6, 30))
    cur = store.cursor()
    yield cur
    cur.close()
    store.close()


def test_the_small_demo_set_has_every_band_and_a_backtest_auc_above_0_6(demo_cur):
    df = registry.compute(demo_cur, "health", Query())
    assert set(df["band"].dropna()) == {"green", "yellow", "red"}
    bt = registry.compute(demo_cur, "health_backtest", Query())
    assert len(bt) == 12 and (bt["churners"] > 0).all()
    assert (bt["auc"] > 0.6).all(), bt
    assert (bt["red_lift"] > 1).all(), bt


def test_account_book_lists_mrr_last_nps_and_open_tickets(book, insert):
    insert("tickets", [{"ticket_id": "t2", "account_id": "B", "created_at": datetime(2026, 2, 27),
                        "priority": "P1"}])  # open at as-of
    df = registry.compute(book, "account_book", Query(as_of=AS_OF))
    assert list(df.account_id) == ["A", "B", "C"]
    a, b = _row(df, "A"), _row(df, "B")
    assert a["mrr"] == 120 and a["last_nps"] == 8 and a["open_tickets"] == 0
    assert a["last_nps_date"] == date(2026, 2, 1) and a["csm_owner"] == "Kim"
    assert b["open_tickets"] == 1 and b["last_nps"] == 0  # the answer on as-of counts here


def test_csm_metric_health_prints_the_page_numbers_and_refuses_a_bad_model(
        book, store, tmp_path, capsys):
    from csm import cli

    book.close()
    store.close()
    db = str(store.path)
    assert cli.main(["metric", "health", "--as-of", "2026-03-01", "--db", db]) == 0
    rows = json.loads(capsys.readouterr().out)
    a = [r for r in rows if r["account_id"] == "A"][0]
    assert a["score"] == pytest.approx(61.25)
    assert a["path_to_next_band"] == {"component": "usage", "input": "active users",
                                      "from": 4, "to": 7}
    bad = tmp_path / "bad.yaml"
    bad.write_text("components:\n  usage: {weight: -1}\n")
    assert cli.main(["metric", "health", "--db", db, "--health-model", str(bad)]) == 2
    assert "weight of usage is negative" in capsys.readouterr().err
    assert cli.main(["metric", "health_backtest", "--as-of", "2026-03-01", "--db", db]) == 0
    assert json.loads(capsys.readouterr().out)[0]["accounts"] == 3


def test_a_save_logs_the_day_of_the_version_and_charts_mark_it(tmp_path, monkeypatch):
    from render import charts

    monkeypatch.setattr(health.periods, "today", lambda: date(2026, 3, 10))
    path = tmp_path / "model.yaml"
    path.write_text(health.MODEL_FILE.read_text())
    saved = health.save_model(health.default_model(), path)
    assert saved["changes"] == [{"version": 2, "saved": "2026-03-10"}]
    assert health.model_changes(health.load_model(path)) == [(date(2026, 3, 10), 2)]
    mix = pd.DataFrame({"as_of": [date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)],
                        "green": 1, "yellow": 1, "red": 1, "unscored": 0, "mean_score": 50.0})
    fig = charts.plot_band_mix(mix, title="t", changes=health.model_changes(saved))
    assert any("model v2" in (a.text or "") for a in fig.layout.annotations)
    fig = charts.plot_band_mix(mix, title="t", changes=[(date(2027, 1, 1), 3)])
    assert not any("model v3" in (a.text or "") for a in fig.layout.annotations)
