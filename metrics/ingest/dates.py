"""Proposing a date format for a file whose dates are not ISO 8601 ("12/1/2010 8:26")."""

from __future__ import annotations

from datetime import datetime

# Common export formats, tried in this order; day-first and month-first forms of the same
# layout are told apart only by values whose first or second number is above 12.
CANDIDATES = (
    "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M %p", "%m/%d/%Y",
    "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y",
    "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d-%m-%Y %H:%M", "%d-%m-%Y", "%m-%d-%Y",
    "%Y/%m/%d %H:%M", "%Y/%m/%d", "%d %b %Y", "%b %d, %Y", "%d-%b-%Y", "%m/%d/%y", "%d/%m/%y",
)


def _parses(fmt: str, value: str) -> bool:
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def propose(values: list[str]) -> dict:
    """Return {format, sample, parsed} for the one candidate format under which every value
    parses, {ambiguous: [formats]} when several do (e.g. 3/4/2024: March or April), or {}
    when none does (or there are no values)."""
    values = [v.strip() for v in values if v and v.strip()]
    if not values:
        return {}
    fits = [f for f in CANDIDATES if all(_parses(f, v) for v in values)]
    if not fits:
        return {}
    # The same layout with and without a time can both fit only if no value has a time.
    if len(fits) > 1:
        return {"ambiguous": fits}
    fmt = fits[0]
    return {"format": fmt, "sample": values[0],
            "parsed": datetime.strptime(values[0], fmt).isoformat(sep=" ")}
