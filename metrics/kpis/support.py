"""Support: `support` (METRICS.md)."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pandas as pd

from metrics.kpis import empty_frame, finish, prepare, run_sql
from metrics.query import Query

# First-response targets in hours by priority; any other priority (or none) gets OTHER.
SLA_TARGETS_DEFAULT: dict[str, float] = {"P1": 1.0, "P2": 4.0, "P3": 24.0, "P4": 72.0}
SLA_OTHER_DEFAULT = 24.0
_OTHER_KEYS = ("OTHER", "OTHERS", "DEFAULT", "*")

SUPPORT_COLUMNS = {
    "tickets": "int64",
    "first_response_median_h": "float64",
    "first_response_p90_h": "float64",
    "first_response_mean_h": "float64",
    "resolution_median_h": "float64",
    "resolution_p90_h": "float64",
    "resolution_mean_h": "float64",
    "fcr_rate": "float64",
    "fcr_excluded": "int64",
    "open_tickets": "int64",
    "sla_attainment": "float64",
}


def _parse_targets(raw) -> Mapping:
    if isinstance(raw, Mapping):
        return raw
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("{"):
            return json.loads(text)
        pairs = [p.split("=", 1) for p in text.split(",") if p.strip()]
        if any(len(p) != 2 for p in pairs):
            raise ValueError(f"sla_targets must look like 'P1=1,P2=4,other=24', not {raw!r}")
        return {k: v for k, v in pairs}
    if isinstance(raw, (tuple, list)):
        return dict(raw)
    raise ValueError(f"sla_targets must be a mapping of priority to hours, not {raw!r}")


def sla_targets(q: Query) -> tuple[dict[str, float], float]:
    """Return (targets by upper-case priority, target for other priorities) in hours.

    The `sla_targets` setting (a dict, a JSON object or 'P1=1,P2=4') overrides the defaults
    P1 1 h, P2 4 h, P3 24 h, P4 72 h; the key `other` (or `default`) sets the others' 24 h.
    Priorities are matched trimmed and case-insensitively."""
    targets = dict(SLA_TARGETS_DEFAULT)
    other = SLA_OTHER_DEFAULT
    raw = q.setting("sla_targets")
    if raw is not None:
        for key, value in _parse_targets(raw).items():
            try:
                hours = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"SLA target for {key!r} must be hours, not {value!r}") from None
            if not hours >= 0:
                raise ValueError(f"SLA target for {key!r} must be >= 0 hours, not {value!r}")
            k = str(key).strip().upper()
            if k in _OTHER_KEYS:
                other = hours
            else:
                targets[k] = hours
    return targets, other


def support(cur, q: Query) -> pd.DataFrame:
    """Support tickets per period of creation: volumes, response and resolution times, FCR, SLA.

    Times in calendar hours over the tickets that have one by as-of (median, p90 by linear
    interpolation, mean). fcr_rate = resolved tickets with contacts <= 1 and reopened false /
    resolved tickets, tickets with null contacts or reopened left out and counted in
    fcr_excluded. open_tickets: created in the period, not resolved by as-of. sla_attainment =
    answered within the priority's target / (answered + unanswered already past the target at
    the end of as-of). Setting `sla_targets`. Recent periods are partial: slow tickets are not
    resolved yet.

    Columns: period, partial, [by], tickets, first_response_median_h, first_response_p90_h,
    first_response_mean_h, resolution_median_h, resolution_p90_h, resolution_mean_h, fcr_rate,
    fcr_excluded, open_tickets, sla_attainment.
    """
    targets, other = sla_targets(q)
    dim, frame = prepare(cur, q, "support", ("tickets",), "tickets")
    if frame is None:
        return empty_frame(SUPPORT_COLUMNS, dim)
    params = {
        **frame.params,
        "sla_priorities": list(targets),
        "sla_hours": [float(v) for v in targets.values()],
        "sla_default_h": float(other),
    }
    raw = run_sql(cur, "support", params)
    return finish(raw, SUPPORT_COLUMNS, dim)
