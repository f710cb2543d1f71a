"""Many sessions at once (`csm bench --concurrency 10[,25]`): N sessions open pages of one
dashboard server at the same moment, then each makes a few filter changes; the page-open and
filter-change times (p50, p95, max), the errors and the server's peak RSS. Reported, never
asserted: the machine is shared and noisy.

By default (`--concurrency-clients protocol`) one session is a Chromium, whose times are what
a user sees while the others work (and the same user alone, measured just before), and the
other N − 1 speak the page's WebSocket protocol without a browser (tools/bench/wsclient.py):
N people have N machines, and N Chromiums drawing on the server's own two cores measured the
machine, not the server (every page open took over a minute). With `browsers`, every session
is its own Playwright and Chromium in its own thread (the sync API keeps one per thread). The
sessions start together (a barrier).
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from pathlib import Path

from tools.bench.browser import (
    _ERROR_BOXES,
    _IDLE_JS,
    CHROMIUM_ARGS,
    RssSampler,
    RunWatch,
    _free_port,
    _start_server,
    _stop_server,
    _toggle,
    _wait_health,
    _wait_run,
    gray_toggles,
    page_url,
)
from tools.bench.common import log, percentile, pkg_version, r


def _session(i: int, url: str, chromium: str, toggles: list[tuple[str, str]], changes: int,
             timeout_ms: int, start: threading.Barrier, out: dict) -> None:
    """One user: open `url` when every session is ready, then make `changes` filter changes;
    record the times and errors in `out[i]`."""
    from playwright.sync_api import sync_playwright

    rec: dict = {"url": url, "open_s": None, "changes_s": [], "errors": []}
    out[i] = rec
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                         args=CHROMIUM_ARGS)
            try:
                page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                watch = RunWatch(page)
                try:
                    start.wait(timeout=timeout_ms / 1000)
                except threading.BrokenBarrierError:
                    pass  # another session failed to start: run anyway
                t0 = time.perf_counter()
                page.goto(url, timeout=timeout_ms)
                page.wait_for_function(_IDLE_JS, timeout=timeout_ms, polling=50)
                _wait_run(page, watch, -1, timeout_ms)  # the first run finished and drawn
                rec["open_s"] = time.perf_counter() - t0
                for idx in gray_toggles(len(toggles), changes):
                    label, option = toggles[(idx + i) % len(toggles)]  # sessions differ
                    dt, ok = _toggle(page, watch, label, option, timeout_ms)
                    rec["changes_s"].append(dt)
                    if not ok:
                        rec["errors"].append(f"change {label}={option} not kept")
                rec["errors"] += [f"error box: {e.strip()[:200]}"
                                  for e in page.locator(_ERROR_BOXES).all_inner_texts()]
            finally:
                browser.close()
    except Exception as e:  # noqa: BLE001 - a failed session is a figure, not a crash
        rec["errors"].append(f"{type(e).__name__}: {str(e)[:300]}")


def _stats(values: list[float]) -> dict:
    if not values:
        return {"p50_s": None, "p95_s": None, "max_s": None, "n": 0}
    return {"p50_s": r(statistics.median(values), 3), "p95_s": r(percentile(values, 95), 3),
            "max_s": r(max(values), 3), "n": len(values)}


def _protocol_sessions(port: int, urls: list[str], toggles: list[tuple[str, str]],
                       changes: int, timeout_s: float, start: threading.Barrier,
                       out: dict, first: int) -> None:
    """Sessions without a browser (tools/bench/wsclient.py), all in one event loop: session
    `first + k` opens page urls[k] (a url_path) once every one is connected and `start`
    is passed, then makes `changes` filter changes; records in `out` as `_session` does."""
    import asyncio

    from tools.bench.wsclient import ProtocolSession

    async def one(k: int, s: ProtocolSession, go: asyncio.Event) -> None:
        i = first + k
        rec: dict = {"url": urls[k], "open_s": None, "changes_s": [], "errors": []}
        out[i] = rec
        try:
            await go.wait()
            rec["open_s"] = await s.open(timeout_s)
            for idx in gray_toggles(len(toggles), changes):
                label, option = toggles[(idx + i) % len(toggles)]  # sessions differ
                rec["changes_s"].append(await s.toggle(label, option, timeout_s))
            rec["errors"] += s.errors
        except Exception as e:  # noqa: BLE001 - a failed session is a figure, not a crash
            rec["errors"].append(f"{type(e).__name__}: {str(e)[:300]}")
        finally:
            await s.close()

    async def main() -> None:
        sessions = [ProtocolSession(port, u) for u in urls]
        await asyncio.gather(*(s.connect() for s in sessions))
        go = asyncio.Event()
        tasks = [asyncio.create_task(one(k, s, go)) for k, s in enumerate(sessions)]
        try:  # released with the browser session
            await asyncio.to_thread(start.wait, timeout_s)
        except threading.BrokenBarrierError:
            pass
        go.set()
        await asyncio.gather(*tasks)

    try:
        asyncio.run(main())
    except Exception as e:  # noqa: BLE001 - a session that never connected
        for k, u in enumerate(urls):
            out.setdefault(first + k, {"url": u, "open_s": None, "changes_s": [],
                                       "errors": [f"{type(e).__name__}: {str(e)[:300]}"]})


def bench_concurrency(bench_dir: Path, db: Path, chromium: str, sessions: int,
                      pages_: list[str], changes: int = 3, timeout_s: float = 300,
                      clients: str = "protocol") -> dict:
    """Serve `db`, run `sessions` sessions at once (session i opens page
    pages_[i % len(pages_)], then makes `changes` filter changes); return the figures.

    clients "protocol": session 0 is a Chromium (what one user sees while the others work),
    the others speak the WebSocket protocol (tools/bench/wsclient.py: the server's whole
    work, without N browsers drawing on the server's machine); "browsers": every session is
    a Chromium."""
    if clients not in ("protocol", "browsers"):
        raise ValueError(f"clients must be protocol or browsers, not {clients!r}")
    from metrics import demo

    toggles = [("Segment", s) for s in demo.SEGMENTS] + [("Region", g) for g in demo.REGIONS]
    port = _free_port()
    log(f"concurrency: {sessions} sessions on {db.name}, 127.0.0.1:{port}")
    server = _start_server(
        [sys.executable, "-m", "csm.cli", "serve", "--port", str(port), "--db", str(db),
         "--address", "127.0.0.1"], bench_dir / f"server-concurrency-{sessions}.log")
    out: dict = {}
    try:
        _wait_health(port, server)
        # one session first, alone: a fresh server imports the app on its first run; the
        # sessions measured below find it running, as people do
        warm: dict = {}
        _session(0, f"http://127.0.0.1:{port}{page_url(pages_[0])}", chromium, toggles, 0,
                 int(timeout_s * 1000), threading.Barrier(1), warm)
        # and alone again with its filter changes: the figures to compare the load with (other
        # filters than session 0's below, whose changes would otherwise find them cached)
        alone: dict = {}
        _session(sessions, f"http://127.0.0.1:{port}{page_url(pages_[0])}", chromium, toggles,
                 changes, int(timeout_s * 1000), threading.Barrier(1), alone)
        browsers = sessions if clients == "browsers" else 1
        start = threading.Barrier(browsers + (sessions > browsers))
        with RssSampler(server.pid) as rss:
            t0 = time.perf_counter()
            threads = [threading.Thread(
                target=_session, daemon=True,
                args=(i, f"http://127.0.0.1:{port}{page_url(pages_[i % len(pages_)])}",
                      chromium, toggles, changes, int(timeout_s * 1000), start, out))
                for i in range(browsers)]
            if sessions > browsers:
                urls = [page_url(pages_[i % len(pages_)]).lstrip("/")
                        for i in range(browsers, sessions)]
                threads.append(threading.Thread(
                    target=_protocol_sessions, daemon=True,
                    args=(port, urls, toggles, changes, timeout_s, start, out, browsers)))
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=timeout_s * (changes + 2))
            wall = time.perf_counter() - t0
    finally:
        _stop_server(server)
    recs = [out.get(i, {"open_s": None, "changes_s": [], "errors": ["did not finish"]})
            for i in range(sessions)]
    opens = [x["open_s"] for x in recs if x["open_s"] is not None]
    moves = [c for x in recs for c in x["changes_s"]]
    errors = [f"session {i}: {e}" for i, x in enumerate(recs) for e in x["errors"]]
    seen, by_one = recs[0], alone.get(sessions, {})
    res = {
        "sessions": sessions, "size": db.stem, "pages": pages_, "changes_per_session": changes,
        "clients": clients,
        # every session: in the browser(s) until drawn, in protocol sessions until the run's
        # last message arrived
        "page_open": _stats(opens), "filter_change": _stats(moves),
        # what one user sees in Chromium while the others work, and the same user alone
        "browser_session": {"open_s": r(seen["open_s"], 3) if seen["open_s"] else None,
                            "filter_change": _stats(seen["changes_s"])},
        "browser_session_alone": {
            "open_s": r(by_one["open_s"], 3) if by_one.get("open_s") else None,
            "filter_change": _stats(by_one.get("changes_s", []))},
        "errors": len(errors), "error_messages": errors[:20],
        "sessions_failed": sum(1 for x in recs if x["open_s"] is None),
        "peak_rss_mb": r(rss.peak_mb, 1), "wall_s": r(wall, 1),
        "first_open_after_start_s": r(warm[0]["open_s"], 3) if warm[0]["open_s"] else None,
        "first_open_errors": warm[0]["errors"],
        "method": (
            f"Playwright {pkg_version('playwright')} + {chromium} (headless). The server is "
            "started, one page opened alone (first_open_after_start_s: it imports the app), "
            "then opened again alone with its filter changes (browser_session_alone). Then "
            + ("one Chromium per session in its own thread"
               if clients == "browsers" else
               "session 0 in Chromium (browser_session) and the others over the WebSocket "
               "protocol without a browser (tools/bench/wsclient.py: the same runs, every "
               "message received; their times end when the run's script_finished arrives)")
            + ", all released at once by a barrier. page_open: from "
            "goto until the first script run finished and the page is drawn (every Plotly "
            "chart has its SVG); filter_change: one Segment or Region option added or removed, "
            "until a run started after it finished and the page is drawn (as the browser "
            "measurement). errors: failed sessions, changes the widget did not keep, and "
            "exception or error boxes on the page at the end. Reported, not asserted."),
    }
    log(f"  {sessions} sessions ({clients}): open p95 {res['page_open']['p95_s']} s, change "
        f"p95 {res['filter_change']['p95_s']} s, {res['errors']} errors, RSS "
        f"{res['peak_rss_mb']} MB; in Chromium: open {res['browser_session']['open_s']} s "
        f"(alone {res['browser_session_alone']['open_s']} s), change p95 "
        f"{res['browser_session']['filter_change']['p95_s']} s (alone "
        f"{res['browser_session_alone']['filter_change']['p95_s']} s)")
    return res
