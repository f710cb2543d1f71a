"""Stripe's customers and invoices exports: customers -> accounts (metadata columns as custom
attributes), invoices -> orders (paid invoices only, one currency a file). The subscriptions
export is in `billing`."""

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
    _number,
    _v,
)
from metrics.ingest.presets.crm import _accounts

# --- Stripe customers -----------------------------------------------------------------------

_METADATA = re.compile(r"\s*\(metadata\)\s*$", re.IGNORECASE)

STRIPE_CUSTOMERS = Preset(
    "stripe_customers", "Stripe customers export", "accounts",
    (frozenset({"id", "email", "created", "delinquent"}),),
    _accounts({"account_id": ("id",), "name": ("name", "description"),
               "signup_date": ("created",), "plan": ("plan",)},
              rename=lambda h: _METADATA.sub("", h)),
    {"account_id": "id (cus_...)", "name": "Name, else Description",
     "signup_date": "Created (UTC)", "plan": "Plan"},
    ("Metadata columns (\"tier (metadata)\") are kept as custom attributes under the "
     "metadata key (\"tier\"); a metadata key named like an accounts column (segment, "
     "region, industry, csm_owner, lifecycle_stage, renewal_date) loads into that column.",
     "Every other column (Email, Delinquent, Status, Total Spend, Payment Count, ...) is "
     "kept as a custom attribute under its header.",
     "Created (UTC) is the customer-since date (signup_date); the export writes UTC."),
    "Stripe Dashboard customers export (Customers > Export; "
    "https://docs.stripe.com/get-started/data-migrations/export-file-formats documents "
    "the customer fields id, name, email, description; metadata keys are added as "
    "\"KEY (metadata)\" columns, as https://docs.cello.so/guides/attribution/stripe-reports "
    "shows): id, Description, Email, Name, Created (UTC), Delinquent, Plan, Status, "
    "Total Spend, Payment Count, Refunded Volume, Dispute Losses, KEY (metadata) - the "
    "header as public code that rebuilds that export writes it, no Stripe page lists it",
)


# --- Stripe invoices ------------------------------------------------------------------------

# Currencies without minor units: an amount in minor units is already in major units.
_ZERO_DECIMAL = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx",
                 "vnd", "vuv", "xaf", "xof", "xpf"}


def _invoices(rows: Rows, ctx: Context) -> Iterator[Out]:
    """Stripe's invoices export -> orders: the paid invoices, Amount Paid in the file's
    currency (see the preset's notes)."""
    minor = ctx.options.get("units") == "minor"
    currency = (ctx.options.get("currency") or "").lower() or None
    chosen = currency is not None
    left: dict[str, int] = {}
    for line, r in rows:
        status = (_v(r, "status") or "").lower()
        if status != "paid":
            kind = status or "no status"
            left[kind] = left.get(kind, 0) + 1
            continue
        problems: list[Problem] = []
        cur = (_v(r, "currency") or "").lower()
        if currency is None:
            currency = cur  # the first paid invoice's currency is the file's
        raw = _v(r, "amount paid", "amount_paid")
        amount: str | None = raw
        x = _number(raw)
        if cur != currency:
            how = ("the currency chosen with --preset-option currency" if chosen else
                   "the file's first paid invoice's")
            problems.append(("amount", raw, f"Currency {cur or 'empty'!r} differs from "
                             f"{how} ({currency}): amounts are not converted; load one "
                             "currency a file (--preset-option currency=CODE)"))
        elif raw is not None and x is None:
            problems.append(("amount", raw, f"Amount Paid {raw!r} is not a number"))
        elif x is not None:
            if minor and cur not in _ZERO_DECIMAL:
                x = x / 100
            amount = f"{x:.2f}"
        yield Out(line, {
            "order_id": _v(r, "id", "number"),
            "account_id": _v(r, "customer", "customer id"),
            # Paid at is when the money came; an export without it has the invoice date.
            "ordered_at": _date_text(_v(r, "paid at", "status_transitions.paid_at", "date",
                                        "created"), ctx),
            "amount": amount,
        }, problems)
    if left:
        ctx.notes.append("Only paid invoices are orders; left out: " + ", ".join(
            f"{n} {k}" for k, n in sorted(left.items())) + ".")
    if currency:
        ctx.notes.append(f"Amounts are Amount Paid in {currency.upper()}"
                         + (" (minor units divided by 100)." if minor else
                            " (major units, as the Dashboard export writes them)."))


STRIPE_INVOICES = Preset(
    "stripe_invoices", "Stripe invoices export", "orders",
    (frozenset({"id", "customer", "amount due", "amount paid", "status", "currency"}),
     frozenset({"id", "customer", "amount_due", "amount_paid", "status", "currency"})),
    _invoices,
    {"order_id": "id (in_...), else Number", "account_id": "Customer (cus_...)",
     "ordered_at": "Paid At, else Date (UTC)",
     "amount": "Amount Paid (major units; --preset-option units=minor divides by 100)"},
    ("Only paid invoices (Status paid) are orders: draft, open, void and uncollectible "
     "invoices are left out and counted in the notes.",
     "The amount is Amount Paid in major units (49.00 = $49), as the Dashboard export "
     "writes it; --preset-option units=minor reads cents (the API's amount_paid), except "
     "for zero-decimal currencies (JPY, KRW, ...).",
     "One currency a file: the first paid invoice's, or --preset-option currency=CODE; a "
     "paid invoice in another currency is rejected (amounts are never converted).",
     "ordered_at is Paid At (when the money came), else the invoice Date; times are UTC."),
    "Stripe Invoice object (https://docs.stripe.com/api/invoices/object: id, number, "
    "customer, customer_email, amount_due, amount_paid, amount_remaining, currency, "
    "status draft/open/paid/uncollectible/void, created, status_transitions.paid_at) "
    "under title-case labels (id, Number, Customer, Customer Email, Amount Due, Amount "
    "Paid, Currency, Status, Date (UTC), Paid At (UTC)) or the API names (amount_paid); "
    "no Stripe page listing the Dashboard invoices export's own labels was found, so they "
    "are matched in any case and the mapping step fixes any other",
    {"units": ("major", "minor"), "currency": ()},
    {"currency": "a currency code (usd, EUR)"},
)
