"""`csm send`: the weekly meeting pack by mail and the week's alerts to a chat webhook.

The order is what keeps the audit trail honest: read the database (the pack, the alerts,
whether the week was sent already), close it, hand the pack to the servers with a bounded
retry, then record in one transaction what each server accepted (`send`) or did not
(`send_failed`). A row saying "sent" exists only for a delivery a server accepted. One
delivery at a time per database (a lock file beside it), so two overlapping runs with
`--unless-sent` (cron, `csm schedule --run`) cannot both send a week's pack.
"""

from __future__ import annotations

import fcntl
import getpass
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from csm import delivery
from csm.commands.serve import ROOT
from csm.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, UsageError, eprint, filters, reading

LOCK_SUFFIX = ".send.lock"


@dataclass
class Plan:
    """What one `csm send` is to deliver, checked before anything is read or sent."""

    db: Path | None
    week: str | None  # 'YYYY-Www', or None: the data's last complete week
    to: list[str]
    fmt: str = "pdf"
    webhook: bool = False
    unless_sent: bool = False
    masked: bool = False
    filter_values: list[str] = field(default_factory=list)
    kpis_as_of: str = "data"
    attempts: int = 3
    retry_wait: float = 2.0
    smtp: delivery.SmtpSettings | None = None
    url: str | None = None


def default_secrets() -> Path:
    """Return the project's secrets file, the one `csm serve` reads by default."""
    return ROOT / ".streamlit" / "secrets.toml"


def last_calendar_week(today: date) -> str:
    """Return 'YYYY-Www' of the last ISO week complete on `today` by the calendar (on a
    Monday: the week that ended the day before)."""
    from metrics import review

    return review.week_label(today - timedelta(days=today.weekday() + 7))


def make_plan(args) -> Plan:
    """Return the Plan of `csm send`'s (or `csm schedule --run`'s) options; UsageError for
    anything wrong, the secrets included, before anything is read or sent."""
    from metrics import review

    to = delivery.recipients(args.to)
    if not to and not args.webhook:
        raise UsageError("nothing to send: give --to ADDR[,ADDR…] (the pack by mail) and/or "
                         "--webhook (the week's alerts to the chat webhook)")
    week = getattr(args, "week", None)
    if week == "last":
        week = last_calendar_week(date.today())
    elif week:
        try:
            week = review.week_label(review.parse_week(week))
        except ValueError as e:
            raise UsageError(str(e)) from e
    if args.attempts < 1 or args.retry_wait < 0:
        raise UsageError("--attempts must be 1 or more and --retry-wait 0 or more")
    path = (args.secrets or default_secrets()).resolve()
    doc = delivery.read_secrets(path)
    filters(args.filter)  # a malformed --filter is a usage error now, not after the build
    return Plan(args.db, week, to, args.format, bool(args.webhook),
                bool(getattr(args, "unless_sent", False)),
                bool(args.mask), list(args.filter or []), args.kpis_as_of.replace("-", "_"),
                args.attempts, args.retry_wait,
                delivery.smtp_settings(doc, path) if to else None,
                delivery.webhook_url(doc, path) if args.webhook else None)


@contextmanager
def delivery_lock(db: Path | None) -> Iterator[None]:
    """Hold the lock beside the database that lets one delivery run at a time (waits)."""
    from metrics.store import default_db_path

    path = Path(db or default_db_path()).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + LOCK_SUFFIX), "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _whoami() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "unknown"


def _read(plan: Plan, log) -> dict[str, Any]:
    """Return what the database says: the week, the pack (when mailing), the alerts (for the
    webhook) and the channels already sent (with --unless-sent). LookupError without data."""
    from metrics import alerts, audit, review
    from metrics.periods import resolve_as_of
    from metrics.query import Query
    from render import report

    out: dict[str, Any] = {"skipped": []}
    with reading(plan.db) as cur:
        week = plan.week
        if week is None:
            as_of = resolve_as_of(cur, Query())
            if as_of is None:
                raise LookupError("the database has no data: nothing to send")
            week = review.week_label(review.last_complete_week(as_of))
        out["week"] = week
        channels = (["mail"] if plan.smtp else []) + (["webhook"] if plan.url else [])
        for ch in channels:
            done = audit.sent(cur, f"{ch} {week}") if plan.unless_sent else None
            if done is not None and len(done):
                at = f"{done['happened_at'].iloc[0]:%Y-%m-%d %H:%M} UTC"
                out["skipped"].append({"channel": ch, "reason": f"already sent on {at} "
                                       f"(audit event {int(done['event_id'].iloc[0])})"})
        skip = {s["channel"] for s in out["skipped"]}
        if plan.smtp and "mail" not in skip:
            dims, attributes = filters(plan.filter_values)
            q = Query(**dims, attributes=attributes)
            started = time.perf_counter()
            log(f"building the {plan.fmt} pack of {week}…")
            out["pack"] = report.build(cur, q, week, plan.fmt, plan.masked,
                                       kpis_as_of=plan.kpis_as_of)
            out["pack"]["filters"] = report.filters_text(q, plan.masked)
            out["build_seconds"] = time.perf_counter() - started
        if plan.url and "webhook" not in skip:
            from metrics import mask

            start = review.parse_week(week)
            fired = alerts.fired(cur, start, start + timedelta(days=7))
            out["alerts"] = mask.maybe(fired, plan.masked)
    return out


def mail_body(pack) -> str:
    """Return the mail's text: the pack's title, subtitle and each section's first line."""
    lines = [pack.title, *pack.subtitle, ""]
    lines += [f"- {s.title}: {s.lines[0]}" if s.lines else f"- {s.title}" for s in pack.sections]
    return "\n".join(lines + ["", "The full pack is attached."]) + "\n"


def _mail(plan: Plan, got: dict, log) -> dict:
    """Send the pack; return its outcome (channel, ok, audit subject and detail, …)."""
    smtp = plan.smtp
    assert smtp is not None
    p, week = got["pack"], got["week"]
    subject = p["title"] + (f" ({p['filters']})" if p["filters"] else "")
    filename = f"weekly-review-{week}.{plan.fmt}"
    msg = delivery.message(smtp, plan.to, subject, mail_body(p["pack"]), p["data"],
                           filename, plan.fmt)
    base = {"channel": "mail", "to": plan.to, "subject": subject, "attachment": filename,
            "bytes": len(p["data"]), "server": smtp.where()}
    started = time.perf_counter()
    try:
        refused, n = delivery.retry(lambda _n: delivery.send_mail(smtp, msg),
                                    plan.attempts, plan.retry_wait, log, "mail")
    except delivery.SendError as e:
        return {**base, "ok": False, "error": str(e),
                "detail": f"to {', '.join(plan.to)}; {plan.fmt} {len(p['data'])} bytes; "
                          f"{smtp.where()}; {e}"}
    accepted = [a for a in plan.to if a not in refused]
    said = "; ".join(f"{a}: {c} {m.decode(errors='replace')}" for a, (c, m) in refused.items())
    return {**base, "ok": True, "to": accepted, "refused": said or None, "attempts": n,
            "message_id": msg["Message-ID"], "seconds": time.perf_counter() - started,
            "detail": f"to {', '.join(accepted)}; {filename}, {len(p['data'])} bytes; "
                      f"{smtp.where()}; {msg['Message-ID']}; attempt {n}"
                      + (f"; refused {said}" if said else "")}


def _webhook(plan: Plan, got: dict, log) -> dict:
    """Post the week's alerts; return its outcome."""
    url = plan.url
    assert url is not None
    host = urlsplit(url).hostname  # the URL itself is a secret (it holds the token)
    payload = delivery.alerts_payload(got["week"], got["alerts"])
    base = {"channel": "webhook", "host": host, "alerts": len(got["alerts"])}
    started = time.perf_counter()
    try:
        status, n = delivery.retry(lambda _n: delivery.post_webhook(url, payload),
                                   plan.attempts, plan.retry_wait, log, "webhook")
    except delivery.SendError as e:
        return {**base, "ok": False, "error": str(e), "detail": f"to {host}; {e}"}
    return {**base, "ok": True, "status": status, "attempts": n,
            "seconds": time.perf_counter() - started,
            "detail": f"{len(got['alerts'])} alert(s) to {host}; HTTP {status}; attempt {n}"}


def _record(db: Path | None, week: str, outcomes: list[dict]) -> str | None:
    """Write one audit row per outcome in one transaction; return why it could not (None)."""
    from metrics import audit
    from metrics.store import Store, StoreError, transaction

    try:
        store = Store(db, on_wait=lambda m: eprint(f"csm: {m}…"))
    except StoreError as e:
        return str(e)
    try:
        cur = store.cursor()
        with transaction(cur):
            for o in outcomes:
                audit.record(cur, _whoami(), "send" if o["ok"] else "send_failed",
                             f"{o['channel']} {week}", o["detail"])
        cur.close()
        return None
    except Exception as e:  # noqa: BLE001 - the mail is out; say it was not recorded
        return str(e)
    finally:
        store.close()


def deliver(plan: Plan, log) -> tuple[int, dict]:
    """Do what `plan` says, under the delivery lock; return (exit code, the JSON summary):
    0 when everything was sent or skipped as already sent, 1 when a delivery failed, the
    database has no data, or what was sent could not be recorded."""
    with delivery_lock(plan.db):
        try:
            got = _read(plan, log)
        except LookupError as e:
            return EXIT_REFUSED, {"error": str(e), "sent": [], "failed": [], "skipped": []}
        outcomes = []
        if "pack" in got:
            outcomes.append(_mail(plan, got, log))
        if "alerts" in got:
            outcomes.append(_webhook(plan, got, log))
        for s in got["skipped"]:
            log(f"{s['channel']} of {got['week']} not sent: {s['reason']} (--unless-sent)")
        why = _record(plan.db, got["week"], outcomes) if outcomes else None
    public = [{k: v for k, v in o.items() if k not in ("ok", "detail")} for o in outcomes]
    doc = {"week": got["week"], "format": plan.fmt if plan.smtp else None,
           "sent": [p for p, o in zip(public, outcomes, strict=True) if o["ok"]],
           "failed": [p for p, o in zip(public, outcomes, strict=True) if not o["ok"]],
           "skipped": got["skipped"], "notes": got.get("pack", {}).get("notes", []),
           "build_seconds": got.get("build_seconds")}
    for o in outcomes:
        log(f"{o['channel']}: " + (f"sent ({o['detail']})" if o["ok"] else
                                   f"NOT sent: {o['error']}"))
    if why:
        doc["not_recorded"] = why
        log(f"what was sent could not be written to the audit trail: {why}")
    failed = bool(doc["failed"]) or bool(why)
    return (EXIT_REFUSED if failed else EXIT_OK), doc


def cmd_send(args) -> int:
    """Send the pack and/or the alerts; print the summary as JSON; return the exit code."""
    try:
        plan = make_plan(args)
    except UsageError as e:
        eprint(f"csm send: {e}")
        return EXIT_USAGE
    code, doc = deliver(plan, lambda m: eprint(f"csm send: {m}"))
    json.dump(doc, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return code
