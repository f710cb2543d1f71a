"""Delivery of the weekly pack and the week's alerts (`csm send`): the settings in the secrets
file (`[smtp]`, `[webhook]`), mail through SMTP with TLS, a JSON post to a Slack-compatible
incoming webhook, and a bounded retry of what may pass on a second try.

A server that refuses for good (5xx, a wrong password, a certificate that does not verify) is
not retried; a refused connection, a timeout, an SMTP 4xx or an HTTP 429/5xx are, up to
`attempts` times with a doubling wait. Nothing here touches the database: the caller records
what the server accepted (metrics/audit.py) only after it did.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from csm.common import UsageError

SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORT = {"starttls": 587, "ssl": 465, "none": 25}
MIME = {"pdf": ("application", "pdf"), "html": ("text", "html"),
        "pptx": ("application",
                 "vnd.openxmlformats-officedocument.presentationml.presentation")}
LOOPBACK = ("127.0.0.1", "::1", "localhost")
Log = Callable[[str], None]


class SendError(Exception):
    """A delivery the server did not accept; `transient` when another try may succeed."""

    def __init__(self, message: str, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class SmtpSettings:
    """The `[smtp]` section: where and how to hand mail over."""

    host: str
    port: int
    sender: str
    security: str = "starttls"
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    timeout: float = 30.0

    def where(self) -> str:
        """Return 'host:port security' for messages and the audit trail."""
        return f"{self.host}:{self.port} {self.security}"


def read_secrets(path: Path) -> dict:
    """Return the secrets file as a dict ({} when the file is absent); UsageError when it is
    not TOML."""
    import tomllib

    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise UsageError(f"{path} is not valid TOML: {e}") from e


def _missing(section: str, path: Path) -> UsageError:
    return UsageError(
        f"nothing sent: no [{section}] section in {path} (see .streamlit/secrets.example.toml "
        "and the README, \"Delivery\"); or name another file with --secrets")


def smtp_settings(doc: dict, path: Path) -> SmtpSettings:
    """Return the `[smtp]` settings of secrets `doc` (read from `path`); UsageError naming the
    section or the key that is missing or wrong."""
    s = doc.get("smtp")
    if not isinstance(s, dict):
        raise _missing("smtp", path)
    lacks = [k for k in ("host", "from") if not str(s.get(k) or "").strip()]
    if lacks:
        raise UsageError(f"nothing sent: the [smtp] section of {path} lacks {', '.join(lacks)}")
    security = str(s.get("security", "starttls")).lower()
    if security not in SECURITY:
        raise UsageError(f"[smtp] security must be one of {', '.join(SECURITY)}, "
                         f"not {s.get('security')!r}")
    if bool(s.get("username")) != bool(s.get("password")):
        raise UsageError("[smtp] needs both username and password, or neither")
    host = str(s["host"]).strip()
    if s.get("username") and security == "none" and host not in LOOPBACK:
        raise UsageError(f"[smtp] security = \"none\" would send the password to {host} "
                         "unencrypted: use starttls or ssl")
    try:
        port = int(s.get("port") or DEFAULT_PORT[security])
        timeout = float(s.get("timeout") or 30)
    except (TypeError, ValueError) as e:
        raise UsageError(f"[smtp] port and timeout must be numbers: {e}") from e
    sender = str(s["from"]).strip()
    if not valid_address(sender):
        raise UsageError(f"[smtp] from is not an email address: {sender!r}")
    ca = s.get("ca_file")
    if ca and not Path(ca).is_file():
        raise UsageError(f"[smtp] ca_file {ca} is not a file")
    return SmtpSettings(host, port, sender, security, s.get("username") or None,
                        s.get("password") or None, str(ca) if ca else None, timeout)


def webhook_url(doc: dict, path: Path) -> str:
    """Return the `[webhook] url` of secrets `doc`; UsageError when absent or not http(s)."""
    w = doc.get("webhook")
    if not isinstance(w, dict):
        raise _missing("webhook", path)
    url = str(w.get("url") or "").strip()
    if not url:
        raise UsageError(f"nothing sent: the [webhook] section of {path} lacks url")
    parts = urlsplit(url)
    # urllib would also open file:// and ftp:// URLs: only a web address is a webhook
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UsageError(f"[webhook] url must be an https:// address, not {url[:40]!r}")
    return url


def valid_address(addr: str) -> bool:
    """Return whether `addr` is one plain email address (no display name, no line break)."""
    if not addr or any(c in addr for c in "\r\n,;<> \t"):
        return False
    local, _, domain = addr.rpartition("@")
    return bool(local) and "." in domain.strip(".") and not domain.startswith(".")


def recipients(values: list[str] | None) -> list[str]:
    """Return the addresses of repeated `--to A,B` values, in order, each once; UsageError
    naming one that is not an address."""
    out: list[str] = []
    for v in values or []:
        for a in (x.strip() for x in v.split(",")):
            if not a:
                continue
            if not valid_address(a):
                raise UsageError(f"--to: not an email address: {a!r}")
            if a.lower() not in (o.lower() for o in out):
                out.append(a)
    return out


def retry(action: Callable[[int], Any], attempts: int, wait: float, log: Log,
          what: str, sleep: Callable[[float], None] = time.sleep) -> tuple[Any, int]:
    """Return (action's result, the attempt that succeeded), calling `action(attempt)` up to
    `attempts` times while it raises a transient SendError, waiting `wait`, 2×`wait`, … between
    tries. The last error, or the first one that is not transient, is raised with the number
    of attempts made in its message."""
    for n in range(1, attempts + 1):
        try:
            return action(n), n
        except SendError as e:
            if not e.transient:
                raise SendError(f"{e} (not retried: the server refused for good)", False) from e
            if n == attempts:
                raise SendError(f"{e} (gave up after {n} attempt{'s' * (n > 1)})", True) from e
            pause = wait * 2 ** (n - 1)
            log(f"{what}: attempt {n} of {attempts} failed: {e}; trying again in {pause:g} s")
            sleep(pause)
    raise AssertionError("unreachable")  # attempts >= 1


def message(s: SmtpSettings, to: list[str], subject: str, body: str, data: bytes,
            filename: str, fmt: str) -> EmailMessage:
    """Return the mail: `body` as text and the pack `data` attached as `filename`."""
    m = EmailMessage()
    m["Subject"] = subject
    m["From"] = s.sender
    m["To"] = ", ".join(to)
    m["Date"] = formatdate(localtime=False, usegmt=True)
    m["Message-ID"] = make_msgid(domain=s.sender.rpartition("@")[2])
    m.set_content(body)
    main, sub = MIME[fmt]
    m.add_attachment(data, maintype=main, subtype=sub, filename=filename)
    return m


def _smtp_error(e: Exception, s: SmtpSettings) -> SendError:
    """Return the SendError saying why the server at `s` did not take the mail."""
    where = f"the SMTP server {s.where()}"
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        codes = {a: c for a, (c, _m) in e.recipients.items()}
        said = "; ".join(f"{a}: {c} {m.decode(errors='replace')}"
                         for a, (c, m) in e.recipients.items())
        return SendError(f"{where} refused every recipient ({said})",
                         all(400 <= c < 500 for c in codes.values()))
    if isinstance(e, smtplib.SMTPAuthenticationError):
        return SendError(f"{where} refused the username or password ({e.smtp_code})", False)
    if isinstance(e, smtplib.SMTPResponseException):
        text = e.smtp_error.decode(errors="replace") if isinstance(e.smtp_error, bytes) else str(
            e.smtp_error)
        return SendError(f"{where} answered {e.smtp_code} {text}", 400 <= e.smtp_code < 500)
    if isinstance(e, smtplib.SMTPServerDisconnected):
        return SendError(f"{where} closed the connection: {e}", True)
    if isinstance(e, ssl.SSLError):  # before OSError, of which it is one: a setup problem
        return SendError(f"TLS with {where} failed: {e}", False)
    if isinstance(e, OSError):
        return SendError(f"cannot reach {where}: {e.strerror or e}", True)
    return SendError(f"{where}: {e}", False)


def send_mail(s: SmtpSettings, msg: EmailMessage) -> dict[str, tuple[int, bytes]]:
    """Hand `msg` to the server once; return the recipients it refused (the others were
    accepted). SendError when it accepted none."""
    ctx = ssl.create_default_context(cafile=s.ca_file) if s.security != "none" else None
    conn: smtplib.SMTP | None = None
    try:
        if s.security == "ssl":
            conn = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=ctx)
        else:
            conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        conn.ehlo()
        if s.security == "starttls":
            if not conn.has_extn("starttls"):
                raise SendError(f"the SMTP server {s.where()} does not offer STARTTLS; set "
                                "security = \"ssl\" (port 465) or, on a trusted network only, "
                                "\"none\"", False)
            conn.starttls(context=ctx)
            conn.ehlo()
        if s.username:
            conn.login(s.username, s.password or "")
        return conn.send_message(msg)
    except SendError:
        raise
    except (smtplib.SMTPException, OSError) as e:
        raise _smtp_error(e, s) from e
    finally:
        if conn is not None:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # urllib turns a redirected POST into a GET without its body, which would then "succeed"
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
        return None


def post_webhook(url: str, payload: dict, timeout: float = 30.0) -> int:
    """POST `payload` as JSON to `url` once; return the HTTP status (2xx). SendError
    otherwise: transient for 429, 5xx and an unreachable server."""
    host = urlsplit(url).hostname
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(req, timeout=timeout) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as e:
        body = e.read(300).decode(errors="replace").strip()
        return_code = e.code
        raise SendError(f"the webhook at {host} answered {return_code} {e.reason}"
                        + (f": {body}" if body else ""),
                        return_code == 429 or return_code >= 500) from e
    except urllib.error.URLError as e:
        reason = e.reason
        if isinstance(reason, ssl.SSLError):
            raise SendError(f"TLS with the webhook at {host} failed: {reason}", False) from e
        text = getattr(reason, "strerror", None) or reason
        raise SendError(f"cannot reach the webhook at {host}: {text}", True) from e
    except OSError as e:  # a timeout while reading the answer
        raise SendError(f"the webhook at {host}: {e}", True) from e


def _mrkdwn(text: str) -> str:
    # Slack's three control characters in message text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


MAX_ALERTS = 20


def alerts_payload(week: str, alerts, dashboard: str = "the Goals page") -> dict:
    """Return the webhook's JSON of the alerts fired on data of `week` (a frame of
    metrics.alerts.fired): `text` for any Slack-compatible receiver, `blocks` for Slack."""
    n = len(alerts)
    head = (f"Weekly review {week}: {n} alert{'s' * (n != 1)} fired on data of the week"
            if n else f"Weekly review {week}: no alert fired on data of the week")
    lines = []
    for a in alerts.head(MAX_ALERTS).to_dict("records"):
        acc = [x for x in str(a.get("accounts") or "").split(", ") if x]
        who = (f" ({len(acc)} account{'s' * (len(acc) != 1)}: {', '.join(acc[:5])}"
               + (", …" if len(acc) > 5 else "") + ")") if acc else ""
        lines.append(f"• {a['rule_name']}: {a['message']}{who}")
    if n > MAX_ALERTS:
        lines.append(f"… and {n - MAX_ALERTS} more on {dashboard}")
    text = head + ("\n" + "\n".join(lines) if lines else "")
    blocks: list[dict] = [{"type": "section",
                           "text": {"type": "mrkdwn", "text": f"*{_mrkdwn(head)}*"}}]
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": _mrkdwn(line)[:3000]}}
               for line in lines]
    return {"text": text, "blocks": blocks}
