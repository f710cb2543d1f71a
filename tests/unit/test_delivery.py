"""`csm send` against real servers on loopback: an SMTP server (aiosmtpd, with STARTTLS and a
login on a self-signed certificate made here) receives the pack as an attachment, an HTTP
server receives the alerts' JSON, failing servers are retried a bounded number of times, and
the audit trail records a delivery as sent only when a server accepted it."""

from __future__ import annotations

import email
import io
import json
import shutil
import subprocess
import sys
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest
from pypdf import PdfReader

from csm import cli, delivery
from metrics import alerts, audit, review
from metrics.store import Store
from tests.unit import delivery_servers as srv

WEEK = "2026-W26"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("send") / "demo.duckdb"
    r = subprocess.run([sys.executable, "-m", "csm", "demo", "--size", "small", "--end",
                        "2026-06-30", "--db", str(db)], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    return db


@pytest.fixture
def db(demo, tmp_path, monkeypatch) -> Path:
    """A copy of the demo database of this test alone; packs without chart images (fast)."""
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chromium"))
    copy = tmp_path / "db" / "csm.duckdb"
    copy.parent.mkdir()
    shutil.copy(demo, copy)
    return copy


@pytest.fixture
def box():
    b = srv.Mailbox()
    yield b


def send(capsys, *args: str) -> tuple[int, dict | None, str]:
    """Run `csm send ARGS` in this process; return (exit code, stdout's JSON, stderr)."""
    code = cli.main(["send", *args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def trail(db: Path) -> list[dict]:
    """Return the audit trail's delivery events, oldest first."""
    s = Store(db)
    try:
        cur = s.cursor()
        ev = audit.events(cur)
        return ev[ev["action"].isin(["send", "send_failed"])].iloc[::-1].to_dict("records")
    finally:
        s.close()


def attachment(raw: bytes):
    """Return (the parsed mail, its one attachment part)."""
    msg = email.message_from_bytes(raw, policy=policy.default)
    parts = list(msg.iter_attachments())
    assert len(parts) == 1
    return msg, parts[0]


def test_the_pdf_pack_goes_over_starttls_with_a_login_and_is_recorded(db, tmp_path, capsys,
                                                                      box):
    cert, key = srv.self_signed(tmp_path)
    server = srv.smtp_server(box, tls=(cert, key))
    try:
        conf = srv.secrets(tmp_path / "secrets.toml", {
            "host": "127.0.0.1", "port": server.port, "from": "pack@example.com",
            "security": "starttls", "username": srv.USER, "password": srv.PASSWORD,
            "ca_file": str(cert)})
        code, doc, err = send(capsys, "--week", WEEK, "--to", "ana@example.com,bo@example.com",
                              "--to", "cy@example.com", "--db", str(db), "--secrets", str(conf))
    finally:
        server.stop()
    assert code == 0, err
    assert len(box.messages) == 1
    got = box.messages[0]
    assert got["tls"] and got["authenticated"]
    assert got["to"] == ["ana@example.com", "bo@example.com", "cy@example.com"]
    msg, part = attachment(got["data"])
    assert msg["Subject"] == f"Weekly review {WEEK}"
    assert msg.get_content_type() == "multipart/mixed"
    assert "Alerts fired this week" in msg.get_body(("plain",)).get_content()
    assert part.get_content_type() == "application/pdf"
    assert part.get_filename() == f"weekly-review-{WEEK}.pdf"
    pdf = part.get_content()
    assert pdf[:5] == b"%PDF-" and len(pdf) == doc["sent"][0]["bytes"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert f"Weekly review {WEEK}" in text
    assert doc["week"] == WEEK and doc["failed"] == [] and doc["sent"][0]["attempts"] == 1
    [row] = trail(db)
    assert (row["action"], row["subject"]) == ("send", f"mail {WEEK}")
    assert "ana@example.com, bo@example.com, cy@example.com" in row["detail"]
    assert msg["Message-ID"] in row["detail"]
    assert srv.PASSWORD not in row["detail"]


def test_html_pack_by_mail_and_the_weeks_alerts_to_the_webhook(db, tmp_path, capsys, box):
    server, hook = srv.smtp_server(box), srv.Hook().start()
    try:
        conf = srv.secrets(tmp_path / "secrets.toml",
                           {"host": "127.0.0.1", "port": server.port, "from": "p@example.com",
                            "security": "none"}, webhook=hook.url)
        code, doc, err = send(capsys, "--week", WEEK, "--to", "ana@example.com", "--format",
                              "html", "--webhook", "--db", str(db), "--secrets", str(conf))
    finally:
        server.stop()
        hook.stop()
    assert code == 0, err
    assert not box.messages[0]["tls"]  # security = "none": the tls flag tells them apart
    _msg, part = attachment(box.messages[0]["data"])
    assert part.get_content_type() == "text/html"
    html = part.get_content()
    assert html.lstrip().lower().startswith("<!doctype html") and f"Weekly review {WEEK}" in html
    # the alerts posted are the pack's: those fired on data of the week
    s = Store(db)
    try:
        start = review.parse_week(WEEK)
        fired = alerts.fired(s.cursor(), start, start + timedelta(days=7))
    finally:
        s.close()
    assert len(fired) >= 1  # the demo's rules fire on its last complete week
    [post] = hook.posts
    assert post["type"] == "application/json"
    body = post["json"]
    assert body["text"].startswith(f"Weekly review {WEEK}: {len(fired)} alert")
    for name in fired["rule_name"]:
        assert name in body["text"]
    assert body["blocks"][0]["type"] == "section"
    assert f"{len(fired)} alert" in html
    assert [r["subject"] for r in trail(db)] == [f"mail {WEEK}", f"webhook {WEEK}"]
    # the webhook's URL is a secret (it holds the token): neither recorded nor printed
    assert hook.url not in json.dumps(trail(db), default=str) + json.dumps(doc)


@pytest.mark.parametrize("flag, section", [("--to=a@example.com", "[smtp]"),
                                           ("--webhook", "[webhook]")])
def test_nothing_is_sent_unless_configured(db, tmp_path, capsys, flag, section):
    conf = srv.secrets(tmp_path / "secrets.toml")  # neither section
    code, doc, err = send(capsys, "--week", WEEK, flag, "--db", str(db), "--secrets", str(conf))
    assert code == 2 and doc is None
    assert f"nothing sent: no {section} section in {conf}" in err
    code, _doc, err = send(capsys, "--week", WEEK, flag, "--db", str(db), "--secrets",
                           str(tmp_path / "absent.toml"))
    assert code == 2 and section in err
    assert trail(db) == []


def test_options_are_checked_before_anything_is_sent(db, tmp_path, capsys, box):
    server = srv.smtp_server(box)
    conf = srv.secrets(tmp_path / "s.toml", {"host": "127.0.0.1", "port": server.port,
                                             "from": "p@example.com", "security": "none"})
    try:
        for args, says in [(["--week", WEEK], "nothing to send"),
                           (["--week", "2026-26", "--to", "a@example.com"], "not an ISO week"),
                           (["--to", "not-an-address"], "not an email address"),
                           (["--to", "a@example.com\r\nBcc: x@evil.test"], "not an email"),
                           (["--to", "a@example.com", "--attempts", "0"], "--attempts")]:
            code, doc, err = send(capsys, *args, "--db", str(db), "--secrets", str(conf))
            assert (code, doc) == (2, None) and says in err, (args, err)
    finally:
        server.stop()
    assert box.attempts == 0 and trail(db) == []


def _mail_secrets(tmp_path, port) -> Path:
    return srv.secrets(tmp_path / "secrets.toml", {"host": "127.0.0.1", "port": port,
                                                   "from": "p@example.com", "security": "none"})


def test_a_451_is_retried_and_a_later_acceptance_is_recorded_once(db, tmp_path, capsys):
    box = srv.Mailbox(["451 4.3.0 Mailbox busy, try later", "250 OK"])
    server = srv.smtp_server(box)
    try:
        code, doc, err = send(capsys, "--week", WEEK, "--to", "a@example.com", "--format",
                              "html", "--retry-wait", "0", "--db", str(db), "--secrets",
                              str(_mail_secrets(tmp_path, server.port)))
    finally:
        server.stop()
    assert code == 0, err
    assert box.attempts == 2 and len(box.messages) == 1
    assert "attempt 1 of 3 failed" in err and "451" in err
    assert doc["sent"][0]["attempts"] == 2
    assert [(r["action"], r["subject"]) for r in trail(db)] == [("send", f"mail {WEEK}")]


def test_a_server_that_keeps_failing_gives_up_after_the_attempts_and_records_no_success(
        db, tmp_path, capsys):
    box = srv.Mailbox(["451 4.3.0 Mailbox busy, try later"])
    server = srv.smtp_server(box)
    try:
        code, doc, err = send(capsys, "--week", WEEK, "--to", "a@example.com", "--format",
                              "html", "--attempts", "4", "--retry-wait", "0", "--db", str(db),
                              "--secrets", str(_mail_secrets(tmp_path, server.port)))
    finally:
        server.stop()
    assert code == 1
    assert box.attempts == 4 and box.messages == []
    [failed] = doc["failed"]
    assert "answered 451" in failed["error"] and "gave up after 4 attempts" in failed["error"]
    assert doc["sent"] == []
    assert [r["action"] for r in trail(db)] == ["send_failed"]


def test_a_554_is_not_retried(tmp_path):
    box = srv.Mailbox(["554 5.7.1 Message rejected as spam"])
    server = srv.smtp_server(box)
    settings = delivery.SmtpSettings("127.0.0.1", server.port, "p@example.com", "none")
    msg = delivery.message(settings, ["a@example.com"], "s", "body", b"%PDF-1.4", "p.pdf", "pdf")
    logged: list[str] = []
    try:
        with pytest.raises(delivery.SendError) as e:
            delivery.retry(lambda _n: delivery.send_mail(settings, msg), 3, 0, logged.append,
                           "mail")
    finally:
        server.stop()
    assert box.attempts == 1 and logged == []
    assert "answered 554 5.7.1 Message rejected as spam" in str(e.value)
    assert "not retried" in str(e.value) and not e.value.transient


def test_a_refused_connection_and_a_failing_webhook_are_retried_then_reported(db, tmp_path,
                                                                            capsys):
    hook = srv.Hook([503]).start()
    conf = srv.secrets(tmp_path / "secrets.toml",
                       {"host": "127.0.0.1", "port": srv.free_port(), "from": "p@example.com",
                        "security": "none"}, webhook=hook.url)
    try:
        code, doc, err = send(capsys, "--week", WEEK, "--to", "a@example.com", "--webhook",
                              "--format", "html", "--retry-wait", "0", "--db", str(db),
                              "--secrets", str(conf))
    finally:
        hook.stop()
    assert code == 1
    errors = {f["channel"]: f["error"] for f in doc["failed"]}
    assert "cannot reach the SMTP server" in errors["mail"]
    assert "gave up after 3 attempts" in errors["mail"]
    assert "answered 503" in errors["webhook"] and len(hook.posts) == 3
    assert "trying again" in err
    assert sorted(r["action"] for r in trail(db)) == ["send_failed", "send_failed"]


def test_webhook_retried_after_a_503_then_accepted_while_mail_fails(db, tmp_path, capsys):
    hook = srv.Hook([503, 200]).start()
    box = srv.Mailbox(["550 5.1.1 No such user"])
    server = srv.smtp_server(box)
    conf = srv.secrets(tmp_path / "secrets.toml",
                       {"host": "127.0.0.1", "port": server.port, "from": "p@example.com",
                        "security": "none"}, webhook=hook.url)
    try:
        code, doc, _err = send(capsys, "--week", WEEK, "--to", "a@example.com", "--webhook",
                               "--format", "html", "--retry-wait", "0", "--db", str(db),
                               "--secrets", str(conf))
    finally:
        hook.stop()
        server.stop()
    assert code == 1  # one of the two failed
    assert [s["channel"] for s in doc["sent"]] == ["webhook"] and doc["sent"][0]["attempts"] == 2
    assert [f["channel"] for f in doc["failed"]] == ["mail"]
    assert {(r["action"], r["subject"]) for r in trail(db)} == {
        ("send", f"webhook {WEEK}"), ("send_failed", f"mail {WEEK}")}


def test_unless_sent_sends_a_weeks_pack_once(db, tmp_path, capsys, box):
    server = srv.smtp_server(box)
    conf = _mail_secrets(tmp_path, server.port)
    try:
        runs = [send(capsys, "--week", WEEK, "--to", "a@example.com", "--format", "html",
                     "--unless-sent", "--db", str(db), "--secrets", str(conf))
                for _ in range(2)]
    finally:
        server.stop()
    assert [c for c, _d, _e in runs] == [0, 0]
    assert len(box.messages) == 1
    second = runs[1][1]
    assert second["sent"] == [] and second["skipped"][0]["channel"] == "mail"
    assert "already sent" in second["skipped"][0]["reason"]
    assert [r["action"] for r in trail(db)] == ["send"]


def test_implicit_tls_and_a_certificate_that_does_not_verify(tmp_path):
    """security = "ssl" (port 465 style) delivers over TLS from the first byte; without the
    CA that signed the server's certificate the handshake fails and is not retried."""
    import ssl

    from aiosmtpd.controller import Controller

    cert, key = srv.self_signed(tmp_path)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert), str(key))
    box = srv.Mailbox()
    server = Controller(box, hostname="127.0.0.1", port=srv.free_port(), ssl_context=ctx)
    server.start()
    good = delivery.SmtpSettings("127.0.0.1", server.port, "p@example.com", "ssl",
                                 ca_file=str(cert))
    unverified = delivery.SmtpSettings("127.0.0.1", server.port, "p@example.com", "ssl")
    try:
        delivery.send_mail(good, delivery.message(good, ["a@example.com"], "s", "b", b"<p>",
                                                  "p.html", "html"))
        with pytest.raises(delivery.SendError) as e:
            delivery.retry(lambda _n: delivery.send_mail(unverified, delivery.message(
                unverified, ["a@example.com"], "s", "b", b"<p>", "p.html", "html")), 3, 0,
                lambda _m: None, "mail")
    finally:
        server.stop()
    assert len(box.messages) == 1 and box.messages[0]["tls"]
    assert "TLS with the SMTP server" in str(e.value) and "not retried" in str(e.value)
    assert len(box.messages) == 1
