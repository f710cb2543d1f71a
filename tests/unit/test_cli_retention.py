"""`csm metric` for the Retention & revenue metrics, run as a real process (DATA.md output)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.test_cli import csm


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("cli_rr") / "csm.duckdb"
    r = csm("demo", "--size", "small", "--end", "2026-06-30", "--db", str(db))
    assert r.returncode == 0, r.stderr
    return db


def metric(db, *args):
    r = csm("metric", *args, "--db", str(db))
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_mrr_movements_identity_holds_in_every_period_of_the_demo_data(demo_db):
    rows = metric(demo_db, "mrr_movements", "--from", "2024-01-01")
    assert len(rows) == 30
    for r in rows:
        rebuilt = (r["mrr_start"] + r["new"] + r["reactivation"] + r["expansion"]
                   - r["contraction"] - r["churn"])
        assert rebuilt == pytest.approx(r["mrr_end"], abs=1e-6), r["period"]
    for prev, cur in zip(rows, rows[1:], strict=False):
        assert cur["mrr_start"] == prev["mrr_end"]
    mrr = metric(demo_db, "mrr", "--from", "2024-01-01")
    assert [r["mrr_end"] for r in rows] == pytest.approx([r["mrr"] for r in mrr])


def test_survival_by_segment_prints_rows_logrank_and_medians(demo_db):
    doc = metric(demo_db, "survival", "--by", "segment")
    assert set(doc) == {"rows", "logrank", "medians"}
    assert set(doc["logrank"]) == {"statistic", "p_value", "df"}
    assert doc["logrank"]["df"] == len(doc["medians"]) - 1
    assert {"segment", "time_days", "at_risk", "events", "censored", "survival", "ci_low",
            "ci_high"} == set(doc["rows"][0])


def test_settings_reach_the_metrics(demo_db):
    inc = metric(demo_db, "nrr", "--from", "2026-06-01")[0]
    exc = metric(demo_db, "nrr", "--from", "2026-06-01", "--nrr-reactivation", "exclude")[0]
    assert exc["nrr"] <= inc["nrr"] and exc["base_mrr"] == inc["base_mrr"]
    one = metric(demo_db, "ltv", "--from", "2026-06-01")[0]
    half = metric(demo_db, "ltv", "--from", "2026-06-01", "--gross-margin", "0.5")[0]
    assert half["ltv"] == pytest.approx(one["ltv"] / 2)
    orders = metric(demo_db, "cohort_retention", "--basis", "orders", "--from", "2026-01-01")
    assert orders and all(r["revenue_retention"] is None for r in orders)
    model = metric(demo_db, "clv_model", "--as-of", "2026-03-31", "--time-unit", "month")
    assert len(model) == 1 and model[0]["customers"] > 0
    per = metric(demo_db, "clv", "--horizon", "12", "--time-unit", "month",
                 "--discount-rate", "0.01")
    assert per[0]["clv"] >= per[-1]["clv"]


def test_a_bad_basis_is_a_usage_error(demo_db):
    r = csm("metric", "cohort_retention", "--basis", "logins", "--db", str(demo_db))
    assert r.returncode == 2 and r.stdout == ""
