"""What people call a table's columns: the label (and unit) of a column a page, drill-down or
spreadsheet shows, so no raw snake_case name reaches a header.

A column is looked up, in order: in the spec of the metric that produced the table (when
named), in `RAW` (ids, people, dates and counts of the lists and drill-downs that no metric
declares, or whose name means different things in different metrics), in the one label every
metric spec gives that name, and last spelled out ('rows_in_file' -> 'Rows in file'). A name
without an underscore that no named metric declares is left as it is: the tables' own short
lowercase labels ('account', 'comment') are already for people.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from metrics import registry
from metrics.spec import ColumnSpec

# name -> (label, unit): columns of lists and drill-downs that no metric spec declares, and the
# names whose spec label differs by metric (score: health or survey; name: account or rule)
RAW: dict[str, tuple[str, str]] = {
    "account_id": ("Account ID", "text"),
    "account_name": ("Account", "text"),
    "csm_owner": ("CSM", "text"),
    "created_at": ("Created", "text"),
    "responded_at": ("Answered", "text"),
    "survey_type": ("Survey", "text"),
    "ticket_id": ("Ticket", "text"),
    "first_response_h": ("First response", "hours"),
    "resolution_h": ("Resolution", "hours"),
    "nps_responses": ("NPS answers", "responses"),
    "at_risk_renewals": ("At-risk renewals", "count"),
    "at_risk_mrr": ("At-risk MRR", "USD"),
    "at_risk_arr": ("At-risk ARR", "USD"),
    "days_to": ("Days to renewal", "days"),
    "due_within": ("Due within", "text"),
    "mrr_before": ("MRR before", "USD"),
    "mrr_after": ("MRR after", "USD"),
    "churn_date": ("Churned on", "text"),
    "change_30d": ("Change in 30 days", "score"),
    "rule_id": ("Rule", "text"),
    "rule_name": ("Rule name", "text"),
    "evaluated_at": ("Evaluated", "text"),
    "load_id": ("Load", "text"),
    "rows_in_file": ("Rows in file", "count"),
    "rows_loaded": ("Rows loaded", "count"),
    "rows_rejected": ("Rows rejected", "count"),
    "rows_skipped_duplicate": ("Duplicates skipped", "count"),
    "loaded_by": ("Loaded by", "text"),
    "undone_at": ("Undone", "text"),
    "undone_by": ("Undone by", "text"),
    "survey_responses": ("Survey responses", "count"),
    "usage_events": ("Usage events", "count"),
    "mean_score": ("Mean health score", "score"),
    "logo_churn": ("Logo churn", "fraction"),
    "user_id": ("User", "text"),
    "order_id": ("Order", "text"),
    "ordered_at": ("Ordered", "text"),
    "signup_date": ("Signed up", "text"),
    "period_start": ("Period start", "text"),
    "period_end": ("Period end", "text"),
}


@cache
def _by_name() -> dict[str, ColumnSpec | None]:
    """Return {column name: its spec} over every metric; None where specs label it differently."""
    out: dict[str, ColumnSpec | None] = {}
    for m in registry.REGISTRY.values():
        for c in m.cols:
            if c.name not in out:
                out[c.name] = c
            elif out[c.name] is not None and out[c.name].label != c.label:  # type: ignore[union-attr]
                out[c.name] = None
    return out


def spec(name: str, metric: str | None = None) -> ColumnSpec | None:
    """Return the spec a column is shown by (see the module's order), None when none applies
    (the name is then spelled out, or kept when it has no underscore)."""
    if metric is not None:
        for c in registry.get(metric).cols:
            if c.name == name:
                return c
    if "_" not in name:
        return None
    if name in RAW:
        label, unit = RAW[name]
        return ColumnSpec(name, "", label, unit)
    return _by_name().get(name)


def label(name, metric: str | None = None) -> str:
    """Return what people call column `name`: its spec's label, else 'rows_in_file' spelled out
    as 'Rows in file'; a name without an underscore that no named metric declares as is."""
    name = str(name)
    c = spec(name, metric)
    if c is not None:
        return c.label
    if "_" in name:
        words = name.replace("_", " ").strip()
        return words[:1].upper() + words[1:]
    return name


def for_people(df: pd.DataFrame, metric: str | None = None) -> pd.DataFrame:
    """Return `df` with its columns renamed to their labels (a spreadsheet's header row); a
    label another column already has keeps that column's raw name, so no two headers clash."""
    names: dict = {}
    taken = {str(c) for c in df.columns}
    for c in df.columns:
        new = label(c, metric)
        if new != str(c) and new not in taken:
            names[c] = new
            taken.add(new)
    return df.rename(columns=names)
