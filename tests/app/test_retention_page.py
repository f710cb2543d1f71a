"""The Retention & revenue page computes what the registry computes, its switches change the
numbers, its math panels open, and order-only data still gets cohorts and customer value."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from metrics import registry
from metrics.query import Query
from metrics.store import Store
from tests.app.conftest import open_tab

PAGE = "views/retention.py"
WINDOW = {"from": "2025-07-01", "to": "2026-06-30"}
Q = Query(start=date(2025, 7, 1), end=date(2026, 7, 1), grain="month")


def _cards(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _last_complete(db, name, q=Q):
    store = Store(db)
    try:
        df = registry.compute(store.cursor(), name, q)
    finally:
        store.close()
    return df[~df.partial].iloc[-1]


def test_cards_show_the_registrys_numbers_for_the_last_complete_month(demo_db, run_app):
    at = run_app(demo_db, PAGE, query=WINDOW)
    assert not at.exception, [e.value for e in at.exception]
    cards = _cards(at)
    mrr = _last_complete(demo_db, "mrr")
    nrr = _last_complete(demo_db, "nrr")
    assert cards["MRR"] == f"${mrr.mrr:,.0f}"
    assert cards["NRR (12 months)"] == f"{nrr.nrr:.1%}"
    assert cards["GRR (12 months)"] == f"{nrr.grr:.1%}"


def test_gross_margin_scales_ltv_and_reactivation_switch_reruns(demo_db, run_app):
    at = run_app(demo_db, PAGE, query=WINDOW)
    full = _last_complete(demo_db, "ltv")
    assert _cards(at)["LTV"] == f"${full.ltv:,.0f}"
    at.number_input(key="rr_margin").set_value(0.5).run()
    assert _cards(at)["LTV"] == f"${full.ltv * 0.5:,.0f}"
    at.button_group(key="rr_react").set_value("exclude").run()
    assert not at.exception, [e.value for e in at.exception]
    nrr = _last_complete(demo_db, "nrr", Q.with_setting("nrr_reactivation", "exclude"))
    assert _cards(at)["NRR (12 months)"] == f"{nrr.nrr:.1%}"


def test_every_cards_math_panel_opens(demo_db, run_app):
    at = run_app(demo_db, PAGE, query=WINDOW)
    for key in ("math_nrr_nrr", "math_ltv_ltv", "math_quick_ratio_quick_ratio",
                "math_revenue_churn_gross_mrr_churn_rate"):
        at.button(key=key).click().run()
        assert not at.exception, (key, [e.value for e in at.exception])
    codes = " ".join(c.value for c in at.code)
    assert "SELECT" in codes


def test_order_only_data_gets_an_explanation_and_the_customer_value_tab(tmp_path, run_app):
    db = tmp_path / "orders" / "csm.duckdb"
    store = Store(db)
    cur = store.cursor()
    cur.execute("INSERT INTO accounts (account_id, segment, signup_date) VALUES "
                "('a', 'SMB', DATE '2025-01-01'), ('b', 'SMB', DATE '2025-01-01'), "
                "('c', 'Ent', DATE '2025-01-01'), ('d', 'Ent', DATE '2025-01-01')")
    rows = []
    for i, acc in enumerate("abcd"):
        for k in range(1 + i):
            rows.append((f"{acc}{k}", acc, datetime(2025, 1 + 2 * k, 3 + i), 10.0 * (i + 1)))
    cur.executemany("INSERT INTO orders (order_id, account_id, ordered_at, amount) "
                    "VALUES (?, ?, ?, ?)", rows)
    cur.close()
    store.close()
    at = run_app(db, PAGE, query={"rr_tab": "Customer value"})
    assert not at.exception, [e.value for e in at.exception]
    assert [t.label for t in at.tabs] == ["Cohorts", "Survival", "Renewals", "Customer value"]
    assert any("No subscriptions" in i.value for i in at.info)
    assert any("BG/NBD" in c.value for c in at.caption)


def test_renewals_show_at_risk_arr_and_split_by_health_band_then_segment(demo_db, run_app):
    from metrics.kpis import renewals

    at = run_app(demo_db, PAGE, query={**WINDOW, "rr_tab": "Renewals"})
    assert not at.exception, [e.value for e in at.exception]
    store = Store(demo_db)
    try:
        up = renewals.upcoming_renewals(store.cursor(), Q.with_setting("gross_margin", 1.0))
    finally:
        store.close()
    assert set(up["band"].dropna()) <= {"green", "yellow", "red"} and up["band"].notna().any()
    risk = renewals.at_risk_renewals(up).set_index("within_days")
    cards = _cards(at)
    for days in (30, 60, 90):
        assert cards[f"At-risk ARR due in {days} days"] == f"${risk.loc[days, 'at_risk_arr']:,.0f}"
    assert risk.loc[90, "at_risk_arr"] >= risk.loc[30, "at_risk_arr"]
    split = at.radio(key="rr_renew_split")
    assert split.value == "band"
    assert any("split by their health band" in c.value for c in at.caption)
    split.set_value("segment").run()
    assert not at.exception, [e.value for e in at.exception]


def test_a_quick_ratio_over_a_tiny_loss_shows_its_basis_and_an_uncoloured_change(demo_db,
                                                                               run_app):
    at = run_app(demo_db, "views/retention.py")
    store = Store(demo_db)
    try:
        frame = registry.compute(store.cursor(), "quick_ratio", Query(
            grain="month", start=date(2025, 7, 1), end=date(2026, 7, 1)))
    finally:
        store.close()
    last = frame[~frame["partial"]].iloc[-1]
    text, few = registry.basis("quick_ratio", "quick_ratio", last)
    card = next(m for m in at.metric if m.label == "Quick ratio")
    captions = [c.value for c in at.caption]
    assert few and any(text in c and "too few to read a change" in c for c in captions)
    assert card.color == 2  # gray: neither good nor bad
    mrr = next(m for m in at.metric if m.label == "MRR")
    assert mrr.color != 2  # a change over enough of a basis keeps its colour


def test_a_boundary_fit_shows_its_warning_and_readable_parameters(tmp_path, run_app):
    import pandas as pd

    from dashboard.components.text import md_escape
    from metrics.kpis import clv
    from tests.unit.test_metric_clv import _steady_orders

    rows, as_of = _steady_orders()  # nobody stops buying: the best fit is the no-dropout limit
    db = tmp_path / "steady" / "csm.duckdb"
    store = Store(db)
    cur = store.cursor()
    cur.register("src", pd.DataFrame(rows))
    cur.execute("INSERT INTO orders (order_id, account_id, ordered_at, amount) "
                "SELECT order_id, account_id, ordered_at, amount FROM src")
    q = Query(as_of=as_of).with_setting("time_unit", "week")
    model = registry.compute(cur, "clv_model", q).iloc[0]
    cur.close()
    store.close()
    assert "no-dropout boundary" in model.warning
    at = run_app(db, PAGE, query={"rr_tab": "Customer value"})
    assert not at.exception, [e.value for e in at.exception]
    warnings = [w.value for w in at.warning]
    assert any(md_escape(model.warning) in w for w in warnings), warnings
    assert not any("<" in w and ">" in w for w in warnings)  # escaped text, no markup
    frames = [d.value for d in at.dataframe]
    params = next(f for f in frames if list(f.columns) == list(clv.PARAMETER_LABELS))
    shown = params.set_index("parameter")
    assert list(shown.index) == ["r", "α", "a", "b", "p", "q", "v"]
    assert shown.loc["a", "value"] == "0" and shown.loc["b", "value"] == "—"
    assert "no-dropout limit" in shown.loc["b", "plausibility"]
    assert "heterogeneity" in shown.loc["r", "meaning"] and "spend" in shown.loc["q", "meaning"]
    assert float(shown.loc["r", "value"]) == pytest.approx(model.r, rel=1e-3)
    for tab in [t.label for t in at.tabs]:  # only the open tab runs: each in turn
        open_tab(at, "rr_tab", tab)
        for frame in [d.value for d in at.dataframe]:  # no table on the page says None or nan
            text = frame.astype(str)
            assert not text.isin(["None", "nan", "NaN", "<NA>"]).any().any(), (tab, frame)
            assert frame.notna().all().all(), (tab, frame)
        for d in at.dataframe:  # every column has a human label
            config = json.loads(d.proto.columns or "{}")
            labels = {c: config.get(c, {}).get("label") for c in d.value.columns}
            assert all(v and "_" not in v and v != c for c, v in labels.items()), (tab, labels)


def test_the_mrr_bridge_names_its_period_as_a_period_not_a_day(demo_db, run_app):
    import json
    import re

    at = run_app(demo_db, PAGE, query=WINDOW)
    assert not at.exception, [e.value for e in at.exception]
    bridge = at.selectbox(key="rr_bridge")
    assert "Jun 2026" in bridge.options and "Jul 2025" in bridge.options
    assert not any(re.search(r"\d{4}-\d{2}-\d{2}", o) for o in bridge.options)
    titles = [json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "")
              for c in at.get("plotly_chart")]
    assert "MRR bridge, Jun 2026" in titles, titles  # the last complete month by default
    # the month picked before is not a quarter: the bridge falls back to the last complete one
    at.button_group(key="rr_grain").set_value("quarter").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Q2 2026" in at.selectbox(key="rr_bridge").options
    titles = [json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "")
              for c in at.get("plotly_chart")]
    assert "MRR bridge, Q2 2026" in titles, titles
