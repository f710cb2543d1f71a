"""Real-browser fixtures: Debian's Chromium, a small demo database, and `csm serve` on it.

Chromium is found through `BROWSER_PATH`, else `/usr/bin/chromium`. Where it is missing every
test here is skipped with the reason — except when `CI` is "true": CI installs Chromium, so a
missing browser there is a failure, not a silent skip.

The server listens on 127.0.0.1 only, on a free port, and is killed (its whole process group)
at the end of the session. Screenshots go to tests/e2e/screenshots/ (ignored by git).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from tests.e2e import st_runs

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
DEMO_END = date(2026, 6, 30)
HOST = "127.0.0.1"
SERVER_START_TIMEOUT_S = 60
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> Path:
    """Return where Chromium should be: `BROWSER_PATH`, else /usr/bin/chromium."""
    return Path(os.environ.get("BROWSER_PATH") or "/usr/bin/chromium")


def _missing_browser(reason: str) -> None:
    """Skip (locally) or fail (in CI, which installs Chromium and Playwright) with `reason`."""
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{reason} — CI=true, where it must be installed", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_executable() -> Path:
    """The Chromium executable; skips (fails under CI=true) every e2e test when it is absent."""
    path = chromium_path()
    if not (path.is_file() and os.access(path, os.X_OK)):
        _missing_browser(f"Chromium not found at {path} (set BROWSER_PATH to its executable)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing_browser("the playwright Python package is not installed (pip install -e .[test])")
    return path


@dataclass(frozen=True)
class DemoFacts:
    """Figures read straight from the demo database with plain SQL, before the server starts,
    so the tests can compare what the browser shows with the data."""

    db: Path
    account_id: str  # an account that exists
    active_accounts: int  # customers at the end of DEMO_END (the last complete month)
    active_enterprise: int  # the same, segment Enterprise only
    rows: dict[str, int]  # table -> row count


@pytest.fixture(scope="session")
def demo_facts(tmp_path_factory, chromium_executable) -> DemoFacts:
    """Build the small demo data set (ending 2026-06-30) in a tmp folder; read a few figures."""
    from metrics import demo
    from metrics.schema import TABLES
    from metrics.store import Store

    db = tmp_path_factory.mktemp("e2e") / "data" / "csm.duckdb"
    store = Store(db)
    try:
        demo.generate(store, size="small", end=DEMO_END)
        cur = store.cursor()
        try:
            active_sql = (
                "SELECT count(*) FROM accounts WHERE signup_date <= ? "
                "AND (churn_date IS NULL OR churn_date > ?) AND (? IS NULL OR segment = ?)"
            )
            facts = DemoFacts(
                db=db,
                account_id=cur.execute("SELECT min(account_id) FROM accounts").fetchone()[0],
                active_accounts=cur.execute(
                    active_sql, [DEMO_END, DEMO_END, None, None]).fetchone()[0],
                active_enterprise=cur.execute(
                    active_sql, [DEMO_END, DEMO_END, "Enterprise", "Enterprise"]).fetchone()[0],
                # Table names come from the schema, never from input.
                rows={t: cur.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES},
            )
        finally:
            cur.close()
    finally:
        store.close()  # the server opens the file next; DuckDB allows one writer process
    assert facts.active_enterprise < facts.active_accounts, "demo data lost its segments"
    return facts


_SERVER_LOG: list[Path] = []  # the running server's log, for failure reports


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failed e2e test, add the end of the server log (tracebacks stay server-side:
    showErrorDetails = "none") to the report."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and _SERVER_LOG and _SERVER_LOG[0].exists():
        text = _SERVER_LOG[0].read_text(errors="replace")[-4000:]
        report.sections.append(("csm serve log (last 4000 characters)", text))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _health(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 (127.0.0.1 only)
            return r.read().decode().strip()
    except (urllib.error.URLError, OSError):
        return None


def _stop(proc: subprocess.Popen) -> None:
    """Terminate the server's process group; kill it if it does not exit in 10 s."""
    for sig, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def serving(db: Path, log_path: Path, *, secrets: Path | None = None,
            env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run `csm serve` on `db` (127.0.0.1, a free port, output to `log_path`) until the block
    ends; yield (its base URL, the process). Fails the test if it does not start.

    `secrets` is the server's secrets file (its [auth] turns sign-in on); by default a file
    that does not exist, so a developer's own .streamlit/secrets.toml never applies: local
    mode. `env` adds environment variables."""
    port = _free_port()
    secrets = secrets or log_path.parent / "no-secrets.toml"
    cmd = [sys.executable, "-m", "csm.cli", "serve", "--port", str(port),
           "--address", HOST, "--db", str(db), "--secrets", str(secrets)]
    # Warm caches off unless a test asks: each load would start computing every page in the
    # background beside the test's own runs (tests/e2e/test_warm_caches.py turns it on).
    env = dict(os.environ, PYTHONUNBUFFERED="1", **{"CSM_WARM_CACHES": "0", **(env or {})})
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while _health(f"{url}/_stcore/health") != "ok":
            if proc.poll() is not None:
                pytest.fail(f"`csm serve` exited with {proc.returncode}:\n"
                            f"{log_path.read_text(errors='replace')[-3000:]}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"`csm serve` did not answer {url}/_stcore/health within "
                            f"{SERVER_START_TIMEOUT_S} s:\n"
                            f"{log_path.read_text(errors='replace')[-3000:]}", pytrace=False)
            time.sleep(0.25)
        yield url, proc
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def base_url(demo_facts, tmp_path_factory):
    """Start `csm serve` on the demo database (127.0.0.1, a free port); yield its base URL."""
    log_path = tmp_path_factory.mktemp("e2e_server") / "server.log"
    _SERVER_LOG[:] = [log_path]
    with serving(demo_facts.db, log_path) as (url, _proc):
        yield url


def new_page(browser, base_url: str, dialogs: list[str]):
    """Return a new page (1400×900) of a new browser context: every JavaScript dialog is
    recorded in `dialogs` and dismissed; requests to anything but `base_url` are aborted."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.route(lambda u: not u.startswith(base_url + "/"), lambda route: route.abort())
    pg = st_runs.follow(context.new_page())

    def on_dialog(d) -> None:
        dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()

    pg.on("dialog", on_dialog)
    pg.set_default_timeout(30_000)
    return pg


@pytest.fixture(scope="session")
def browser(chromium_executable):
    """One headless Chromium for the session (Playwright's sync API)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium_executable), headless=True,
                              args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def dialogs() -> list[str]:
    """The JavaScript dialogs (alert/confirm/prompt) the test's page opened, as "type: text"."""
    return []


@pytest.fixture
def page(browser, base_url, dialogs):
    """A page on the demo server (see new_page); its context is closed after the test."""
    pg = new_page(browser, base_url, dialogs)
    try:
        yield pg
    finally:
        pg.context.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
