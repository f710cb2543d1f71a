"""CSV templates: one per canonical table, header plus an example row, for the Data page."""

from __future__ import annotations

import csv
import io

from metrics.schema import TABLES

EXAMPLES: dict[str, list[dict]] = {
    "accounts": [{"account_id": "A0001", "name": "Northwind Traders", "segment": "SMB",
                  "region": "EMEA", "industry": "Retail", "plan": "Growth",
                  "csm_owner": "Dana Scully", "lifecycle_stage": "adoption",
                  "signup_date": "2024-01-15", "churn_date": "", "renewal_date": "2026-01-15",
                  "seats": "25"}],
    "subscriptions": [{"account_id": "A0001", "start_date": "2024-01-15", "end_date": "",
                       "mrr": "499.00", "plan": "Growth", "billing_period": "month"}],
    "survey_responses": [{"response_id": "R0001", "account_id": "A0001",
                          "respondent": "ops@northwind.example", "survey_type": "nps",
                          "score": "9", "scale": "", "comment": "Great reporting",
                          "responded_at": "2024-03-01T10:15:00Z", "touchpoint": "relationship"}],
    "tickets": [{"ticket_id": "T0001", "account_id": "A0001",
                 "created_at": "2024-03-01T09:00:00Z", "first_response_at": "2024-03-01T10:30:00Z",
                 "resolved_at": "2024-03-02T12:00:00Z", "contacts": "2", "reopened": "false",
                 "channel": "email", "priority": "P3"}],
    "usage_events": [{"account_id": "A0001", "user_id": "u001",
                      "occurred_at": "2024-03-01T09:12:00Z", "feature": "dashboards",
                      "duration_seconds": "340"}],
    "orders": [{"order_id": "O0001", "account_id": "A0001", "ordered_at": "2024-03-01T00:00:00Z",
                "amount": "120.00"}],
    "targets": [{"metric": "nps", "segment": "", "period_start": "2025-01-01",
                 "period_end": "2025-04-01", "target": "40", "note": "Q1 goal"}],
}


def template_csv(table: str) -> bytes:
    """Return the template of `table` as CSV bytes: canonical header (accounts: plus one custom
    attribute, `seats`) and one example row."""
    cols = TABLES[table].column_names + (["seats"] if table == "accounts" else [])
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for row in EXAMPLES[table]:
        w.writerow(row)
    return buf.getvalue().encode("utf-8")
