"""Alert rules the demo data set ships with, so that the Goals page's history and the Weekly
review's "alerts fired" are not empty on a first look: each is a rule a team would write, with
a round threshold placed just on the firing side of the demo's own value."""

from __future__ import annotations

import math

from metrics import alerts
from metrics.periods import resolve_as_of
from metrics.query import Query

# (name, metric, segment, op): the thresholds come from the data (see demo_rules).
RULES = (
    ("NPS of SMB below its floor", "nps", "SMB", "below"),
    ("Median first response too slow", "first_response_median_h", None, "above"),
)


def _threshold(value: float, op: str, step: float) -> float:
    """Return the round threshold (a multiple of `step`) nearest `value` on its firing side."""
    if op == "below":
        return math.floor(value / step) * step + step
    return math.ceil(value / step) * step - step


def add_demo_rules(cur) -> int:
    """Add the demo's rules when the database has no rule yet (a team's own rules are never
    touched), evaluate them once, and return how many were added."""
    if len(alerts.read_rules(cur)):
        return 0
    as_of = resolve_as_of(cur, Query())
    if as_of is None:
        return 0
    added = 0
    for name, metric, segment, op in RULES:
        value = alerts.metric_value(cur, metric, segment, as_of, alerts.DEFAULT_WINDOW["threshold"])
        if value is None:
            continue
        step = 5.0 if metric == "nps" else 1.0
        rid, problems = alerts.add_rule(cur, kind="threshold", name=name, metric=metric,
                                        segment=segment, op=op,
                                        threshold=_threshold(value, op, step))
        added += rid is not None and not problems
    # The target rule: logo churn worse than the team's target (the demo ships targets).
    rid, problems = alerts.add_rule(cur, kind="target", name="Logo churn worse than target",
                                    metric="logo_churn")
    added += rid is not None and not problems
    if added:
        alerts.evaluate(cur, trigger="demo", as_of=as_of)
    return added
