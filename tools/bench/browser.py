"""The browser measurements: the dashboard served on 127.0.0.1 and driven by Playwright +
Chromium (filter changes until every chart is redrawn) vs a trivial one-widget Streamlit page,
and the server's peak RSS over that run."""

from __future__ import annotations

import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from tools.bench.common import REPO, child_env, log, percentile, pkg_version, r

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def page_url(key: str) -> str:
    """Return the URL path of page `key` ("/" for the default page, from the catalogue; "/key"
    for a name the catalogue does not know, which the server answers with page_not_found)."""
    from dashboard import catalogue

    try:
        return "/" + catalogue.page(key).url_path
    except KeyError:
        return "/" + key


def find_chromium() -> str | None:
    """Return the Chromium executable ($BROWSER_PATH, else /usr/bin/chromium) or None."""
    for cand in (os.environ.get("BROWSER_PATH"), "/usr/bin/chromium"):
        if cand and Path(cand).is_file() and os.access(cand, os.X_OK):
            return cand
    return None



def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_health(port: int, proc: subprocess.Popen, timeout: float = 180) -> None:
    url = f"http://127.0.0.1:{port}/_stcore/health"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode} before it was healthy")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - 127.0.0.1 only
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise TimeoutError(f"the server on port {port} was not healthy after {timeout:.0f} s")


def _start_server(cmd: list[str], log_path: Path) -> subprocess.Popen:
    fh = open(log_path, "w")  # noqa: SIM115 - closed with the process by _stop_server
    proc = subprocess.Popen(cmd, cwd=REPO, env=child_env(), stdout=fh, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    proc._bench_log = fh  # type: ignore[attr-defined]
    return proc


def _stop_server(proc: subprocess.Popen | None) -> None:
    if proc is None:
        return
    try:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)  # the group we started (start_new_session)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=15)
    finally:
        fh = getattr(proc, "_bench_log", None)
        if fh:
            fh.close()


class RssSampler:
    """Sample the RSS of a process and its children every `interval` s in a thread."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid, self.interval = pid, interval
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            total = 0
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                return
            for p in procs:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    @property
    def peak_mb(self) -> float:
        """Return the peak RSS seen, in MiB."""
        return self.peak / 2**20


class RunWatch:
    """Follow Streamlit's websocket: every script run starts with a `new_session` ForwardMsg
    and ends with `script_finished`. A change is done when a run that started after it has
    finished (not "early for rerun"). Very fast runs can pass without the DOM's
    data-test-script-state ever showing "running", so the DOM alone is not a reliable signal."""

    def __init__(self, page) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self._msg = ForwardMsg
        self.started = 0
        self.finished: list[tuple[int, int]] = []  # (runs started so far, status)
        self.finished_at: list[float] = []  # perf_counter when each script_finished arrived
        self.page_not_found = False
        page.on("websocket", lambda ws: ws.on("framereceived", self._on_frame))

    def _on_frame(self, payload) -> None:
        if isinstance(payload, str):
            return
        msg = self._msg()
        try:
            msg.ParseFromString(payload)
        except Exception:  # noqa: BLE001 - not a ForwardMsg: ignore
            return
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.started += 1
        elif kind == "script_finished":
            self.finished.append((self.started, msg.script_finished))
            self.finished_at.append(time.perf_counter())
        elif kind == "page_not_found":
            self.page_not_found = True

    def arm(self) -> int:
        """Return a mark: the number of script runs started so far."""
        return self.started

    def done_since(self, mark: int) -> bool:
        """Return whether a run started after `mark` finished (not cut short by a rerun)."""
        return self.done_at(mark) is not None

    def done_at(self, mark: int) -> float | None:
        """Return when (perf_counter) the first run started after `mark` finished (not cut
        short by a rerun) reached the browser, or None."""
        early = self._msg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")
        for (n, status), at in zip(self.finished, self.finished_at, strict=True):
            if n > mark and status != early:
                return at
        return None


# Rendered: the script is not running, no element is stale or a skeleton, every Plotly chart
# has its SVG (Streamlit 1.67: the app root `[data-testid=stApp]` carries
# data-test-script-state = initial / running / notRunning / rerunRequested / ...).
_RENDERED_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;
  for (const c of document.querySelectorAll('[data-testid="stPlotlyChart"]'))
    if (!c.querySelector('.main-svg')) return false;
  return true;
}"""
_IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-stale="true"]')
    && !!document.querySelector('[data-testid="stSidebar"] [data-testid="stMultiSelect"]');
}"""
_ERROR_BOXES = '[data-testid="stException"], [data-testid="stAlertContentError"]'
_FRAMES_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def _wait_run(page, watch: RunWatch, mark: int, timeout_ms: int) -> None:
    """Wait until a script run started after `mark` finished and the page is rendered."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not watch.done_since(mark):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no script run finished within {timeout_ms / 1000:.0f} s")
        page.wait_for_timeout(10)  # lets Playwright deliver websocket events
    left = max(1000, int((deadline - time.monotonic()) * 1000))
    page.wait_for_function(_RENDERED_JS, timeout=left, polling=20)
    page.evaluate(_FRAMES_JS)


def gray_toggles(n_options: int, count: int) -> list[int]:
    """Return `count` option indexes to toggle, one per change, following a Gray code so that
    each of the first 2**n - 1 changes reaches a selection not seen before."""
    return [((((i + 1) ^ ((i + 1) >> 1)) ^ (i ^ (i >> 1))).bit_length() - 1) % n_options
            for i in range(count)]


def _multiselect(page, label: str):
    return page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
        has=page.get_by_text(label, exact=True))


def _tags(widget) -> set[str]:
    """Return the options shown as selected (tags) in a multiselect (Streamlit 1.67)."""
    return {t for t in widget.locator("[data-tag]").evaluate_all(
        "els => els.map(e => e.getAttribute('aria-label'))") if t}


def _toggle(page, watch: RunWatch, label: str, option: str,
            timeout_ms: int, split: list | None = None) -> tuple[float, bool]:
    """Add or remove `option` in the sidebar multiselect `label` (react-aria combobox in
    Streamlit 1.67); return (seconds until the rerun finished and every chart was redrawn,
    whether the widget shows the new selection afterwards). `split` gets (seconds until the
    server's script_finished arrived: the run, its queries and sending the page; seconds the
    browser drew after it)."""
    widget = _multiselect(page, label)
    before = _tags(widget)
    want = before ^ {option}
    deadline = time.monotonic() + timeout_ms / 1000
    if option in before:  # remove: the tag's "Remove <option>" button
        target = widget.locator(f'button[aria-label="Remove {option}"]')
        mark = watch.arm()
        t0 = time.perf_counter()
        target.click(timeout=timeout_ms)
    else:
        target = page.locator('[role="listbox"] [role="option"]').filter(
            has_text=re.compile(f"^{re.escape(option)}$")).first
        # A click that lands while the page is still settling may not open the dropdown, or
        # the dropdown may close under the click (both seen on a loaded machine: the option
        # never showed, or stayed "not stable" for minutes): close it and try again, within
        # the timeout. A click Playwright gave up on was not made, so the timing restarts.
        while True:
            try:
                widget.locator('input[role="combobox"]').click(timeout=10_000)
                target.wait_for(state="visible", timeout=10_000)
                mark = watch.arm()
                t0 = time.perf_counter()
                target.click(timeout=10_000)
                break
            except Exception:  # noqa: BLE001 - Playwright's TimeoutError: try again
                if time.monotonic() > deadline:
                    raise
                page.keyboard.press("Escape")
    _wait_run(page, watch, mark, timeout_ms)
    dt = time.perf_counter() - t0
    if split is not None:
        server = (watch.done_at(mark) or t0 + dt) - t0
        split.append((server, dt - server))
    if page.locator('[role="listbox"]').count():
        page.keyboard.press("Escape")  # close the dropdown (not a change)
    return dt, _tags(_multiselect(page, label)) == want


def _drive(page, url: str, toggles: list[tuple[str, str]], changes: int,
           timeout_ms: int) -> dict:
    """Open `url` (timed: a new session's first view of the page), then make `changes`
    filter changes (Gray code over `toggles`); return the samples of new selections and of
    toggling back and forth between two seen ones."""
    watch = RunWatch(page)
    t0 = time.perf_counter()
    page.goto(url, timeout=timeout_ms)
    page.wait_for_function(_IDLE_JS, timeout=timeout_ms, polling=50)
    if watch.page_not_found:
        raise LookupError(f"the server has no page at {url}")
    _wait_run(page, watch, -1, timeout_ms)  # the first run finished and the page drawn
    open_s = time.perf_counter() - t0
    # until the first run's script_finished reached the browser (loading the app, the run)
    open_run_s = (watch.done_at(-1) or t0 + open_s) - t0

    def state() -> frozenset:
        return frozenset((lab, o) for lab in dict(toggles) for o in _tags(_multiselect(page, lab)))

    seen = {state()}
    new, repeat, dropped = [], [], 0
    split: list[tuple[float, float]] = []
    order = gray_toggles(len(toggles), changes)
    for idx in order:
        label, option = toggles[idx]
        dt, ok = _toggle(page, watch, label, option, timeout_ms, split)
        dropped += not ok
        now = state()
        (repeat if now in seen else new).append(dt)
        seen.add(now)
    # Cached reruns: toggle the last option changed back and forth (both selections seen).
    label, option = toggles[order[-1]]
    cached = []
    for _ in range(changes):
        dt, ok = _toggle(page, watch, label, option, timeout_ms)
        dropped += not ok
        cached.append(dt)
    errors = page.locator(_ERROR_BOXES).all_inner_texts()
    return {"new": new, "repeat": repeat, "cached": cached, "dropped": dropped,
            "error_boxes": [e.strip()[:300] for e in errors], "split": split,
            "open_s": open_s, "open_run_s": open_run_s}


def _summary(samples: dict) -> dict:
    new, rep, cached = samples["new"], samples["repeat"], samples["cached"]
    first = new + rep  # the Gray-code changes, in whatever state they ended
    return {
        # a new session opening the page: from goto until its first run is drawn (the page's
        # data may be cached by an earlier session's filters, not by this page's)
        "open_s": r(samples["open_s"], 3) if samples.get("open_s") is not None else None,
        # of which: until the first run's script_finished reached the browser (the app's
        # JavaScript loaded, the session's first run); the rest is drawing the whole page
        "open_run_s": (r(samples["open_run_s"], 3) if samples.get("open_run_s") is not None
                       else None),
        "p50_s": r(statistics.median(first), 3) if first else None,
        "p95_s": r(percentile(first, 95), 3) if first else None,
        "changes": len(first),
        "new_selection_changes": len(new),
        "new_selection_p95_s": r(percentile(new, 95), 3) if new else None,
        "cached_p50_s": r(statistics.median(cached), 3) if cached else None,
        "cached_p95_s": r(percentile(cached, 95), 3) if cached else None,
        "cached_changes": len(cached),
        "dropped_changes": samples["dropped"],
        "error_boxes": samples["error_boxes"],
        "samples_s": [r(x, 3) for x in first],
        # where a change's time goes: the server (the run: queries, Python, sending) until its
        # script_finished reached the browser, then the browser drawing the page
        "server_p50_s": _med([a for a, _b in samples.get("split", [])]),
        "browser_draw_p50_s": _med([b for _a, b in samples.get("split", [])]),
    }


def _med(values: list[float]) -> float | None:
    return r(statistics.median(values), 3) if values else None


TRIVIAL_APP = '''"""A one-widget Streamlit page: the baseline rerun of `csm bench`."""
import streamlit as st

choice = st.sidebar.multiselect("Choice", {options!r}, placeholder="All")
st.write(f"{{len(choice)}} selected")
'''


def bench_browser(bench_dir: Path, db: Path, chromium: str, pages_: list[str],
                  changes: int = 20, timeout_s: float = 120) -> dict:
    """Drive the dashboard and a trivial page with Playwright; return the `browser` section
    and the server's peak RSS."""
    # Playwright's sync API refuses to start in a thread whose asyncio loop is running (another
    # sync_playwright still open, as in a test session): drive the browser from a fresh thread.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_bench_browser, bench_dir, db, chromium, pages_, changes,
                           timeout_s).result()


def _bench_browser(bench_dir: Path, db: Path, chromium: str, pages_: list[str],
                   changes: int, timeout_s: float) -> dict:
    from playwright.sync_api import sync_playwright

    from metrics import demo

    dims = [("Segment", s) for s in demo.SEGMENTS] + [("Region", g) for g in demo.REGIONS]
    trivial_opts = [f"{label}: {opt}" for label, opt in dims]
    trivial = bench_dir / "trivial_app.py"
    trivial.write_text(TRIVIAL_APP.format(options=trivial_opts))
    out: dict = {"pages": {}, "trivial_p95_s": None}
    timeout_ms = int(timeout_s * 1000)
    server = None
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            # The dashboard on the largest data set.
            port = _free_port()
            log(f"browser: serving {db.name} on 127.0.0.1:{port}")
            server = _start_server(
                [sys.executable, "-m", "csm.cli", "serve", "--port", str(port), "--db",
                 str(db), "--address", "127.0.0.1"], bench_dir / "server-dashboard.log")
            t0 = time.perf_counter()
            _wait_health(port, server)
            with RssSampler(server.pid) as rss:
                out["server_start_s"] = r(time.perf_counter() - t0, 2)
                for page_name in pages_:
                    url = f"http://127.0.0.1:{port}{page_url(page_name)}"
                    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
                    try:
                        page = ctx.new_page()
                        t1 = time.perf_counter()
                        samples = _drive(page, url, dims, changes, timeout_ms)
                        out["pages"][page_name] = _summary(samples)
                        log(f"  {page_name}: {out['pages'][page_name]['p95_s']} s p95 "
                             f"({time.perf_counter() - t1:.0f} s)")
                    except Exception as e:  # noqa: BLE001 - one page must not sink the rest
                        msg = f"{type(e).__name__}: {str(e)[:500]}"
                        out["pages"][page_name] = {"p50_s": None, "p95_s": None, "error": msg}
                        log(f"  {page_name}: failed ({msg})")
                    finally:
                        ctx.close()
            out["peak_rss_mb"] = r(rss.peak_mb, 1)
            out["rss_samples"] = rss.samples
            _stop_server(server)
            server = None
            # The trivial page, served the same way.
            port = _free_port()
            log(f"browser: serving the trivial page on 127.0.0.1:{port}")
            server = _start_server(
                [sys.executable, "-m", "streamlit", "run", str(trivial), "--server.port",
                 str(port), "--server.headless", "true", "--server.address", "127.0.0.1"],
                bench_dir / "server-trivial.log")
            _wait_health(port, server)
            ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
            try:
                page = ctx.new_page()
                samples = _drive(page, f"http://127.0.0.1:{port}/",
                                 [("Choice", o) for o in trivial_opts], changes, timeout_ms)
                triv = _summary(samples)
            finally:
                ctx.close()
            out["trivial"] = triv
            out["trivial_p95_s"] = triv["p95_s"]
            log(f"  trivial: {triv['p95_s']} s p95")
        finally:
            _stop_server(server)
            browser.close()
    out["method"] = (
        f"Playwright {pkg_version('playwright')} + {chromium} (headless). Each page opened in a "
        "fresh context, then `changes` sidebar filter changes (one Segment or Region option "
        "added or removed per change, following a Gray code so every change reaches a selection "
        "not seen before: p50_s / p95_s), then the same number of changes toggling back and "
        "forth between two selections already seen (cached_*). A change is timed from the click "
        "on the option (or the tag's Remove button) until a script run that started after it "
        "finished (new_session then script_finished on Streamlit's websocket) and the page is "
        "rendered: stApp data-test-script-state notRunning, no stale element, every Plotly "
        "chart has its SVG, plus two animation frames. dropped_changes: changes the widget did "
        "not keep; error_boxes: exception or st.error boxes on the page at the end; "
        "server_p50_s / browser_draw_p50_s split the Gray-code changes at the moment the "
        "run's script_finished reached the browser (the run with its queries and sending, "
        "then the drawing). The "
        "trivial page is one multiselect with the same 7 options, served by `streamlit run` "
        "the same way.")
    return out

