"""`csm schedule`: the crontab line that sends the weekly pack every Monday (`--print`), the
check of a line (`--check`), and the small scheduler for machines without cron (`--run`)."""

from __future__ import annotations

import contextlib
import io
import json
import shlex
import sys
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path

from csm import schedule
from csm.commands.send import default_secrets, deliver, last_calendar_week, make_plan
from csm.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, UsageError, eprint


def _at(text: str) -> clock:
    try:
        h, m = (int(x) for x in text.split(":"))
        return clock(h, m)
    except ValueError as e:
        raise UsageError(f"--at expects HH:MM (24-hour clock), got {text!r}") from e


def csm_program() -> list[str]:
    """Return the words that run this `csm` from cron: the console script beside this Python
    (a venv's bin/csm), else this Python with -m csm."""
    script = Path(sys.executable).parent / "csm"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "csm"]


def cron_line(args) -> str:
    """Return the crontab line for `csm schedule --print`'s options: every `--day` at `--at`,
    `csm send --week last --unless-sent` with absolute paths (cron starts in $HOME)."""
    from metrics.store import default_db_path

    at = _at(args.at)
    send = [*csm_program(), "send", "--week", "last", "--unless-sent",
            "--db", str(Path(args.db or default_db_path()).resolve()),
            "--secrets", str((args.secrets or default_secrets()).resolve())]
    if args.to:
        send += ["--to", ",".join(args.to), "--format", args.format]
    if args.webhook:
        send.append("--webhook")
    for f in args.filter or []:
        send += ["--filter", f]
    if args.mask:
        send.append("--mask")
    # cron turns an unescaped % into a new line: no word here may hold one
    command = " ".join(shlex.quote(w).replace("%", "\\%") for w in send)
    return f"{at.minute} {at.hour} * * {schedule.DAYS.index(args.day) + 1} {command}"


def _parse_send(words: list[str]) -> tuple[object | None, str]:
    """Return (csm send's parsed options, '') or (None, the parser's complaint)."""
    from csm.parser import build_parser

    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            ns = build_parser(metric_settings=False).parse_args(["send", *words])
    except SystemExit:
        return None, err.getvalue().strip().splitlines()[-1]
    return ns, ""


def check(line: str, now: datetime) -> dict:
    """Return the check of a crontab line: {ok, problems, warnings, runs_on_monday,
    next_runs}; ok when it parses, runs, and runs a `csm send` that will send each week's
    pack once."""
    problems: list[str] = []
    warnings: list[str] = []
    try:
        cron = schedule.parse(line)
    except ValueError as e:
        return {"line": line, "ok": False, "problems": [str(e)], "warnings": [],
                "runs_on_monday": None, "next_runs": []}
    runs = cron.next_runs(now, 8)
    monday = any(t.weekday() == 0 for t in runs)
    if not runs:
        problems.append("the line never runs (no such date in the next 8 years)")
    if "%" in cron.command.replace("\\%", ""):
        problems.append("an unescaped % in the command: cron turns it into a new line "
                        "(write \\%)")
    words = schedule.send_arguments(cron.command)
    if words is None:
        problems.append("the command does not run `csm send`")
    else:
        ns, why = _parse_send(words)
        if ns is None:
            problems.append(f"csm send's options are not valid: {why}")
        else:
            problems += _send_problems(ns, _per_week(cron, now))
    if runs and not monday:
        warnings.append("it never runs on a Monday: the pack goes out on "
                        + ", ".join(sorted({f"{t:%A}" for t in runs})))
    return {"line": line, "ok": not problems, "problems": problems, "warnings": warnings,
            "runs_on_monday": monday, "next_runs": [f"{t:%Y-%m-%d %H:%M %a}" for t in runs[:5]]}


def _per_week(cron: schedule.Cron, now: datetime) -> float:
    """Return how many times a week the line runs, on average over the next 4 weeks."""
    days = sum(cron.runs_on(now.date() + timedelta(days=i)) for i in range(28))
    return days * len(cron.hours) * len(cron.minutes) / 4


def _send_problems(ns, per_week: float) -> list[str]:
    """Return what keeps a cron's `csm send` from sending each week's pack once."""
    out = []
    if not ns.to and not ns.webhook:
        out.append("csm send has neither --to nor --webhook: it would send nothing")
    if ns.week != "last":
        out.append("csm send needs --week last: "
                   + ("the same week would be sent every time" if ns.week else
                      "without it, it sends the data's last complete week, which stays the "
                      "same while no new data is loaded"))
    if not ns.unless_sent:
        out.append("csm send needs --unless-sent"
                   + (f": the line runs about {per_week:g} times a week and each would send "
                      "the pack again" if per_week > 1 else
                      ": a rerun (or a second line) would send the week's pack again"))
    if ns.db is None or not ns.db.is_absolute():
        out.append("csm send needs --db with an absolute path: cron starts in your home "
                   "folder, where data/csm.duckdb is not")
    return out


def _not_configured(args) -> list[str]:
    """Return what the secrets file lacks for `csm schedule --print`'s options."""
    from csm import delivery

    path = (args.secrets or default_secrets()).resolve()
    out = []
    try:
        doc = delivery.read_secrets(path)
        if args.to:
            delivery.smtp_settings(doc, path)
        if args.webhook:
            delivery.webhook_url(doc, path)
    except UsageError as e:
        out.append(str(e).removeprefix("nothing sent: "))
    return out


def cmd_schedule(args) -> int:
    """Print, check or run the weekly delivery; return the exit code."""
    if args.check is not None:
        doc = check(args.check, datetime.now().replace(second=0, microsecond=0))
        for p in doc["problems"]:
            eprint(f"csm schedule: problem: {p}")
        for w in doc["warnings"]:
            eprint(f"csm schedule: warning: {w}")
        json.dump(doc, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return EXIT_OK if doc["ok"] else EXIT_REFUSED
    try:
        plan = make_plan(args) if args.run else None
        if args.print and not args.to and not args.webhook:
            raise UsageError("nothing to send: give --to ADDR[,ADDR…] and/or --webhook")
        at = _at(args.at)
    except UsageError as e:
        eprint(f"csm schedule: {e}")
        return EXIT_USAGE
    if args.print:
        line = cron_line(args)
        for why in _not_configured(args):
            eprint(f"csm schedule: warning: {why}; the line sends nothing until it is")
        doc = check(line, datetime.now().replace(second=0, microsecond=0))
        eprint("Add this line to your crontab (crontab -e); times are this machine's local "
               f"time:\n{line}")
        json.dump({"cron": line, **{k: doc[k] for k in ("ok", "problems", "next_runs")}},
                  sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return EXIT_OK
    assert plan is not None

    def one_round(week: str):
        plan.week, plan.unless_sent = week, True
        return deliver(plan, lambda m: eprint(f"csm schedule: {m}"))

    code, rounds = schedule.run(one_round, schedule.DAYS.index(args.day), at, args.once,
                                lambda m: eprint(f"csm schedule: {m}"),
                                last_calendar_week)
    json.dump({"rounds": rounds}, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return code
