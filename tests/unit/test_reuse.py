"""Query results reused within one piece of work (metrics/reuse.py) on a real DuckDB file:
reused once, never across databases, data versions or a write, and the review's KPIs equal
with and without reuse."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from metrics import registry, reuse, review
from metrics.kpis import run_sql
from metrics.query import Query
from metrics.store import Store, transaction

TARGETS = {"metrics": ["nps"], "segment": None}


class Counting:
    """A cursor that counts the queries it executes (a real DuckDB cursor underneath)."""

    def __init__(self, cur) -> None:
        self.cur, self.n = cur, 0

    def execute(self, *a, **k):
        self.n += 1
        return self.cur.execute(*a, **k)


def _target(cur, value: float, start: date = date(2026, 1, 1)) -> None:
    cur.execute("INSERT INTO targets (metric, segment, period_start, period_end, target) "
                "VALUES ('nps', NULL, ?, ?, ?)", [start, date(2026, 12, 31), value])


def test_a_query_run_twice_in_a_block_executes_once_and_hands_out_copies(store):
    _target(store.cursor(), 30.0)
    cur = Counting(store.cursor())
    with reuse.reusing():
        first = run_sql(cur, "targets_for_metric", TARGETS)
        first.loc[0, "target"] = -1.0  # a caller changing its frame changes no other's
        again = run_sql(cur, "targets_for_metric", TARGETS)
        other = run_sql(cur, "targets_for_metric", {**TARGETS, "segment": "SMB"})
    assert cur.n == 2  # the same parameters once; other parameters are another query
    assert again.target.tolist() == [30.0] and other.empty
    run_sql(cur, "targets_for_metric", TARGETS)
    run_sql(cur, "targets_for_metric", TARGETS)
    assert cur.n == 4  # outside a block nothing is kept


def test_a_write_in_the_block_makes_the_next_read_see_it(store):
    cur = store.cursor()
    _target(cur, 30.0)
    with reuse.reusing():
        assert run_sql(cur, "targets_for_metric", TARGETS).target.tolist() == [30.0]
        with transaction(cur):
            _target(cur, 40.0, start=date(2026, 6, 1))
            # inside the transaction nothing is reused: a read follows its own write
            assert len(run_sql(cur, "targets_for_metric", TARGETS)) == 2
        assert sorted(run_sql(cur, "targets_for_metric", TARGETS).target) == [30.0, 40.0]


def test_results_of_two_databases_or_two_data_versions_never_mix(tmp_path):
    a, b = Store(tmp_path / "a.duckdb"), Store(tmp_path / "b.duckdb")
    try:
        _target(a.cursor(), 10.0)
        _target(b.cursor(), 20.0)
        with reuse.reusing():
            with reuse.reusing(("a", 1)):
                assert run_sql(a.cursor(), "targets_for_metric", TARGETS).target[0] == 10.0
            with reuse.reusing(("b", 1)):
                assert run_sql(b.cursor(), "targets_for_metric", TARGETS).target[0] == 20.0
            _target(a.cursor(), 15.0, start=date(2026, 3, 1))  # a load from elsewhere: v2
            with reuse.reusing(("a", 2)):
                assert len(run_sql(a.cursor(), "targets_for_metric", TARGETS)) == 2
            with reuse.reusing(("a", 1)):  # the same key: the kept result
                assert len(run_sql(a.cursor(), "targets_for_metric", TARGETS)) == 1
    finally:
        a.close()
        b.close()


@pytest.fixture
def two_weeks(store, insert):
    insert("accounts", [
        {"account_id": a, "name": a.title(), "segment": "SMB", "signup_date": date(2025, 1, 1),
         "churn_date": date(2026, 6, 18) if a == "b" else None} for a in ("a", "b", "c")])
    insert("subscriptions", [
        {"account_id": "a", "start_date": date(2025, 1, 1), "end_date": date(2026, 6, 16),
         "mrr": 100},
        {"account_id": "a", "start_date": date(2026, 6, 16), "mrr": 250},
        {"account_id": "b", "start_date": date(2025, 1, 1), "end_date": date(2026, 6, 18),
         "mrr": 80},
        {"account_id": "c", "start_date": date(2025, 3, 1), "mrr": 40},
    ])
    return store


def test_the_reviews_kpis_are_those_computed_without_reuse_with_fewer_queries(two_weeks):
    q = Query()
    plain = Counting(two_weeks.cursor())
    expected, _ = review.kpis(plain, q, date(2026, 6, 15), date(2026, 6, 21))
    counted = Counting(two_weeks.cursor())
    with reuse.reusing():
        got, _ = review.kpis(counted, q, date(2026, 6, 15), date(2026, 6, 21))
    pd.testing.assert_frame_equal(got, expected)
    assert "ltv" in set(got.metric) and "mrr" in set(got.metric)
    assert counted.n < plain.n  # ltv's mrr, grr's nrr query, … read once
    built = review.build(two_weeks.cursor(), q, "2026-W25")
    pd.testing.assert_frame_equal(built.kpis, review.kpis(
        two_weeks.cursor(), q, built.start, built.kpi_as_of)[0])


def test_every_metric_is_the_same_inside_a_block_shared_with_the_others(two_weeks):
    q = Query(start=date(2026, 5, 1), end=date(2026, 7, 1), grain="week",
              as_of=date(2026, 6, 30))
    cur = two_weeks.cursor()
    alone = {n: registry.compute(cur, n, q) for n in ("mrr", "ltv", "nrr", "grr",
                                                      "quick_ratio", "revenue_churn")}
    with reuse.reusing():
        for n, frame in alone.items():
            pd.testing.assert_frame_equal(registry.compute(cur, n, q), frame)


def test_a_scope_alone_reuses_nothing_and_its_metric_blocks_share(store):
    _target(store.cursor(), 30.0)
    cur = Counting(store.cursor())
    with reuse.scope():
        run_sql(cur, "targets_for_metric", TARGETS)
        run_sql(cur, "targets_for_metric", TARGETS)
        assert cur.n == 2  # the page's own queries: read every time
        with reuse.reusing(("db", 1)):
            run_sql(cur, "targets_for_metric", TARGETS)
        with reuse.reusing(("db", 1)):  # another metric in the same page run
            run_sql(cur, "targets_for_metric", TARGETS)
        assert cur.n == 3
    with reuse.reusing(("db", 1)):  # the page run ended: its results went with it
        run_sql(cur, "targets_for_metric", TARGETS)
    assert cur.n == 4


def test_the_benchmarks_page_computation_shares_queries_as_a_page_run_does(two_weeks):
    """dashboard.catalogue.compute_page (the benchmark's cold figure) runs a page's metrics in
    one reuse block: the same results with fewer queries than computing each alone."""
    from dashboard import catalogue

    q = Query(start=date(2026, 1, 1), end=date(2026, 7, 1), grain="month")
    counted = Counting(two_weeks.cursor())
    got = catalogue.compute_page(counted, "retention", q)
    plain = Counting(two_weeks.cursor())
    alone = catalogue._compute_items(plain, "retention", q, None)  # no reuse block
    assert got.keys() == alone.keys()
    for key, frame in alone.items():
        _assert_same(got[key], frame)
    assert counted.n < plain.n


def _assert_same(a, b) -> None:
    """Assert two metric results are equal: frames, or dicts of them (survival's)."""
    if isinstance(b, dict):
        assert isinstance(a, dict) and a.keys() == b.keys()
        for k in b:
            _assert_same(a[k], b[k])
    elif isinstance(b, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    else:
        assert a == b or (a != a and b != b)  # NaN equals NaN here
