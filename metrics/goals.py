"""Targets (the `targets` table): what can be targeted, validation, CSV round trip, saving, and
a proposed target from the baseline history (PRODUCT.md page 9).

A target names either a registry metric (its headline column is the value: `nps`,
`logo_churn` → churn_rate) or one output column of a registry metric (`fcr_rate`,
`first_response_median_h`), so a metric added to the registry can be targeted at once.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any, cast

import numpy as np
import pandas as pd

from metrics import fmt, registry
from metrics.health import stored as health_stored
from metrics.kpis import run_sql
from metrics.periods import floor_period, next_period, resolve_as_of
from metrics.query import Query
from metrics.spec import UNITS, ColumnSpec
from metrics.store import bump_data_version, transaction

COLUMNS = ["metric", "segment", "period_start", "period_end", "target", "note"]


@dataclass(frozen=True)
class TargetSpec:
    """What a target name means: the registry metric, the column compared and that column's
    spec (unit, valid range, direction and the grain its targets are stated in)."""

    key: str
    metric: str
    column: str
    label: str
    col: ColumnSpec

    @property
    def unit(self) -> str:
        """Return the unit of the targeted column."""
        return self.col.unit

    @property
    def direction(self) -> str:
        """Return which way is good for the targeted column ("up" or "down")."""
        return self.col.direction or "up"

    @property
    def is_fraction(self) -> bool:
        """Return whether the target is a rate between 0 and 1."""
        return self.col.kind == "rate" and self.col.bounds == (0.0, 1.0)

    def problem(self, value: float) -> str | None:
        """Return why `value` cannot be a target of this column (its unit's range), or None."""
        return self.col.out_of_range(value)

    def applies_at(self, grain: str) -> bool:
        """Return whether a target may be compared with a value at `grain`: a target stated
        for a grain (a monthly churn rate) only at that grain — a quarter's churn rate is
        about three months' worth and would always look missed."""
        return self.col.target_grain is None or self.col.target_grain == grain


@cache
def target_specs() -> dict[str, TargetSpec]:
    """Return {name: TargetSpec} of every targetable name: each registry metric (its headline
    column) and each targetable output column of a metric with periods (the first metric in
    name order that declares the column wins). Units, ranges and directions are the columns'
    own specs."""
    out: dict[str, TargetSpec] = {}
    for name in sorted(registry.REGISTRY):
        d = registry.REGISTRY[name]
        out[name] = TargetSpec(name, name, d.headline, d.label, d.head)
    for name in sorted(registry.REGISTRY):
        d = registry.REGISTRY[name]
        if not d.periods:
            continue
        for c in d.cols:
            if c.name in out or not c.targetable:
                continue
            out[c.name] = TargetSpec(c.name, name, c.name, f"{d.label}: {c.label}", c)
    return out


def spec(name: str) -> TargetSpec | None:
    """Return the TargetSpec of a target name, or None when nothing of that name exists."""
    return target_specs().get(name)


def target_names(name: str) -> list[str]:
    """Return every target name that targets the same column as `name` (itself included),
    sorted: a metric's headline can be named after the metric or after its column ("support"
    and "first_response_median_h"), and a target saved under either must be found by both."""
    specs = target_specs()
    s = specs.get(name)
    if s is None:
        return [name]
    return sorted(k for k, t in specs.items() if (t.metric, t.column) == (s.metric, s.column))


def target_problems(metric: str | None, target: float | None) -> list[tuple[str, str]]:
    """Return the (column, reason) problems of one target row's metric and value: an empty or
    unknown name, or a value outside the range of the targeted column's unit. The one check of
    every path a target takes (Goals page, its CSV upload, `csm load targets`)."""
    specs = target_specs()
    if metric is None:
        return [("metric", "empty; choose one of the metrics")]
    if metric not in specs:
        return [("metric", f"unknown metric {metric!r}; known: "
                           f"{', '.join(sorted(registry.REGISTRY))} or one of their columns")]
    why = specs[metric].problem(target) if target is not None else None
    return [("target", why)] if why else []


def check_rows(table: str, rows: pd.DataFrame) -> list[tuple[int, str, object, str]]:
    """Return the problems of typed `targets` rows as the import reports them (row id from
    `_row`, column, value, reason); nothing for other tables (metrics.ingest's RowCheck)."""
    if table != "targets":
        return []
    out = []
    for r in rows.to_dict("records"):
        target = None if pd.isna(r.get("target")) else float(r["target"])
        for column, reason in target_problems(_text(r.get("metric")), target):
            out.append((int(r["_row"]), column, r.get(column), f"{column}: {reason}"))
    return out


def _as_date(v) -> date | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.date()
    if isinstance(v, date):
        return v
    s = str(v).strip()
    if not s or s.lower() in ("nan", "nat", "none"):
        return None
    try:
        return date.fromisoformat(s[:10])
    except ValueError:
        return None


def _text(v) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    s = str(v).strip()
    return s or None


def normalise(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Return (targets frame with the table's columns and types, problems found).

    Each problem names the row (1 = the first data row), the column and what is wrong: a name
    that is no metric, a missing or unreadable date, end not after start, a target that is
    not a number, or a fraction metric's target outside 0–1. Wholly empty rows are dropped."""
    problems: list[str] = []
    rows = []
    missing = [c for c in ("metric", "period_start", "period_end", "target") if c not in df]
    if missing:
        return pd.DataFrame(columns=COLUMNS), [f"missing column(s): {', '.join(missing)}"]
    for i, r in enumerate(df.to_dict("records"), start=1):
        metric = _text(r.get("metric"))
        values = [r.get(c) for c in COLUMNS if c in r]
        if all(_text(v) is None for v in values):
            continue
        start, end = _as_date(r.get("period_start")), _as_date(r.get("period_end"))
        raw_target = r.get("target")
        try:
            target = float(raw_target) if raw_target is not None and _text(raw_target) else None
        except (TypeError, ValueError):
            target = None
        if target is not None and not math.isfinite(target):
            target = None
        where = f"row {i}"
        if start is None:
            problems.append(f"{where}, period_start: {r.get('period_start')!r} is not a date "
                            "(YYYY-MM-DD)")
        if end is None:
            problems.append(f"{where}, period_end: {r.get('period_end')!r} is not a date "
                            "(YYYY-MM-DD)")
        if start is not None and end is not None and end <= start:
            problems.append(f"{where}, period_end: {end} is not after period_start {start} "
                            "(the end is exclusive)")
        if target is None:
            problems.append(f"{where}, target: {raw_target!r} is not a number")
        problems += [f"{where}, {column}: {why}" for column, why in target_problems(metric, target)]
        rows.append({"metric": metric, "segment": _text(r.get("segment")),
                     "period_start": start, "period_end": end, "target": target,
                     "note": _text(r.get("note"))})
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["target"] = pd.to_numeric(out["target"], errors="coerce").astype("float64")
    for c in ("metric", "segment", "note", "period_start", "period_end"):
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out, problems


def read_targets(cur) -> pd.DataFrame:
    """Return every stored target (columns of the targets table), by metric, segment, start."""
    df = run_sql(cur, "targets_all", {})
    for c in ("period_start", "period_end"):
        df[c] = pd.to_datetime(df[c]).dt.date
    return df


def save_targets(cur, df: pd.DataFrame, who: str | None = None) -> list[str]:
    """Replace the stored targets with `df` when every row is valid; return the problems.

    Nothing is changed when there is any problem (the list is then non-empty). A successful
    save bumps the data version, so cached pages show the new targets, and is recorded in the
    audit trail as done by `who`."""
    from metrics import audit

    clean, problems = normalise(df)
    if problems:
        return problems
    with transaction(cur):
        before = cur.execute("SELECT count(*) FROM targets").fetchone()[0]
        cur.execute("DELETE FROM targets")
        if len(clean):
            cur.executemany(
                "INSERT INTO targets (metric, segment, period_start, period_end, target, note) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [[r.metric, r.segment, r.period_start, r.period_end, float(cast(float, r.target)),
                  r.note]
                 for r in clean.itertuples(index=False)],
            )
        bump_data_version(cur)
        health_stored.carry_forward(cur)  # targets are no input of the health scores
        audit.record(cur, who or _os_user(), "targets", "targets",
                     f"saved {fmt.plural(len(clean), 'target')} (there were {before:,})")
    return []


def _os_user() -> str:
    from metrics.ingest.record import _whoami

    return _whoami()


def targets_csv(df: pd.DataFrame) -> bytes:
    """Return targets as CSV bytes (UTF-8 with BOM, formulas neutralised, ISO dates)."""
    from metrics.export import csv_bytes

    out = df.reindex(columns=COLUMNS).copy()
    for c in ("period_start", "period_end"):
        out[c] = [d.isoformat() if isinstance(d, date) else d for d in out[c]]
    return csv_bytes(out)


def targets_from_csv(data: bytes) -> tuple[pd.DataFrame, list[str]]:
    """Return (targets, problems) read from CSV bytes such as `targets_csv` writes.

    A leading quote that an export put before a formula-like text is removed again."""
    text = data.decode("utf-8-sig", errors="replace")
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        return pd.DataFrame(columns=COLUMNS), [f"the file is not a readable CSV: {e}"]
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    for c in ("segment", "note"):
        if c in raw:
            raw[c] = [v[1:] if v[:2] in ("'=", "'+", "'-", "'@") else v for v in raw[c]]
    return normalise(raw)


# ---------------------------------------------------------------------------------------------
# Baseline proposal


def propose_from_history(values, direction: str, unit: str, ahead: int = 1) -> dict:
    """Return {level, trend, projected, proposed, quarters} from up to 4 quarterly values
    (oldest first; NaN left out).

    level = the mean of the values; trend = the least-squares slope per quarter; projected =
    the fitted line `ahead` quarters after the last (2 when a quarter is running between the
    history and the quarter proposed for); proposed = projected when the trend goes the
    good way (up for `direction` "up"), else the last fitted level (hold the line rather than
    aim lower), kept inside the unit's range (a fraction inside 0–1). With fewer than 2 values
    there is no trend and the proposal is the single value (None with none)."""
    ys = [float(v) for v in values if v is not None and not pd.isna(v)]
    n = len(ys)
    if n == 0:
        return {"level": None, "trend": None, "projected": None, "proposed": None,
                "quarters": 0}
    if n == 1:
        return {"level": ys[0], "trend": None, "projected": ys[0], "proposed": ys[0],
                "quarters": 1}
    x = np.arange(n, dtype=float)
    slope, intercept = np.polyfit(x, np.asarray(ys), 1)
    projected = intercept + slope * (n - 1 + ahead)
    last_fit = intercept + slope * (n - 1)
    good = slope >= 0 if direction == "up" else slope <= 0
    proposed = projected if good else last_fit
    lo, hi = UNITS.get(unit, ("number", None, None))[1:]  # kept inside the unit's range
    proposed = max(lo, proposed) if lo is not None else proposed
    proposed = min(hi, proposed) if hi is not None else proposed
    return {"level": float(np.mean(ys)), "trend": float(slope), "projected": float(projected),
            "proposed": float(proposed), "quarters": n}


def baseline_proposal(cur, name: str, segment: str | None = None,
                      as_of: date | None = None, q: Query | None = None) -> dict:
    """Return the proposal of `propose_from_history` for target `name` (and `segment`) from the
    last 4 complete quarters up to as-of, plus `history` (list of (quarter start, value)),
    `next_start` / `next_end` (the quarter the proposal is for: the first that has not begun
    on as-of, never the running one), `current` (the running quarter's value so far; None when
    as-of ends a quarter) and `flag` (why the proposal looks wrong, e.g. below the current
    value of an up-is-good metric; "" when not). Empty when no data."""
    s = spec(name)
    empty: dict[str, Any] = {"level": None, "trend": None, "projected": None, "proposed": None,
                             "quarters": 0, "history": [], "next_start": None, "next_end": None,
                             "current": None, "flag": ""}
    if s is None or not registry.REGISTRY[s.metric].periods:
        return empty
    base = q or Query()
    as_of = as_of or resolve_as_of(cur, base)
    if as_of is None:
        return empty
    this_q = floor_period(as_of + timedelta(days=1), "quarter")  # complete up to as-of
    start = this_q
    for _ in range(4):
        start = floor_period(start - timedelta(days=1), "quarter")
    monthly = s.col.target_grain == "month"
    qq = base.with_(start=start, end=this_q, grain="month" if monthly else "quarter",
                    as_of=as_of, by=None, segment=(segment,) if segment else base.segment)
    frame = registry.compute(cur, s.metric, qq)
    frame = frame[~frame["partial"]] if len(frame) else frame
    if monthly and len(frame):
        frame = frame.assign(period=[floor_period(p, "quarter") for p in frame["period"]])
        frame = frame.groupby("period", as_index=False)[[s.column]].mean()
    history = [(p, float(v) if pd.notna(v) else None)
               for p, v in zip(frame["period"], frame[s.column], strict=True)] if len(frame) \
        else []
    running = this_q if this_q <= as_of else None  # a quarter begun but not ended on as-of
    target_q = next_period(this_q, "quarter") if running else this_q
    out = propose_from_history([v for _, v in history], s.direction, s.unit,
                               ahead=2 if running else 1)
    current = _running_value(cur, s, qq, running, as_of) if running else None
    out.update(history=history, next_start=target_q, next_end=next_period(target_q, "quarter"),
               current=current, flag=_flag(out["proposed"], current, s))
    return out


def _running_value(cur, s: TargetSpec, qq: Query, running: date, as_of: date) -> float | None:
    """Return the value so far of the quarter `running` (month mean for a monthly target)."""
    grain = "month" if s.col.target_grain == "month" else "quarter"
    f = registry.compute(cur, s.metric, qq.with_(start=running, end=next_period(running,
                                                                              "quarter"),
                                                 grain=grain, as_of=as_of))
    vals = [float(v) for v in f[s.column] if pd.notna(v)] if len(f) else []
    return float(np.mean(vals)) if vals else None


def _flag(proposed: float | None, current: float | None, s: TargetSpec) -> str:
    """Return why a proposal needs a second look: below what the running quarter already
    reaches for an up-is-good metric (above, for down-is-good); "" otherwise."""
    if proposed is None or current is None:
        return ""
    if s.direction == "up" and proposed < current:
        return (f"below this quarter so far ({fmt.value(current, s.unit)}): the trend of the "
                "last 4 quarters lags the current level; aim at least that high")
    if s.direction == "down" and proposed > current:
        return (f"above this quarter so far ({fmt.value(current, s.unit)}): the trend lags "
                "the current level; aim at least that low")
    return ""


def proposals(cur, targets: pd.DataFrame, as_of: date | None = None) -> pd.DataFrame:
    """Return one row per (metric, segment) in `targets` with the team's latest target and the
    proposal: metric, segment, team_target, proposed, level, trend, quarters, for_quarter,
    current (the running quarter so far), flag (baseline_proposal)."""
    rows = []
    pairs = (targets[["metric", "segment"]].drop_duplicates() if len(targets)
             else pd.DataFrame(columns=["metric", "segment"]))
    for metric, segment in pairs.itertuples(index=False):
        if spec(metric) is None:
            continue
        seg = segment if isinstance(segment, str) and segment else None
        mine = targets[(targets.metric == metric) & (
            targets.segment.isna() if seg is None else targets.segment == seg)]
        mine = mine.sort_values("period_start")
        p = baseline_proposal(cur, metric, seg, as_of)
        rows.append({"metric": metric, "segment": seg,
                     "team_target": float(mine.target.iloc[-1]) if len(mine) else None,
                     "proposed": p["proposed"], "level": p["level"], "trend": p["trend"],
                     "quarters": p["quarters"], "for_quarter": p["next_start"],
                     "current": p["current"], "flag": p["flag"]})
    return pd.DataFrame(rows, columns=["metric", "segment", "team_target", "proposed", "level",
                                       "trend", "quarters", "for_quarter", "current", "flag"])


def target_applies(name: str, grain: str) -> bool:
    """Return whether a target of `name` may be compared with its value at `grain`
    (`TargetSpec.applies_at`: the demo's "monthly logo churn at most 2%" only at month grain)."""
    s = spec(name)
    return s is None or s.applies_at(grain)


def target_on(targets: pd.DataFrame | None, name: str, period, grain: str) -> float | None:
    """Return the target (from a `targets_for_metric` frame) whose period holds `period`, when
    it may be compared at `grain` (`target_applies`); else None. The latest-starting wins."""
    if targets is None or targets.empty or period is None or not target_applies(name, grain):
        return None
    ts = pd.Timestamp(period)
    hit = targets[(targets.period_start <= ts) & (targets.period_end > ts)]
    return float(hit.target.iloc[-1]) if len(hit) else None


def target_for(cur, name: str, segment: str | None, day: date) -> float | None:
    """Return the target of `name` for `segment` (None = everyone) whose period holds `day`."""
    df = run_sql(cur, "target_on_day", {"metrics": target_names(name), "segment": segment,
                                         "day": day})
    return float(df["target"].iloc[0]) if len(df) else None
