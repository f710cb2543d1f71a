"""The health package: a model passed as an object (a draft scored without saving it or putting
it into the query's settings), its stable cache key, and no import cycle through the registry
for the KPIs that use health bands (advocates, upcoming renewals).

Hand-worked scores as in test_health_hooks.py: with NPS answers and flat MRR only, sentiment
(NPS × 10, weight 0.20) and financial (50, weight 0.15) have data; score = (0.20 S + 0.15 × 50)
÷ 0.35, so NPS 6 → 55.7 and 10 → 78.6. With sentiment's weight 0.60 instead: (0.60 S + 7.5)
÷ 0.75, so NPS 6 → 58.0 and 10 → 90.0.
"""

from __future__ import annotations

import copy
import subprocess
import sys
import textwrap
from datetime import date, datetime
from pathlib import Path

import pytest

from metrics import health, registry
from metrics.query import Query

AS_OF = date(2026, 6, 21)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def book(store, insert):
    insert("accounts", [{"account_id": a, "name": a, "signup_date": date(2025, 1, 1),
                         "renewal_date": date(2026, 7, 1)} for a in ("a", "b")])
    insert("subscriptions", [{"account_id": a, "start_date": date(2025, 1, 1), "mrr": 100}
                             for a in ("a", "b")])
    insert("survey_responses", [
        {"response_id": f"r{a}", "account_id": a, "survey_type": "nps", "score": s,
         "responded_at": datetime(2026, 6, 1, 9)} for a, s in (("a", 6), ("b", 10))])


def _draft() -> dict:
    draft = copy.deepcopy(health.default_model())
    draft["components"]["sentiment"]["weight"] = 0.6
    return draft


def _scores(df) -> dict:
    return {a: round(s, 1) for a, s in zip(df.account_id, df.score, strict=True)}


def test_a_draft_model_is_scored_as_an_object_and_none_is_the_saved_model(store, book):
    cur = store.cursor()
    q = Query(as_of=AS_OF)
    assert _scores(health.health(cur, q)) == {"a": 55.7, "b": 78.6}
    assert _scores(registry.compute(cur, "health", q)) == {"a": 55.7, "b": 78.6}
    assert _scores(health.health(cur, q, model=_draft())) == {"a": 58.0, "b": 90.0}
    assert _scores(health.health_accounts(cur, q, model=_draft())) == {"a": 58.0, "b": 90.0}
    assert q.settings == ()  # nothing about the draft went into the query
    mix = health.health_mix(cur, q, model=_draft())
    assert mix["mean_score"].iloc[-1] == pytest.approx(74.0)
    assert health.health_mix(cur, q)["mean_score"].iloc[-1] == pytest.approx((390 / 7 + 550 / 7)
                                                                             / 2)


def test_a_draft_model_is_validated_before_it_is_scored(store, book):
    bad = _draft()
    bad["bands"] = {"green": 30, "yellow": 60}
    with pytest.raises(health.ModelError, match="out of order"):
        health.health(store.cursor(), Query(as_of=AS_OF), model=bad)


def test_the_health_model_setting_is_still_a_file_path(store, book, tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(health.MODEL_FILE.read_text())
    health.save_model(_draft(), path, bump=False)
    q = Query(as_of=AS_OF, settings=(("health_model", str(path)),))
    assert _scores(health.health(store.cursor(), q)) == {"a": 58.0, "b": 90.0}


def test_the_model_key_is_a_stable_hash_of_what_scores(tmp_path):
    model = health.default_model()
    same = health.parse_model(health.dump_model(model))
    same["components"] = dict(reversed(list(same["components"].items())))
    same["components"]["usage"]["weight"] = int(same["components"]["usage"]["weight"] * 10) / 10
    assert health.model_key(same) == health.model_key(model)
    assert len(health.model_key(model)) == 64
    assert health.model_key(_draft()) != health.model_key(model)
    # weights and bands do not change the raw inputs: their inputs model keys are equal
    assert health.model_key(health.inputs_model(_draft())) == health.model_key(
        health.inputs_model(model))
    longer = copy.deepcopy(model)
    longer["window_days"] = 60
    assert health.model_key(health.inputs_model(longer)) != health.model_key(
        health.inputs_model(model))


def test_the_kpis_that_use_health_bands_do_not_import_the_registry(tmp_path):
    """Advocates and upcoming renewals score health directly (metrics.health.health): importing
    and running them never loads metrics.registry (which imports both: a cycle)."""
    script = textwrap.dedent(f"""
        import sys
        from datetime import date

        from metrics.kpis import loyalty, renewals
        from metrics.query import Query
        from metrics.store import Store

        assert "metrics.registry" not in sys.modules, "import"
        store = Store({str(tmp_path / "csm.duckdb")!r})
        cur = store.cursor()
        cur.execute("INSERT INTO accounts (account_id, name, signup_date, renewal_date) "
                    "VALUES ('a', 'A', DATE '2025-01-01', DATE '2026-07-01')")
        cur.execute("INSERT INTO subscriptions (account_id, start_date, mrr) "
                    "VALUES ('a', DATE '2025-01-01', 100)")
        cur.execute("INSERT INTO survey_responses (response_id, account_id, survey_type, "
                    "score, responded_at) VALUES ('r', 'a', 'nps', 10, "
                    "TIMESTAMP '2026-06-01 09:00:00')")
        q = Query(as_of=date(2026, 6, 21))
        assert list(renewals.upcoming_renewals(cur, q)["band"]) == ["green"]
        assert list(loyalty.advocates(cur, q)["band"]) == ["green"]
        store.close()
        assert "metrics.registry" not in sys.modules, "run"
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
