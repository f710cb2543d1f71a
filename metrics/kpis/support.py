"""Support: `support` (METRICS.md), its time distribution, the load per account and the
backlog as a stock (`ticket_backlog`)."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pandas as pd
from pandas.api.types import pandas_dtype

from metrics.kpis import empty_frame, finish, prepare, run_sql
from metrics.query import Query
from metrics.spec import MetricSpec, SettingSpec, col, dtypes

# First-response targets in hours by priority; any other priority (or none) gets OTHER.
SLA_TARGETS_DEFAULT: dict[str, float] = {"P1": 1.0, "P2": 4.0, "P3": 24.0, "P4": 72.0}
SLA_OTHER_DEFAULT = 24.0
_OTHER_KEYS = ("OTHER", "OTHERS", "DEFAULT", "*")

SUPPORT_COLS = (
    col("tickets", "int64", "Tickets", "tickets", "down", "tickets created"),
    col("first_response_median_h", "float64", "Median first response", "hours", "down"),
    col("first_response_p90_h", "float64", "P90 first response", "hours", "down"),
    col("first_response_mean_h", "float64", "Mean first response", "hours", "down"),
    col("resolution_median_h", "float64", "Median resolution", "hours", "down"),
    col("resolution_p90_h", "float64", "P90 resolution", "hours", "down"),
    col("resolution_mean_h", "float64", "Mean resolution", "hours", "down"),
    col("fcr_rate", "float64", "First contact resolution", "fraction", "up",
        "resolved tickets created in the period with at most one contact and not reopened ÷ "
        "resolved tickets; tickets with no contacts or reopened value are left out "
        "(fcr_excluded)", short="FCR"),
    col("fcr_excluded", "int64", "FCR, left out", "tickets", None,
        "resolved tickets with unknown contacts or reopened"),
    col("open_tickets", "int64", "Open tickets", "tickets", "down",
        "created in the period and not resolved by as-of"),
    col("sla_attainment", "float64", "SLA attainment", "fraction", "up",
        "answered within target ÷ (answered + unanswered past target)"),
)
SUPPORT_COLUMNS = dtypes(SUPPORT_COLS)


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


TICKET_BACKLOG_COLS = (
    col("backlog_start", "int64", "Open at the start", "tickets", "down",
        "tickets created before the period and not resolved before it (the previous period's "
        "backlog_end)"),
    col("opened", "int64", "Opened", "tickets", None, "tickets created in the period"),
    col("closed", "int64", "Closed", "tickets", None,
        "tickets resolved in the period, whenever they were created"),
    col("backlog_end", "int64", "Open backlog", "tickets", "down",
        "tickets created before the period's end and not resolved by it (by the end of as-of "
        "for a partial period)"),
    col("aged_over_7d", "int64", "Open over 7 days", "tickets", "down",
        "of backlog_end, tickets created more than 7 days before the period's end"),
)
TICKET_BACKLOG_COLUMNS = dtypes(TICKET_BACKLOG_COLS)


def ticket_backlog(cur, q: Query) -> pd.DataFrame:
    """The support backlog as a stock per period: open at the start, opened, closed, open at the
    end and open for more than 7 days at the end, so backlog_end = backlog_start + opened −
    closed. Unlike `support`'s open_tickets (created in the period, open at as-of), a ticket
    counts in every period it was open in, whenever it was created.

    The end of a partial period is the end of as-of; a resolution after as-of is not known yet.

    Columns: period, partial, [by], backlog_start, opened, closed, backlog_end, aged_over_7d.
    """
    dim, frame = prepare(cur, q, "ticket_backlog", ("tickets",), "tickets")
    if frame is None:
        return empty_frame(TICKET_BACKLOG_COLUMNS, dim)
    return finish(run_sql(cur, "ticket_backlog", frame.params), TICKET_BACKLOG_COLUMNS, dim)


# Edges (hours) of the distribution bins: [0, 0.5), [0.5, 1), ... [336, open).
DISTRIBUTION_EDGES_H: tuple[float, ...] = (0, 0.5, 1, 2, 4, 8, 12, 24, 48, 72, 168, 336)

SUPPORT_DISTRIBUTION_COLS = (
    col("measure", "object", "Measure", "text", None, "first_response or resolution"),
    col("bin", "int64", "Bin", "number", None, "bin number, fastest first"),
    col("bin_lo_h", "float64", "From (hours)", "hours", None),
    col("bin_hi_h", "float64", "To (hours)", "hours", None),
    col("tickets", "int64", "Tickets", "tickets", None, "tickets in the bin"),
)
SUPPORT_DISTRIBUTION_COLUMNS = dtypes(SUPPORT_DISTRIBUTION_COLS)

SUPPORT_ACCOUNTS_COLS = (
    col("account_id", "object", "Account id", "text", None),
    col("name", "object", "Account", "text", None),
    col("segment", "object", "Segment", "text", None),
    col("tickets", "int64", "Tickets", "tickets", None, "tickets in the window"),
    col("customer_days", "int64", "Customer days", "days", None,
        "days the account was a customer in the window"),
    col("tickets_per_month", "float64", "Tickets per customer-month", "number", "down",
        "tickets ÷ customer_days × 30.4375"),
    col("ticket_load", "object", "Ticket load", "text", None,
        "bucket of tickets per customer-month"),
    col("churned", "bool", "Churned", "flag", None, "churn_date in the window"),
)
SUPPORT_ACCOUNTS_COLUMNS = dtypes(SUPPORT_ACCOUNTS_COLS)

# Buckets of tickets per customer-month: (label, lower bound inclusive, upper bound exclusive).
TICKET_LOAD_BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("none", 0.0, 1e-12),
    ("under 1 a month", 1e-12, 1.0),
    ("1–3 a month", 1.0, 3.0),
    ("3 or more a month", 3.0, float("inf")),
)
DAYS_PER_MONTH = 30.4375


def _window_frame(cur, q: Query, metric: str):
    from metrics.kpis import prepare_window

    return prepare_window(cur, q, metric, ("tickets",), "tickets")


def support_distribution(cur, q: Query) -> pd.DataFrame:
    """How first response and resolution times are spread over the window (the histogram
    behind the medians): tickets created in the window per time bin, in calendar hours.

    Bins are [bin_lo_h, bin_hi_h) with edges 0, 0.5, 1, 2, 4, 8, 12, 24, 48, 72, 168, 336 h; the
    last bin has no upper edge (bin_hi_h null). Responses and resolutions after as-of are not
    known yet. measure is first_response or resolution. Ignores --grain and --by.

    Columns: measure, bin, bin_lo_h, bin_hi_h, tickets.
    """
    _dim, win = _window_frame(cur, q.with_(by=None), "support_distribution")
    if win is None:
        return pd.DataFrame({c: pd.Series([], dtype=t)
                             for c, t in SUPPORT_DISTRIBUTION_COLUMNS.items()})
    raw = run_sql(cur, "support_distribution",
                  {**win.params, "bin_edges": [float(e) for e in DISTRIBUTION_EDGES_H]})
    return pd.DataFrame({c: (raw[c].astype(object) if t == "object"
                             else pd.to_numeric(raw[c], errors="coerce").astype(pandas_dtype(t)))
                         for c, t in SUPPORT_DISTRIBUTION_COLUMNS.items()})


def _load_bucket(per_month: float) -> str:
    for label, lo, hi in TICKET_LOAD_BUCKETS:
        if lo <= per_month < hi:
            return label
    return TICKET_LOAD_BUCKETS[-1][0]


def support_accounts(cur, q: Query) -> pd.DataFrame:
    """Support load per account against churn ("do heavy support users churn more?").

    Accounts in scope that were customers on some day of the window: tickets created in the
    window; customer_days = days of the window (up to as-of) it was a customer;
    tickets_per_month = tickets / customer_days x 30.4375; ticket_load = its bucket (none,
    under 1 a month, 1–3 a month, 3 or more a month); churned = churn_date in the window (up to
    as-of). Ignores --grain and --by.

    Columns: account_id, name, segment, tickets, customer_days, tickets_per_month, ticket_load,
    churned.
    """
    _dim, win = _window_frame(cur, q.with_(by=None), "support_accounts")
    if win is None:
        return pd.DataFrame({c: pd.Series([], dtype=t)
                             for c, t in SUPPORT_ACCOUNTS_COLUMNS.items()})
    raw = run_sql(cur, "support_accounts", win.params)
    days = raw["customer_days"].where(raw["customer_days"] > 0)
    raw["tickets_per_month"] = raw["tickets"] / days * DAYS_PER_MONTH
    raw["ticket_load"] = [_load_bucket(0.0 if pd.isna(x) else float(x))
                          for x in raw["tickets_per_month"]]
    out = pd.DataFrame(index=raw.index)
    for c, t in SUPPORT_ACCOUNTS_COLUMNS.items():
        if t == "object":
            out[c] = raw[c].astype(object).where(raw[c].notna(), None)
        elif t == "bool":
            out[c] = raw[c].fillna(False).astype(bool)
        else:
            out[c] = pd.to_numeric(raw[c], errors="coerce").astype(pandas_dtype(t))
    return out.reset_index(drop=True)


def churn_by_ticket_load(accounts: pd.DataFrame) -> pd.DataFrame:
    """Churn rate per ticket-load bucket from `support_accounts` rows.

    Columns: ticket_load, accounts, churned, churn_rate (churned / accounts, null for none),
    tickets."""
    labels = [b[0] for b in TICKET_LOAD_BUCKETS]
    g = accounts.groupby("ticket_load").agg(
        accounts=("account_id", "size"), churned=("churned", "sum"), tickets=("tickets", "sum"))
    g = g.reindex(labels).fillna(0).astype("int64")
    rate = g["churned"] / g["accounts"].where(g["accounts"] > 0)
    return pd.DataFrame({"ticket_load": labels, "accounts": g["accounts"].to_numpy(),
                         "churned": g["churned"].to_numpy(), "churn_rate": rate.to_numpy(float),
                         "tickets": g["tickets"].to_numpy()})


def tickets_behind(cur, q: Query, group: str | None = None, any_group: bool = True,
                   max_rows: int = 500) -> pd.DataFrame:
    """The tickets behind a bar: tickets created in the window of `q` (its start/end; a period
    is a window), of the `q.by` group `group` unless `any_group`, newest first.

    Columns: ticket_id, account_id, name, segment, channel, priority, created_at,
    first_response_h, resolution_h, contacts, reopened, status."""
    _dim, win = _window_frame(cur, q, "support")
    if win is None:
        return pd.DataFrame(columns=["ticket_id", "account_id", "name", "segment", "channel",
                                     "priority", "created_at", "first_response_h",
                                     "resolution_h", "contacts", "reopened", "status"])
    return run_sql(cur, "support_tickets", {**win.params, "group_value": group,
                                             "any_group": bool(any_group),
                                             "max_rows": int(max_rows)})


# The metrics of this module, described once (metrics.spec); the registry collects them.
SPECS = (
    MetricSpec(
        name="support",
        label="Support",
        definition=(
            "Support tickets by creation period: first response and resolution times, "
            "first contact "
            "resolution, backlog and SLA attainment."
        ),
        formula=(
            "first response = first_response_at − created_at in hours (median, p90 linear, mean); "
            "fcr_rate = resolved with contacts ≤ 1 and not reopened ÷ resolved (null "
            "contacts/reopened excluded); sla_attainment = answered within target ÷ (answered + "
            "unanswered past target); targets P1 1 h, P2 4 h, P3 24 h, P4 72 h, others 24 h"
        ),
        fn=support,
        cols=SUPPORT_COLS,
        headline="first_response_median_h",
        query="support",
        excluded="fcr_excluded",
        setting_specs=(
            SettingSpec("sla_targets", "mapping",
                        {**SLA_TARGETS_DEFAULT, "other": SLA_OTHER_DEFAULT},
                        "first-response target hours per priority, e.g. P1=1,P2=4,other=24"),
        ),
    ),
    MetricSpec(
        name="ticket_backlog",
        label="Ticket backlog",
        definition=(
            "Support tickets open at the start and at the end of each period, opened and closed "
            "in it, and those open for more than 7 days: whether the team keeps up."
        ),
        formula=(
            "backlog_end = tickets with created_at < end and (resolved_at null or ≥ end), end = "
            "the period's end or the end of as-of; backlog_start = the same at the period's "
            "start; opened = created in the period; closed = resolved in the period; "
            "backlog_end = backlog_start + opened − closed; aged_over_7d = of backlog_end, "
            "created before end − 7 days; a resolution before creation counts at creation"
        ),
        fn=ticket_backlog,
        cols=TICKET_BACKLOG_COLS,
        headline="backlog_end",
        query="ticket_backlog",
        # a stock, read on the Support page; the weekly review's table keeps its rows for now
        in_review=False,
    ),
    MetricSpec(
        name="support_distribution",
        label="Support time distribution",
        definition=(
            "Tickets created in the window by first response time and by resolution time, in hour "
            "bins (the spread behind the medians)."
        ),
        formula=(
            "hours = (first_response_at or resolved_at) − created_at; bins [0, 0.5), [0.5, 1), [1, "
            "2), [2, 4), [4, 8), [8, 12), [12, 24), [24, 48), [48, 72), [72, 168), [168, 336), ≥ "
            "336 h; a time after as-of is not known yet"
        ),
        fn=support_distribution,
        cols=SUPPORT_DISTRIBUTION_COLS,
        headline="tickets",
        query="support_distribution",
        periods=False,
    ),
    MetricSpec(
        name="support_accounts",
        label="Support load and churn",
        definition=(
            "Per account: tickets per customer-month in the window, its load bucket and whether it "
            "churned in the window."
        ),
        formula=(
            "tickets_per_month = tickets ÷ customer_days × 30.4375; churned = churn_date in the "
            "window; churn rate per bucket = churned ÷ accounts"
        ),
        fn=support_accounts,
        cols=SUPPORT_ACCOUNTS_COLS,
        headline="tickets_per_month",
        query="support_accounts",
        periods=False,
    ),
)
