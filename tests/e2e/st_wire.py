"""What a person in front of the page can send Streamlit besides clicking: the page's WebSocket
tapped in the real browser (Playwright's route_web_socket), so a test can read the session id
and the widget ids the server sends, and send a message of its own on the page's session; and
a file PUT to Streamlit's upload endpoint from the page itself (its cookies, its XSRF token).

Used by the forged-upload test in test_auth_in_chromium.py. Streamlit's wire format is its
own protobufs (streamlit.proto): ForwardMsg from the server, BackMsg from the browser."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Common_pb2 import UploadedFileInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg


@dataclass
class Tap:
    """The messages of the page's Streamlit WebSocket, passed on unchanged both ways, kept
    parsed; `server` is the connection to the server (to send a BackMsg of one's own)."""

    sent: list[BackMsg] = field(default_factory=list)
    received: list[ForwardMsg] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # `received` as it came over the wire
    # the WebSocket each received message came on (0, 1, ...: a page load opens a new one);
    # messages of a closed one may still be handed over after the next has opened
    conn: list[int] = field(default_factory=list)
    connections: int = 0
    server: Any = None

    def bytes_since(self, first_conn: int) -> bytes:
        """Return everything the server sent the page on WebSocket `first_conn` and later ones,
        as sent (the Arrow tables, chart specs, texts and widget options the browser has)."""
        return b"".join(r for r, c in zip(self.raw, self.conn, strict=True) if c >= first_conn)

    def downloads(self, first_conn: int = 0) -> list[tuple[str, str]]:
        """Return (label, URL) of every download button the server drew on WebSocket
        `first_conn` and later ones: the URL serves the file the button would download."""
        out = []
        for m, c in zip(self.received, self.conn, strict=True):
            if c < first_conn:
                continue
            if m.WhichOneof("type") == "delta" and m.delta.WhichOneof("type") == "new_element":
                el = m.delta.new_element
                if el.WhichOneof("type") == "download_button" and el.download_button.url:
                    out.append((el.download_button.label, el.download_button.url))
        return out

    def session_id(self) -> str:
        """Return the id of the page's current session (from the newest NewSession)."""
        ids = [m.new_session.initialize.session_id for m in self.received
               if m.WhichOneof("type") == "new_session"]
        assert ids, "no NewSession message seen on the page's WebSocket"
        return ids[-1]

    def element_id(self, kind: str) -> str | None:
        """Return the id of the newest element of type `kind` (e.g. "file_uploader") the
        server drew, or None."""
        found = None
        for m in self.received:
            if m.WhichOneof("type") == "delta" and m.delta.WhichOneof("type") == "new_element":
                el = m.delta.new_element
                if el.WhichOneof("type") == kind:
                    found = getattr(el, kind).id
        return found

    def finished_runs(self) -> int:
        """Return how many script runs the server said had finished."""
        return sum(1 for m in self.received if m.WhichOneof("type") == "script_finished")

    def rerun_with_file(self, widget_id: str, file_id: str, name: str, size: int) -> None:
        """Send the server, on the page's session, the page's newest rerun request with one
        more widget state: the uploader `widget_id` holding the staged file `file_id` — what
        the browser would send had the page drawn that uploader and the person chosen a file."""
        reruns = [m for m in self.sent if m.WhichOneof("type") == "rerun_script"]
        assert reruns, "the page has sent no rerun request to copy"
        msg = BackMsg()
        msg.CopyFrom(reruns[-1])
        msg.rerun_script.is_auto_rerun = False
        state = msg.rerun_script.widget_states.widgets.add()
        state.id = widget_id
        state.file_uploader_state_value.uploaded_file_info.append(
            UploadedFileInfo(file_id=file_id, name=name, size=size))
        self.server.send(msg.SerializeToString())


def tap(page) -> Tap:
    """Route the page's Streamlit WebSocket through a Tap (call before the page opens the
    app); return it."""
    t = Tap()

    def handler(ws) -> None:
        server = ws.connect_to_server()
        t.server = server
        index = t.connections
        t.connections += 1

        def up(m) -> None:
            if isinstance(m, bytes):
                t.sent.append(BackMsg.FromString(m))
            server.send(m)

        def down(m) -> None:
            if isinstance(m, bytes):
                t.raw.append(m)
                t.conn.append(index)
                t.received.append(ForwardMsg.FromString(m))
            ws.send(m)

        ws.on_message(up)
        server.on_message(down)

    page.route_web_socket(re.compile(r"/_stcore/stream"), handler)
    return t


# A PUT of one file to /_stcore/upload_file/<session>/<file id>, from the page: with its
# cookies and the XSRF token the frontend itself sends (the _streamlit_xsrf cookie's value in
# the X-Xsrftoken header). Returns the HTTP status.
_PUT = """async ([url, name, text, withToken]) => {
  const cookie = document.cookie.split('; ').find(c => c.startsWith('_streamlit_xsrf='));
  const xsrf = withToken && cookie ? cookie.slice('_streamlit_xsrf='.length) : '';
  const form = new FormData();
  form.append('file', new Blob([text], {type: 'text/csv'}), name);
  const r = await fetch(url, {method: 'PUT', body: form, credentials: 'include',
                              headers: xsrf ? {'X-Xsrftoken': xsrf} : {}});
  return r.status;
}"""


def put_file(page, base_url: str, session_id: str, name: str, text: str,
             xsrf: bool = True) -> tuple[int, str]:
    """PUT `text` as file `name` to Streamlit's upload endpoint for `session_id`, from the
    page (with the XSRF token unless `xsrf` is False); return (the HTTP status, the file id
    used)."""
    file_id = uuid.uuid4().hex
    status = page.evaluate(_PUT, [f"{base_url}/_stcore/upload_file/{session_id}/{file_id}",
                                  name, text, xsrf])
    return int(status), file_id


def wait_for_runs(page, t: Tap, at_least: int, timeout_s: float = 60.0) -> None:
    """Wait until the server has finished `at_least` script runs on the page's WebSockets."""
    deadline = time.monotonic() + timeout_s
    while t.finished_runs() < at_least:
        assert time.monotonic() < deadline, "the forged rerun did not finish"
        page.wait_for_timeout(200)  # lets Playwright deliver the WebSocket messages
