"""When Streamlit has finished with a page: its script runs, followed on the page's WebSocket.

The browser asks for a run with a `rerun_script` BackMsg (on page load, a widget change, a
button); the server answers with a `new_session` ForwardMsg when a run starts and
`script_finished` when it ends (FINISHED_EARLY_FOR_RERUN when a newer request or st.rerun()
cut it short: another run follows). A page is idle when every run it asked for has been
served — on each open WebSocket, a run that started after its last request has finished, not
early, and no run is going — and the DOM shows the result (see RENDERED_JS) and has stopped
changing for a few animation frames (SETTLED_JS: the frontend draws some elements, a data
grid's table, a little after the run's last message).

This is a state, not a delay: an action that asks for no run (opening an expander, typing
without committing, a tab that is already open) leaves nothing pending, so the wait returns as
soon as the DOM is rendered. The frontend sends a widget's request from the input event's own
handler, so it is on the wire before Playwright's click or press returns; actions whose request
comes later (a file upload: the file is sent over HTTP first) are followed in the tests by an
`expect` on what the run draws. `rerun(page)` waits for a request made by the action itself.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

EARLY = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")

# Rendered: the script is not running (Streamlit 1.67: the app root carries
# data-test-script-state initial / running / notRunning / rerunRequested / stopRequested /
# compilationError), no element is stale or a skeleton, every visible Plotly chart has its SVG.
RENDERED_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const state = app && app.getAttribute('data-test-script-state');
  if (state !== 'notRunning' && state !== 'compilationError') return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;
  for (const c of document.querySelectorAll('[data-testid="stPlotlyChart"]'))
    if (c.getClientRects().length && !c.querySelector('.main-svg')) return false;
  return true;
}"""
# Resolves once the document has not changed (elements, attributes, text) for `frames`
# animation frames in a row, or after 1200 frames (an always-changing page: let the checks
# that follow see it).
SETTLE_FRAMES = 5
SETTLED_JS = """(frames) => new Promise(resolve => {
  let quiet = 0, total = 0;
  const obs = new MutationObserver(() => { quiet = 0; });
  obs.observe(document.documentElement,
              {subtree: true, childList: true, attributes: true, characterData: true});
  const tick = () => {
    total += 1;
    if (++quiet > frames || total > 1200) { obs.disconnect(); resolve(quiet > frames); }
    else requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})"""

# What RENDERED_JS looks at, for a failure's message.
STATE_JS = """() => ({
  state: document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state'),
  stale: document.querySelectorAll('[data-stale="true"]').length,
  skeletons: document.querySelectorAll('[data-testid="stSkeleton"]').length,
  undrawnCharts: [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
    .filter(c => c.getClientRects().length && !c.querySelector('.main-svg')).length,
})"""


class _Conn:
    """One Streamlit WebSocket of a page: the runs asked for and the runs seen."""

    def __init__(self) -> None:
        self.started = 0  # new_session messages received
        self.requests: list[int] = []  # for each rerun request sent: runs started by then
        self.finished: list[tuple[int, int]] = []  # (runs started by then, status)
        self.running = False
        self.closed = False

    def sent(self, payload: Any) -> None:
        if isinstance(payload, str):
            return
        msg = BackMsg()
        try:
            msg.ParseFromString(payload)
        except Exception:  # noqa: BLE001 - not a BackMsg: not ours to follow
            return
        if msg.WhichOneof("type") == "rerun_script":
            self.requests.append(self.started)

    def received(self, payload: Any) -> None:
        if isinstance(payload, str):
            return
        msg = ForwardMsg()
        try:
            msg.ParseFromString(payload)
        except Exception:  # noqa: BLE001 - not a ForwardMsg
            return
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.started += 1
            self.running = True
        elif kind == "script_finished":
            self.finished.append((self.started, msg.script_finished))
            self.running = False

    def busy(self) -> bool:
        """Return whether a run is going or a request has not been served yet."""
        if self.closed:
            return False
        if self.running:
            return True
        if not self.requests:
            return False
        asked_at = self.requests[-1]
        return not any(n > asked_at and status != EARLY for n, status in self.finished)


class Runs:
    """The script runs of one page, over every WebSocket it opens (a load or reload opens a
    new one)."""

    def __init__(self, page: Any) -> None:
        self.conns: list[_Conn] = []
        page.on("websocket", self._on_websocket)

    def _on_websocket(self, ws: Any) -> None:
        if "/_stcore/stream" not in ws.url:
            return
        conn = _Conn()
        self.conns.append(conn)
        ws.on("framesent", conn.sent)
        ws.on("framereceived", conn.received)
        ws.on("close", lambda _ws: setattr(conn, "closed", True))

    def describe(self) -> str:
        """Return the state of each WebSocket (for a failure's message)."""
        return "; ".join(
            f"socket {i}: {len(c.requests)} requests (last at run {c.requests[-1:]}), "
            f"{c.started} runs started, finished {c.finished[-3:]}, running={c.running}, "
            f"closed={c.closed}" for i, c in enumerate(self.conns))

    def requests(self) -> int:
        """Return how many runs the page has asked for so far."""
        return sum(len(c.requests) for c in self.conns)

    def busy(self) -> bool:
        """Return whether a run the page asked for (or the server started) on its newest
        WebSocket is not finished (a page has one Streamlit WebSocket at a time: a load
        replaces it, and the old one's close may be reported late)."""
        return bool(self.conns) and self.conns[-1].busy()


_RUNS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def follow(page: Any) -> Any:
    """Follow the script runs of `page` (call before it opens the app); return the page."""
    _RUNS[page] = Runs(page)
    return page


def runs_of(page: Any) -> Runs | None:
    """Return the Runs followed for `page`, or None when it is not followed or its WebSocket is
    not seen (a page whose WebSocket a test routes through itself: st_wire.tap)."""
    runs = _RUNS.get(page)
    return runs if runs is not None and runs.conns else None


# Anything that means "Streamlit is still working on this view" (for a page whose runs are not
# followed).
BUSY = ('[data-testid="stStatusWidgetRunningIcon"], [data-testid="stSkeleton"], '
        '[data-stale="true"]')


def wait_quiet(page: Any, quiet_s: float = 0.6, timeout_s: float = 60.0) -> None:
    """For a page whose runs are not followed: wait until no running icon, skeleton or stale
    element has shown for `quiet_s` in a row (the running icon appears only after a delay)."""
    deadline = time.monotonic() + timeout_s
    quiet_since: float | None = None
    while True:
        now = time.monotonic()
        if page.locator(BUSY).count():
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= quiet_s:
            return
        if now > deadline:
            raise AssertionError(f"the app was still running after {timeout_s:.0f} s")
        page.wait_for_timeout(100)


def wait_idle(page: Any, timeout_s: float = 60.0) -> None:
    """Wait until Streamlit has finished every run the page asked for and drawn the result
    (see the module's docstring); a page not followed falls back to wait_quiet."""
    runs = runs_of(page)
    if runs is None:
        wait_quiet(page, timeout_s=timeout_s)
    else:
        wait_done(page, runs, timeout_s)


def wait_done(page: Any, runs: Runs, timeout_s: float) -> None:
    """Wait until nothing the page asked for is pending and the DOM is rendered."""
    deadline = time.monotonic() + timeout_s
    while True:
        # the evaluation's answer comes after every WebSocket event sent before it
        if not runs.busy() and page.evaluate(RENDERED_JS) and not runs.busy():
            # the frontend may still be drawing what the run sent (a data grid fills its
            # table a few frames after the run's end): wait until the DOM has not changed
            # for SETTLE_FRAMES frames, then check again that no run began meanwhile
            page.evaluate(SETTLED_JS, SETTLE_FRAMES)
            if not runs.busy() and page.evaluate(RENDERED_JS) and not runs.busy():
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"the app was still running after {timeout_s:.0f} s: "
                                 f"{runs.describe()}; page: {page.evaluate(STATE_JS)}")
        page.wait_for_timeout(50)  # lets Playwright deliver the WebSocket events


@contextmanager
def rerun(page: Any, timeout_s: float = 60.0) -> Iterator[None]:
    """Around an action that asks for a script run: when the block ends, wait until the page
    has sent a request after the block began and that run has finished and been drawn."""
    runs = _RUNS.get(page)
    mark = runs.requests() if runs is not None else 0
    yield
    if runs is None or not runs.conns:
        wait_quiet(page, timeout_s=timeout_s)
        return
    deadline = time.monotonic() + timeout_s
    while runs.requests() <= mark:
        if time.monotonic() > deadline:
            raise AssertionError(f"the action asked for no script run within {timeout_s:.0f} s")
        page.wait_for_timeout(20)
    wait_done(page, runs, max(1.0, deadline - time.monotonic()))
