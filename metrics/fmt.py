"""One formatter for people: numbers, money, rates, points, hours, dates and periods.

KPI cards, tables, chart labels and hovers, the weekly review's packs, exports' display columns
and the CLI's text output all call these, so a value reads the same on every surface. A unit is
one of `metrics.spec.UNITS`; an undefined value (None, NaN, NA) is "—".
"""

from __future__ import annotations

import math
from datetime import date, datetime

from metrics.spec import UNITS

DASH = "—"
# ASCII: Streamlit's st.metric reads a leading "-" of a delta as a fall (arrow and colour)
MINUS = "-"


def number(v) -> float | None:
    """Return `v` as a float, or None when it is missing, not a number or NaN."""
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def kind(unit: str) -> str:
    """Return the kind of a unit (rate, points, money, hours, count, …); 'number' when unknown."""
    return UNITS.get(unit, ("number", None, None))[0]


def _plain(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def _signed(text: str, x: float) -> str:
    # A change that rounds to zero has no sign: never "-0.0 h" or "+0.0 pp".
    if not any(ch in "123456789" for ch in text):
        return text
    return ("+" if x >= 0 else MINUS) + text


def _unsigned_zero(text: str) -> str:
    # A negative value that rounds to zero reads as zero: "0.0%", never "-0.0%".
    return text[1:] if text.startswith(("-", MINUS)) and rounds_to_zero(text) else text


def value(v, unit: str) -> str:
    """Return a value as people read it: 12.3%, 41.5 (NPS points), $1,234, 3.2 h, 12 d, 1,234
    (counts), 4.23 (scores below 10) or 67.3, 2.41 (ratios); '—' when undefined."""
    k = kind(unit)
    if k == "text":
        return DASH if v is None or v != v else str(v)
    if k == "date":
        return date_(v)
    if k == "flag":
        return DASH if v is None or v != v else ("yes" if bool(v) else "no")
    x = number(v)
    if x is None:
        return DASH
    if k == "rate":
        return _unsigned_zero(f"{x:.1%}")
    if k == "rate_change":
        return change(x, unit)
    if k == "points":
        return _unsigned_zero(f"{x:.1f}")
    if k == "money":
        return (MINUS if x < 0 else "") + f"${abs(x):,.0f}"
    if k == "hours":
        return f"{x:,.1f} h"
    if k == "days":
        return f"{x:,.0f} d"
    if k == "count":
        return (f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}")
    if k == "score":
        return _unsigned_zero(f"{x:.2f}" if abs(x) < 10 else f"{x:.1f}")
    if k == "ratio":
        return f"{x:,.2f}"
    return _plain(x)


def significant(v, digits: int = 4) -> str:
    """Return a model parameter with `digits` significant figures: 0.243, 4.414, 15.44,
    1.2e+06; '—' when undefined."""
    x = number(v)
    return DASH if x is None else f"{x:.{digits}g}"


def plural(n, noun: str, many: str | None = None) -> str:
    """Return a count with its noun in the right number: '1 account', '0 accounts',
    '1,234 accounts'; `many` is the plural when it is not `noun` + 's' ('1 reply', '2 replies');
    '— accounts' when the count is undefined."""
    x = number(n)
    word = noun if x == 1 else (many or noun + "s")
    if x is None:
        return f"{DASH} {word}"
    return f"{x:,.0f} {word}" if x.is_integer() else f"{x:,.1f} {word}"


def compact_money(v) -> str:
    """Return an amount of dollars rounded for a sentence: '$850', '$12k', '$1.2M' ('—' when
    undefined)."""
    x = number(v)
    if x is None:
        return DASH
    sign, a = (MINUS if x < 0 else ""), abs(x)
    if a >= 999_500:
        return f"{sign}${a / 1e6:,.1f}M".replace(".0M", "M")
    if a >= 1000:
        return f"{sign}${a / 1e3:,.0f}k"
    return f"{sign}${a:,.0f}"


def change(v, unit: str) -> str:
    """Return a difference of two values in the unit's terms: '+2.1 pp' (rates), '+2.1 pts'
    (NPS), '+$1,200', '+1.5 h', '+3' (counts), '+0.12' (scores); '—' when undefined."""
    x = number(v)
    if x is None:
        return DASH
    k = kind(unit)
    if k in ("rate", "rate_change"):
        return _signed(f"{abs(x) * 100:.1f} pp", x)
    if k == "points":
        return _signed(f"{abs(x):.1f} pts", x)
    if k == "money":
        return _signed(f"${abs(x):,.0f}", x)
    if k == "hours":
        return _signed(f"{abs(x):,.1f} h", x)
    if k == "days":
        return _signed(f"{abs(x):,.0f} d", x)
    if k == "score":
        return _signed(f"{abs(x):.2f}", x)
    if k == "ratio":
        return _signed(f"{abs(x):,.2f}", x)
    return _signed(_plain(abs(x)), x)


def rounds_to_zero(text: str | None) -> bool:
    """Return whether a formatted change shows no change at its precision ('0.0 pp', '$0'),
    so it is drawn without an arrow or a colour."""
    return text is not None and not any(ch in "123456789" for ch in text)


def relative(current, previous) -> str:
    """Return the change from `previous` to `current` as a share of `previous` ('+3.2%');
    '—' when either is undefined or `previous` is 0."""
    c, p = number(current), number(previous)
    if c is None or p is None or p == 0:
        return DASH
    r = (c - p) / abs(p)
    return _signed(f"{abs(r):.1%}", r)


def delta(current, previous, unit: str) -> str | None:
    """Return the change a KPI card shows beside a value: in the unit's terms for rates,
    points, scores, hours and days, else relative ('+3.2%'; a plain difference when previous is 0);
    None when either value is undefined."""
    c, p = number(current), number(previous)
    if c is None or p is None:
        return None
    # A score on a fixed scale (CES 1–7) changes by points of the scale, not by a share.
    if kind(unit) in ("rate", "rate_change", "points", "hours", "days", "score"):
        return change(c - p, unit)
    if p == 0:
        return change(c - p, unit)
    return relative(c, p)


def _as_date(v) -> date | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if hasattr(v, "to_pydatetime"):  # pandas Timestamp
        if v != v:  # NaT
            return None
        v = v.to_pydatetime()
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    try:
        return date.fromisoformat(str(v)[:10])
    except ValueError:
        return None


def date_(v) -> str:
    """Return a date as YYYY-MM-DD (unambiguous in every locale); '—' when missing."""
    d = _as_date(v)
    return DASH if d is None else d.isoformat()


def day(v) -> str:
    """Return a date for reading in a sentence: '30 Nov 2026'; '—' when missing."""
    d = _as_date(v)
    return DASH if d is None else f"{d.day} {d:%b %Y}"


def period(start, grain: str) -> str:
    """Return a period by its first day and grain: '30 Nov 2026', 'W48 2026' (ISO week),
    'Nov 2026', 'Q4 2026', '2026'; for grain 'all' the first day; '—' when missing."""
    d = _as_date(start)
    if d is None:
        return DASH
    if grain == "week":
        y, w, _ = d.isocalendar()
        return f"W{w:02d} {y}"
    if grain == "month":
        return f"{d:%b %Y}"
    if grain == "quarter":
        return f"Q{(d.month - 1) // 3 + 1} {d.year}"
    if grain == "year":
        return str(d.year)
    return day(d)


def span(start, end_exclusive) -> str:
    """Return a half-open range [start, end) as the days it covers: '23–29 Nov 2026',
    '28 Nov – 4 Dec 2026', '28 Dec 2026 – 3 Jan 2027'."""
    a, b = _as_date(start), _as_date(end_exclusive)
    if a is None or b is None:
        return DASH
    from datetime import timedelta

    last = b - timedelta(days=1)
    if last <= a:
        return day(a)
    if (a.year, a.month) == (last.year, last.month):
        return f"{a.day}–{last.day} {last:%b %Y}"
    if a.year == last.year:
        return f"{a.day} {a:%b} – {last.day} {last:%b %Y}"
    return f"{day(a)} – {day(last)}"


def d3(unit: str) -> dict:
    """Return Plotly axis settings that format ticks in the unit (d3 format strings)."""
    k = kind(unit)
    if k in ("rate", "rate_change"):
        return {"tickformat": ".0%"}
    if k == "money":
        return {"tickprefix": "$", "tickformat": ",.0f"}
    if k == "count":
        return {"tickformat": ",d"}
    return {}


def hover(unit: str) -> str:
    """Return the d3 format of a value in a Plotly hover template (`%{y:FORMAT}`)."""
    k = kind(unit)
    if k in ("rate", "rate_change"):
        return ".1%"
    if k == "money":
        return "$,.0f"
    if k in ("points", "hours"):
        return ".1f"
    if k == "count":
        return ",.0f"
    return ",.2f"
