"""Attack tests in a real browser (issue 17, items 6, 7, 8 and "What to build" 4).

A copy of the small demo set gets an XSS and Markdown corpus in every text column (account
name, segment, region, industry, plan, owner, lifecycle stage, a custom attribute's name and
values, survey respondent, comment and touchpoint, ticket channel and priority, usage feature
and user, target segment and note). Then, with every request of every page recorded
(`page.on("request")`), each page and each of its tabs, an account's 360, the drill-downs of
the Usage and Support pages, the CSV export and the weekly pack must:

- open no JavaScript dialog and put no element of a payload in the DOM (an <img>, a link, a
  script, bold, colour, an emoji, a heading, KaTeX);
- make no request to any host but the app's own (a tracking pixel, a font, an icon);
- export text that starts like a formula with a leading quote, and offer no Streamlit
  "Download as CSV" on tables (it writes cells as they are).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from dashboard.catalogue import PAGES
from tests.e2e.conftest import REPO, new_page, serving
from tests.e2e.st_runs import rerun
from tests.e2e.test_dashboard_in_chromium import (
    EXCEPTION,
    open_tab,
    screenshot,
    settle_images,
    tab_names,
    wait_for_app,
)

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips these tests (fails them when CI=true)
    expect = None

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

OUTSIDE = "203.0.113.9"  # TEST-NET-3: never a real host
# Payload kinds. The words in capitals are markers: a DOM element whose whole text is one of
# them was made from a payload's markup (bold, colour, a link, a heading ...).
PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(2)</script>",
    f"![x](http://{OUTSIDE}/p.png)",
    "[PWNLINK](javascript:alert(3))",
    "**PWNBOLD**",
    ":red[PWNRED]",
    f'<b>PWNB</b><a href="http://{OUTSIDE}/a">PWNA</a>',
    '"><svg onload=alert(4)>',
    "@SUM(1+1)",
    f'=HYPERLINK("http://{OUTSIDE}/x","PWNHL")',
    ":smile: :material/home:",
    "# PWNHEAD",
    "$PWNTEX$",
    f'<iframe src="http://{OUTSIDE}/f"></iframe>',
    "x\n\n- PWNLIST",
    "&lt;b&gt;PWNENT&lt;/b&gt;",
]
MARKERS = ["PWNLINK", "PWNBOLD", "PWNRED", "PWNB", "PWNA", "PWNHL", "PWNHEAD", "PWNTEX",
           "PWNLIST", "PWNENT"]
# (table, column, every n-th row gets a payload): every text column people see.
FIELDS = [
    ("accounts", "name", 3), ("accounts", "segment", 40), ("accounts", "region", 40),
    ("accounts", "industry", 5), ("accounts", "plan", 40), ("accounts", "csm_owner", 9),
    ("accounts", "lifecycle_stage", 11),
    ("survey_responses", "respondent", 7), ("survey_responses", "comment", 3),
    ("survey_responses", "touchpoint", 13),
    ("tickets", "channel", 9), ("tickets", "priority", 29),
    ("usage_events", "feature", 9), ("usage_events", "user_id", 31),
]
ATTRIBUTE = "<img src=x onerror=alert(7)> **PWNBOLD** attr"

# What a payload would leave in the DOM had it been rendered rather than shown as text.
INJECTED_JS = """([markers, host]) => {
  const bad = [];
  const where = (el) => (el.closest('[data-testid]') || el).getAttribute('data-testid');
  const add = (el, what) => bad.push(`${what} in ${where(el)}`);
  const outside = (v) => v && v.includes(host);
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    if (tag === 'img' && (el.getAttribute('src') === 'x' || outside(el.getAttribute('src'))))
      add(el, el.outerHTML.slice(0, 120));
    if (['iframe', 'object', 'embed'].includes(tag)) add(el, el.outerHTML.slice(0, 120));
    if (tag === 'a' && /^\\s*javascript:/i.test(el.getAttribute('href') || ''))
      add(el, el.outerHTML.slice(0, 120));
    for (const a of ['src', 'href', 'xlink:href', 'srcset', 'style'])
      if (outside(el.getAttribute(a))) add(el, el.outerHTML.slice(0, 120));
    if (el.hasAttribute('onerror') || el.hasAttribute('onload'))
      add(el, el.outerHTML.slice(0, 120));
    if (tag === 'script' && /alert\\(/.test(el.textContent))
      add(el, 'script: ' + el.textContent.slice(0, 80));
    if (el.classList && el.classList.contains('katex')) add(el, 'katex: ' + el.textContent);
    if (el.children.length === 0 && markers.includes(el.textContent.trim()))
      add(el, `<${tag}> made from markup: ${el.textContent.trim()}`);
  }
  if (document.body.innerText.includes('\\u{1F604}')) bad.push('emoji from :smile:');
  return bad;
}"""


def _payload(i: int) -> str:
    return PAYLOADS[i % len(PAYLOADS)]


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory, demo_facts) -> Path:
    """A copy of the session's small demo set with the payloads in every text column
    (FIELDS), a custom attribute named with one, targets with them in segment and note; usage
    rollups rebuilt."""
    from metrics import rollup
    from metrics.store import Store, transaction

    db = tmp_path_factory.mktemp("e2e_attack") / "data" / "csm.duckdb"
    db.parent.mkdir()
    shutil.copy(demo_facts.db, db)
    store = Store(db)
    try:
        cur = store.cursor()
        with transaction(cur):
            cur.execute("CREATE TEMP TABLE payloads (i INTEGER, p VARCHAR)")
            cur.executemany("INSERT INTO payloads VALUES (?, ?)", list(enumerate(PAYLOADS)))
            for table, col, every in FIELDS:
                # Table and column names are the constants above, never input.
                cur.execute(
                    f"UPDATE {table} SET {col} = (SELECT p FROM payloads WHERE i = t.k % "
                    f"{len(PAYLOADS)}) FROM (SELECT rowid AS r, row_number() OVER () AS k "
                    f"FROM {table}) t WHERE {table}.rowid = t.r AND t.k % {every} = 0")
            cur.execute("INSERT INTO account_attributes SELECT account_id, ?, "
                        "(SELECT p FROM payloads WHERE i = hash(account_id) % ?) "
                        "FROM accounts", [ATTRIBUTE, len(PAYLOADS)])
            for i, p in enumerate(PAYLOADS):
                cur.execute("INSERT INTO targets (metric, segment, period_start, period_end, "
                            "target, note) VALUES ('nps', ?, DATE '2026-01-01', "
                            "DATE '2026-07-01', ?, ?)", [p, 10 + i, p])
            rollup.refresh(cur)
        cur.close()
    finally:
        store.close()  # the server opens the file next
    return db


@pytest.fixture(scope="module")
def attack_url(hostile_db, tmp_path_factory):
    """`csm serve` on the hostile database (127.0.0.1, a free port)."""
    log = tmp_path_factory.mktemp("e2e_attack_server") / "server.log"
    with serving(hostile_db, log) as (url, _proc):
        yield url


class Watched:
    """A page whose dialogs and requests are all recorded (requests elsewhere are also
    aborted by new_page, so nothing leaves even when the test fails)."""

    def __init__(self, browser, base_url: str):
        self.base = urlsplit(base_url).netloc
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.page = new_page(browser, base_url, self.dialogs)
        self.page.context.on("request", lambda r: self.requests.append(r.url))

    def outside(self) -> list[str]:
        """Return the requests to any host but the app's (http, https, ws, wss)."""
        return [u for u in self.requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")
                and urlsplit(u).netloc != self.base]

    def check(self, where: str) -> list[str]:
        """Return what went wrong so far on the page as shown now."""
        found = [f"{where}: dialog {d}" for d in self.dialogs]
        found += [f"{where}: injected {x}" for x in self.page.evaluate(INJECTED_JS,
                                                                    [MARKERS, OUTSIDE])]
        found += [f"{where}: request to {u}" for u in self.outside()]
        boxes = self.page.locator(EXCEPTION)
        if boxes.count():
            found.append(f"{where}: exception box {boxes.all_inner_texts()}")
        self.dialogs.clear()
        return found


def _tabs(w: Watched, where: str, folder: Path) -> list[str]:
    """Open each top-level tab of the page in turn; return the problems seen in each."""
    found = w.check(where)
    # Tabs are lazy (only the open one runs): the last first, so the nested tabs of an open
    # tab are visited before a sibling of their parent closes it.
    names, selected = tab_names(w.page)
    for name in reversed(names):
        if name in selected:
            continue
        open_tab(w.page, name)
        settle_images(w.page)  # an injected <img onerror> has fired by then
        found += w.check(f"{where} [{name}]")
    screenshot(w.page, folder, f"attack-{where}")
    return found


def test_every_page_and_tab_shows_hostile_text_as_text_and_nothing_leaves(
        browser, attack_url, screenshot_dir):
    w = Watched(browser, attack_url)
    found: list[str] = []
    try:
        for p in PAGES:
            w.page.goto(f"{attack_url}/{p.url_path}")
            wait_for_app(w.page, p.title)
            found += _tabs(w, p.key, screenshot_dir)
        assert w.requests, "no request was recorded: the log saw nothing"
        print(f"{len(PAGES)} pages: {len(w.requests)} requests, {len(w.outside())} to another "
              "host")
    finally:
        w.page.context.close()
    assert not found, "\n".join(found[:40])


# The clickable bar chart of each page whose drill-down caption names a value from data.
CLICKS = 12
DRILL_DOWNS = {"usage": ".st-key-us_adoption", "support": '[class*="st-key-sp_by_chart_"]'}


def _click_bars(w: Watched, where: str, chart: str) -> list[str]:
    """Click the last CLICKS bars of `chart` in turn (each click opens its drill-down: the
    payloads' bars are the small ones, sorted last, or sort last by name); return the problems
    seen after each. Fails unless some caption showed a payload, as text."""
    found: list[str] = []
    captions: list[str] = []
    bars = w.page.locator(f"{chart} .bars .point path")
    n = bars.count()
    assert n, f"{where}: no bar in {chart}"
    for i in range(n - 1, max(-1, n - 1 - CLICKS), -1):
        bar = bars.nth(i)
        bar.scroll_into_view_if_needed()
        box = bar.bounding_box()
        if not box or box["height"] < 1:
            continue  # a zero bar cannot be clicked
        with rerun(w.page):
            w.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        captions += w.page.get_by_text(" behind ").all_inner_texts()
        found += w.check(f"{where} bar {i}")
    shown = [c for c in captions if any(m in c for m in MARKERS + ["<img", "@SUM"])]
    assert shown, f"{where}: no drill-down caption showed a payload: {captions[:5]}"
    return found


@pytest.mark.parametrize("page_key", sorted(DRILL_DOWNS))
def test_drill_downs_show_hostile_names_as_text(browser, attack_url, page_key,
                                                screenshot_dir):
    p = next(p for p in PAGES if p.key == page_key)
    w = Watched(browser, attack_url)
    try:
        w.page.goto(f"{attack_url}/{p.url_path}")
        wait_for_app(w.page, p.title)
        found = _click_bars(w, page_key, DRILL_DOWNS[page_key])
        screenshot(w.page, screenshot_dir, f"attack-{page_key}-drill-down")
    finally:
        w.page.context.close()
    assert not found, "\n".join(found[:40])


def test_an_account_360_with_hostile_text_shows_it_as_text(browser, attack_url, hostile_db,
                                                           screenshot_dir):
    import duckdb

    con = duckdb.connect(str(hostile_db), read_only=True)
    try:  # an account named with a payload that has comments and tickets
        acc = con.execute("SELECT a.account_id FROM accounts a JOIN survey_responses s "
                          "USING (account_id) WHERE a.name LIKE '%<%' OR a.name LIKE '%*%' "
                          "ORDER BY a.account_id LIMIT 1").fetchone()[0]
    finally:
        con.close()
    p = next(p for p in PAGES if p.key == "accounts")
    w = Watched(browser, attack_url)
    try:
        w.page.goto(f"{attack_url}/{p.url_path}?account={acc}")
        wait_for_app(w.page, p.title)
        found = _tabs(w, "accounts-360", screenshot_dir)
    finally:
        w.page.context.close()
    assert not found, "\n".join(found[:40])


def test_table_exports_neutralise_formulas_and_streamlit_download_is_off(
        browser, attack_url, screenshot_dir):
    p = next(p for p in PAGES if p.key == "accounts")
    w = Watched(browser, attack_url)
    try:
        w.page.goto(f"{attack_url}/{p.url_path}")
        wait_for_app(w.page, p.title)
        table = w.page.locator('[data-testid="stDataFrame"]').first
        table.hover()
        toolbar = w.page.locator('[data-testid="stElementToolbar"]')
        expect(toolbar.first).to_be_visible()
        assert toolbar.get_by_role("button", name="Download as CSV").count() == 0
        with w.page.expect_download() as info:
            w.page.get_by_role("button", name="Download (CSV)").first.click()
        text = Path(info.value.path()).read_text(encoding="utf-8-sig")
        assert not w.outside(), w.outside()
    finally:
        w.page.context.close()
    rows = list(csv.DictReader(io.StringIO(text)))
    names = [r["name"] for r in rows]
    assert "'@SUM(1+1)" in names, names[:20]
    starts = [v for r in rows for v in r.values() if v and v[0] in "=+-@\t\r"]
    assert not [v for v in starts if not v.lstrip("-").replace(".", "").isdigit()], starts[:5]


def test_the_weekly_pack_of_hostile_data_runs_nothing_and_fetches_nothing(
        browser, hostile_db, tmp_path):
    out = tmp_path / "pack.html"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    r = subprocess.run([sys.executable, "-m", "csm", "report", "--out", str(out), "--db",
                        str(hostile_db)], cwd=REPO, env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    html = out.read_text()
    assert "<script>alert" not in html
    w = Watched(browser, "http://127.0.0.1:9")  # a pack is a file: no host is its own
    try:
        w.page.set_content(html, wait_until="load")
        settle_images(w.page)
        found = w.check("pack")
    finally:
        w.page.context.close()
    assert not found, "\n".join(found[:40])
