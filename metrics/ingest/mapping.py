"""Header matching: canonical column names, synonyms, and the user's `target=source` mapping."""

from __future__ import annotations

import re

from metrics.schema import TABLES

# Common names analysts' exports use for each canonical column (normalised form, see `norm`).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "account_id": ("customer_id", "customer", "client_id", "client", "company_id", "account",
                   "accountid", "customerid", "org_id", "organization_id", "tenant_id"),
    "name": ("account_name", "company", "company_name", "customer_name", "client_name",
             "organization", "organisation"),
    "segment": ("customer_segment", "tier", "size"),
    "region": ("geo", "territory", "country_region"),
    "industry": ("vertical", "sector"),
    "plan": ("plan_name", "product", "package", "edition"),
    "csm_owner": ("csm", "owner", "account_owner", "customer_success_manager", "am"),
    "lifecycle_stage": ("stage", "lifecycle", "customer_stage"),
    "signup_date": ("signup", "signed_up", "created", "created_at", "created_date", "start_date",
                    "customer_since", "join_date", "joined"),
    "churn_date": ("churned", "churned_at", "churned_on", "cancel_date", "cancelled_at",
                   "canceled_at", "cancellation_date"),
    "renewal_date": ("renewal", "renews_on", "next_renewal", "contract_end"),
    "start_date": ("start", "started", "started_at", "period_start", "from", "valid_from"),
    "end_date": ("end", "ended", "ended_at", "period_end", "to", "valid_to", "cancelled_at"),
    "mrr": ("monthly_recurring_revenue", "revenue", "amount", "mrr_amount", "monthly_revenue",
            "price"),
    "billing_period": ("billing_cycle", "interval", "billing_interval", "billing"),
    "response_id": ("id", "survey_response_id", "answer_id"),
    "respondent": ("email", "respondent_email", "user", "contact", "person", "user_email"),
    "survey_type": ("type", "survey", "metric", "question_type"),
    "score": ("rating", "nps_score", "csat_score", "ces_score", "value", "answer"),
    "comment": ("comments", "feedback", "text", "verbatim", "reason", "open_text"),
    "responded_at": ("date", "submitted_at", "response_date", "created", "created_at",
                     "timestamp", "answered_at"),
    "touchpoint": ("channel", "trigger", "source", "journey_stage"),
    "ticket_id": ("id", "ticket", "ticket_number", "case_id", "case_number", "conversation_id"),
    "created_at": ("created", "opened", "opened_at", "created_date", "date_created", "submitted"),
    "first_response_at": ("first_reply_at", "first_response", "first_replied_at",
                          "first_response_time", "responded_at"),
    "resolved_at": ("resolved", "closed", "closed_at", "solved_at", "resolution_date"),
    "contacts": ("replies", "agent_replies", "touches", "interactions"),
    "reopened": ("was_reopened", "is_reopened", "reopen"),
    "channel": ("via", "source", "medium"),
    "priority": ("severity", "urgency"),
    "user_id": ("user", "userid", "member_id", "visitor_id"),
    "occurred_at": ("timestamp", "time", "event_time", "date", "created_at", "ts"),
    "feature": ("event", "event_name", "action", "module"),
    "duration_seconds": ("duration", "seconds", "time_spent", "duration_s"),
    "order_id": ("id", "order", "order_number", "invoice_id", "transaction_id"),
    "ordered_at": ("date", "order_date", "purchased_at", "created_at", "created", "timestamp"),
    "amount": ("total", "revenue", "value", "price", "order_total", "sales"),
    "metric": ("kpi", "measure"),
    "period_start": ("from", "start", "start_date"),
    "period_end": ("to", "end", "end_date"),
    "target": ("goal", "value"),
    "note": ("notes", "comment"),
    # Month-by-month MRR files (account_id, month, mrr).
    "month": ("period", "billing_month", "mrr_month"),
}


def norm(header: str) -> str:
    """Return a header in comparable form: BOM removed, trimmed, lower-case, runs of spaces,
    dashes and dots as one underscore ("Customer ID" -> "customer_id")."""
    h = header.replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-./]+", "_", h).strip("_")


def target_columns(table: str) -> list[str]:
    """Return the columns a file for `table` may map to (plus `month` for subscriptions)."""
    cols = TABLES[table].column_names
    return cols + ["month"] if table == "subscriptions" else cols


def propose_mapping(table: str, headers: list[str]) -> dict[str, str]:
    """Return {canonical column: source header} proposed for the file's headers.

    Exact names (after `norm`) win over synonyms; each header is used at most once."""
    if table not in TABLES:
        raise KeyError(f"unknown table {table!r}; choose one of {', '.join(TABLES)}")
    by_norm: dict[str, str] = {}
    for h in headers:
        by_norm.setdefault(norm(h), h)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    targets = target_columns(table)
    for t in targets:  # exact names first
        if t in by_norm:
            mapping[t] = by_norm[t]
            used.add(by_norm[t])
    for t in targets:
        if t in mapping:
            continue
        for syn in SYNONYMS.get(t, ()):
            found = by_norm.get(syn)
            if found is not None and found not in used:
                mapping[t] = found
                used.add(found)
                break
    return mapping


def apply_user_mapping(
    table: str, headers: list[str], proposed: dict[str, str], user: dict[str, str] | None
) -> dict[str, str]:
    """Return the final mapping: the user's `target=source` pairs override the proposal.

    Raises ValueError naming the bad pair when a target is unknown or a source is not a header
    (sources match after trimming, case-insensitively)."""
    mapping = dict(proposed)
    if not user:
        return mapping
    targets = target_columns(table)
    by_norm = {norm(h): h for h in headers}
    for target, source in user.items():
        t = norm(target)
        if t not in targets:
            raise ValueError(
                f"--map {target}={source}: {target!r} is not a column of {table} "
                f"(columns: {', '.join(targets)})"
            )
        if source is None or source == "":
            mapping.pop(t, None)  # the user unmapped it
            continue
        h = by_norm.get(norm(source))
        if h is None:
            raise ValueError(
                f"--map {target}={source}: the file has no column {source!r} "
                f"(its columns: {', '.join(headers)})"
            )
        # A source used for one target is no longer proposed for another.
        for k in [k for k, v in mapping.items() if v == h and k != t]:
            del mapping[k]
        mapping[t] = h
    return mapping
