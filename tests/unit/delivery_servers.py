"""Real servers on loopback for the delivery tests: an SMTP server (aiosmtpd) that answers
each DATA with the next of a list of replies, optionally with STARTTLS and a login, and an
HTTP server that records posted JSON and answers with the next of a list of statuses."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "csm-bot", "s3cret-pw"


def free_port() -> int:
    """Return a TCP port nothing listens on at the moment (on 127.0.0.1)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """The SMTP handler: `replies` are answered to successive DATA commands (the last one
    repeats); what was accepted is in `messages` (rcpt list, bytes, tls, authenticated),
    every DATA in `attempts`."""

    def __init__(self, replies: list[str] | None = None) -> None:
        self.replies = list(replies or ["250 OK"])
        self.attempts = 0
        self.messages: list[dict] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        with self.lock:
            reply = self.replies[min(self.attempts, len(self.replies) - 1)]
            self.attempts += 1
            if reply.startswith("250"):
                self.messages.append({"to": list(envelope.rcpt_tos),
                                      "data": envelope.original_content or envelope.content,
                                      # STARTTLS sets session.ssl; implicit TLS only
                                      # shows on the connection
                                      "tls": session.ssl is not None or server.transport
                                      .get_extra_info("ssl_object") is not None,
                                      "authenticated": bool(session.authenticated)})
        return reply


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode()
          and auth_data.password == PASSWORD.encode())
    return AuthResult(success=ok)


def self_signed(folder: Path) -> tuple[Path, Path]:
    """Write a self-signed certificate for 127.0.0.1 and localhost; return (cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"),
                 x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    c, k = folder / "cert.pem", folder / "key.pem"
    c.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    k.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    return c, k


def smtp_server(box: Mailbox, tls: tuple[Path, Path] | None = None) -> Controller:
    """Start an SMTP server on 127.0.0.1 for `box`; with `tls` (cert, key) it offers
    STARTTLS, requires it, and requires a login (USER, PASSWORD) over it. Call .stop()."""
    kw: dict = {}
    if tls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(str(tls[0]), str(tls[1]))
        kw = {"tls_context": ctx, "require_starttls": True, "authenticator": _authenticator,
              "auth_required": True}
    c = Controller(box, hostname="127.0.0.1", port=free_port(), **kw)
    c.start()
    return c


class Hook:
    """A webhook receiver: `statuses` are answered to successive POSTs (the last repeats);
    each POST's JSON body is in `posts`."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [200])
        self.posts: list[dict] = []
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """Return the URL to post to."""
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/XXXX"

    def start(self) -> Hook:
        """Serve in a thread; return self."""
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = hook.statuses[min(len(hook.posts), len(hook.statuses) - 1)]
                hook.posts.append({"json": json.loads(body), "status": status,
                                   "type": self.headers.get("Content-Type")})
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"try again")

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self.server:
            self.server.shutdown()
            self.server.server_close()


def secrets(path: Path, smtp: dict | None = None, webhook: str | None = None) -> Path:
    """Write a secrets file with an [smtp] section (`smtp`'s keys) and/or [webhook] url."""
    lines = []
    if smtp is not None:
        lines.append("[smtp]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in smtp.items()]
    if webhook is not None:
        lines += ["[webhook]", f"url = {json.dumps(webhook)}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
