"""Alert rules (tables alert_rules and alert_history): defined on the Goals page, evaluated after
every successful import and on demand, each evaluation recorded with its value and the accounts
concerned; a cooldown keeps the same alert from repeating at every load.

Kinds:
- `threshold`: a metric of a segment (or everyone) over the trailing `window_days` days up to
  as-of is `below` / `above` a value ("NPS of Enterprise below 20");
- `target`: the same value is worse than the team's target whose period holds as-of ("logo
  churn above target"; worse = below for metrics where up is good, above otherwise);
- `health_red`: accounts whose health band is red at as-of and was not `window_days` days
  before, with MRR above `mrr_min` (only when a `health` metric is registered).

A rule fired within its cooldown (`cooldown_hours`, wall-clock time of the evaluations) is
recorded as fired but `suppressed`, unless it concerns accounts the previous firing did not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd

from metrics import fmt, goals, health, registry
from metrics.dimensions import scope_params
from metrics.kpis import run_sql
from metrics.periods import resolve_as_of
from metrics.query import Query
from metrics.store import transaction

KINDS = {
    "threshold": "metric below or above a value",
    "target": "metric worse than its target",
    "health_red": "account turned red with MRR above a value",
}
OPS = ("below", "above")
RULE_COLUMNS = ["rule_id", "name", "kind", "metric", "segment", "op", "threshold", "mrr_min",
                "window_days", "cooldown_hours", "enabled", "creates_tasks"]
DEFAULT_WINDOW = {"threshold": 30, "target": 30, "health_red": 7}
DEFAULT_COOLDOWN_HOURS = 24.0
_INSERT_RULE = ("INSERT INTO alert_rules (rule_id, name, kind, metric, segment, op, threshold, "
                "mrr_min, window_days, cooldown_hours, enabled, created_at, creates_tasks) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def health_available() -> bool:
    """Return whether a `health` metric is registered (account bands green/yellow/red)."""
    return "health" in registry.REGISTRY


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)




def _text(v) -> str | None:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    s = str(v).strip()
    return s or None


def default_name(r: dict) -> str:
    """Return a readable name for a rule ("NPS of Enterprise below 20")."""
    who = f" of {r['segment']}" if r.get("segment") else ""
    if r["kind"] == "health_red":
        return f"account turned red with MRR above {fmt.number(r.get('mrr_min')) or 0:,.0f}{who}"
    label = r.get("metric") or "?"
    if r["kind"] == "target":
        return f"{label}{who} worse than target"
    return f"{label}{who} {r.get('op')} {fmt.number(r.get('threshold')):g}"


def normalise_rule(r: dict) -> tuple[dict, list[str]]:
    """Return (the rule with defaults filled in, problems). Problems name the field."""
    out: dict[str, Any] = {c: r.get(c) for c in RULE_COLUMNS}
    problems = []
    kind = _text(out["kind"])
    out["kind"] = kind
    out["metric"] = _text(out["metric"])
    out["segment"] = _text(out["segment"])
    out["op"] = (_text(out["op"]) or "").lower() or None
    if kind not in KINDS:
        problems.append(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
        return out, problems
    if kind in ("threshold", "target"):
        s = goals.spec(out["metric"] or "")
        if s is None:
            problems.append(f"metric: unknown metric {out['metric']!r}")
        elif not registry.REGISTRY[s.metric].periods:
            problems.append(f"metric: {out['metric']} has no periods; choose a metric such as "
                            "nps, csat or logo_churn")
        if kind == "threshold":
            if out["op"] not in OPS:
                problems.append("op: choose below or above")
            threshold = fmt.number(out["threshold"])
            if threshold is None:
                problems.append("threshold: a number is needed")
            elif s is not None and (why := s.problem(threshold)):
                problems.append(f"threshold: {why}")
        else:
            out["op"] = "below" if s is None or s.direction == "up" else "above"
            out["threshold"] = None
    else:
        if not health_available():
            problems.append("kind: health scores are not available yet")
        mrr_min = fmt.number(out["mrr_min"])
        if mrr_min is None or mrr_min < 0:
            problems.append("mrr_min: an MRR of 0 or more is needed")
        out["metric"], out["op"], out["threshold"] = "health", None, None
    window = fmt.number(out["window_days"])
    out["window_days"] = int(window) if window else DEFAULT_WINDOW[kind]
    if out["window_days"] < 1:
        problems.append("window_days: at least 1 day")
    cool = fmt.number(out["cooldown_hours"])
    out["cooldown_hours"] = DEFAULT_COOLDOWN_HOURS if cool is None else cool
    if out["cooldown_hours"] < 0:
        problems.append("cooldown_hours: 0 or more")
    out["enabled"] = True if out["enabled"] is None or out["enabled"] is pd.NA else bool(
        out["enabled"])
    # An account-naming rule (health_red) may open a task per account (metrics/actions/tasks).
    ct = out["creates_tasks"]
    out["creates_tasks"] = False if ct is None or ct is pd.NA or ct != ct else bool(ct)
    out["name"] = _text(out["name"]) or (default_name(out) if not problems else None)
    return out, problems


def read_rules(cur) -> pd.DataFrame:
    """Return every alert rule (RULE_COLUMNS and created_at), oldest first."""
    return run_sql(cur, "alert_rules", {})


def add_rule(cur, **fields) -> tuple[int | None, list[str]]:
    """Add a rule; return (its rule_id, []) or (None, problems) with nothing changed."""
    rule, problems = normalise_rule(fields)
    if problems:
        return None, problems
    rid = int(cur.execute("SELECT nextval('alert_rule_seq')").fetchone()[0])
    cur.execute(
        _INSERT_RULE,
        [rid, rule["name"], rule["kind"], rule["metric"], rule["segment"], rule["op"],
         fmt.number(rule["threshold"]), fmt.number(rule["mrr_min"]), rule["window_days"],
         rule["cooldown_hours"], rule["enabled"], _now(), rule["creates_tasks"]],
    )
    return rid, []


def save_rules(cur, df: pd.DataFrame, who: str | None = None) -> list[str]:
    """Replace the rules with the rows of `df` (an edited `read_rules` frame) when all are
    valid; return the problems ("rule N, field: ...") and change nothing when there are any.
    A row keeps its rule_id (and so its history); a new row gets a new one. A save is recorded
    in the audit trail as done by `who` (default: the OS user)."""
    rows, problems = [], []
    for i, r in enumerate(df.to_dict("records"), start=1):
        # Only a row left wholly empty is not a rule (the editor's blank new row); a row with
        # anything in it is checked, so an incomplete rule is refused with its reason rather
        # than dropped.
        if all(_text(r.get(c)) is None for c in ("name", "kind", "metric", "segment", "op",
                                                 "threshold", "mrr_min", "window_days",
                                                 "cooldown_hours")):
            continue
        rule, errs = normalise_rule(r)
        problems += [f"rule {i}, {e}" for e in errs]
        rule["created_at"] = r.get("created_at")
        rows.append(rule)
    if problems:
        return problems
    with transaction(cur):
        cur.execute("DELETE FROM alert_rules")
        for rule in rows:
            rid = fmt.number(rule["rule_id"])
            rid = int(rid) if rid is not None else int(
                cur.execute("SELECT nextval('alert_rule_seq')").fetchone()[0])
            created = rule["created_at"]
            created = _now() if created is None or pd.isna(created) else created
            cur.execute(
                _INSERT_RULE,
                [rid, rule["name"], rule["kind"], rule["metric"], rule["segment"], rule["op"],
                 fmt.number(rule["threshold"]), fmt.number(rule["mrr_min"]), rule["window_days"],
                 rule["cooldown_hours"], rule["enabled"], created, rule["creates_tasks"]],
            )
        from metrics import audit
        from metrics.ingest.record import _whoami

        names = "; ".join(str(r["name"]) for r in rows)[:1000]
        audit.record(cur, who or _whoami(), "alert_rule", "alert_rules",
                     f"saved {len(rows)} rules: {names}")
    return []


@dataclass
class Outcome:
    """One rule's evaluation: fired?, the value compared, the threshold, accounts, message."""

    fired: bool
    value: float | None
    threshold: float | None
    accounts: list[str]
    message: str


def metric_value(cur, name: str, segment: str | None, as_of: date, days: int) -> float | None:
    """Return target name `name` of `segment` (None = everyone) over the `days` days up to
    as-of (one period, grain all); None when undefined (no data)."""
    s = goals.spec(name)
    if s is None:
        raise KeyError(f"unknown metric {name!r}")
    q = Query(start=as_of - timedelta(days=days - 1), end=as_of + timedelta(days=1),
              as_of=as_of, grain="all", segment=(segment,) if segment else ())
    frame = registry.compute(cur, s.metric, q)
    if frame.empty or s.column not in frame:
        return None
    return fmt.number(frame[s.column].iloc[-1])


def health_bands(cur, day: date) -> pd.DataFrame:
    """Return account_id and band of every account at `day` from the registered health metric
    (empty without one)."""
    if not health_available():
        return pd.DataFrame(columns=["account_id", "band"])
    bands = health.bands_on(cur, Query(), day)
    return (pd.DataFrame({"account_id": bands.index, "band": bands.to_numpy()})
            if len(bands) else pd.DataFrame(columns=["account_id", "band"]))


def turned_red(before: pd.DataFrame, after: pd.DataFrame, mrr: pd.DataFrame,
               mrr_min: float) -> list[str]:
    """Return the account ids red in `after` and not red (or absent) in `before`, whose MRR
    (`mrr`: account_id, mrr) is above `mrr_min`, sorted."""
    red = set(after.loc[after["band"] == "red", "account_id"])
    was = set(before.loc[before["band"] == "red", "account_id"])
    paying = dict(zip(mrr["account_id"], mrr["mrr"], strict=True))
    return sorted(a for a in red - was if (paying.get(a) or 0) > mrr_min)


def evaluate_rule(cur, rule: dict, as_of: date) -> Outcome:
    """Return the Outcome of one rule at `as_of` (nothing recorded)."""
    kind, days = rule["kind"], int(rule["window_days"] or DEFAULT_WINDOW[rule["kind"]])
    seg = _text(rule.get("segment"))
    if kind == "health_red":
        if not health_available():
            return Outcome(False, None, fmt.number(rule["mrr_min"]), [],
                           "health scores are not available yet")
        before = health_bands(cur, as_of - timedelta(days=days))
        after = health_bands(cur, as_of)
        q = Query(segment=(seg,) if seg else ())
        acc = run_sql(cur, "review_accounts", {**scope_params(cur, q), "dim": "",
                                                "dim_attribute": "", "day_before": as_of,
                                                "day_after": as_of})
        ids = turned_red(before, after, acc.rename(columns={"mrr_after": "mrr"}),
                         fmt.number(rule["mrr_min"]) or 0.0)
        ids = [a for a in ids if a in set(acc["account_id"])]
        msg = (f"{fmt.plural(len(ids), 'account')} turned red in the {days} days to {as_of}"
               if ids else
               f"no account turned red in the {days} days to {as_of}")
        return Outcome(bool(ids), float(len(ids)), fmt.number(rule["mrr_min"]), ids, msg)
    value = metric_value(cur, rule["metric"], seg, as_of, days)
    if kind == "target":
        threshold = goals.target_for(cur, rule["metric"], seg, as_of)
        if threshold is None:
            return Outcome(False, value, None, [], f"no target for {rule['metric']} on {as_of}")
    else:
        threshold = fmt.number(rule["threshold"])
    if value is None:
        return Outcome(False, None, threshold, [], f"no value in the {days} days to {as_of}")
    if threshold is None:  # a saved threshold rule always has one (normalise_rule)
        raise ValueError("the rule has no threshold")
    op = rule["op"]
    fired = value < threshold if op == "below" else value > threshold
    msg = (f"{rule['metric']} = {value:.4g} over the {days} days to {as_of}: "
           f"{'' if fired else 'not '}{op} {threshold:.4g}")
    return Outcome(fired, value, threshold, [], msg)


def evaluate(cur, trigger: str = "manual", load_id: int | None = None,
             as_of: date | None = None, now: datetime | None = None) -> pd.DataFrame:
    """Evaluate every enabled rule at as-of (default: the data's), record one history row per
    rule and return them (columns of alert_history). `now` is the wall-clock time of the
    evaluation (the cooldown is measured in it)."""
    rules = read_rules(cur)
    rules = rules[rules["enabled"].fillna(False).astype(bool)] if len(rules) else rules
    if rules.empty:
        return pd.DataFrame()
    as_of = as_of or resolve_as_of(cur, Query())
    now = now or _now()
    if as_of is None:
        return pd.DataFrame()
    events = []
    for rule in rules.to_dict("records"):
        try:
            out = evaluate_rule(cur, rule, as_of)
        except Exception as e:  # noqa: BLE001 - one broken rule must not stop the others
            out = Outcome(False, None, None, [], f"could not be evaluated: {e}")
        suppressed = False
        if out.fired:
            last = run_sql(cur, "alert_last_fired", {"rule_id": int(rule["rule_id"])})
            if len(last):
                since = now - pd.Timestamp(last["evaluated_at"].iloc[0]).to_pydatetime()
                before = set(filter(None, (last["accounts"].iloc[0] or "").split(", ")))
                suppressed = (since < timedelta(hours=float(rule["cooldown_hours"] or 0))
                              and set(out.accounts) <= before)
        events.append({
            "rule_id": int(rule["rule_id"]), "rule_name": rule["name"], "evaluated_at": now,
            "as_of": as_of, "trigger": trigger, "load_id": load_id, "fired": out.fired,
            "suppressed": suppressed, "value": out.value, "threshold": out.threshold,
            "accounts": ", ".join(out.accounts) or None,
            "message": out.message + (" (within the cooldown: not repeated)" if suppressed
                                      else ""),
        })
    from metrics.actions import tasks

    by_rule = {int(r["rule_id"]): r for r in rules.to_dict("records")}
    with transaction(cur):
        for ev in events:
            ev["event_id"] = int(cur.execute("SELECT nextval('alert_event_seq')").fetchone()[0])
            cur.execute(
                "INSERT INTO alert_history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [ev["event_id"], ev["rule_id"], ev["rule_name"], ev["evaluated_at"], ev["as_of"],
                 ev["trigger"], ev["load_id"], ev["fired"], ev["suppressed"], ev["value"],
                 ev["threshold"], ev["accounts"], ev["message"]],
            )
            rule = by_rule[ev["rule_id"]]
            if ev["fired"] and ev["accounts"] and bool(rule.get("creates_tasks")):
                tasks.from_alert(cur, rule, ev["accounts"].split(", "), now)
    return pd.DataFrame(events)


def history(cur, limit: int = 500, from_day: date | None = None,
            to_day: date | None = None, scope: Query | None = None) -> pd.DataFrame:
    """Return the evaluations, newest first (at most `limit`); only those whose as-of lies in
    [from_day, to_day) when both are given. With `scope` (the accounts of a csm restricted to
    their book): only the evaluations naming accounts of the scope, with those accounts alone
    and their count as the value (alert_history_in_scope.sql); none over a whole segment or
    the team."""
    params = {"limit": int(limit), "from_day": from_day, "to_day": to_day}
    if scope is None:
        df = run_sql(cur, "alert_history", params)
    else:
        df = run_sql(cur, "alert_history_in_scope", {**params, **scope_params(cur, scope),
                                                     "dim": "", "dim_attribute": ""})
    df["as_of"] = pd.to_datetime(df["as_of"]).dt.date
    return df


def fired(cur, from_day: date, to_day: date, scope: Query | None = None) -> pd.DataFrame:
    """Return the alerts that fired (not held back by the cooldown) on data of
    [from_day, to_day), newest first; with `scope`, as `history` limits them."""
    h = history(cur, 1000, from_day, to_day, scope)
    return h[h["fired"] & ~h["suppressed"]].reset_index(drop=True) if len(h) else h


def after_load(store, load_id: int | None) -> str | None:
    """Evaluate the rules after a successful load (outside its transaction); return a one-line
    summary, or None when there are no rules. Never raises: a failed evaluation is reported in
    the summary and the load stays loaded."""
    cur = store.cursor()
    try:
        if not int(cur.execute("SELECT count(*) FROM alert_rules WHERE enabled").fetchone()[0]):
            return None
        ev = evaluate(cur, trigger="import", load_id=load_id)
        if ev.empty:
            return None
        new = int((ev["fired"] & ~ev["suppressed"]).sum())
        held = int((ev["fired"] & ev["suppressed"]).sum())
        return (f"alerts: {len(ev)} rule(s) checked, {new} fired"
                + (f", {held} still firing within the cooldown" if held else ""))
    except Exception as e:  # noqa: BLE001 - the load is committed; say why alerts did not run
        # (evaluate's writes run in store.transaction, which has rolled back already)
        return f"alerts could not be evaluated: {e}"
    finally:
        cur.close()
