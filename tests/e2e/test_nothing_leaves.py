"""The server itself asks nothing of the internet (issue 17, item 8).

Headless Streamlit 1.67 asks checkip.amazonaws.com for the machine's public IP at start on a
wildcard address and from the WebSocket origin check whenever a page of another origin
connects (streamlit/net_util.py). `csm serve` runs Streamlit through csm.offline_streamlit,
which removes that lookup. Here the server runs with every proxy variable pointing at a
loopback port that records each connection: after start, a same-origin and a cross-origin
WebSocket handshake, the proxy must have seen nothing and the process must hold no
connection to another host. A plain `streamlit run` under the same conditions is the
control: it does reach the proxy, so the check can see a request when there is one.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.e2e.conftest import HOST, _free_port, _health, _stop, serving

pytestmark = pytest.mark.slow

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
              "all_proxy")


@contextmanager
def recording_proxy() -> Iterator[tuple[str, list[str]]]:
    """A loopback port that accepts any connection, records its first line and answers 502;
    yields (its URL, the lines recorded)."""
    seen: list[str] = []
    srv = socket.socket()
    srv.bind((HOST, 0))
    srv.listen(16)
    srv.settimeout(0.2)
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    seen.append(conn.recv(4096).split(b"\r\n", 1)[0].decode(errors="replace"))
                    conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    seen.append("(connection without a request line)")

    t = threading.Thread(target=run, daemon=True)
    t.start()
    try:
        yield f"http://{HOST}:{srv.getsockname()[1]}", seen
    finally:
        stop.set()
        t.join(5)
        srv.close()


def proxied_env(proxy: str) -> dict[str, str]:
    """Return the environment variables that send every outside request to `proxy`."""
    env = {k: proxy for k in PROXY_VARS}
    env.update(NO_PROXY="", no_proxy="")
    return env


def handshake(base_url: str, origin: str) -> str:
    """Open a WebSocket handshake to Streamlit's stream from `origin`; return the status line.
    The server checks the origin before answering (which is where a lookup would happen)."""
    host = base_url.split("://", 1)[1]
    key = base64.b64encode(os.urandom(16)).decode()
    req = (f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
           f"Origin: {origin}\r\n\r\n").encode()
    h, port = host.split(":")
    with socket.create_connection((h, int(port)), timeout=30) as s:
        s.sendall(req)
        return s.recv(4096).split(b"\r\n", 1)[0].decode(errors="replace")


def outside_connections(pid: int) -> list[str]:
    """Return the inet connections of process `pid` and its children to non-loopback hosts."""
    import psutil

    procs = [psutil.Process(pid)]
    procs += procs[0].children(recursive=True)
    out = []
    for p in procs:
        for c in p.net_connections(kind="inet"):
            if c.raddr and not (c.raddr.ip.startswith("127.") or c.raddr.ip == "::1"):
                out.append(f"{p.pid} → {c.raddr.ip}:{c.raddr.port} {c.status}")
    return out


def listening(pid: int) -> list[str]:
    """Return the addresses process `pid` and its children listen on."""
    import psutil

    procs = [psutil.Process(pid)]
    procs += procs[0].children(recursive=True)
    return [c.laddr.ip for p in procs for c in p.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN]


def _exercise(url: str) -> list[str]:
    """Same-origin and cross-origin handshakes; return their status lines."""
    return [handshake(url, url), handshake(url, "http://evil.example"),
            handshake(url, "null")]


def test_csm_serve_makes_no_request_of_its_own(tmp_path):
    with recording_proxy() as (proxy, seen):
        with serving(tmp_path / "data" / "csm.duckdb", tmp_path / "serve.log",
                     env=proxied_env(proxy)) as (url, proc):
            statuses = _exercise(url)
            conns = outside_connections(proc.pid)
            listens = listening(proc.pid)
    assert statuses[0].startswith("HTTP/1.1 101"), statuses  # the app's own page connects
    assert seen == [], f"the server asked the internet: {seen}"
    assert conns == [], conns
    assert listens and all(ip == HOST for ip in listens), listens


def test_the_control_plain_streamlit_does_ask_so_the_check_can_see_it(tmp_path):
    app = tmp_path / "app.py"
    app.write_text("import streamlit as st\nst.write('hello')\n")
    port = _free_port()
    with recording_proxy() as (proxy, seen):
        env = dict(os.environ, PYTHONUNBUFFERED="1", **proxied_env(proxy))
        with open(tmp_path / "plain.log", "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", str(app), "--server.port",
                 str(port), "--server.address", HOST, "--server.headless", "true",
                 "--browser.gatherUsageStats", "false"],
                cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
        url = f"http://{HOST}:{port}"
        try:
            deadline = time.monotonic() + 60
            while _health(f"{url}/_stcore/health") != "ok":
                assert proc.poll() is None and time.monotonic() < deadline, \
                    Path(tmp_path / "plain.log").read_text()[-2000:]
                time.sleep(0.25)
            _exercise(url)
        finally:
            _stop(proc)
    assert any("checkip" in line for line in seen), seen
