"""CRM company exports -> accounts: HubSpot companies and Salesforce accounts. Every column a
preset does not map is kept as a custom attribute under its header."""

from __future__ import annotations

from collections.abc import Iterator

from metrics.ingest.mapping import norm
from metrics.ingest.presets.base import Context, Out, Preset, Rows, Transform, _date_text, _v
from metrics.schema import TABLES


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
