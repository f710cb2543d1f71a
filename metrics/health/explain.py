"""One account's health explained in words: the raw inputs behind each component's score."""

from __future__ import annotations

import pandas as pd

from metrics import fmt
from metrics.health.scoring import _support_users


def _n(v) -> str:
    v = float(v)
    return f"{v:,.0f}" if v.is_integer() else f"{v:,.2f}"


def explain_inputs(row: pd.Series, model: dict) -> dict[str, str]:
    """Return per component the raw inputs behind its score, in words ("active users: 12 of 40
    seats in the 30 days before as-of")."""
    c = model["components"]
    win = model["window_days"]
    out = {}
    if not row.get("usage_tracked", True):
        out["usage"] = out["adoption"] = "no usage data before as-of"
    else:
        users = int(row["active_users"])
        if row["seats"] == row["seats"] and row["seats"]:
            # "active users: 1 of 8 seats": the input is named, so no "1 active users"
            out["usage"] = f"active users: {users:,} of {fmt.plural(row['seats'], 'seat')} " \
                           f"in the {win} days before as-of"
        else:
            seg = row["segment"] if isinstance(row["segment"], str) else "(no segment)"
            out["usage"] = f"active users: {users:,} in the {win} days before " \
                           f"as-of, ranked within segment {seg} (no seats attribute)"
        top = int(row["top_features"])
        out["adoption"] = (f"{int(row['features_used'])} of the {top} most used features in "
                           f"the {win} days before as-of") if top else "no features used"
    days = c.get("sentiment", {}).get("days", 180)
    if row["sentiment_type"] == "nps":
        out["sentiment"] = f"latest NPS answer {_n(row['sentiment_raw'])} of 10 on " \
                           f"{pd.Timestamp(row['sentiment_at']):%Y-%m-%d}"
    elif row["sentiment_type"] == "csat":
        on = pd.Timestamp(row["sentiment_at"])
        out["sentiment"] = f"latest CSAT answer {_n(row['sentiment_raw'])} of " \
                           f"{_n(row['sentiment_scale'])} on {on:%Y-%m-%d} (no NPS answer)"
    else:
        out["sentiment"] = f"no NPS or CSAT answer in the {days} days before as-of"
    sp = c.get("support", {})
    if not row.get("tickets_tracked", True):
        out["support"] = "no ticket data before as-of"
    else:
        per_user = row["tickets"] / _support_users(row.to_frame().T).iloc[0]
        out["support"] = (f"{fmt.plural(row['tickets'], 'ticket')} in {sp.get('days', 90)} days "
                          f"({per_user:.2f} per user), {int(row['open_p1'])} open P1, "
                          f"{int(row['missed_sla'])} missed first-response SLA")
    fd = c.get("financial", {}).get("days", 90)
    base, now = row["mrr_base"], row["mrr_now"]
    if base == base and base and base > 0:
        now = 0.0 if now != now else now
        out["financial"] = f"MRR {_n(now)} now vs {_n(base)} {fd} days earlier " \
                           f"({(now - base) / base:+.0%})"
    else:
        out["financial"] = f"no MRR {fd} days before as-of (new or not paying): no trend"
    return out
