"""When the weekly pack goes out: cron lines (read, checked, their next runs) and the small
scheduler of `csm schedule --run`.

Cron is the way we recommend: the system's own scheduler, no process to keep alive, it
survives reboots, and `csm send --week last --unless-sent` makes a run idempotent (a week's
pack is sent once, whatever runs again: the audit trail says what went out). The scheduler
loop is the same command run at the same time for machines without cron (a container): it
sends the week's pack at the first due time it sees, and a rerun or a second scheduler finds
the week in the audit trail and sends nothing.
"""

from __future__ import annotations

import shlex
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # cron counts from Sunday = 0
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
          "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
          "@hourly": "0 * * * *"}
# name, lowest, highest, names (their index + lowest is the value)
_FIELDS = (("minute", 0, 59, ()), ("hour", 0, 23, ()), ("day of month", 1, 31, ()),
           ("month", 1, 12, _MONTHS), ("day of week", 0, 7, _CRON_DAYS))


@dataclass(frozen=True)
class Cron:
    """A crontab line: the sets of minutes, hours, days, months, weekdays (0 = Sunday) it runs
    at, whether day of month / day of week were `*`, and its command."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    days_star: bool
    weekdays_star: bool
    command: str

    def runs_on(self, d: date) -> bool:
        """Return whether the line runs on day `d` (cron's rule: when both day of month and
        day of week are restricted, either one matching is enough)."""
        if d.month not in self.months:
            return False
        dom, dow = d.day in self.days, (d.isoweekday() % 7) in self.weekdays
        if self.days_star or self.weekdays_star:
            return dom and dow
        return dom or dow

    def next_runs(self, after: datetime, n: int = 5) -> list[datetime]:
        """Return the next `n` times (after `after`, local time) the line runs; fewer when it
        runs less often within 8 years (a 30 February never comes)."""
        out: list[datetime] = []
        day = after.date()
        times = sorted(clock(h, m) for h in self.hours for m in self.minutes)
        for _ in range(366 * 8):
            if self.runs_on(day):
                out += [t for t in (datetime.combine(day, c) for c in times) if t > after]
                if len(out) >= n:
                    return out[:n]
            day += timedelta(days=1)
        return out


def _field(text: str, name: str, lo: int, hi: int, names: tuple) -> set[int]:
    """Return the values a cron field allows; ValueError naming the field otherwise."""
    def value(v: str) -> int:
        if v.lower()[:3] in names and not v.isdigit():
            if len(v) != 3:
                raise ValueError(f"{name}: {v!r} is not a name cron knows (3 letters)")
            return names.index(v.lower()) + (1 if name == "month" else 0)
        if not v.isdigit():
            raise ValueError(f"{name}: {v!r} is not a number")
        x = int(v)
        if not lo <= x <= hi:
            raise ValueError(f"{name}: {x} is outside {lo}-{hi}")
        return x

    out: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) < 1:
                raise ValueError(f"{name}: step {step_text!r} is not a positive number")
            step = int(step_text)
        if base == "*":
            a, b = lo, hi
        elif "-" in base:
            left, _, right = base.partition("-")
            a, b = value(left), value(right)
            if a > b:
                raise ValueError(f"{name}: range {base} runs backwards")
        elif base:
            a = value(base)
            b = hi if step_text else a
        else:
            raise ValueError(f"{name}: empty value in {text!r}")
        out.update(range(a, b + 1, step))
    return out


def parse(line: str) -> Cron:
    """Return the Cron of a crontab line ('m h dom mon dow command' or '@weekly command');
    ValueError saying what is wrong."""
    text = line.strip()
    if not text or text.startswith("#"):
        raise ValueError("the line is empty or a comment")
    if text.startswith("@"):
        macro, _, command = text.partition(" ")
        if macro == "@reboot":
            raise ValueError("@reboot runs once at boot, not every week")
        if macro not in MACROS:
            raise ValueError(f"{macro} is not a cron macro ({', '.join(MACROS)})")
        fields, command = MACROS[macro].split(), command.strip()
    else:
        parts = text.split(None, 5)
        if len(parts) < 5:
            raise ValueError("a cron line has five time fields (minute hour day-of-month "
                             "month day-of-week) and then the command")
        fields, command = parts[:5], (parts[5] if len(parts) > 5 else "")
    if not command:
        raise ValueError("the line has no command after its five time fields")
    sets = [_field(f, *spec) for f, spec in zip(fields, _FIELDS, strict=True)]
    weekdays = {d % 7 for d in sets[4]}  # 7 is Sunday too
    return Cron(frozenset(sets[0]), frozenset(sets[1]), frozenset(sets[2]), frozenset(sets[3]),
                frozenset(weekdays), fields[2] == "*", fields[4] == "*", command)


def send_arguments(command: str) -> list[str] | None:
    """Return the arguments after `csm send` (or `python -m csm send`) in a shell command, up
    to the first shell operator; None when the command runs no `csm send`."""
    lex = shlex.shlex(command, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    try:
        words = list(lex)
    except ValueError:
        return None
    for i, w in enumerate(words[:-1]):
        if (w.rsplit("/", 1)[-1] == "csm" or w == "csm.cli") and words[i + 1] == "send":
            rest = words[i + 2:]
            ops = [j for j, x in enumerate(rest) if x and set(x) <= set("&|;<>()")]
            return rest[:ops[0]] if ops else rest
    return None


def latest_slot(now: datetime, weekday: int, at: clock) -> datetime:
    """Return the latest time not after `now` that falls on `weekday` (0 = Monday) at `at`."""
    day = now.date() - timedelta(days=(now.weekday() - weekday) % 7)
    slot = datetime.combine(day, at)
    return slot if slot <= now else slot - timedelta(days=7)


RETRY_AFTER = timedelta(minutes=15)


def run(deliver: Callable[[str], tuple[int, dict]], weekday: int, at: clock, once: bool,
        log: Callable[[str], None], week_of: Callable[[date], str],
        now: Callable[[], datetime] = datetime.now) -> tuple[int, list[dict]]:
    """The scheduler: at the latest due time (`weekday` at `at`, local time) deliver the pack
    of the week before it (`week_of(slot's day)`) unless the audit trail says it was sent
    (`deliver` is called with --unless-sent), then sleep until the next due time, or 15
    minutes after a failure. With `once`, one round. SIGINT/SIGTERM stop it after the round
    under way. Returns (exit code of the last round, each round's summary)."""
    stop: list[int] = []
    old = {s: signal.signal(s, lambda n, _f: stop.append(n))
           for s in (signal.SIGINT, signal.SIGTERM)}
    rounds: list[dict] = []
    code = 0
    try:
        while True:
            slot = latest_slot(now(), weekday, at)
            week = week_of(slot.date())
            log(f"due {slot:%a %Y-%m-%d %H:%M}: the pack of {week}")
            try:
                code, doc = deliver(week)
            except Exception as e:  # noqa: BLE001 - a long-running loop reports and retries
                log(f"the round failed: {e}")
                code, doc = 1, {"week": week, "error": str(e), "sent": [], "failed": [],
                                "skipped": []}
            rounds.append(doc)
            if once or stop:
                break
            wake = slot + timedelta(days=7) if code == 0 else now() + RETRY_AFTER
            log(f"next round at {wake:%a %Y-%m-%d %H:%M}")
            while not stop and now() < wake:
                time.sleep(0.2)
            if stop:
                break
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    return code, rounds
