"""Health scores stored at import (metrics/health/stored.py) equal the scores computed from the
data, date for date and value for value, under filters; and they are never read when stale (a
new load, another model, other SLA targets), while a targets save keeps them."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from metrics import demo, goals, health
from metrics.health import stored
from metrics.periods import resolve_as_of
from metrics.query import Query
from metrics.store import Store

END = date(2026, 6, 30)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("stored") / "demo.duckdb"
    s = Store(path)
    demo.generate(s, size="small", end=END)
    yield s
    s.close()


def _count(cur, sql: str, params=None) -> int:
    return cur.execute(sql, params or []).fetchone()[0]


def _computed(cur, q: Query, model: dict, dates) -> dict:
    return stored._computed(cur, q, model, sorted(dates))


def test_the_demo_import_stores_the_dates_the_pages_ask_for(demo_db):
    cur = demo_db.cursor()
    latest = resolve_as_of(cur, Query())
    want = stored.stored_dates(latest)
    have = [r[0] for r in cur.execute(
        "SELECT DISTINCT as_of FROM health_scores ORDER BY 1").fetchall()]
    assert have == want
    # the band mix of the default window and the backtest are inside them
    q = Query(start=date(latest.year - 1, latest.month + 1 if latest.month < 12 else 1, 1),
              end=latest + pd.Timedelta(days=1))
    assert set(health.mix_dates_for(q, latest)) <= set(want)
    assert set(health.backtest_dates_before(latest)) <= set(want)
    assert len(want) >= 13


@pytest.mark.parametrize("q", [Query(), Query(segment=("SMB",)),
                               Query(region=("EMEA", "APAC"), segment=("Enterprise",))],
                         ids=["all", "smb", "emea-apac-enterprise"])
def test_stored_scores_equal_the_computed_ones(demo_db, q):
    cur = demo_db.cursor()
    model = health.load_model(health.model_path())
    dates = stored.stored_dates(resolve_as_of(cur, Query()))
    read = stored._stored(cur, q, model, dates)
    assert sorted(read) == dates  # every date read from the table, none computed
    computed = _computed(cur, q, model, dates)
    for d in dates:
        assert len(read[d]) > 100
        assert read[d]["in_scope"].sum() < len(read[d]) or q == Query()
        pd.testing.assert_frame_equal(read[d], computed[d], check_exact=True)


def test_the_metrics_read_from_the_table_give_the_computed_numbers(demo_db):
    cur = demo_db.cursor()
    q = Query(segment=("SMB",))
    model = health.load_model(health.model_path())
    mix_dates = health.mix_dates(cur, q)
    bt_dates = health.backtest_dates(cur, q)
    mix = health.mix_frame(_computed(cur, q, model, mix_dates), model)
    scored = _computed(cur, q, model, bt_dates)
    bt = health.backtest_frame([health.backtest_row(scored[d], d) for d in bt_dates])
    pd.testing.assert_frame_equal(health.health_mix(cur, q), mix, check_exact=True)
    pd.testing.assert_frame_equal(health.health_backtest(cur, q), bt, check_exact=True)
    assert mix["red"].sum() > 0 and bt["churners"].sum() > 0


def test_dates_not_stored_are_computed_beside_the_stored_ones(demo_db):
    cur = demo_db.cursor()
    model = health.load_model(health.model_path())
    dates = [date(2026, 3, 1), date(2026, 3, 17)]  # the 17th is no stored date
    got = stored.scores_by_date(cur, Query(), model, dates)
    assert list(got) == dates
    assert list(stored._stored(cur, Query(), model, dates)) == [date(2026, 3, 1)]
    want = _computed(cur, Query(), model, dates)
    for d in dates:
        pd.testing.assert_frame_equal(got[d], want[d], check_exact=True)


def test_another_model_or_sla_targets_never_read_the_stored_scores(demo_db):
    cur = demo_db.cursor()
    model = health.load_model(health.model_path())
    d = [stored.stored_dates(resolve_as_of(cur, Query()))[-1]]
    assert list(stored._stored(cur, Query(), model, d)) == d
    edited = {**model, "bands": {"green": 90, "yellow": 60}}
    assert stored._stored(cur, Query(), edited, d) == {}
    assert stored._stored(cur, Query(settings=(("sla_targets", "P1=2"),)), model, d) == {}
    got = stored.scores_by_date(cur, Query(), edited, d)[d[0]]
    assert (got["band"] == "green").sum() < (
        stored.scores_by_date(cur, Query(), model, d)[d[0]]["band"] == "green").sum()


def test_a_new_data_version_makes_them_stale_and_a_targets_save_carries_them(tmp_path):
    s = Store(tmp_path / "v.duckdb")
    try:
        demo.generate(s, size="small", end=END)
        cur = s.cursor()
        model = health.load_model(health.model_path())
        d = [stored.stored_dates(resolve_as_of(cur, Query()))[-1]]
        assert list(stored._stored(cur, Query(), model, d)) == d
        # a targets save bumps the data version without changing any input: still read
        assert goals.save_targets(cur, goals.read_targets(cur)) == []
        assert list(stored._stored(cur, Query(), model, d)) == d
        # any other bump (here by hand, as a write path that does not refresh would) is stale
        cur.execute("UPDATE data_version SET version = version + 1")
        assert stored._stored(cur, Query(), model, d) == {}
        stored.refresh(cur)
        assert list(stored._stored(cur, Query(), model, d)) == d
        assert _count(cur, "SELECT count(DISTINCT data_version) FROM health_scores") == 1
    finally:
        s.close()


def test_a_database_without_the_table_computes_and_an_unusable_model_stores_nothing(tmp_path):
    s = Store(tmp_path / "old.duckdb")
    try:
        demo.generate(s, size="small", end=END)
        cur = s.cursor()
        model = health.load_model(health.model_path())
        d = stored.stored_dates(resolve_as_of(cur, Query()))[-2:]
        want = _computed(cur, Query(), model, d)
        cur.execute("DROP TABLE health_scores")
        got = stored.scores_by_date(cur, Query(), model, d)
        for day in d:
            pd.testing.assert_frame_equal(got[day], want[day], check_exact=True)
        bad = tmp_path / "bad.yaml"
        bad.write_text("version: [not a model\n")
        import os

        os.environ["CSM_HEALTH_MODEL"] = str(bad)
        try:
            assert stored.refresh(cur) == 0
        finally:
            del os.environ["CSM_HEALTH_MODEL"]
        assert _count(cur, "SELECT count(*) FROM health_scores") == 0
    finally:
        s.close()


def test_without_accounts_nothing_is_scored_and_no_usage_is_read(store, insert):
    insert("usage_events", [{"account_id": "A1", "user_id": "u", "occurred_at": "2026-05-01"}])
    cur = store.cursor()
    assert stored.refresh(cur) == 0
    assert _count(cur, "SELECT count(*) FROM health_scores") == 0


def test_loads_of_tables_the_scores_do_not_read_keep_them(tmp_path):
    from metrics.ingest import load_file

    s = Store(tmp_path / "o.duckdb")
    try:
        demo.generate(s, size="small", end=END)
        cur = s.cursor()
        model = health.load_model(health.model_path())
        d = [stored.stored_dates(resolve_as_of(cur, Query()))[-1]]
        csv = tmp_path / "orders.csv"
        csv.write_text("order_id,account_id,ordered_at,amount\nZ1,A00001,2026-06-01,10\n")
        before = _count(cur, "SELECT max(version) FROM data_version")
        assert load_file(s, "orders", csv, mode="append").ok
        assert _count(cur, "SELECT max(version) FROM data_version") == before + 1
        assert list(stored._stored(cur, Query(), model, d)) == d
    finally:
        s.close()


def test_scores_stored_for_a_saved_model_are_read_under_the_model_read_back(demo_db, tmp_path):
    # the Health page's save stores the scores of the model it wrote (editor.save): the pages
    # then load that file, and must find them under its key
    cur = demo_db.cursor()
    model = health.load_model(health.model_path())
    edited = {**model, "bands": {"green": 75, "yellow": 45}}
    path = tmp_path / "model.yaml"
    new = health.save_model(edited, path)
    cur.execute("BEGIN")
    try:
        assert stored.refresh(cur, new) > 0
        d = [stored.stored_dates(resolve_as_of(cur, Query()))[-1]]
        assert list(stored._stored(cur, Query(), health.load_model(path), d)) == d
    finally:
        cur.execute("ROLLBACK")
    assert list(stored._stored(cur, Query(), model, d)) == d  # rolled back: the saved model's


def test_the_weekly_reviews_band_days_are_stored(demo_db):
    """The Weekly review compares bands on the Sunday before the week and on its last day, on
    every filter change: both are stored at import, so they are read, not computed."""
    from metrics import review

    cur = demo_db.cursor()
    latest = resolve_as_of(cur, Query())
    r = review.build(cur, Query())
    assert stored.review_dates(latest) == [r.start - pd.Timedelta(days=1), r.as_of]
    model = health.load_model(health.model_path())
    assert sorted(stored._stored(cur, Query(), model, stored.review_dates(latest))) == \
        stored.review_dates(latest)


def test_bands_on_a_day_are_those_of_the_health_metric_stored_or_not(demo_db):
    """Renewals, advocates and the alerts read bands through `health.bands_on` (stored scores,
    or scored without the path search): the bands `csm metric health` gives, filters or not."""
    cur = demo_db.cursor()
    latest = resolve_as_of(cur, Query())
    stored_day, other_day = latest, latest - pd.Timedelta(days=17)
    assert other_day not in stored.stored_dates(latest)
    for day in (stored_day, other_day):
        for q in (Query(as_of=day), Query(as_of=day, segment=("SMB",))):
            want = health.health(cur, q).set_index("account_id")["band"]
            got = health.bands_on(cur, q, day)
            assert len(want) > 50
            assert got.loc[want.index].tolist() == want.tolist()
