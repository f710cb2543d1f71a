"""The same metric definitions on Apache Spark: `--engine spark` (pyspark local[2], one session
for the module, metric functions called in process) gives the DuckDB engine's output on the demo
exported to Parquet, and rollups computed on Spark and loaded locally give the same page numbers
as rollups built locally.

The small demo carries the full matrix (14 metrics, plain, --by segment and a filter): the
medium one takes several minutes on Spark local[2] on a busy two-core machine, beyond the
module's budget; tools/measure_spark.py runs the medium and large sets."""

from __future__ import annotations

import shutil
from datetime import date

import pandas as pd
import pytest

from metrics import demo, parquet, registry
from metrics.query import Query
from metrics.store import Store

pytestmark = pytest.mark.spark

METRICS = ("logo_churn", "mrr", "mrr_movements", "nrr", "grr", "revenue_churn", "nps", "csat",
           "ces", "support", "usage", "feature_adoption", "cohort_retention", "renewal_rate")
QUERIES = {"plain": Query(), "by_segment": Query(by="segment"),
           "filter": Query(segment=("SMB", "Mid-Market"), attributes=(("Contract Type",
                                                                        ("Annual",)),))}


def _java() -> bool:
    return shutil.which("java") is not None


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    if not _java():
        pytest.skip("Spark needs Java 17 (`.ci/run` installs openjdk-17-jre-headless)")
    pytest.importorskip("pyspark")
    from metrics.engines import spark as engine

    base = tmp_path_factory.mktemp("spark")
    db = base / "demo.duckdb"
    s = Store(db)
    demo.generate(s, size="small", end=date(2026, 6, 30))
    cur = s.cursor()
    parquet.export(cur, base / "export", source=str(db))
    s.close()
    session = engine.session("local[2]")
    src = engine.SparkSource(str(base / "export"), spark=session)
    ro = Store(db, read_only=True)
    yield {"db": db, "base": base, "src": src, "duck": ro.cursor(), "spark": session}
    ro.close()


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True),
                                  check_exact=False, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("kind", list(QUERIES))
@pytest.mark.parametrize("name", METRICS)
def test_spark_gives_the_duckdb_numbers(world, name, kind):
    q = QUERIES[kind]
    want = registry.compute(world["duck"], name, q)
    got = registry.compute(world["src"].cursor(), name, q)
    assert not want.empty
    _same(want, got)


def test_the_filter_keeps_fewer_accounts(world):
    # the filter case is a real restriction, not the whole book again
    a = registry.compute(world["duck"], "mrr", QUERIES["filter"])
    b = registry.compute(world["duck"], "mrr", Query())
    assert a["mrr"].iloc[-1] < b["mrr"].iloc[-1]


def test_rollups_from_spark_give_the_local_page_numbers(world):
    from metrics.engines import spark as engine

    base = world["base"]
    out = base / "rollups"
    manifest = engine.write_rollups(world["spark"], str(base / "export"), str(out), "local[2]")
    assert manifest["engine"] == "spark" and manifest["tables"]["usage_daily"]["rows"] > 0
    target = base / "from_spark.duckdb"
    w = Store(target)
    try:
        cur = w.cursor()
        # the dashboard never holds the raw events
        parquet.load(cur, base / "export", without=("usage_events",))
        assert cur.execute("SELECT count(*) FROM usage_events").fetchone()[0] == 0
        doc = parquet.load_rollups(cur, out)
        assert "computed on spark" in doc["message"]
    finally:
        w.close()
    local, spark_db = Store(world["db"], read_only=True), Store(target, read_only=True)
    try:
        a, b = local.cursor(), spark_db.cursor()
        for t in ("usage_daily", "usage_monthly", "usage_users", "usage_accounts"):
            # the same rows; sums of seconds may differ in the last bit (another adding order)
            _same(a.execute(f"SELECT * FROM {t} ORDER BY ALL").df(),
                  b.execute(f"SELECT * FROM {t} ORDER BY ALL").df())
        for name in ("usage", "feature_adoption", "account_usage", "health_inputs"):
            for q in (Query(), Query(by="segment"), Query(grain="week")):
                _same(registry.compute(a, name, q), registry.compute(b, name, q))
        kinds = b.execute("SELECT kind FROM (" + _sql("data_origin") + ")").fetchall()
        assert ("rollups",) in kinds and ("parquet",) in kinds
    finally:
        local.close()
        spark_db.close()


def test_a_folder_without_a_manifest_is_no_source(world, tmp_path):
    from metrics.engines import spark as engine

    with pytest.raises(ValueError, match="no Parquet export"):
        engine.SparkSource(str(tmp_path), spark=world["spark"])


def _sql(name: str) -> str:
    from metrics.kpis import load_sql

    return load_sql(name)


def test_csm_metric_engine_spark_prints_the_duckdb_json(world, capsys):
    # in process: the command reuses the module's SparkSession instead of starting a JVM
    import json

    from csm.cli import main

    common = ["metric", "nrr", "--by", "segment", "--filter", "segment=SMB", "--as-of",
              "2026-05-31", "--grain", "quarter"]
    assert main([*common, "--db", str(world["db"])]) == 0
    duck = json.loads(capsys.readouterr().out)
    assert main([*common, "--engine", "spark", "--source", str(world["base"] / "export")]) == 0
    spark = json.loads(capsys.readouterr().out)
    assert len(duck) == len(spark) > 0
    for a, b in zip(duck, spark, strict=True):
        assert a.keys() == b.keys()
        for k in a:
            if isinstance(a[k], float):
                assert b[k] == pytest.approx(a[k], rel=1e-9, abs=1e-9), k
            else:
                assert a[k] == b[k], k
    assert main([*common, "--engine", "spark"]) == 2  # no --source: a usage error
    assert "--source" in capsys.readouterr().err
