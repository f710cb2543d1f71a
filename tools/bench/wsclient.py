"""A Streamlit session without a browser: the page's WebSocket protocol spoken from Python.

`csm bench --concurrency` uses it for the other people's sessions. Ten CSMs at once have ten
machines: their browsers do not share the server's CPU. Ten headless Chromiums on the one
machine that also runs the server would measure that machine's drawing, not the server (two
cores: every page open took over a minute). A protocol session asks the server for the same
runs a browser does (`rerun_script` with the page and the widget values) and reads every
message of the answer, so the server does all its work: the script run, the queries,
serialising and sending the page.
"""

from __future__ import annotations

import asyncio
import time

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

EARLY = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")


class ProtocolSession:
    """One session on a Streamlit server's WebSocket: `open` runs a page, `toggle` adds or
    removes one option of a sidebar multiselect; both return the seconds until the run's
    `script_finished` arrived (every message of the page received)."""

    def __init__(self, port: int, page: str) -> None:
        self.url = f"ws://127.0.0.1:{port}/_stcore/stream"
        self.page = page  # the page's url_path ("" for the default page)
        self.ws = None
        self.widgets: dict[str, tuple[str, list[str]]] = {}  # multiselect label: (id, values)
        self.errors: list[str] = []
        self.metrics: dict[str, str] = {}  # the last run's st.metric values by label
        self.messages = 0
        self.bytes = 0

    async def connect(self) -> None:
        """Open the WebSocket (as the frontend does: the "streamlit" subprotocol)."""
        from websockets.asyncio.client import connect

        self.ws = await connect(self.url, subprotocols=["streamlit"], max_size=None,
                                compression=None)

    async def _run(self, states: list[WidgetState], timeout_s: float) -> float:
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_name = self.page
        msg.rerun_script.widget_states.widgets.extend(states)
        self.metrics = {}
        t0 = time.perf_counter()
        assert self.ws is not None
        await self.ws.send(msg.SerializeToString())
        deadline = t0 + timeout_s
        while True:
            data = await asyncio.wait_for(self.ws.recv(),
                                          max(0.1, deadline - time.perf_counter()))
            self.messages += 1
            self.bytes += len(data)
            fm = ForwardMsg()
            fm.ParseFromString(data)
            kind = fm.WhichOneof("type")
            if kind == "delta":
                self._scan(fm.delta)
            elif kind == "script_finished" and fm.script_finished != EARLY:
                return time.perf_counter() - t0

    def _scan(self, delta) -> None:
        """Note the sidebar's multiselects (their ids and values), the metrics' values and any
        error box."""
        if delta.WhichOneof("type") != "new_element":
            return
        el = delta.new_element
        kind = el.WhichOneof("type")
        if kind == "multiselect":
            ms = el.multiselect
            # the values this session sent win; at first, the options selected by default
            self.widgets.setdefault(ms.label, (ms.id, [ms.options[i] for i in ms.default]))
        elif kind == "metric":
            self.metrics[el.metric.label] = el.metric.body
        elif kind == "exception":
            self.errors.append(f"exception: {el.exception.message[:200]}")

    async def open(self, timeout_s: float = 300) -> float:
        """Run the page as a browser opening it does; return the seconds."""
        if self.ws is None:
            await self.connect()
        return await self._run([], timeout_s)

    async def toggle(self, label: str, option: str, timeout_s: float = 300) -> float:
        """Add `option` to multiselect `label` (or remove it when selected) and rerun with
        every multiselect's values; return the seconds."""
        if label not in self.widgets:
            raise LookupError(f"no multiselect {label!r} on the page")
        wid, values = self.widgets[label]
        values = [v for v in values if v != option] if option in values else [*values, option]
        self.widgets[label] = (wid, values)
        states = []
        for w_id, vals in self.widgets.values():
            st = WidgetState(id=w_id)
            st.string_array_value.data.extend(vals)
            states.append(st)
        return await self._run(states, timeout_s)

    async def close(self) -> None:
        """Close the WebSocket (the server ends the session)."""
        if self.ws is not None:
            await self.ws.close()
            self.ws = None
