"""What every preset is built from: the row it writes (`Out`), what its transform is given
(`Context`), the `Preset` itself, and the readers of the values vendors write (numbers with
thousands separators and currency signs, dates in ISO or a vendor's own format, Unix times,
the account column of an export that has several candidates)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from metrics.ingest.errors import LoadRefused
from metrics.ingest.validate import NULL_MARKERS

Problem = tuple[str, str | None, str]  # (canonical column, value as written, reason)

@dataclass
class Out:
    """One row of the copy: the original line it comes from, its values, its problems."""

    line: int
    values: dict[str, str | None]
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Context:
    """What a transform is given besides the rows: the file's headers (as written, and by key),
    the preset's options, the declared date format, the notes it adds for this file, and the
    store's tickets (a satisfaction rating's account is its ticket's)."""

    headers: list[str]
    options: dict[str, str]
    date_format: str | None = None
    notes: list[str] = field(default_factory=list)
    # the stored tickets' accounts by ticket id, read when called (None: no store at hand)
    tickets: Callable[[], dict[str, str]] | None = None

    @property
    def keys(self) -> dict[str, str]:
        """Return {header key: header as written} (see `key`)."""
        return {key(h): h for h in self.headers}


Rows = Iterable[tuple[int, dict[str, str]]]  # (original line, {header key: text})
Transform = Callable[[Rows, Context], Iterator[Out]]


@dataclass(frozen=True)
class Preset:
    """An export the import recognises: see the package docstring (metrics.ingest.presets)."""

    name: str
    label: str  # what the wizard says: "This looks like a {label}"
    table: str
    signatures: tuple[frozenset[str], ...]  # header keys; any one of them identifies the export
    transform: Transform
    columns: dict[str, str]  # canonical column -> where its value comes from (for the docs)
    notes: tuple[str, ...]
    source: str  # where the column list was taken from
    # option -> its values, the default first; () = any text, default none (a column's name)
    options: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # what an option of any text holds when it is not a column's name (for the docs)
    option_text: dict[str, str] = field(default_factory=dict)


def key(header: str) -> str:
    """Return the form headers are compared in: trimmed, lower-case, single spaces, without
    Stripe's " (UTC)" suffix ("Created (UTC)" -> "created")."""
    h = re.sub(r"\s+", " ", header.replace("\ufeff", "").strip().lower())
    return re.sub(r"\s*\(utc\)$", "", h)


_MARKERS = {m.upper() for m in NULL_MARKERS}


def _v(row: dict[str, str], *names: str) -> str | None:
    """Return the first non-empty value among the header keys `names`; empty text and the null
    markers (NA, N/A, NULL, -) count as no value."""
    for n in names:
        s = (row.get(n) or "").strip()
        if s and s.upper() not in _MARKERS:
            return s
    return None


_THOUSANDS = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?")


def _number(s: str | None) -> float | None:
    """Return the number a text holds ("1,200.50", "$33.00", "-2"), or None when it holds none.
    A comma is read only as a thousands separator: "1,5" (a decimal comma) is no number, so
    its row is rejected rather than read as 15."""
    if s is None:
        return None
    t = re.sub(r"^([-+]?)\s*[$€£]\s*", r"\1", s.strip())
    if "," in t:
        if not _THOUSANDS.fullmatch(t):
            return None
        t = t.replace(",", "")
    try:
        x = float(t)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _when(s: str | None, fmt: str | None, extra: tuple[str, ...] = ()) -> datetime | None:
    """Return a date/time text as a naive UTC datetime, or None when it does not parse. Tried in
    order: the declared format, ISO 8601 (an offset is converted; none means UTC, as DATA.md),
    then the preset's own formats."""
    if s is None:
        return None
    if fmt:
        try:
            return _utc(datetime.strptime(s, fmt))
        except ValueError:
            pass
    try:
        return _utc(datetime.fromisoformat(s.replace(" UTC", "")))
    except ValueError:
        pass
    for f in extra:
        try:
            return _utc(datetime.strptime(s, f))
        except ValueError:
            continue
    return None


def _utc(d: datetime) -> datetime:
    return d.astimezone(UTC).replace(tzinfo=None) if d.tzinfo else d


def _iso(d: datetime) -> str:
    return d.isoformat(sep=" ", timespec="seconds")


def _date_text(s: str | None, ctx: Context, extra: tuple[str, ...] = ()) -> str | None:
    """Return a date/time as ISO text in UTC, or the text as written when it does not parse (the
    import then rejects it with its own reason, or reads it with the declared format)."""
    d = _when(s, ctx.date_format, extra)
    return _iso(d) if d is not None else s


# --- shared by the survey and product analytics presets -------------------------------------

def _epoch_or_date(s: str | None, ctx: Context) -> str | None:
    """Return a Unix time in seconds (as the Delighted and Mixpanel APIs give) or a date/time
    text as ISO text in UTC; the text as written when it is neither."""
    if s is not None and re.fullmatch(r"\d{9,13}(\.\d+)?", s):
        t = float(s)
        t = t / 1000 if t >= 1e11 else t  # milliseconds (Mixpanel's import format)
        return _iso(datetime.fromtimestamp(t, UTC).replace(tzinfo=None))
    return _date_text(s, ctx)


def _account_columns(ctx: Context, candidates: tuple[str, ...]) -> tuple[str, ...]:
    """Return the header keys the account is read from, first non-empty wins: the `account`
    option's column (a header, in any case) alone, else the candidates the file has (none:
    the rows are rejected, see `_no_account`)."""
    keys = ctx.keys
    chosen = ctx.options.get("account") or ""
    if chosen:
        k = key(chosen)
        if k not in keys:
            raise LoadRefused(f"--preset-option account={chosen}: the file has no such column "
                              f"(its columns: {', '.join(ctx.headers)}).")
        return (k,)
    return tuple(c for c in candidates if c in keys)


def _no_account(ctx: Context, candidates: tuple[str, ...]) -> str:
    ctx.notes.append("No account column found (looked for: " + ", ".join(candidates)
                     + "); name one with --preset-option account=COLUMN.")
    return ("no account: the file has none of the columns " + ", ".join(candidates)
            + "; name the column with --preset-option account=COLUMN")

