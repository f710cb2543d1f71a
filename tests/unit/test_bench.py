"""`csm bench` (tools/bench): the document has every figure QUALITY.md asks for.

The benchmark's numbers are not checked against goals here (QUALITY.md: speed is measured by
`csm bench`, never by timed unit tests); these tests run its pieces on the small demo set in a
temporary folder and check the shape of the document and that every figure was measured.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

from dashboard import catalogue
from metrics import demo
from tools import bench
from tools.bench import common


def _positive(x) -> bool:
    return isinstance(x, float) and math.isfinite(x) and x > 0


# ----------------------------------------------------------------------------------------------
# Pure helpers (fast)


def test_percentile_is_nearest_rank_so_p95_of_20_is_the_19th_value():
    values = [float(i) for i in range(1, 21)]  # 1..20
    assert bench.percentile(values, 95) == 19.0
    assert bench.percentile(values, 50) == 10.0
    assert bench.percentile([3.0], 95) == 3.0


def test_gray_toggles_reach_a_new_selection_at_every_change_until_all_are_seen():
    n = 4
    selected, seen = frozenset(), {frozenset()}
    for idx in bench.gray_toggles(n, 2**n - 1):
        assert 0 <= idx < n
        selected = selected ^ {idx}
        assert selected not in seen
        seen.add(selected)
    assert len(seen) == 2**n


def test_gray_toggles_stay_within_the_options_when_asked_for_more_changes_than_selections():
    assert all(0 <= i < 3 for i in bench.gray_toggles(3, 20))


def test_tables_in_finds_tables_after_from_and_join_but_not_in_comments_or_ctes():
    sql = ("-- usage_events is not read here\n"
           "WITH scope AS (SELECT * FROM accounts a JOIN account_attributes x USING (account_id))"
           " SELECT * FROM scope JOIN tickets t ON true")
    known = ["accounts", "account_attributes", "tickets", "usage_events"]
    assert bench.tables_in([sql], known) == ["account_attributes", "accounts", "tickets"]


def test_a_failed_child_is_reported_by_its_exception_even_when_the_message_spans_lines():
    tail = ["Traceback (most recent call last):", '  File "x.py", line 1, in <module>',
            '_duckdb.BinderException: Binder Error: column "users" not found', "",
            "LINE 97:     SELECT users", "              ^^^^^"]
    text = common.exception_text(tail)
    assert text.startswith('_duckdb.BinderException: Binder Error: column "users" not found')
    assert "LINE 97" in text
    assert common.exception_text(["KeyError: 'nope'"]) == "KeyError: 'nope'"


def test_bench_dir_is_beside_the_database(tmp_path):
    assert bench.bench_dir_for(tmp_path / "x" / "csm.duckdb") == (tmp_path / "x" / "bench")


def test_find_chromium_honours_browser_path(tmp_path, monkeypatch):
    exe = tmp_path / "chromium"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    monkeypatch.setenv("BROWSER_PATH", str(exe))
    assert bench.find_chromium() == str(exe)


# ----------------------------------------------------------------------------------------------
# One run on the small set, without the browser (a few seconds of work in ~10 processes)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """(document, bench dir, stdout written during the run) of run(["small"]) without browser."""
    d = tmp_path_factory.mktemp("bench")
    import io
    import sys

    real_stdout, buf = sys.stdout, io.StringIO()
    sys.stdout = buf
    try:
        doc = bench.run(["small"], browser=False, db_dir=d, import_size="small",
                        cold_repeats=1, warm_repeats=2)
    finally:
        sys.stdout = real_stdout
    return doc, d, buf.getvalue()


@pytest.mark.slow
def test_run_writes_nothing_to_stdout_and_the_document_is_json(small_run):
    doc, _d, out = small_run
    assert out == ""
    assert json.loads(json.dumps(doc)) == doc


@pytest.mark.slow
def test_document_has_every_section_quality_md_asks_for(small_run):
    doc, _d, _ = small_run
    for key in ("import", "pages", "raw_scan_s", "growth", "peak_rss_mb", "browser", "sizes",
                "rows", "machine", "generated_at", "goals", "notes"):
        assert key in doc, key
    assert doc["sizes"] == ["small"]
    assert doc["browser"] is None and doc["peak_rss_mb"] is None  # browser=False
    assert doc["machine"]["cpu_count"] == os.cpu_count()
    assert doc["machine"]["duckdb"] and doc["machine"]["python"]


@pytest.mark.slow
def test_import_loads_every_row_of_the_exported_csv_and_times_both_paths(small_run):
    doc, d, _ = small_run
    imp = doc["import"]
    assert imp["size"] == "small"
    assert imp["csm_load_phases"][-1][1] == "store closed"
    assert imp["outcome"] == "loaded"
    assert imp["rows"] == imp["rows_in_file"] == doc["rows_by_table"]["small"]["usage_events"]
    assert _positive(imp["seconds"]) and _positive(imp["duckdb_read_csv_seconds"])
    assert imp["ratio"] == pytest.approx(imp["seconds"] / imp["duckdb_read_csv_seconds"],
                                         rel=0.01)
    assert Path(imp["file"]).parent == d
    # The import targets are removed afterwards; the CSV is kept for the next run.
    assert not (d / "import_target.duckdb").exists()
    assert not (d / "readcsv_target.duckdb").exists()
    assert Path(imp["file"]).exists()


@pytest.mark.slow
def test_every_page_has_cold_and_warm_times_and_the_warm_pass_is_served_from_the_cache(
        small_run):
    doc, _d, _ = small_run
    assert set(doc["pages"]) == set(catalogue.CALLS)
    for page, by_size in doc["pages"].items():
        m = by_size["small"]
        assert _positive(m["cold_s"]), page
        assert _positive(m["warm_s"]), page
        assert m["computations_cached_passes"] == 0, page
        # The per-query breakdown names the page's queries and adds up to the page's time.
        assert len(m["cold_by_query_s"]) == len(catalogue.CALLS[page])
        assert sum(m["cold_by_query_s"].values()) == pytest.approx(m["cold_s"], rel=0.05)
        opening = {catalogue.item_key(i) for i in catalogue.page(page).calls}
        assert 0 < m["cold_open_s"] <= m["cold_s"]
        assert m["cold_open_s"] == pytest.approx(  # each figure is rounded to 1e-6
            sum(v for k, v in m["cold_by_query_s"].items() if k in opening), abs=1e-4)
        assert _positive(m["ratio_to_raw_scan"])
        assert m["ratio_to_raw_scan"] == pytest.approx(
            m["cold_s"] / doc["raw_scan_s"]["small"], rel=0.01)
    assert _positive(doc["raw_scan_s"]["small"])


@pytest.mark.slow
def test_growth_is_one_with_a_single_size_and_tables_read_are_known(small_run):
    doc, _d, _ = small_run
    for page in catalogue.CALLS:
        g = doc["growth"][page]
        assert g["time_ratio"] == 1.0 and g["row_ratio"] == 1.0
    assert {"subscriptions", "survey_responses", "tickets"} <= set(doc["tables_read"]["overview"])


@pytest.mark.slow
def test_the_demo_database_is_reused_when_complete_and_rebuilt_when_rows_are_missing(small_run):
    _doc, d, _ = small_run
    db = d / "small.duckdb"
    before = db.stat().st_mtime_ns
    meta = bench.ensure_db("small", d)
    assert db.stat().st_mtime_ns == before
    assert meta["end"] == bench.END.isoformat()
    assert meta["rows"]["accounts"] == demo.SIZES["small"].accounts
    # A meta file that does not match the database makes ensure_db rebuild it.
    meta_path = d / "small.meta.json"
    m = json.loads(meta_path.read_text())
    m["rows"]["accounts"] += 1
    meta_path.write_text(json.dumps(m))
    rebuilt = bench.ensure_db("small", d)
    assert rebuilt["rows"]["accounts"] == demo.SIZES["small"].accounts


@pytest.mark.slow
def test_a_page_whose_queries_fail_is_reported_with_the_error_and_the_others_are_measured(
        small_run):
    _doc, d, _ = small_run
    doc = bench.run(["small"], browser=False, db_dir=d, import_size="", pages=["data", "nope"],
                    cold_repeats=1, warm_repeats=1)
    assert doc["import"] is None
    assert _positive(doc["pages"]["data"]["small"]["cold_s"])
    bad = doc["pages"]["nope"]["small"]
    assert bad["cold_s"] is None and bad["warm_s"] is None
    assert "KeyError" in bad["error"]
    assert doc["growth"]["nope"]["time_ratio"] is None
    assert any("nope (small)" in n for n in doc["notes"])
    assert [g["met"] for g in doc["goals"] if g["goal"].startswith("nope")] == [None, None]


def test_csm_bench_finds_the_benchmark_in_the_checkout():
    from csm import cli

    assert cli._bench_module() is bench


def test_csm_bench_outside_a_checkout_says_it_needs_one(monkeypatch, capsys):
    from csm import cli

    monkeypatch.setattr(cli, "_bench_module", lambda: None)  # an installed copy: no tools/
    assert cli.main(["bench", "--sizes", "small"]) == cli.EXIT_USAGE
    out = capsys.readouterr()
    assert out.out == ""
    assert "csm bench runs from a checkout of the project (tools/bench)" in out.err


def test_the_product_package_leaves_the_tools_out():
    import tomllib

    pyproject = tomllib.loads((bench.common.REPO / "pyproject.toml").read_text())
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    assert sorted(include) == ["csm*", "dashboard*", "metrics*", "render*"]  # no tools*
    assert (bench.common.REPO / "tools" / "bench" / "__init__.py").is_file()


def test_unknown_size_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown size"):
        bench.run(["huge"], browser=False, db_dir=tmp_path)


# ----------------------------------------------------------------------------------------------
# The browser piece (Playwright + Chromium), two changes per page


@pytest.mark.slow
@pytest.mark.e2e
def test_browser_section_times_filter_changes_on_each_page_and_the_trivial_page(small_run):
    chromium = bench.find_chromium()
    if chromium is None:
        pytest.skip("Chromium not found (BROWSER_PATH or /usr/bin/chromium)")
    pytest.importorskip("playwright")
    _doc, d, _ = small_run
    # Two pages the dashboard serves (the driver is the same for every page; the full run of
    # `csm bench` covers them all), and a page it does not serve, reported as an error.
    served = ["overview", "data"]
    out = bench.bench_browser(d, d / "small.duckdb", chromium, [*served, "no_such_page"],
                              changes=2)
    assert out["pages"].pop("no_such_page")["error"].startswith("LookupError")
    assert set(out["pages"]) == set(served)
    for page, m in out["pages"].items():
        assert m["changes"] == 2, page
        assert _positive(m["p50_s"]) and _positive(m["p95_s"]), page
        assert _positive(m["open_s"]), page  # a new session's first view, timed
        assert m["dropped_changes"] == 0, page
        assert m["error_boxes"] == [], page
    assert _positive(out["trivial_p95_s"])
    assert _positive(out["peak_rss_mb"]) and out["rss_samples"] > 0
    assert (d / "trivial_app.py").exists()


def test_concurrency_counts_must_be_whole_numbers_of_sessions(capsys):
    from csm.cli import main

    assert main(["bench", "--concurrency", "ten"]) == 2
    assert "--concurrency takes session counts" in capsys.readouterr().err
    assert main(["bench", "--concurrency", "0"]) == 2
    assert "at least one session" in capsys.readouterr().err


def test_a_run_with_neither_sizes_nor_sessions_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no sizes to measure"):
        bench.run([], browser=False, db_dir=tmp_path, concurrency=[])
