"""CRM company exports -> accounts: HubSpot companies and Salesforce accounts. Every column a
preset does not map is kept as a custom attribute under its header."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from metrics.ingest.mapping import norm
from metrics.ingest.presets.base import (
    Context,
    Out,
    Preset,
    Problem,
    Rows,
    Transform,
    _date_text,
    _number,
    _v,
)
from metrics.schema import TABLES


def _accounts(fields: dict[str, tuple[str, ...]], date_formats: tuple[str, ...] = (),
              rename: Callable[[str], str] = lambda h: h) -> Transform:
    """Return a transform for a CRM accounts export: `fields` maps each canonical column to the
    header keys it is read from (first present wins); every other column is kept under its
    header as written (passed through `rename`: Stripe's "tier (metadata)" -> "tier"), as a
    custom attribute."""
    cols = TABLES["accounts"].column_names

    def run(rows: Rows, ctx: Context) -> Iterator[Out]:
        used = {k for names in fields.values() for k in names}
        by_key = {k: rename(h) for k, h in ctx.keys.items()}
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


HUBSPOT = Preset(
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
)


SALESFORCE = Preset(
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
)


# --- HubSpot deals --------------------------------------------------------------------------

def _deals(rows: Rows, ctx: Context) -> Iterator[Out]:
    """HubSpot's deals export -> orders: closed-won deals (see the preset's notes)."""
    won = {s.strip().lower() for s in (ctx.options.get("won") or "closed won").split(";")}
    left: dict[str, int] = {}
    for line, r in rows:
        stage = _v(r, "deal stage") or ""
        if stage.lower() not in won:
            left[stage or "no stage"] = left.get(stage or "no stage", 0) + 1
            continue
        problems: list[Problem] = []
        # Associations list several companies separated by ";": the first is the primary.
        company = _v(r, "associated company ids (primary)", "associated company ids",
                     "associated company id", "associated company (primary)",
                     "associated company")
        account = (company.split(";")[0].strip() or None) if company else None
        raw = _v(r, "amount", "amount in company currency")
        x = _number(raw)
        if raw is not None and x is None:
            problems.append(("amount", raw, f"Amount {raw!r} is not a number"))
        yield Out(line, {
            "order_id": _v(r, "record id", "deal id"), "account_id": account,
            "ordered_at": _date_text(_v(r, "close date"), ctx, _CRM_DATES),
            "amount": f"{x:.2f}" if x is not None else raw,
        }, problems)
    if left:
        ctx.notes.append("Only closed-won deals are orders; left out by stage: " + ", ".join(
            f"{k} {n}" for k, n in sorted(left.items())) + ".")


HUBSPOT_DEALS = Preset(
    "hubspot_deals", "HubSpot deals export", "orders",
    (frozenset({"record id", "deal name", "deal stage", "close date"}),),
    _deals,
    {"order_id": "Record ID", "account_id": "Associated Company IDs (the first; else "
     "Associated Company)", "ordered_at": "Close Date", "amount": "Amount"},
    ("A closed-won deal is an order: the amount it was won for at its Close Date (an "
     "order, not a subscription: the export gives no period to spread it over, and "
     "orders hold what a customer bought, DATA.md).",
     "Only the stage Closed Won counts; --preset-option won=\"Won;Signed\" names the won "
     "stages of other pipelines (their labels, separated by ;). Other deals are left out "
     "and counted by stage in the notes.",
     "The account is the first associated company's Record ID (Associated Company IDs), "
     "the id the hubspot_companies preset loads, else its name; a won deal without a "
     "company is rejected (required account_id).",
     "Amount is in the deal's currency as written; Close Date is read ISO or month first "
     "(4/12/2026) unless --date-format says otherwise."),
    "HubSpot's default deal properties "
    "(https://knowledge.hubspot.com/crm-deals/hubspots-default-deal-properties: Deal "
    "Name, Deal Stage, Close Date, Amount, Pipeline, Deal owner, Create Date, Deal Type) "
    "as the deals export labels them, with Record ID and the association columns "
    "Associated Company / Associated Company IDs (those two names as public code reading "
    "deals exports writes them, not checked on a HubSpot page)",
    {"won": ()},
    {"won": "the won stages' labels, separated by ; (default Closed Won)"},
)
