"""One number, one definition (issue 11), continued: the pairs test_consistency.py leaves out.

- the Overview and Support opened on the Weekly review's week (grain week, that week's range in
  the URL) against the review's cards and `csm metric support --grain week`;
- the Health and Accounts counts against `csm metric health` and `logo_churn`, each on the
  basis its label states (as of a day, or at a period's end);
- the at-risk ARR and renewals-due figures of Retention and the review against the upcoming
  renewals detail and the CLI's health bands on the same as-of;
- Satisfaction, Usage, Overview, Support and Retention on the edge-case book, every card
  expected (a missing card fails);
- the meeting packs: test_consistency_packs.py.

With CSM_PAIRS_OUT set, every pair checked is also appended to that file as a JSON line
(pair, surfaces and their values), for the issue's closing note."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from metrics import fmt, health, review
from metrics.ingest.pipeline import load_file
from metrics.kpis import renewals as renewals_kpi
from metrics.query import Query
from metrics.store import Store
from tests.app.conftest import each_tab, open_tab
from tests.app.test_consistency import (
    CLI_WINDOW,
    OVERVIEW,
    PAGES,
    SATISFACTION,
    SUPPORT,
    URL,
    cards,
    cli_metric,
    page_run,
    record,
    shown,
)


@pytest.fixture(autouse=True)
def model_file(tmp_path, monkeypatch):
    """The repository's health model, read from a private copy (pages may not write it)."""
    path = tmp_path / "health_model.yaml"
    path.write_text(health.MODEL_FILE.read_text())
    monkeypatch.setenv("CSM_HEALTH_MODEL", str(path))
    return path


BOOKS = {"demo_db": "", "edge_db": "edge book: "}  # how a book's pairs are named


def book_db(request, book: str) -> Path:
    """Return the database of a parametrized book; the edge book with its usage events (its
    as-of is then Monday 29 Jun, so its last complete week is W26, of the pending renewals)."""
    db = request.getfixturevalue(book)
    if book == "edge_db":
        add_usage(db)
    return db


def the_review(db: Path, week: str | None = None) -> review.Review:
    with duckdb.connect(str(db), read_only=True) as con:
        r = review.build(con.cursor(), Query(), week)
    assert r is not None
    return r


def labelled(at) -> dict[str, object]:
    """Return {full label: the st.metric element} of a page run."""
    return {m.label: m for m in at.metric}


def texts(at) -> str:
    # the text as shown: Markdown's backslash escapes (md_escape) removed
    return re.sub(r"\\(.)", r"\1", " ".join(
        str(e.value) for e in list(at.caption) + list(at.markdown) + list(at.info)))


def row_of(frame: pd.DataFrame, start: date) -> pd.Series | None:
    """Return the row of the period starting on `start` (None when the CLI printed none)."""
    if frame.empty:
        return None
    hit = frame[pd.to_datetime(frame["period"]).dt.date == start]
    return hit.iloc[0] if len(hit) else None


# ---------------------------------------------------------------------------------------------
# 1. The Overview and Support on the review's week


def week_view(r: review.Review) -> tuple[dict, list[str]]:
    """Return (the URL range, the CLI window) that show review `r`'s week as the last complete
    week: the week before it and the week itself (the sidebar's `to` is its last day)."""
    first, last = r.start - timedelta(days=7), r.end - timedelta(days=1)
    return ({"from": f"{first}", "to": f"{last}"},
            ["--grain", "week", "--from", f"{first}", "--to", f"{r.end}"])


def week_expected(db: Path, spec, r: review.Review, cli: list[str]) -> dict[str, str]:
    """Return {card label: the CLI's value for review `r`'s week, formatted}."""
    frames: dict[str, pd.DataFrame] = {}
    out = {}
    for label, metric, column in spec:
        if metric not in frames:
            frames[metric] = cli_metric(db, metric, *cli)
        row = row_of(frames[metric], r.start)
        out[label] = shown(row[column] if row is not None else None, metric, column)
    return out


@pytest.mark.parametrize("book", ["demo_db", "edge_db"])
def test_the_overview_and_support_on_the_reviews_week_show_the_reviews_numbers(book, request,
                                                                             run_app):
    db = book_db(request, book)
    r = the_review(db)
    url, cli = week_view(r)
    week = fmt.period(r.start, "week")
    review_cards = cards(page_run(run_app, db, "views/weekly.py"))
    review_label = {(k.metric, k.column): k.label for k in r.kpis.itertuples()}
    compared = set()
    for page, spec, grain_key in (("views/overview.py", OVERVIEW, "ov_grain"),
                                  ("views/support.py", SUPPORT, "sp_grain")):
        at = run_app(db, page, query=url, state={grain_key: "week"})
        assert not at.exception, [e.value for e in at.exception]
        got = cards(at)
        want = week_expected(db, spec, r, cli)
        assert {k: got.get(k) for k in want} == want, page  # every card, none missing
        if page.endswith("overview.py"):
            # each card names the week it shows: the review's
            per_card = [m.label for m in at.metric if m.label.split(" · ")[0] in want]
            assert per_card and all(lab.endswith(f" · {week}") for lab in per_card), per_card
        else:
            assert f"Cards: the last complete week ({week})" in texts(at)
        for label, metric, column in spec:
            if (metric, column) in review_label:
                rv = review_cards.get(review_label[(metric, column)])
                assert got[label] == rv, (page, label, got[label], rv)
                cli_value = row_of(cli_metric(db, metric, *cli), r.start)[column]
                record(f"{BOOKS[book]}{review_label[(metric, column)]} {week}",
                       {page.split("/")[1][:-3].capitalize(): got[label], "Weekly review": rv,
                        f"csm metric {metric} --grain week": cli_value})
                compared.add((metric, column))
    # the example, first contact resolution, and first response are among them
    assert {("support", "fcr_rate"), ("support", "first_response_median_h"),
            ("support", "tickets")} <= compared


# ---------------------------------------------------------------------------------------------
# 2. Customers: as of a day (Health, Accounts) and at a period's end (Overview)


@pytest.mark.parametrize(("book", "last_day"), [("demo_db", URL["to"]), ("demo_db", "2026-06-15"),
                                               ("edge_db", URL["to"])])
def test_health_and_accounts_count_the_customers_of_their_stated_day(book, request, run_app,
                                                                    last_day):
    """Health and Accounts count the customers on the range's last day, the Overview on the
    last day of the month its card names; each says which, and each equals the CLI on that
    basis. With a range ending mid-month (15 Jun) the two differ: a period is computed over its
    whole calendar extent (DATA.md), so the Overview's June counts to 30 June."""
    db = book_db(request, book)
    data_as_of = the_review(db).renewals_from
    query = {"to": last_day}
    at = page_run(run_app, db, "views/health.py", query)
    m = re.search(r"As of (\d{4}-\d{2}-\d{2}) \(scores use the data dated before it\) .*? "
                  r"([\d,]+) customers \(active accounts\) in the filters", texts(at))
    assert m, texts(at)[:500]
    day, n = date.fromisoformat(m.group(1)), int(m.group(2).replace(",", ""))
    # the range's last day, or the data's as-of when earlier (the edge book's ends 29 Jun)
    assert day == min(date.fromisoformat(last_day), data_as_of)
    scored = cli_metric(db, "health", "--as-of", f"{day}")
    day_customers = cli_metric(db, "logo_churn", "--grain", "day", "--from", f"{day}",
                               "--to", f"{day + timedelta(days=1)}")
    assert n == len(scored) == int(day_customers["customers_end"].iloc[0])
    got = cards(at)
    bands = scored["band"].value_counts()
    assert {b: got[f"{b.capitalize()} accounts"] for b in ("green", "yellow", "red")} == {
        b: f"{int(bands.get(b, 0)):,}" for b in ("green", "yellow", "red")}
    assert got["Unscored"] == f"{int(scored['score'].isna().sum()):,}"
    assert got["Mean score"] == f"{scored['score'].mean():.1f}"
    record(f"{BOOKS[book]}Customers on {day}",
           {"Health caption": n, "csm metric health (rows)": len(scored),
            "csm metric logo_churn --grain day customers_end":
            int(day_customers["customers_end"].iloc[0])})
    record(f"{BOOKS[book]}Health bands green/yellow/red, unscored, mean score on {day}",
           {"Health cards": " / ".join(got[f"{b} accounts"] for b in ("Green", "Yellow", "Red"))
            + f", {got['Unscored']}, {got['Mean score']}",
            "csm metric health": " / ".join(str(int(bands.get(b, 0)))
                                            for b in ("green", "yellow", "red"))
            + f", {int(scored['score'].isna().sum())}, {scored['score'].mean():.4f}"})
    ov = labelled(page_run(run_app, db, "views/overview.py", query))
    mix = next(v for k, v in ov.items() if k.startswith("Health mix"))
    assert mix.label.endswith(f" · {day}")
    assert mix.value == " / ".join(str(int(bands.get(b, 0))) for b in ("green", "yellow", "red"))

    acc = page_run(run_app, db, "views/accounts.py", query)
    m = re.search(r"([\d,]+) accounts?, \$[\d,]+ MRR, as of (\d{4}-\d{2}-\d{2})", texts(acc))
    assert m, texts(acc)[:500]
    assert (int(m.group(1).replace(",", "")), date.fromisoformat(m.group(2))) == (n, day)
    open_tab(acc, "ac_tab", "Team")  # only the open tab runs
    team = [d.value for d in acc.dataframe if "at_risk_renewals" in d.value.columns][0]
    assert int(team["accounts"].sum()) == n
    assert {b: int(team[b].sum()) for b in ("green", "yellow", "red")} == {
        b: int(bands.get(b, 0)) for b in ("green", "yellow", "red")}
    record(f"{BOOKS[book]}Customers on {day}",
           {"Accounts caption": int(m.group(1).replace(",", "")),
            "Accounts team table (sum)": int(team["accounts"].sum()),
            "Overview health mix (sum)": sum(int(x) for x in mix.value.split(" / "))})

    # The Overview counts on the last day of the month its label names (the last complete
    # one at the data's as-of) and its help says "on the period's last day"
    card = next(v for k, v in ov.items() if k.startswith("Customers · "))
    month = card.label.split(" · ")[1]
    frame = cli_metric(db, "logo_churn", "--grain", "month", "--from", URL["from"],
                       "--to", f"{day + timedelta(days=1)}")
    done = frame[~frame["partial"].astype(bool)].iloc[-1]
    assert month == fmt.period(done["period"], "month")
    assert card.value == f"{int(done['customers_end']):,}"
    assert "on the period's last day" in card.help
    record(f"{BOOKS[book]}Customers at the end of {month} (range to {day})",
           {"Overview card": card.value, "csm metric logo_churn --grain month customers_end":
            int(done["customers_end"])})


# ---------------------------------------------------------------------------------------------
# 3. At-risk ARR and renewals due


@pytest.mark.parametrize("book", ["demo_db", "edge_db"])
def test_at_risk_arr_and_renewals_due_agree_on_retention_the_review_and_the_cli(book, request,
                                                                              run_app):
    db = book_db(request, book)
    r = the_review(db)
    day = r.renewals_from
    if book == "demo_db":
        assert day == date.fromisoformat(URL["to"])  # Retention's as-of is the same day
    with duckdb.connect(str(db), read_only=True) as con:
        up = renewals_kpi.upcoming_renewals(con.cursor(), Query(as_of=day))
    bands = cli_metric(db, "health", "--as-of", f"{day}").set_index("account_id")["band"]
    # the detail's bands are the CLI's health bands of that day
    assert up["band"].fillna("-").tolist() == up["account_id"].map(bands).fillna("-").tolist()
    ret = labelled(page_run(run_app, db, "views/retention.py", {"rr_tab": "Renewals"}))
    # no signed zero on any card (the demo's June net MRR churn, -0.003%, read "-0.0%")
    assert not [(k, m.value) for k, m in ret.items()
                if re.fullmatch(r"[-−]\$?0(\.0+)?(%| h| pts)?", m.value)]
    weekly = texts(page_run(run_app, db, "views/weekly.py"))
    assert review.renewals_line(r) in weekly
    counts = review.renewal_counts(r.renewals)
    for h in renewals_kpi.AT_RISK_HORIZONS:
        due = up[(up["days_to"] > 0) & (up["days_to"] <= h)]
        risk = due[due["account_id"].map(bands).isin(renewals_kpi.AT_RISK_BANDS)]
        want = f"${risk['arr'].sum():,.0f}"
        card = ret[f"At-risk ARR due in {h} days"]
        assert card.value == want
        assert card.help.startswith(f"{fmt.plural(len(risk), 'red or yellow account')} of "
                                    f"{len(due):,} renewing within {h} days")
        # the review lists the same renewals, with the same bands and ARR (12 × MRR)
        rv = r.renewals[r.renewals["days_to"] <= h]
        assert sorted(rv["account_id"]) == sorted(due["account_id"]) and counts[h] == len(due)
        rv_risk = rv[rv["band"].isin(renewals_kpi.AT_RISK_BANDS)]
        assert f"${rv_risk['mrr'].sum() * 12:,.0f}" == want
        assert f"{counts[h]:,} within {h} days" in weekly
        record(f"{BOOKS[book]}At-risk ARR due in {h} days (from {day})",
               {"Retention card": card.value, "Weekly review renewals (12 × MRR)":
                f"${rv_risk['mrr'].sum() * 12:,.0f}",
                "upcoming renewals × csm metric health bands": float(risk["arr"].sum())})
        record(f"{BOOKS[book]}Renewals due within {h} days (from {day})",
               {"Retention": len(due), "Weekly review": counts[h]})


# ---------------------------------------------------------------------------------------------
# 4. Every card of Satisfaction and Usage (and the others) on the edge-case book


def add_usage(db: Path) -> None:
    """Usage events for the edge-case book through the real import: March busy, no event in
    April, one user on one day in May, two users in June."""
    rows = [(a, u, datetime(2026, 3, d, 10), "reports", 600)
            for d in (2, 3, 9, 16) for u, a in (("u1", "E0"), ("u2", "E0"), ("u3", "E1"))]
    rows.append(("E2", "u4", datetime(2026, 5, 12, 10), "export", 300))
    rows += [(a, u, datetime(2026, 6, d, 10), "reports", 900)
             for d in (1, 8, 15, 22, 29) for u, a in (("u1", "E0"), ("u5", "E5"))]
    store = Store(db)
    try:
        csv = store.uploads / "usage_events.csv"
        pd.DataFrame(rows, columns=["account_id", "user_id", "occurred_at", "feature",
                                    "duration_seconds"]).to_csv(csv, index=False)
        res = load_file(store, "usage_events", csv)
        assert res.outcome == "loaded", res.message
    finally:
        store.close()


def strict_expected(db: Path, spec, grain: str) -> dict[str, str]:
    """Return {label: the CLI's value formatted} of every card of a page: the last complete
    period at `grain`, the whole window for 'all'; '—' where the CLI has no value."""
    frames: dict[str, pd.DataFrame] = {}
    out = {}
    for label, metric, column in spec:
        if metric not in frames:
            frames[metric] = cli_metric(db, metric, "--grain", grain, *CLI_WINDOW)
        f = frames[metric]
        if grain == "all":
            row = f.iloc[0] if len(f) else None
        else:
            done = f[~f["partial"].astype(bool)] if len(f) else f
            row = done.iloc[-1] if len(done) else None
        out[label] = shown(row[column] if row is not None else None, metric, column)
    return out


def window_row(db: Path, metric: str) -> pd.Series:
    f = cli_metric(db, metric, "--grain", "all", *CLI_WINDOW)
    assert len(f) == 1, (metric, f)
    return f.iloc[0]


def extra_expected(db: Path, page: str) -> dict[str, str]:
    """Return {label: the CLI's value formatted} of a page's cards that are not kpi_cards."""
    if page.endswith("satisfaction.py"):
        nps, rev, cov = (window_row(db, m) for m in ("nps", "nps_revenue", "feedback_coverage"))
        days = 90  # the coverage_days default, as in the card's label
        return {"NPS (responses)": fmt.value(nps["nps"], "points"),
                "NPS (accounts)": fmt.value(rev["nps_accounts"], "points"),
                "NPS weighted by MRR": fmt.value(rev["nps_mrr_weighted"], "points"),
                f"Accounts heard from in {days} days": fmt.value(cov["coverage"], "fraction"),
                "Share of MRR heard from": fmt.value(cov["mrr_coverage"], "fraction"),
                "Accounts not heard from": f"{int(cov['unheard_accounts']):,}"}
    if page.endswith("support.py"):
        # the ticket_backlog metric's card: tickets open at the end of the last complete month
        f = cli_metric(db, "ticket_backlog", "--grain", "month", *CLI_WINDOW)
        done = f[~f["partial"].astype(bool)]
        return {"Open backlog": shown(done.iloc[-1]["backlog_end"] if len(done) else None,
                                      "ticket_backlog", "backlog_end")}
    return {}


EDGE_PAGES = ["views/satisfaction.py", "views/usage.py", "views/overview.py",
              "views/support.py", "views/retention.py"]


@pytest.mark.parametrize("page", EDGE_PAGES)
def test_every_card_of_the_edge_case_book_is_shown_with_the_clis_value(edge_db, run_app, page):
    add_usage(edge_db)
    spec, grain = PAGES[page]
    at = page_run(run_app, edge_db, page)
    got: dict[str, str] = {}
    shown_text = ""
    for _tab in each_tab(at):  # the cards of every tab (only the open one runs)
        got |= cards(at)
        shown_text += texts(at)
    want = {**strict_expected(edge_db, spec, grain), **extra_expected(edge_db, page)}
    assert {k: got.get(k) for k in want} == want  # a card expected but missing fails
    assert not [v for v in got.values() if v in ("None", "nan", "-0.0") or "nan" in v]
    if page.endswith("satisfaction.py"):
        # the edge cases are there: an NPS answer in May only, no CSAT nor CES answer
        assert got["CSAT"] == got["CES (1–7)"] == "—"
        adv = cli_metric(edge_db, "advocates", "--grain", "all", *CLI_WINDOW)
        if len(adv):
            assert got["Advocates"] == f"{len(adv):,}"
        else:
            assert "Advocates" not in got and "No advocates" in shown_text
    if page.endswith("usage.py"):
        usage = cli_metric(edge_db, "usage", "--grain", "month", *CLI_WINDOW)
        months = dict(zip(usage["period"].str[:7], usage["active_users"], strict=True))
        assert months.get("2026-04", 0) == 0 and months["2026-05"] == 1
    for k in want:
        record(f"edge book: {k} ({page.split('/')[1][:-3]})",
               {"page": got[k], "csm metric": want[k]})


@pytest.mark.parametrize("page", ["views/satisfaction.py", "views/support.py"])
def test_the_extra_cards_show_the_clis_value_on_the_demo(demo_db, run_app, page):
    at = page_run(run_app, demo_db, page)
    got = {k: v for _tab in each_tab(at) for k, v in cards(at).items()}  # every tab's
    want = extra_expected(demo_db, page)
    if page.endswith("satisfaction.py"):
        want.update({k: v for k, v in strict_expected(demo_db, SATISFACTION, "all").items()})
        adv = cli_metric(demo_db, "advocates", "--grain", "all", *CLI_WINDOW)
        assert len(adv) > 0
        want["Advocates"] = f"{len(adv):,}"
    assert {k: got.get(k) for k in want} == want
    for k in want:
        record(f"demo: {k} ({page.split('/')[1][:-3]})", {"page": got[k], "csm metric": want[k]})


def test_the_health_pages_paths_and_the_clis_json_have_no_nan_on_the_edge_book(edge_db,
                                                                                run_app):
    """An account without MRR on as-of has no 'from' on its path to the next band: the CLI's
    JSON crashed on its NaN and the Health page's lists read 'MRR nan → 280'."""
    add_usage(edge_db)
    scored = cli_metric(edge_db, "health")
    paths = [p for p in scored["path_to_next_band"] if isinstance(p, dict)]
    assert any(p["from"] is None for p in paths)  # the edge case is there
    at = page_run(run_app, edge_db, "views/health.py")
    lists = [d.value for d in at.dataframe if "path" in d.value.columns]
    assert lists and all("nan" not in str(v) for f in lists for v in f["path"])
    assert any("no data →" in str(v) for f in lists for v in f["path"])
