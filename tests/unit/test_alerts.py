"""Alert rules on constructed data, evaluated through the real import path (metrics/alerts.py)."""

from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from metrics import alerts, goals
from metrics.ingest import load_file

ACCOUNTS = """account_id,name,segment,signup_date,churn_date
e1,Enterprise One,Enterprise,2025-01-01,
e2,Enterprise Two,Enterprise,2025-01-01,2026-01-20
s1,Small One,SMB,2025-01-01,
s2,Small Two,SMB,2025-01-01,
"""
# Enterprise answers are detractors (NPS -100), SMB answers promoters (NPS 100).
RESPONSES_1 = """account_id,survey_type,score,responded_at
e1,nps,3,2026-01-30
e2,nps,4,2026-01-15
s1,nps,10,2026-01-30
s2,nps,9,2026-01-31
"""
RESPONSES_2 = """account_id,survey_type,score,responded_at
e1,nps,2,2026-01-31
s1,nps,9,2026-01-31
"""


def _csv(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.fixture
def loaded(store, tmp_path):
    res = load_file(store, "accounts", _csv(tmp_path, "accounts.csv", ACCOUNTS),
                    after_load=alerts.after_load)
    assert res.ok, res.message
    return store


def _load(store, tmp_path, name, text, notes=None):
    res = load_file(store, "survey_responses", _csv(tmp_path, name, text),
                    progress=(lambda f, m: notes.append(m)) if notes is not None else None,
                    after_load=alerts.after_load)
    assert res.ok, res.message
    return res


def _history(store):
    return alerts.history(store.cursor())


def test_a_threshold_rule_fires_after_an_import_when_the_segment_is_below(loaded, tmp_path):
    cur = loaded.cursor()
    rid, problems = alerts.add_rule(cur, kind="threshold", metric="nps", segment="Enterprise",
                                    op="below", threshold=20)
    assert problems == []
    notes = []
    res = _load(loaded, tmp_path, "r1.csv", RESPONSES_1, notes)
    h = _history(loaded)
    assert len(h) == 1
    row = h.iloc[0]
    assert row.rule_id == rid and row.fired and not row.suppressed
    assert row.value == pytest.approx(-100.0) and row.threshold == 20
    assert row.trigger == "import" and row.load_id == res.load_id
    assert row.as_of == date(2026, 1, 31)
    assert row.rule_name == "nps of Enterprise below 20"
    assert any("1 fired" in n for n in notes), notes


def test_a_threshold_rule_does_not_fire_when_the_segment_is_above(loaded, tmp_path):
    alerts.add_rule(loaded.cursor(), kind="threshold", metric="nps", segment="SMB", op="below",
                    threshold=20)
    _load(loaded, tmp_path, "r1.csv", RESPONSES_1)
    row = _history(loaded).iloc[0]
    assert not row.fired and row.value == pytest.approx(100.0)


def test_the_cooldown_holds_back_the_second_import_and_lapses_after_it(loaded, tmp_path):
    cur = loaded.cursor()
    alerts.add_rule(cur, kind="threshold", metric="nps", segment="Enterprise", op="below",
                    threshold=20, cooldown_hours=24)
    _load(loaded, tmp_path, "r1.csv", RESPONSES_1)
    _load(loaded, tmp_path, "r2.csv", RESPONSES_2)
    h = _history(loaded).sort_values("event_id")
    assert h.fired.tolist() == [True, True]
    assert h.suppressed.tolist() == [False, True]  # still below, not repeated
    assert "cooldown" in h.message.iloc[1]
    # a day and a bit later, on demand: the alert is raised again
    later = datetime.now() + timedelta(hours=25)
    ev = alerts.evaluate(cur, trigger="manual", now=later)
    assert ev.fired.tolist() == [True] and ev.suppressed.tolist() == [False]
    assert len(alerts.fired(cur, date(2026, 1, 26), date(2026, 2, 2))) == 2


def test_a_rule_without_cooldown_repeats_at_every_import(loaded, tmp_path):
    alerts.add_rule(loaded.cursor(), kind="threshold", metric="nps", segment="Enterprise",
                    op="below", threshold=20, cooldown_hours=0)
    _load(loaded, tmp_path, "r1.csv", RESPONSES_1)
    _load(loaded, tmp_path, "r2.csv", RESPONSES_2)
    assert _history(loaded).suppressed.tolist() == [False, False]


def test_churn_above_target_fires_and_a_met_target_does_not(loaded, tmp_path):
    cur = loaded.cursor()
    # 4 customers on the day before the 30-day window, e2 churned in it: churn 0.25
    goals.save_targets(cur, pd.DataFrame([
        {"metric": "logo_churn", "segment": None, "period_start": "2026-01-01",
         "period_end": "2026-04-01", "target": 0.02, "note": None},
        {"metric": "logo_churn", "segment": "SMB", "period_start": "2026-01-01",
         "period_end": "2026-04-01", "target": 0.02, "note": None}]))
    alerts.add_rule(cur, kind="target", metric="logo_churn")
    alerts.add_rule(cur, kind="target", metric="logo_churn", segment="SMB")
    _load(loaded, tmp_path, "r1.csv", RESPONSES_1)
    h = _history(loaded).sort_values("rule_id")
    assert h.fired.tolist() == [True, False]
    assert h.value.tolist() == pytest.approx([0.25, 0.0])
    assert h.threshold.tolist() == [0.02, 0.02]
    assert h.rule_name.iloc[0] == "logo_churn worse than target"


def test_a_target_rule_without_a_target_for_the_day_does_not_fire(loaded, tmp_path):
    alerts.add_rule(loaded.cursor(), kind="target", metric="nps")
    _load(loaded, tmp_path, "r1.csv", RESPONSES_1)
    row = _history(loaded).iloc[0]
    assert not row.fired and "no target" in row.message


def test_a_disabled_rule_is_not_evaluated(loaded, tmp_path):
    alerts.add_rule(loaded.cursor(), kind="threshold", metric="nps", op="below", threshold=20,
                    enabled=False)
    _load(loaded, tmp_path, "r1.csv", RESPONSES_1)
    assert _history(loaded).empty


def test_a_failing_evaluation_never_fails_the_load(loaded, tmp_path, monkeypatch):
    alerts.add_rule(loaded.cursor(), kind="threshold", metric="nps", op="below", threshold=20)

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(alerts, "evaluate", boom)
    notes = []
    res = _load(loaded, tmp_path, "r1.csv", RESPONSES_1, notes)
    assert res.outcome == "loaded" and res.rows_loaded == 4
    assert any("disk on fire" in n for n in notes)
    assert loaded.cursor().execute("SELECT count(*) FROM survey_responses").fetchone()[0] == 4


@pytest.mark.parametrize(
    "fields, words",
    [
        ({"kind": "threshold", "metric": "happiness", "op": "below", "threshold": 1},
         "unknown metric"),
        ({"kind": "threshold", "metric": "nps", "op": "under", "threshold": 1}, "op"),
        ({"kind": "threshold", "metric": "csat", "op": "below", "threshold": 80}, "fraction"),
        ({"kind": "sometimes"}, "kind"),
    ],
)
def test_an_invalid_rule_is_refused_and_nothing_is_stored(store, fields, words):
    cur = store.cursor()
    rid, problems = alerts.add_rule(cur, **fields)
    assert rid is None and any(words in p for p in problems), problems
    assert alerts.read_rules(cur).empty


def test_health_rules_wait_for_health_scores(store, monkeypatch):
    monkeypatch.setattr(alerts, "health_available", lambda: False)
    _rid, problems = alerts.add_rule(store.cursor(), kind="health_red", mrr_min=1000)
    assert problems == ["kind: health scores are not available yet"]


def test_turned_red_lists_new_red_accounts_above_the_mrr():
    before = pd.DataFrame({"account_id": ["a", "b", "c", "d"],
                           "band": ["green", "red", "yellow", "yellow"]})
    after = pd.DataFrame({"account_id": ["a", "b", "c", "d"],
                          "band": ["red", "red", "red", "green"]})
    mrr = pd.DataFrame({"account_id": ["a", "b", "c"], "mrr": [5000.0, 9000.0, 500.0]})
    # b was red already; c is below the MRR floor; d recovered
    assert alerts.turned_red(before, after, mrr, 1000) == ["a"]


def test_saving_edited_rules_keeps_ids_and_refuses_a_bad_row(store):
    cur = store.cursor()
    rid, _ = alerts.add_rule(cur, kind="threshold", metric="nps", op="below", threshold=20)
    rules = alerts.read_rules(cur)
    rules.loc[0, "threshold"] = 10.0
    bad = pd.concat([rules, pd.DataFrame([{"kind": "threshold", "metric": "x", "op": "below",
                                           "threshold": 1}])], ignore_index=True)
    assert alerts.save_rules(cur, bad)
    assert alerts.read_rules(cur).threshold.tolist() == [20.0]
    assert alerts.save_rules(cur, rules) == []
    after = alerts.read_rules(cur)
    assert after.rule_id.tolist() == [rid] and after.threshold.tolist() == [10.0]


def test_an_incomplete_rule_is_refused_with_its_reason_not_dropped(store):
    import pandas as pd

    from metrics import alerts

    cur = store.cursor()
    rules = pd.DataFrame([{"name": "half a rule", "segment": "SMB", "enabled": True}])
    problems = alerts.save_rules(cur, rules)
    assert problems and all(p.startswith("rule 1, ") for p in problems)
    assert alerts.read_rules(cur).empty
    blank = pd.DataFrame([{"enabled": True}])  # the editor's blank new row: not a rule
    assert alerts.save_rules(cur, blank) == []


def test_the_demo_ships_rules_that_fire_on_its_data_and_keeps_a_teams_own(tmp_path):
    from datetime import date

    from metrics import alerts, demo
    from metrics.store import Store

    store = Store(tmp_path / "csm.duckdb")
    try:
        demo.generate(store, size="small", end=date(2026, 6, 30))
        cur = store.cursor()
        rules = alerts.read_rules(cur)
        assert len(rules) == 3
        hist = alerts.history(cur)
        assert hist["fired"].sum() >= 2 and set(hist["trigger"]) == {"demo"}
        alerts.save_rules(cur, rules.iloc[:1])  # the team keeps one rule
        demo.generate(store, size="small", end=date(2026, 6, 30))
        assert alerts.read_rules(cur)["name"].tolist() == [rules["name"].iloc[0]]
    finally:
        store.close()
