"""Billing and order exports: Stripe subscriptions -> subscriptions, UCI Online Retail
invoice lines -> orders (one per invoice)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from metrics.ingest.presets.base import (
    Context,
    Out,
    Preset,
    Problem,
    Rows,
    _date_text,
    _iso,
    _number,
    _v,
    _when,
)

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


STRIPE = Preset(
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
)



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


ONLINE_RETAIL = Preset(
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
)
