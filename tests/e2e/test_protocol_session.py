"""The benchmark's browserless session (tools/bench/wsclient.py) against a real `csm serve`:
it opens a page and changes a sidebar filter as a browser does, and the server answers with
the filtered page (used by `csm bench --concurrency` for the other people's sessions)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

from tools.bench.wsclient import ProtocolSession


def test_a_protocol_session_opens_a_page_and_its_filter_changes_the_numbers(base_url):
    port = urlparse(base_url).port
    assert port is not None

    async def visit() -> list[dict[str, str]]:
        s = ProtocolSession(port, "support")
        try:
            seen = []
            assert await s.open() > 0
            seen.append(dict(s.metrics))
            await s.toggle("Segment", "SMB")
            seen.append(dict(s.metrics))
            await s.toggle("Segment", "SMB")  # removed again: the unfiltered page
            seen.append(dict(s.metrics))
            assert s.errors == []
            assert s.widgets["Segment"][1] == []
            return seen
        finally:
            await s.close()

    # a thread of its own: Playwright's sync API (other tests' browser) keeps an event loop
    # running in this one, and asyncio.run refuses to start inside it
    with ThreadPoolExecutor(max_workers=1) as pool:
        everyone, smb, again = pool.submit(asyncio.run, visit()).result()
    assert "Tickets" in everyone and "FCR" in everyone
    assert int(smb["Tickets"].replace(",", "")) < int(everyone["Tickets"].replace(",", ""))
    assert again == everyone
