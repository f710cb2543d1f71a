"""The page catalogue (dashboard/catalogue.py) as data: one entry per page file, every item
names a registered metric, a named SQL file or a drill-down list, and the benchmark's keys of a
page's items are distinct. (tests/app/test_catalogue_pages.py checks the items against the
pages.)"""

from __future__ import annotations

from datetime import date

import pytest

from dashboard import catalogue
from metrics import registry
from metrics.kpis import SQL_DIR
from metrics.query import Query, last_days, page_query, previous_window


def test_every_page_file_has_one_catalogue_entry_and_every_entry_a_file():
    files = {p.name for p in catalogue.VIEWS.glob("*.py") if p.name != "__init__.py"}
    assert sorted(p.file for p in catalogue.PAGES) == sorted(files)
    assert all(p.path.is_file() for p in catalogue.PAGES)


def test_keys_are_unique_one_page_is_the_default_and_sections_are_known():
    keys = [p.key for p in catalogue.PAGES]
    assert len(set(keys)) == len(keys)
    assert [p.key for p in catalogue.PAGES if p.default] == ["overview"]
    assert {p.section for p in catalogue.PAGES} == set(catalogue.SECTIONS)
    assert catalogue.page("overview").url_path == ""
    assert catalogue.page("weekly").url_path == "weekly"
    assert catalogue.page("retention").view == "views/retention.py"
    with pytest.raises(KeyError):
        catalogue.page("nope")


def test_sections_keep_the_navigation_order():
    assert {s: [p.key for p in ps] for s, ps in catalogue.sections().items()} == {
        "Metrics": ["overview", "satisfaction", "retention", "support", "usage", "health",
                    "accounts"],
        "Team": ["weekly", "tasks", "goals"],
        "Data": ["data"],
    }


@pytest.mark.parametrize("key", list(catalogue.CALLS))
def test_every_item_names_something_that_exists_and_item_keys_are_distinct(key):
    items = catalogue.CALLS[key]
    names = [catalogue.item_key(i) for i in items]
    assert len(set(names)) == len(names)
    for kind, name, *_ in items:
        if kind == "metric":
            assert name in registry.REGISTRY, name
        elif kind == "detail":
            assert name in catalogue.details(), name
        else:
            assert kind == "sql" and (SQL_DIR / f"{name}.sql").exists(), name
    for name in catalogue.page(key).selected:
        assert (SQL_DIR / f"{name}.sql").exists(), name


def test_item_keys_name_the_changes():
    assert catalogue.item_key(("metric", "nps")) == "nps"
    assert catalogue.item_key(("metric", "nps", {"grain": "all", "window": "previous"})) == \
        "nps[grain=all,window=previous]"


def test_page_query_applies_fields_then_the_last_days_then_the_previous_window():
    q = Query(start=date(2026, 1, 1), end=date(2026, 7, 1), grain="month")
    assert page_query(q) == q
    assert page_query(q, {"grain": "all", "by": "segment"}) == q.with_(grain="all", by="segment")
    assert page_query(q, {"days": 30}) == q.with_(start=date(2026, 6, 1))
    assert last_days(q, 365) == q  # never before the window's start
    assert page_query(q, {"days": 30, "window": "previous"}) == q.with_(
        start=date(2026, 5, 2), end=date(2026, 6, 1))
    assert previous_window(q).end == q.start
