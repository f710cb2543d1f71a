"""Every page renders on the demo data (every tab, no exception, error box or snake_case table
header) and on an empty database; controls do what they say."""

from __future__ import annotations

import math

import pytest

from dashboard import catalogue
from metrics import registry
from metrics.query import Query
from metrics.store import Store
from tests.app.conftest import each_tab
from tests.app.test_table_headers import TYPED, headers

# Every page of the catalogue; Satisfaction, Support and Usage render in their own modules.
PAGES = [p.view for p in catalogue.PAGES if p.key not in ("satisfaction", "support", "usage")]


def _texts(at) -> str:
    return " ".join(str(e.value) for e in list(at.markdown) + list(at.caption) + list(at.info))


@pytest.mark.parametrize("page", [p.view for p in catalogue.PAGES])
def test_page_renders_on_demo_data_without_exception_error_box_or_snake_case_header(
        demo_db, run_app, page):
    # one run of the page and its tabs for both checks (each tab is a rerun of the whole page)
    at = run_app(demo_db, page)
    for key, tab in each_tab(at):  # only the open tab runs: each in turn
        assert not at.exception, (key, tab, [e.value for e in at.exception])
        assert not at.error, (key, tab, [e.value for e in at.error])
        # no table shows a raw snake_case header (tests/app/test_table_headers.py)
        shown = [headers(f) for f in at.dataframe]
        raw = [h for hs in shown for h in hs if "_" in h and h not in TYPED.get(page, set())]
        assert not raw, (page, tab, raw, shown)


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_an_empty_database(empty_db, run_app, page):
    at = run_app(empty_db, page)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_empty_database_overview_says_how_to_get_data(empty_db, run_app):
    at = run_app(empty_db)
    assert any("Data" in i.value for i in at.info)


def _card_values(at) -> dict[str, str]:
    return {m.label.split(" · ")[0]: m.value for m in at.metric}


def test_overview_cards_show_the_last_complete_month_computed_from_the_database(
        demo_db, run_app):
    at = run_app(demo_db, query={"from": "2025-07-01", "to": "2026-06-30"})
    cards = _card_values(at)
    assert set(cards) >= {"Customers", "MRR", "Logo churn rate", "NPS", "CSAT",
                          "Median first response"}
    store = Store(demo_db)
    cur = store.cursor()
    q = Query(start=__import__("datetime").date(2025, 7, 1),
              end=__import__("datetime").date(2026, 7, 1), grain="month")
    nps = registry.compute(cur, "nps", q)
    last = nps[~nps.partial].iloc[-1]
    assert cards["NPS"] == f"{last.nps:.1f}"
    churn = registry.compute(cur, "logo_churn", q)
    lastc = churn[~churn.partial].iloc[-1]
    assert cards["Customers"] == f"{lastc.customers_end:,.0f}"
    assert not math.isnan(last.nps)
    sup = registry.compute(cur, "support", q)
    lasts = sup[~sup.partial].iloc[-1]
    store.close()
    assert cards["First contact resolution"] == f"{lasts.fcr_rate:.1%}"


def test_changing_the_segment_filter_changes_the_numbers(demo_db, run_app):
    # The URL side of the filters is checked in the real browser (tests/e2e): AppTest does not
    # report query parameters written under st.navigation.
    at = run_app(demo_db, query={"from": "2025-07-01", "to": "2026-06-30"})
    before = _card_values(at)["Customers"]
    seg = at.multiselect(key="f_segment")
    seg.set_value([seg.options[0]]).run()
    after = _card_values(at)["Customers"]
    assert after != before


def test_a_segment_in_the_url_is_applied_on_open(demo_db, run_app):
    at = run_app(demo_db, query={"segment": "Enterprise"})
    assert at.multiselect(key="f_segment").value == ["Enterprise"]


def test_an_injection_string_in_the_url_matches_nothing_and_breaks_nothing(demo_db, run_app):
    at = run_app(demo_db, query={"segment": "' OR 1=1 --"})
    assert not at.exception
    assert at.multiselect(key="f_segment").value == []


def test_show_the_math_gives_the_formula_the_numbers_and_the_sql(demo_db, run_app):
    at = run_app(demo_db, query={"from": "2025-07-01", "to": "2026-06-30"})
    at.button(key="math_nps_nps").click().run()
    assert not at.exception
    codes = [c.value for c in at.code]
    assert any("NPS = 100" in c or "100 ×" in c or "100 *" in c for c in codes), codes[:2]
    assert any("responded_at" in c and "SELECT" in c for c in codes)
    shown = next(d.value for d in at.dataframe if "promoters" in d.value.index)
    assert int(shown.loc["responses", "value"]) > 0


def test_a_masked_url_carries_custom_attribute_values_by_pseudonym_and_a_colleague_resolves_them(
        demo_db, run_app):
    from dashboard import filters
    from metrics.mask import attribute_item

    real = ["Contract Type: Annual"]
    at = run_app(demo_db, "views/overview.py", query={"mask": "1", "attr": real[0]})
    assert not at.exception, [e.value for e in at.exception]
    assert at.multiselect(key=filters.ATTR_KEY).value == real  # a real value in a link works
    url = repr({k: at.query_params[k] for k in at.query_params})
    assert "Annual" not in url and attribute_item(real[0]) in url, url
    # the sidebar shows the value by pseudonym too; the filter's value stays real
    assert "Annual" not in " ".join(at.multiselect(key=filters.ATTR_KEY).format_func(o)
                                    for o in at.multiselect(key=filters.ATTR_KEY).options)
    cards = _card_values(at)
    # the masked link, opened in a colleague's session, filters on the same value
    again = run_app(demo_db, "views/overview.py",
                    query={"mask": "1", "attr": attribute_item(real[0])})
    assert not again.exception, [e.value for e in again.exception]
    assert again.multiselect(key=filters.ATTR_KEY).value == real
    assert _card_values(again) == cards
    everyone = _card_values(run_app(demo_db, "views/overview.py", query={"mask": "1"}))
    assert everyone != cards  # the filter does narrow the numbers
    # unmasked, the URL carries the value as it is
    plain = run_app(demo_db, "views/overview.py", query={"attr": real[0]})
    assert "Annual" in repr({k: plain.query_params[k] for k in plain.query_params})
