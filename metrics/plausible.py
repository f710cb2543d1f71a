"""The plausible range of dates, one setting for the import, the pages' URLs and the CLI.

A date outside it (a five-digit year typed by mistake, year 1, `infinity`) is refused where it
enters: rejected at import with the range in the reason, refused in a URL or a `csm` option.
Stored data therefore never holds a date the periods, charts and Python's `date` cannot handle.
The range is `CSM_DATE_MIN` to `CSM_DATE_MAX` (ISO dates, both included), default 1900-01-01 to
2100-12-31.
"""

from __future__ import annotations

import os
from datetime import date, timedelta

DEFAULT_MIN = date(1900, 1, 1)
DEFAULT_MAX = date(2100, 12, 31)
SETTINGS = ("CSM_DATE_MIN", "CSM_DATE_MAX")


def _setting(name: str, default: date) -> date:
    """Return the date the environment variable `name` holds, or `default` when unset."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a date (use YYYY-MM-DD)") from None


def bounds() -> tuple[date, date]:
    """Return (first, last) plausible date, both included, from the settings; raises
    ValueError naming the setting when one is not a date or the range is empty."""
    lo, hi = _setting("CSM_DATE_MIN", DEFAULT_MIN), _setting("CSM_DATE_MAX", DEFAULT_MAX)
    if lo > hi:
        raise ValueError(f"CSM_DATE_MIN ({lo}) is after CSM_DATE_MAX ({hi})")
    return lo, hi


def describe() -> str:
    """Return the range as people read it: '1900-01-01 to 2100-12-31'."""
    lo, hi = bounds()
    return f"{lo.isoformat()} to {hi.isoformat()}"


def problem(d: date, *, exclusive_end: bool = False) -> str | None:
    """Return why `d` is refused ('outside the plausible range …'), or None when it is in it.
    `exclusive_end`: `d` ends a half-open window (`--to`), so the day after the last plausible
    date is allowed too (`--to 2101-01-01` asks for everything up to 2100-12-31)."""
    lo, hi = bounds()
    if lo <= d <= hi or (exclusive_end and d == hi + timedelta(days=1)):
        return None
    return (f"{d.isoformat()} is outside the plausible range of dates {describe()} "
            f"(settings {' and '.join(SETTINGS)})")
