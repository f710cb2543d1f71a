"""One number, one definition (issue 11): every KPI card of every page, the Weekly review and
its meeting pack show the value `csm metric` prints for the same period, filters and as-of.

The expected values come from the command line (`csm.cli.main`, JSON on stdout) on the same
database, formatted by the one formatter with the column's own unit; the shown values are read
from the pages run by AppTest and from the HTML pack `csm report` writes. Run on the small demo
and on a hand-made edge-case book (an empty month, a month with one answer, a week whose
renewals are all pending)."""

from __future__ import annotations

import io
import json
import os
from datetime import timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from csm.cli import main as csm_main
from metrics import fmt, registry, review
from metrics.kpis import renewals as renewals_kpi
from metrics.query import Query

URL = {"from": "2025-07-01", "to": "2026-06-30"}  # the sidebar's range: `to` is its last day
CLI_WINDOW = ["--from", "2025-07-01", "--to", "2026-07-01"]  # the CLI's end is exclusive

# (card label before " · ", metric, column) of each page; the page's grain in PAGES.
OVERVIEW = [("Customers", "logo_churn", "customers_end"), ("MRR", "mrr", "mrr"),
            ("Logo churn rate", "logo_churn", "churn_rate"), ("NPS", "nps", "nps"),
            ("CSAT", "csat", "csat"),
            ("Median first response", "support", "first_response_median_h"),
            ("First contact resolution", "support", "fcr_rate"),
            ("NRR (12 months)", "nrr", "nrr"), ("GRR (12 months)", "grr", "grr"),
            ("New customers", "logo_churn", "new_customers"),
            ("Tickets", "support", "tickets")]
SUPPORT = [("Tickets", "support", "tickets"), ("FCR", "support", "fcr_rate"),
           ("Median first response", "support", "first_response_median_h"),
           ("P90 first response", "support", "first_response_p90_h"),
           ("Median resolution", "support", "resolution_median_h"),
           ("SLA attainment", "support", "sla_attainment")]
RETENTION = [("MRR", "mrr", "mrr"), ("ARPA", "arpa", "arpa"), ("NRR (12 months)", "nrr", "nrr"),
             ("GRR (12 months)", "grr", "grr"), ("Quick ratio", "quick_ratio", "quick_ratio"),
             ("Logo churn rate", "logo_churn", "churn_rate"),
             ("Gross MRR churn", "revenue_churn", "gross_mrr_churn_rate"),
             ("Net MRR churn", "revenue_churn", "net_mrr_churn_rate"), ("LTV", "ltv", "ltv")]
USAGE = [("MAU", "usage", "active_users"), ("Mean daily users", "usage", "avg_daily_users"),
         ("Stickiness", "usage", "stickiness"),
         ("Accounts with usage", "usage", "active_accounts"),
         ("Hours per active user", "usage", "hours_per_active_user")]
SATISFACTION = [("NPS", "nps", "nps"), ("CSAT", "csat", "csat"), ("CES (1–7)", "ces", "ces")]
PAGES = {"views/overview.py": (OVERVIEW, "month"), "views/support.py": (SUPPORT, "month"),
         "views/retention.py": (RETENTION, "month"), "views/usage.py": (USAGE, "month"),
         "views/satisfaction.py": (SATISFACTION, "all")}


def record(pair: str, values: dict[str, object]) -> None:
    """Append a pair checked and the value each surface showed to $CSM_PAIRS_OUT as a JSON
    line, when set (the table of pairs for the issue's closing note is made from it)."""
    out = os.environ.get("CSM_PAIRS_OUT")
    if out:
        with open(out, "a", encoding="utf-8") as f:
            f.write(json.dumps({"pair": pair, "values": values}, default=str) + "\n")


def cli_metric(db: Path, name: str, *args: str) -> pd.DataFrame:
    """Return what `csm metric NAME ARGS --format json` prints, as a frame."""
    import contextlib

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = csm_main(["metric", name, "--db", str(db), "--format", "json", *args])
    assert rc == 0, f"csm metric {name} {' '.join(args)} exited {rc}"
    return pd.DataFrame(json.loads(out.getvalue()))


def last_complete(frame: pd.DataFrame) -> pd.Series | None:
    """Return the last complete period's row (the one a card shows), None without one."""
    done = frame[~frame["partial"].astype(bool)] if len(frame) else frame
    return done.iloc[-1] if len(done) else None


def shown(v, metric: str, column: str) -> str:
    """Return how the one formatter shows value `v` of a metric's column."""
    return fmt.value(v, registry.column(metric, column).unit)


def html_table(html: str, column: str) -> dict[str, str]:
    """Return {first cell: text of `column`} of the HTML table with that column header, the
    text exactly as written (no number parsing)."""
    from lxml import html as lxml_html

    for t in lxml_html.fromstring(html).iter("table"):
        head = [c.text_content().strip() for c in t.iter("th")]
        if column in head:
            i = head.index(column)
            rows = [[c.text_content().strip() for c in tr.iter("td")] for tr in t.iter("tr")]
            return {r[0]: r[i] for r in rows if len(r) > i}
    raise AssertionError(f"no table with a {column!r} column")


def cards(at) -> dict[str, str]:
    """Return {label before ' · ': value} of the st.metric cards of a page run."""
    return {m.label.split(" · ")[0]: m.value for m in at.metric}


def page_run(run_app, db: Path, page: str, query: dict | None = None):
    at = run_app(db, page, query={**URL, **(query or {})})
    assert not at.exception, [e.value for e in at.exception]
    return at


def expected_cards(db: Path, spec, grain: str) -> dict[str, str]:
    """Return {label: the CLI's value formatted} for a page's cards at `grain` over URL's
    window (the whole window for grain 'all')."""
    frames: dict[str, pd.DataFrame] = {}
    out = {}
    for label, metric, column in spec:
        if metric not in frames:
            frames[metric] = cli_metric(db, metric, "--grain", grain, *CLI_WINDOW)
        row = last_complete(frames[metric]) if grain != "all" else frames[metric].iloc[0]
        out[label] = shown(row[column] if row is not None else None, metric, column)
    return out


@pytest.mark.parametrize("page", list(PAGES))
def test_every_card_of_the_page_shows_what_csm_metric_prints(demo_db, run_app, page):
    spec, grain = PAGES[page]
    got = cards(page_run(run_app, demo_db, page))
    want = expected_cards(demo_db, spec, grain)
    assert {k: got.get(k) for k in want} == want
    for k in want:
        record(f"demo {grain}: {k} ({page.split('/')[1][:-3]})",
               {"page": got.get(k), "csm metric (formatted)": want[k]})


def _week_expected(db: Path, r: review.Review) -> dict[str, str]:
    """Return {KPI label: the CLI's value for the review's week, formatted}."""
    frames: dict[str, pd.DataFrame] = {}
    out = {}
    for row in r.kpis.itertuples():
        if row.metric not in frames:
            frames[row.metric] = cli_metric(
                db, row.metric, "--grain", "week", "--from", f"{r.start - timedelta(days=7)}",
                "--to", f"{r.end}")
        f = frames[row.metric]
        hit = f[pd.to_datetime(f["period"]).dt.date == r.start] if len(f) else f
        out[row.label] = shown(hit.iloc[0][row.column] if len(hit) else None, row.metric,
                               row.column)
    return out


def test_the_weekly_review_and_its_pack_show_the_week_as_csm_metric_does(
        demo_db, run_app, tmp_path):
    with duckdb.connect(str(demo_db), read_only=True) as con:
        r = review.build(con.cursor(), Query())
    assert r is not None and len(r.kpis) >= 10
    want = _week_expected(demo_db, r)
    # first contact resolution was 76.7% on the review against 77.6% elsewhere (issue 11):
    # the review now reads the week as of the data's as-of, as the Overview does
    assert "First contact resolution" in want
    page = cards(page_run(run_app, demo_db, "views/weekly.py"))
    assert {k: page.get(k) for k in want} == want

    out = tmp_path / "pack.html"
    assert csm_main(["report", "--db", str(demo_db), "--week", r.week, "--out", str(out)]) == 0
    pack = html_table(out.read_text(), "this week")
    assert {k: pack.get(k) for k in want} == want
    for k in want:
        record(f"{k} {r.week}", {"Weekly review": page.get(k), "HTML pack": pack.get(k),
                                 "csm metric --grain week (formatted)": want[k]})
    # the week's label is the week it covers
    assert f"{r.start:%a %d %b}" in out.read_text()


def test_renewals_due_are_counted_once_the_same_on_the_review_and_retention(demo_db, run_app):
    with duckdb.connect(str(demo_db), read_only=True) as con:
        cur = con.cursor()
        r = review.build(cur, Query())
        up = renewals_kpi.upcoming_renewals(cur, Query(as_of=r.renewals_from))
    risk = renewals_kpi.at_risk_renewals(up)
    counts = review.renewal_counts(r.renewals)
    assert counts == dict(zip(risk["within_days"], risk["accounts"], strict=True))
    assert counts[30] <= counts[60] <= counts[90]  # cumulative, as on Retention
    at = page_run(run_app, demo_db, "views/retention.py", {"rr_tab": "Renewals"})
    caption = " ".join(c.value for c in at.caption)
    for h, n in counts.items():
        assert f"of {n:,} renewals within {h} days" in caption
    weekly = " ".join(c.value for c in page_run(run_app, demo_db, "views/weekly.py").caption)
    assert review.renewals_line(r) in weekly


def test_the_health_mix_card_counts_the_health_pages_bands(demo_db, run_app):
    mix = cards(page_run(run_app, demo_db, "views/overview.py"))["Health mix green / yellow / red"]
    health = cards(page_run(run_app, demo_db, "views/health.py"))
    assert mix == " / ".join(health[f"{b} accounts"] for b in ("Green", "Yellow", "Red"))
    record("Health mix green / yellow / red", {"Overview card": mix, "Health cards": " / ".join(
        health[f"{b} accounts"] for b in ("Green", "Yellow", "Red"))})
    scored = cli_metric(demo_db, "health")
    assert health["Red accounts"] == f"{int((scored['band'] == 'red').sum()):,}"


# ---------------------------------------------------------------------------------------------
# An edge-case book: an empty month, a month with one answer, a week with only pending renewals


def test_the_edge_case_book_shows_the_same_numbers_on_the_pages_and_the_cli(edge_db, run_app):
    for page in ("views/overview.py", "views/support.py", "views/retention.py"):
        spec, grain = PAGES[page]
        got = cards(page_run(run_app, edge_db, page))
        want = expected_cards(edge_db, spec, grain)
        assert {k: got.get(k) for k in want if k in got} == {k: want[k] for k in want
                                                            if k in got}, page
        # nothing shown as "None", "nan" or a signed zero
        assert not [v for v in got.values() if v in ("None", "nan", "-0.0") or "nan" in v]
    nps = cli_metric(edge_db, "nps", "--grain", "month", *CLI_WINDOW)
    months = dict(zip(nps["period"].str[:7], nps["responses"], strict=True))
    assert months.get("2026-04", 0) == 0 and months["2026-05"] == 1  # the edge cases exist


def test_a_week_of_pending_renewals_shows_no_rate_on_the_review_nor_in_the_cli(edge_db):
    with duckdb.connect(str(edge_db), read_only=True) as con:
        r = review.build(con.cursor(), Query(), "2026-W26")
    row = r.kpis.set_index("metric").loc["renewal_rate"]
    cli = cli_metric(edge_db, "renewal_rate", "--grain", "week", "--from", "2026-06-22",
                     "--to", "2026-06-29")
    assert int(cli.iloc[0]["pending"]) >= 1 and pd.isna(cli.iloc[0]["renewal_rate"])
    assert row["value"] is None or pd.isna(row["value"])
    shown_row = review.kpi_display(r.kpis).set_index("KPI").loc[row["label"]]
    assert shown_row["this week"] == "—" and shown_row["change"] == "—"


def test_the_health_cards_follow_each_filter_change_in_one_session(demo_db, run_app):
    """The health inputs and scores are cached once for every account, without the filters
    (dashboard/components/health/data.py); a filter change only re-marks the accounts in
    scope. In one session, each segment then all: the Health page's red and green counts
    and its band mix card are those `csm metric health` prints for the same filter."""
    at = run_app(demo_db, "views/health.py")
    seen = []
    for segment in ("Enterprise", "SMB", None):
        box = [m for m in at.sidebar.multiselect if m.label == "Segment"][0]
        box.set_value([segment] if segment else []).run()
        assert not at.exception, [e.value for e in at.exception]
        got = cards(at)
        args = ["--filter", f"segment={segment}"] if segment else []
        scored = cli_metric(demo_db, "health", *args)
        for band in ("red", "green"):
            assert got[f"{band.title()} accounts"] == f"{int((scored['band'] == band).sum()):,}"
        seen.append(got["Red accounts"])
    assert len(set(seen)) > 1  # the filters really changed the counts
