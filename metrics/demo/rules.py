"""Alert rules the demo data set ships with, so that the Goals page's history and the Weekly
review's "alerts fired" are not empty on a first look: each is a rule a team would write, with
a round threshold placed just on the firing side of the demo's own values, on the day the review
opens on and on the as-of."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

from metrics import alerts, review
from metrics.periods import resolve_as_of
from metrics.query import Query

# (name, metric, segment, op): the thresholds come from the data (see demo_rules).
RULES = (
    ("NPS of SMB below its floor", "nps", "SMB", "below"),
    ("Median first response too slow", "first_response_median_h", None, "above"),
)


def _threshold(values: list[float], op: str, step: float) -> float:
    """Return the round threshold (a multiple of `step`) nearest the values on the firing side
    of every one of them."""
    if op == "below":
        return math.floor(max(values) / step) * step + step
    return math.ceil(min(values) / step) * step - step


def evaluation_days(as_of: date) -> list[date]:
    """Return the days the demo evaluates its rules on, oldest first: the last day of the last
    complete ISO week (the week the Weekly review opens on) and the data's as-of, once when
    they are the same day."""
    week_end = review.last_complete_week(as_of) + timedelta(days=6)
    return [week_end, as_of] if week_end < as_of else [as_of]


def add_demo_rules(cur, now: datetime | None = None) -> int:
    """Add the demo's rules when the database has no rule yet (a team's own rules are never
    touched), evaluate them through the normal alerts path on each of `evaluation_days` and
    return how many rules were added.

    Each threshold sits on the firing side of the rule's value on every one of those days, so
    the Goals history and the Weekly review's default week both have fired alerts. The earlier
    day is evaluated as at `now` (default: the wall clock) minus the days between it and the
    as-of, as if it had run when that week's data came in; so the later evaluation is not
    within the earlier one's cooldown (24 hours a day apart) and is recorded as fired."""
    if len(alerts.read_rules(cur)):
        return 0
    as_of = resolve_as_of(cur, Query())
    if as_of is None:
        return 0
    days = evaluation_days(as_of)
    added = 0
    for name, metric, segment, op in RULES:
        found = [alerts.metric_value(cur, metric, segment, d,
                                     alerts.DEFAULT_WINDOW["threshold"]) for d in days]
        values = [v for v in found if v is not None]
        if len(values) < len(days):
            continue
        step = 5.0 if metric == "nps" else 1.0
        rid, problems = alerts.add_rule(cur, kind="threshold", name=name, metric=metric,
                                        segment=segment, op=op,
                                        threshold=_threshold(values, op, step))
        added += rid is not None and not problems
    # The target rule: logo churn worse than the team's target (the demo ships targets).
    rid, problems = alerts.add_rule(cur, kind="target", name="Logo churn worse than target",
                                    metric="logo_churn")
    added += rid is not None and not problems
    if added:
        now = now or datetime.now(UTC).replace(tzinfo=None)
        for d in days:
            alerts.evaluate(cur, trigger="demo", as_of=d, now=now - (as_of - d))
    return added
