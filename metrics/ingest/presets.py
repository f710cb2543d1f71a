"""Presets: vendors' exports recognised by their header and loaded with no manual mapping.

A preset knows one export (Zendesk tickets, Stripe subscriptions, ...): the header signature
that identifies it (a set of columns, matched case-insensitively, extra columns tolerated), the
canonical table it loads, and a row transform that writes a CSV copy under the canonical column
names. The copy then goes through the same import as any CSV (mapping, validation, reject report,
one transaction, the load record), like the CSV copy formats.py writes for a workbook.

What the transform cannot turn into a canonical value is never dropped: it becomes a problem of
its row (column, value, reason), reported and rejected like the schema's own problems, at the
line of the original file where the record starts.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from metrics.ingest import formats, read
from metrics.ingest.errors import LoadRefused
from metrics.ingest.mapping import norm
from metrics.ingest.validate import NULL_MARKERS
from metrics.schema import TABLES

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
    the preset's options, the declared date format, and the notes it adds for this file."""

    headers: list[str]
    options: dict[str, str]
    date_format: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def keys(self) -> dict[str, str]:
        """Return {header key: header as written} (see `key`)."""
        return {key(h): h for h in self.headers}


Rows = Iterable[tuple[int, dict[str, str]]]  # (original line, {header key: text})
Transform = Callable[[Rows, Context], Iterator[Out]]


@dataclass(frozen=True)
class Preset:
    """An export the import recognises: see the module docstring."""

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


# --- Zendesk tickets ------------------------------------------------------------------------

_ZD_SATISFACTION = {"good": "satisfied", "bad": "not satisfied", "offered": "no rating",
                    "not offered": "no rating", "unoffered": "no rating"}


def _zendesk(rows: Rows, ctx: Context) -> Iterator[Out]:
    """Zendesk's CSV ticket export -> tickets (see the preset's notes)."""
    lists = [h for h in ctx.headers if h.strip().endswith("[list]")]
    if lists:
        ctx.notes.append("Custom fields in this file, not loaded: " + ", ".join(lists) + ".")
    ratings: dict[str, int] = {}
    for line, r in rows:
        problems: list[Problem] = []
        created_raw = _v(r, "created at")
        created = _when(created_raw, ctx.date_format)
        first = None
        minutes_raw = _v(r, "first reply time in minutes")
        if minutes_raw is not None:
            minutes = _number(minutes_raw)
            if minutes is None or minutes < 0:
                problems.append(("first_response_at", minutes_raw,
                                 f"First reply time in minutes {minutes_raw!r} is not a "
                                 "number of minutes >= 0"))
            elif created is not None:
                first = _iso(created + timedelta(minutes=minutes))
        reopens_raw = _v(r, "reopens")
        reopens = _number(reopens_raw)
        if reopens_raw is not None and reopens is None:
            problems.append(("reopened", reopens_raw, f"Reopens {reopens_raw!r} is not a count"))
        sat = (_v(r, "satisfaction score") or "").lower()
        if sat:  # counted for the notes: an unknown value shows there as "unknown"
            kind = _ZD_SATISFACTION.get(sat, "unknown")
            ratings[kind] = ratings.get(kind, 0) + 1
        yield Out(line, {
            "ticket_id": _v(r, "id", "ticket id"),
            "account_id": _v(r, "organization"),
            "created_at": _iso(created) if created is not None else created_raw,
            "first_response_at": first,
            "resolved_at": _date_text(_v(r, "solved at"), ctx),
            "contacts": _v(r, "replies"),
            "reopened": None if reopens is None else ("true" if reopens > 0 else "false"),
            "channel": _v(r, "via"),
            "priority": _v(r, "priority"),
        }, problems)
    if ratings:
        ctx.notes.append("Satisfaction Score in this file (not stored): " + ", ".join(
            f"{k} {n}" for k, n in sorted(ratings.items())) + ".")


# --- Stripe subscriptions -------------------------------------------------------------------

_STRIPE_NEVER_PAID = {"incomplete", "incomplete_expired"}


def _stripe(rows: Rows, ctx: Context) -> Iterator[Out]:
    """Stripe's subscriptions export (Dashboard CSV) -> subscriptions (see the notes)."""
    for line, r in rows:
        problems: list[Problem] = []
        status = (_v(r, "status") or "").lower()
        interval_raw = _v(r, "plan interval", "interval")
        interval = (interval_raw or "month").lower()
        count_raw = _v(r, "plan interval count", "interval count")
        count = _number(count_raw) if count_raw else 1.0
        amount_raw = _v(r, "amount", "plan amount")
        amount = _number(amount_raw)
        qty_raw = _v(r, "quantity")
        qty = _number(qty_raw) if qty_raw is not None else 1.0
        # Text that is not a number goes through as written: the import rejects it ("not a
        # number"), like any CSV's.
        mrr: str | None = amount_raw
        if qty is None:
            problems.append(("mrr", qty_raw, f"Quantity {qty_raw!r} is not a number"))
        elif not count or count <= 0:
            problems.append(("billing_period", count_raw,
                             f"Interval count {count_raw!r} is not a whole number >= 1"))
        elif interval not in ("month", "year"):
            problems.append(("billing_period", interval_raw,
                             f"Plan Interval {interval_raw!r}: only month and year intervals "
                             "have a monthly amount here (day and week are not converted)"))
        elif amount is not None:
            # Amount is per unit, in major units (33.00 = $33); every `count` intervals.
            mrr = f"{amount * qty / count:.4f}"
        start_raw = _v(r, "start date", "start", "created")
        start = _when(start_raw, ctx.date_format)
        trial_end = _when(_v(r, "trial end"), ctx.date_format)
        ended_raw = _v(r, "ended at") or (_v(r, "canceled at") if status == "canceled" else None)
        ended = _when(ended_raw, ctx.date_format)
        # A trial earns nothing: the paid period starts when the trial ends.
        trial = start is not None and trial_end is not None and trial_end > start
        if trial:
            start = trial_end
        if status in _STRIPE_NEVER_PAID:
            problems.append(("start_date", status,
                             f"status {status}: the first payment never succeeded, so the "
                             "subscription has no paid period"))
        elif trial and ended is not None and start is not None and ended <= start:
            problems.append(("end_date", ended_raw,
                             "ended before its trial did: the subscription has no paid period"))
        yield Out(line, {
            "account_id": _v(r, "customer id", "customer"),
            "start_date": _iso(start) if start is not None else start_raw,
            "end_date": _iso(ended) if ended is not None else ended_raw,
            "mrr": mrr,
            "plan": _v(r, "plan", "product", "plan name"),
            "billing_period": interval if interval in ("month", "year") else interval_raw,
        }, problems)


# --- UCI Online Retail ----------------------------------------------------------------------

_RETAIL_DATES = ("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%y %H:%M")


def _customer(s: str | None) -> str | None:
    """Return a customer number without the ".0" a float column gives it ("17850.0")."""
    if s is not None and re.fullmatch(r"\d+\.0+", s):
        return s.split(".")[0]
    return s


def _retail(rows: Rows, ctx: Context) -> Iterator[Out]:
    """UCI Online Retail invoice lines -> one order per invoice (see the notes)."""
    drop = ctx.options.get("cancellations") == "drop"
    invoices: dict[str, Out] = {}
    totals: dict[str, float] = {}
    dropped = 0
    n_lines = 0
    for line, r in rows:
        n_lines += 1
        inv = _v(r, "invoiceno", "invoice")
        if inv is None:
            # No invoice to group it under: the line becomes its own order, rejected.
            yield Out(line, {"order_id": None, "account_id": _customer(_v(r, "customerid",
                             "customer id")), "ordered_at": None, "amount": None},
                      [("order_id", None, "InvoiceNo is empty: the line belongs to no invoice")])
            continue
        cancel = inv.upper().startswith("C")
        if cancel and drop:
            dropped += 1
            continue
        qty_raw, price_raw = _v(r, "quantity"), _v(r, "unitprice", "price")
        qty, price = _number(qty_raw), _number(price_raw)
        o = invoices.get(inv)
        if o is None:
            o = invoices[inv] = Out(line, {
                "order_id": inv,
                "account_id": _customer(_v(r, "customerid", "customer id")),
                "ordered_at": _date_text(_v(r, "invoicedate"), ctx, _RETAIL_DATES),
                "amount": None,
            })
            totals[inv] = 0.0
        cust = _customer(_v(r, "customerid", "customer id"))
        if cust != o.values["account_id"]:
            o.problems.append(("account_id", cust, f"line {line}: CustomerID {cust!r} differs "
                               f"from the invoice's first line ({o.values['account_id']!r})"))
        if qty is None or price is None:
            bad, what = (qty_raw, "Quantity") if qty is None else (price_raw, "UnitPrice")
            o.problems.append(("amount", bad, f"line {line}: {what} {bad!r} is not a number"))
            continue
        totals[inv] += qty * price
    for inv, o in invoices.items():
        total = round(totals[inv], 2)
        # A cancellation is a refund: negative, whatever the sign its lines were written with.
        o.values["amount"] = f"{-abs(total) if inv.upper().startswith('C') else total:.2f}"
        yield o
    ctx.notes.append(f"{n_lines} invoice lines became {len(invoices)} orders (one per "
                     "invoice: quantity x unit price summed; a row of the load is an invoice).")
    if dropped:
        ctx.notes.append(f"{dropped} cancellation lines (invoices starting with C) left out "
                         "(cancellations=drop).")


# --- CRM accounts (HubSpot, Salesforce) -----------------------------------------------------

def _accounts(fields: dict[str, tuple[str, ...]], date_formats: tuple[str, ...] = ()) -> Transform:
    """Return a transform for a CRM accounts export: `fields` maps each canonical column to the
    header keys it is read from (first present wins); every other column is kept under its
    header as written, as a custom attribute."""
    cols = TABLES["accounts"].column_names

    def run(rows: Rows, ctx: Context) -> Iterator[Out]:
        used = {k for names in fields.values() for k in names}
        by_key = ctx.keys
        # A column named like a canonical column the preset does not map still loads into it.
        same = {norm(h): k for k, h in by_key.items() if k not in used and norm(h) in cols}
        extra = [(k, h) for k, h in by_key.items()
                 if k not in used and norm(h) not in cols and h]
        for line, r in rows:
            vals: dict[str, str | None] = {}
            for c in cols:
                names = fields.get(c, ()) + ((same[c],) if c in same else ())
                v = _v(r, *names)
                if c in ("signup_date", "churn_date", "renewal_date"):
                    v = _date_text(v, ctx, date_formats)
                vals[c] = v
            for k, h in extra:
                vals[h] = (r.get(k) or "").strip() or None
            yield Out(line, vals)

    return run


_HUBSPOT = {
    "account_id": ("record id",), "name": ("company name",),
    "signup_date": ("create date",), "csm_owner": ("company owner",),
    "industry": ("industry",), "lifecycle_stage": ("lifecycle stage",),
    "region": ("country/region", "country"),
}
_SALESFORCE = {
    "account_id": ("account id", "id"), "name": ("account name", "name"),
    "signup_date": ("created date", "createddate"),
    "csm_owner": ("account owner", "ownerid", "owner id"),
    "industry": ("industry",), "segment": ("type", "account type"),
    "region": ("billing country", "billingcountry"),
}
# Reports are exported with the user's locale; a US report writes 4/12/2023 (month first).
_CRM_DATES = ("%m/%d/%Y", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M")


# --- Intercom conversations ------------------------------------------------------------------

# Message types that mean a closed conversation was opened again.
_IC_REOPEN = {"open", "assign_and_reopen"}


def _intercom(rows: Rows, ctx: Context) -> Iterator[Out]:
    """An Intercom conversation export (conversation or message entries) -> one ticket per
    conversation (see the notes)."""
    convs: dict[str, Out] = {}
    replies: dict[str, int] = {}
    reopened: set[str] = set()
    transcripts = False  # message entries (one row per message) rather than one per conversation
    for line, r in rows:
        cid = _v(r, "conversation_id")
        if cid is None:
            yield Out(line, {"ticket_id": None}, [("ticket_id", None, "conversation_id is "
                                                   "empty: the row belongs to no conversation")])
            continue
        mtype = (_v(r, "message_type") or "").lower()
        author = (_v(r, "message_author_type") or "").lower()
        companies = _v(r, "message_author_companies")
        o = convs.get(cid)
        if o is None:
            o = convs[cid] = Out(line, {
                "ticket_id": cid, "account_id": None,
                "created_at": _date_text(_v(r, "conversation_created_at"), ctx),
                "first_response_at": _date_text(_v(r, "conversation_first_response_at"), ctx),
                "resolved_at": _date_text(_v(r, "conversation_closed_at"), ctx),
                "contacts": None, "reopened": None, "channel": None, "priority": None})
            replies[cid] = 0
        transcripts = transcripts or mtype not in ("", "conversation_message")
        # The account is the customer's company: the first listed by a non-teammate author.
        if o.values["account_id"] is None and companies and author not in ("admin", "bot"):
            o.values["account_id"] = companies.split(",")[0].strip() or None
        if author == "admin" and mtype == "comment":
            replies[cid] += 1
        if mtype in _IC_REOPEN:
            reopened.add(cid)
    for cid, o in convs.items():
        if transcripts:  # replies and reopens are known only from message entries
            o.values["contacts"] = str(replies[cid])
            o.values["reopened"] = "true" if cid in reopened else "false"
        yield o
    ctx.notes.append(f"{len(convs)} conversations"
                     + (" from message entries: teammate comments counted as replies, "
                        "open / assign_and_reopen as reopens." if transcripts
                        else " (conversation entries: replies and reopens unknown)."))


# --- survey tools --------------------------------------------------------------------------

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


_DL_ACCOUNT = ("person_properties.account_id", "person_properties.account id",
               "person_properties.company_id", "person_properties.company",
               "person_properties.account", "account_id", "company")


def _delighted(rows: Rows, ctx: Context) -> Iterator[Out]:
    """Delighted survey responses (the API's fields; JSON lines flattened) -> survey_responses."""
    acc = _account_columns(ctx, _DL_ACCOUNT)
    why = None if acc else _no_account(ctx, _DL_ACCOUNT)
    for line, r in rows:
        problems: list[Problem] = []
        account = _v(r, *acc)
        if account is None and why:
            problems.append(("account_id", None, why))
        yield Out(line, {
            "response_id": _v(r, "id"), "account_id": account,
            "respondent": _v(r, "person_properties.email", "email", "person"),
            "survey_type": _v(r, "survey_type") or "nps", "score": _v(r, "score"),
            "scale": None, "comment": _v(r, "comment"),
            "responded_at": _epoch_or_date(_v(r, "created_at"), ctx),
            "touchpoint": _v(r, "person_properties.touchpoint", "touchpoint"),
        }, problems)


_QX_ACCOUNT = ("account_id", "accountid", "account", "company_id", "externalreference")


def _qualtrics(rows: Rows, ctx: Context) -> Iterator[Out]:
    """A Qualtrics response export (CSV, three header rows) -> survey_responses (NPS)."""
    keys = ctx.keys
    groups = [k for k in keys if k.endswith("_nps_group") and k[: -len("_nps_group")] in keys]
    if not groups:
        raise LoadRefused("this Qualtrics export has no NPS question (a column QID with its "
                          "QID_NPS_GROUP); the preset reads NPS answers only.")
    score_key = groups[0][: -len("_nps_group")]
    comment_key = key(ctx.options.get("comment") or "") or None
    if comment_key and comment_key not in keys:
        raise LoadRefused(f"--preset-option comment={ctx.options['comment']}: the file has no "
                          "such column.")
    acc = _account_columns(ctx, _QX_ACCOUNT)
    why = None if acc else _no_account(ctx, _QX_ACCOUNT)
    ctx.notes.append(f"The NPS answer is column {keys[score_key]}"
                     + (f"; the comment is {keys[comment_key]}." if comment_key else
                        "; no comment column (--preset-option comment=QID names one)."))
    zone = None
    skipped = 0
    for line, r in rows:
        rid = _v(r, "responseid") or ""
        # Qualtrics writes two more header rows: the question texts, then ImportId JSON that
        # names the time zone of the dates.
        if rid == "Response ID" or rid.startswith("{"):
            skipped += 1
            if rid.startswith("{"):
                m = re.search(r'"timeZone"\s*:\s*"([^"]+)"', r.get("recordeddate", ""))
                zone = m.group(1) if m else zone
            continue
        problems: list[Problem] = []
        account = _v(r, *acc)
        if account is None and why:
            problems.append(("account_id", None, why))
        yield Out(line, {
            "response_id": rid or None, "account_id": account,
            "respondent": _v(r, "recipientemail"), "survey_type": "nps",
            "score": _v(r, score_key), "scale": None,
            "comment": _v(r, comment_key) if comment_key else None,
            "responded_at": _zoned(_v(r, "recordeddate", "enddate"), zone, ctx),
            "touchpoint": _v(r, "distributionchannel"),
        }, problems)
    ctx.notes.append(f"{skipped} header rows after the first skipped (question texts, ImportId)"
                     + (f"; dates read in {zone} and converted to UTC." if zone else "."))


def _zoned(s: str | None, zone: str | None, ctx: Context) -> str | None:
    """Return a date/time written in time zone `zone` (an IANA name; None = UTC) as ISO UTC."""
    d = _when(s, ctx.date_format)
    if d is None:
        return s
    if zone:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            d = d.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC).replace(tzinfo=None)
        except ZoneInfoNotFoundError:
            pass
    return _iso(d)


# --- product analytics (JSON lines) ----------------------------------------------------------

_MP_ACCOUNT = ("properties.account_id", "properties.company_id", "properties.$group_id",
               "properties.company", "properties.org_id")


def _mixpanel(rows: Rows, ctx: Context) -> Iterator[Out]:
    """Mixpanel raw export events (JSON lines, flattened) -> usage_events."""
    acc = _account_columns(ctx, _MP_ACCOUNT)
    why = None if acc else _no_account(ctx, _MP_ACCOUNT)
    for line, r in rows:
        account = _v(r, *acc)
        yield Out(line, {
            "account_id": account, "user_id": _v(r, "properties.distinct_id"),
            "occurred_at": _epoch_or_date(_v(r, "properties.time"), ctx),
            "feature": _v(r, "event"), "duration_seconds": _v(r, "properties.$duration",
                                                               "properties.duration"),
        }, [("account_id", None, why)] if account is None and why else [])


_SEG_ACCOUNT = ("context.groupid", "groupid", "properties.account_id", "context.traits.account_id",
                "context.traits.company_id", "properties.company_id")
_SEG_EVENTS = {"track", "page", "screen"}


def _segment(rows: Rows, ctx: Context) -> Iterator[Out]:
    """Segment messages (JSON lines, flattened) -> usage_events: track, page and screen calls."""
    acc = _account_columns(ctx, _SEG_ACCOUNT)
    why = None if acc else _no_account(ctx, _SEG_ACCOUNT)
    other: dict[str, int] = {}
    for line, r in rows:
        kind = (_v(r, "type") or "").lower()
        if kind and kind not in _SEG_EVENTS:
            # identify / group / alias calls describe people and accounts, not usage.
            other[kind] = other.get(kind, 0) + 1
            continue
        account = _v(r, *acc)
        feature = _v(r, "event") if kind in ("track", "") else _v(r, "name") or kind
        yield Out(line, {
            "account_id": account, "user_id": _v(r, "userid", "anonymousid"),
            "occurred_at": _date_text(_v(r, "timestamp", "originaltimestamp"), ctx),
            "feature": feature, "duration_seconds": None,
        }, [("account_id", None, why)] if account is None and why else [])
    if other:
        ctx.notes.append("Not usage events, left out: " + ", ".join(
            f"{n} {k} call{'s' if n != 1 else ''}" for k, n in sorted(other.items())) + ".")


# --- the registry ---------------------------------------------------------------------------

PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset(
        "zendesk_tickets", "Zendesk tickets export", "tickets",
        (frozenset({"id", "created at", "organization", "first reply time in minutes"}),),
        _zendesk,
        {"ticket_id": "Id", "account_id": "Organization", "created_at": "Created at",
         "first_response_at": "Created at + First reply time in minutes",
         "resolved_at": "Solved at", "contacts": "Replies", "reopened": "Reopens > 0",
         "channel": "Via", "priority": "Priority"},
        ("First reply time in minutes (calendar minutes) becomes first_response_at = Created "
         "at + that many minutes; empty = no reply yet.",
         "Organization is the account: a ticket without one is rejected (required account_id).",
         "Satisfaction Score is not stored (tickets have no rating column): Good = satisfied, "
         "Bad = not satisfied, Offered / Not Offered = no rating; the file's counts are noted.",
         "Custom fields (\"Name [list]\") and the other columns are not loaded: the tickets "
         "table keeps no extra columns.",
         "Times with an offset are converted to UTC; without one they are taken as UTC."),
        "Zendesk CSV ticket export (Admin Center > Account > Tools > Reports > Export, "
        "https://support.zendesk.com/hc/en-us/articles/4408886165402); the column names as "
        "public scripts that write or read that export list them: Id, Requester, Subject, "
        "Status, Priority, Via, Created at, Organization, Solved at, Satisfaction Score, "
        "Reopens, Replies, First reply time in minutes, ..., "
        "custom fields as \"Name [list]\"",
    ),
    Preset(
        "stripe_subscriptions", "Stripe subscriptions export", "subscriptions",
        (frozenset({"id", "customer id", "status", "current period start",
                    "current period end"}),),
        _stripe,
        {"account_id": "Customer ID", "start_date": "Start (or Trial End after a trial)",
         "end_date": "Ended At (or Canceled At when canceled)",
         "mrr": "Amount x Quantity / Interval Count", "plan": "Plan",
         "billing_period": "Plan Interval (month or year)"},
        ("Amount is in major units (33.00 = $33) per unit: mrr = Amount x Quantity; a yearly "
         "plan (Plan Interval year) is divided by 12 by the import (billing_period year).",
         "Trials earn nothing: the paid period starts at Trial End; a subscription that ended "
         "before its trial did, or whose status is incomplete / incomplete_expired, has no paid "
         "period and is rejected with that reason.",
         "end_date is Ended At, else Canceled At for a canceled subscription; empty = active.",
         "Day and week intervals are rejected (no monthly amount is invented)."),
        "Stripe Dashboard subscriptions CSV export (Billing > Subscriptions > Export), no "
        "Stripe page listing them was found: id, "
        "Customer ID, Customer Email, Plan, Quantity, Amount, Plan Interval, Status, "
        "Created (UTC), Start (UTC), Current Period Start (UTC), Current Period End (UTC), "
        "Trial Start (UTC), Trial End (UTC), Canceled At (UTC), Ended At (UTC); the columns "
        "as public importers of that file read them (\"... (UTC)\" suffix ignored)",
    ),
    Preset(
        "online_retail", "UCI Online Retail invoice file", "orders",
        (frozenset({"invoiceno", "stockcode", "quantity", "invoicedate", "unitprice",
                    "customerid"}),
         frozenset({"invoice", "stockcode", "quantity", "invoicedate", "price",
                    "customer id"})),
        _retail,
        {"order_id": "InvoiceNo", "account_id": "CustomerID (without .0)",
         "ordered_at": "InvoiceDate (month first, 12/1/2010 8:26, or ISO)",
         "amount": "sum of Quantity x UnitPrice over the invoice's lines"},
        ("One order per invoice: amount = the sum of Quantity x UnitPrice of its lines; the "
         "reject report names the invoice's first line (and the line of a bad value).",
         "Invoices starting with C are cancellations, loaded as refunds (negative amounts); "
         "--preset-option cancellations=drop leaves them out, counted in the notes.",
         "An invoice without CustomerID is rejected (required account_id): about a quarter of "
         "the UCI lines have none; --allow-rejects loads the others.",
         "InvoiceDate is read month first (12/1/2010 = 1 December 2010, as the UCI CSV copies "
         "write it) unless --date-format says otherwise."),
        "UCI Machine Learning Repository, Online Retail "
        "(https://archive.ics.uci.edu/ml/datasets/online+retail; variables as documented by "
        "the CRAN onlineretail package: InvoiceNo, StockCode, Description, Quantity, "
        "InvoiceDate, UnitPrice, CustomerID, Country); Online Retail II names: Invoice, Price, "
        "Customer ID",
        {"cancellations": ("refund", "drop")},
    ),
    Preset(
        "hubspot_companies", "HubSpot companies export", "accounts",
        (frozenset({"record id", "company name", "create date"}),),
        _accounts(_HUBSPOT),
        {"account_id": "Record ID", "name": "Company name", "signup_date": "Create Date",
         "csm_owner": "Company owner", "industry": "Industry",
         "lifecycle_stage": "Lifecycle Stage", "region": "Country/Region"},
        ("Every other column (Annual Revenue, City, Phone Number, ...) is kept as a custom "
         "attribute under its header.",
         "Create Date is the customer-since date (signup_date)."),
        "HubSpot companies export (CRM > Companies > Export): the column labels of the "
        "default company properties as the export writes them (Record ID, Company name, "
        "Company owner, Create Date, Phone Number, Last Activity Date, City, Country/Region, "
        "Industry, Annual Revenue, Lifecycle Stage); HubSpot documents the properties by "
        "internal name (https://developers.hubspot.com/docs/api/crm/companies), not this "
        "list of labels",
    ),
    Preset(
        "salesforce_accounts", "Salesforce accounts export", "accounts",
        (frozenset({"account id", "account name", "created date"}),
         frozenset({"id", "name", "ownerid", "createddate"})),
        _accounts(_SALESFORCE, _CRM_DATES),
        {"account_id": "Account ID / Id", "name": "Account Name / Name",
         "signup_date": "Created Date / CreatedDate", "csm_owner": "Account Owner / OwnerId",
         "industry": "Industry", "segment": "Type",
         "region": "Billing Country / BillingCountry"},
        ("Reads a report export (field labels: Account ID, Account Name, Account Owner, "
         "Created Date, ...) and a data export (API names: Id, Name, OwnerId, CreatedDate, ...).",
         "Every other column is kept as a custom attribute under its header.",
         "A report's dates are read month first (4/12/2023, a US locale) unless "
         "--date-format says otherwise; a data export's are ISO 8601."),
        "Salesforce Account object fields (Object Reference: Id, Name, OwnerId, CreatedDate, "
        "Industry, Type, BillingCountry, AnnualRevenue; "
        "https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/"
        "object_reference/sforce_api_objects_account.htm) and their labels in report exports",
    ),
    Preset(
        "intercom_conversations", "Intercom conversations export", "tickets",
        (frozenset({"conversation_id", "conversation_created_at",
                    "conversation_first_response_at"}),),
        _intercom,
        {"ticket_id": "conversation_id", "account_id": "message_author_companies (the first "
         "company of the customer's message)", "created_at": "conversation_created_at",
         "first_response_at": "conversation_first_response_at",
         "resolved_at": "conversation_closed_at",
         "contacts": "teammate comments (message entries)",
         "reopened": "an open / assign_and_reopen message (message entries)"},
        ("One ticket per conversation_id, from conversation entries or message entries (one "
         "row per message; the report names the conversation's first line).",
         "The account is the first company listed for the customer (a lead or user author); a "
         "conversation without one is rejected (required account_id).",
         "Times are UTC, as the export writes them."),
        "Intercom conversation export columns as documented by the Intercom Export app "
        "(https://www.prodsight.ai/help-sub/intercomexport-help-center/getting-started/"
        "what-does-the-intercom-conversation-export-contain): message_id, message_type, "
        "message_created_at, message_author_type, message_author_email, "
        "message_author_companies, conversation_id, conversation_state, "
        "conversation_created_at, conversation_first_response_at, conversation_closed_at",
    ),
    Preset(
        "delighted_responses", "Delighted survey responses export", "survey_responses",
        (frozenset({"person", "survey_type", "score", "permalink"}),),
        _delighted,
        {"response_id": "id", "account_id": "person_properties.account_id / .company_id / "
         ".company (or --preset-option account=COLUMN)",
         "respondent": "person_properties.email, else person", "survey_type": "survey_type",
         "score": "score", "comment": "comment", "responded_at": "created_at (Unix seconds)",
         "touchpoint": "person_properties.touchpoint"},
        ("Reads the API's survey responses as JSON lines (person_properties flattened to "
         "person_properties.NAME) or as CSV with the same names.",
         "The account comes from a person property (account_id, company_id, company) or the "
         "column named by --preset-option account=COLUMN; a response without one is rejected.",
         "Scores keep their survey type's scale: nps 0-10, csat 1-5, ces 1-7; other types "
         "(smileys, thumbs, enps, pmf) are rejected by the survey_type rule."),
        "Delighted API, survey response object (http://delightedapp.com/docs/api/"
        "listing-survey-responses): id, person, survey_type, score, comment, permalink, "
        "created_at, updated_at, person_properties, notes, tags, additional_answers",
        {"account": ()},
    ),
    Preset(
        "qualtrics_nps", "Qualtrics survey export (NPS)", "survey_responses",
        (frozenset({"startdate", "enddate", "responseid", "recordeddate"}),),
        _qualtrics,
        {"response_id": "ResponseId", "account_id": "an embedded data field account_id / "
         "AccountId / company_id, else ExternalReference (or --preset-option account=COLUMN)",
         "respondent": "RecipientEmail", "score": "the QID whose QID_NPS_GROUP column exists",
         "comment": "--preset-option comment=QID", "responded_at": "RecordedDate",
         "touchpoint": "DistributionChannel"},
        ("The NPS question is the column QID that has a QID_NPS_GROUP beside it (Qualtrics "
         "adds it to NPS questions); the score is 0-10.",
         "The two header rows after the first (question texts, ImportId JSON) are skipped; the "
         "time zone named in the ImportId row is used for the dates, converted to UTC.",
         "The account is an embedded data field (account_id, AccountId, account, company_id) "
         "or ExternalReference; a response without one is rejected."),
        "Qualtrics CSV response export (three header rows: ids, question texts, ImportId "
        "JSON): StartDate, EndDate, Status, IPAddress, Progress, Duration (in seconds), "
        "Finished, RecordedDate, ResponseId, RecipientLastName, RecipientFirstName, "
        "RecipientEmail, ExternalReference, LocationLatitude, LocationLongitude, "
        "DistributionChannel, UserLanguage, then the questions (an NPS question QID with "
        "QID_NPS_GROUP) and embedded data; the list as public code reading these exports "
        "declares it (e.g. a BigQuery schema of a Qualtrics NPS survey), no Qualtrics page "
        "was checked",
        {"account": (), "comment": ()},
    ),
    Preset(
        "mixpanel_events", "Mixpanel raw event export", "usage_events",
        (frozenset({"event", "properties.time", "properties.distinct_id"}),),
        _mixpanel,
        {"account_id": "properties.account_id / .company_id / .$group_id / .company (or "
         "--preset-option account=COLUMN)", "user_id": "properties.distinct_id",
         "occurred_at": "properties.time (Unix seconds, or milliseconds)",
         "feature": "event", "duration_seconds": "properties.$duration"},
        ("Reads the raw export's JSON lines (properties flattened to properties.NAME).",
         "The account is a group key property (account_id, company_id, $group_id, company) or "
         "the column named by --preset-option account=COLUMN; an event without one is "
         "rejected.",
         "properties.time is read as UTC (projects created before 2023 may export it in the "
         "project's time zone)."),
        "Mixpanel Raw Event Export API (https://developer.mixpanel.com/reference-link/export, "
        "https://docs.mixpanel.com/docs/export-methods): one JSON object a line, "
        "{\"event\": ..., \"properties\": {\"time\", \"distinct_id\", \"$insert_id\", ...}}",
        {"account": ()},
    ),
    Preset(
        "segment_events", "Segment event export", "usage_events",
        (frozenset({"type", "messageid", "timestamp"}),),
        _segment,
        {"account_id": "context.groupId / properties.account_id / context.traits.account_id "
         "(or --preset-option account=COLUMN)", "user_id": "userId, else anonymousId",
         "occurred_at": "timestamp", "feature": "event (track), name (page, screen)"},
        ("Reads Segment messages as JSON lines (nested fields flattened: context.groupId).",
         "Track, page and screen calls are events; identify, group and alias calls describe "
         "people and accounts, not usage: they are left out and counted in the notes.",
         "The account is context.groupId, properties.account_id or a trait; an event without "
         "one is rejected."),
        "Segment Spec, common fields and Track "
        "(https://www.twilio.com/docs/segment/connections/spec/common, "
        ".../spec/track): type, messageId, anonymousId, userId, timestamp, context, event, "
        "name, properties",
        {"account": ()},
    ),
)}


def detect_preset(headers: list[str]) -> str | None:
    """Return the name of the first preset (registry order) one of whose signatures the header
    contains, compared case-insensitively with extra columns tolerated; None when none does."""
    have = {key(h) for h in headers}
    for p in PRESETS.values():
        if any(sig <= have for sig in p.signatures):
            return p.name
    return None


# JSON lines records read to learn a file's keys when detecting (the copy takes all records).
_DETECT_RECORDS = 1000


def detect_file(path: Path, work_dir: Path, sheet: str | None = None) -> str | None:
    """Return the preset the header of the file at `path` matches (detect_preset), or None;
    None too for a file that cannot be read (its load says why). Reads only the start of a CSV
    or JSON lines file (the Data page asks on every upload); a workbook or Parquet file is
    converted as its load would."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(65536)
        kind = formats.kind_of(path, head)
        if kind == "jsonl":
            return detect_preset(_jsonl_keys(path))
        if kind is None:
            enc = "utf-16" if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) \
                else "utf-8-sig"
            line = read.first_line(path, enc)
            return detect_preset(next(csv.reader([line], delimiter=read.detect_delimiter(line))))
        src = read.open_source(path, work_dir=work_dir, sheet=sheet)
    except (LoadRefused, OSError, ValueError, StopIteration, csv.Error):
        return None
    try:
        return detect_preset(src.headers)
    finally:
        src.cleanup()


def _jsonl_keys(path: Path) -> list[str]:
    """Return the flattened keys ("properties.time") of the first records of a JSON lines
    file, as formats.py names the columns of its copy."""
    keys: dict[str, None] = {}
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        for line in itertools.islice((ln for ln in f if ln.strip()), _DETECT_RECORDS):
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                break  # the load reports the line
            if isinstance(rec, dict):
                keys.update(dict.fromkeys(formats.flat(rec)))
    return list(keys)


def resolve(name: str, table: str, headers: list[str]) -> Preset:
    """Return the preset `name` ("auto": the one the header matches) for a load into `table`.

    Raises LoadRefused for an unknown preset, none matching, or a preset of another table."""
    if name == "auto":
        found = detect_preset(headers)
        if found is None:
            raise LoadRefused("no preset recognises this file's header (csm presets lists "
                              "them and their signatures); load it without --preset.")
        name = found
    p = PRESETS.get(name)
    if p is None:
        raise LoadRefused(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}.")
    if p.table != table:
        raise LoadRefused(f"the preset {name} loads the {p.table} table, not {table}: "
                          f"use csm load {p.table} FILE --preset {name}.")
    return p


def check_options(p: Preset, options: dict[str, str] | None) -> dict[str, str]:
    """Return the preset's options with defaults filled in; raise LoadRefused naming an
    unknown option or value."""
    out = {k: (v[0] if v else "") for k, v in p.options.items()}
    for k, v in (options or {}).items():
        if k not in p.options:
            known = ", ".join(p.options) or "none"
            raise LoadRefused(f"the preset {p.name} has no option {k!r} (its options: {known}).")
        if p.options[k] and v not in p.options[k]:  # () = any text (a column's name)
            raise LoadRefused(f"--preset-option {k}={v}: choose one of "
                              f"{', '.join(p.options[k])}.")
        out[k] = v
    return out


def _records(src: read.SourceFile) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line where the record starts, {header key: text}) for every non-blank record."""
    keys = [key(h) for h in src.headers]
    with open(src.path, encoding="utf-8-sig", errors="replace", newline="") as f:
        reader = csv.reader(f, delimiter=src.delimiter)
        next(reader)
        prev_end = reader.line_num
        for rec in reader:
            start, prev_end = prev_end + 1, reader.line_num
            if not rec or (len(rec) == 1 and rec[0] == ""):
                continue
            yield start, dict(zip(keys, rec, strict=False))


def apply(p: Preset, src: read.SourceFile, options: dict[str, str] | None,
          date_format: str | None, work_dir: Path, limit: int | None = None) -> read.SourceFile:
    """Write the preset's CSV copy of `src` and return the SourceFile the import reads instead:
    the table's columns (and, for accounts, the other columns as custom attributes), the
    original line of each record (`line_map`), the transform's problems by record (`problems`)
    and the notes. `limit` (the preview's) stops after that many rows; notes the transform adds
    at its end are then missing. `src`'s own copy is removed. Raises LoadRefused when nothing
    is left to load."""
    opts = check_options(p, options)
    ctx = Context(list(src.headers), opts, date_format)
    # A name of its own: two sessions previewing the same upload must not share a copy.
    fd, name = tempfile.mkstemp(prefix=f".{src.original.name}.{p.name}.", suffix=".csv",
                                dir=work_dir)
    os.close(fd)
    out_path = Path(name)
    cols = TABLES[p.table].column_names
    lines: list[int] = []
    problems: dict[int, list[dict]] = {}
    header: list[str] = []
    try:
        with open(out_path, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            for o in itertools.islice(p.transform(_records(src), ctx), limit):
                if not header:
                    # Every column of the table, whatever the first row gives (a rejected row
                    # may give only the column it names), then the custom attributes.
                    header = cols + [k for k in o.values if k not in cols]
                    w.writerow(header)
                w.writerow(["" if o.values.get(h) is None else o.values[h] for h in header])
                if o.problems:
                    problems[len(lines)] = [{"c": c, "v": v, "r": r} for c, v, r in o.problems]
                lines.append(o.line)
        if not lines:
            raise LoadRefused(f"{src.original.name}: no rows are left to load after the preset "
                              f"{p.name} ({' '.join(ctx.notes)})")
    except BaseException:
        out_path.unlink(missing_ok=True)
        raise
    finally:
        src.cleanup()
    return read.SourceFile(out_path, src.original, src.encoding, ",", header,
                           transcoded=True, line_map=lines, problems=problems,
                           preset=p.name, preset_notes=[*p.notes, *ctx.notes])
