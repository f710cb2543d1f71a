"""Health scores stored at import, so pages read them instead of recomputing them.

Scoring one as-of date reads the trailing windows of usage, surveys, tickets and MRR of every
active account; the band mix, the backtest and the Accounts page's sparklines ask for 13-25
dates, which cost ~20 s on 50,000 accounts and 10M usage events. `refresh(cur)` scores the
dates the pages ask for by default (`stored_dates`: the first day of each month from the
backtest's first date up to the latest data day, and that day) with the saved model, inside the
load's own transaction (after the data version is bumped), into `health_scores`: one row per
(as_of, active account), tagged with the model-and-settings `key` and the data version.

`scores_by_date(cur, q, model, dates)` returns the scores of `dates` under `model`: those
stored under the same key at the current data version are read (one query, the filters applied
as `in_scope`), the others are computed as before (`raw_inputs_many` + `scored_by_date`). Both
give the same frames (`SCORE_COLUMNS`, the same values to the last bit: stored as DOUBLE);
tests/unit/test_health_stored.py checks it. Stale rows (another data version, an edited model,
other SLA targets) are never read, so a write path that forgets to refresh only costs time.

Like the usage rollups (metrics/rollup.py) the table is derived: created when missing, no
numbered migration. Scores do not depend on the filters (every active account is scored;
segment percentiles compare all of them), which is why one stored set serves every filter.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from typing import Any, cast

import pandas as pd

from metrics.health.inputs import OUTCOME_DAYS, raw_inputs_many
from metrics.health.model import COMPONENTS, ModelError, load_model, model_key, model_path
from metrics.health.over_dates import scored_by_date
from metrics.query import Query

TABLE = "health_scores"
NOT_INPUTS = ("targets", "orders")  # tables a load of which leaves the scores as they are
_COMPONENT_COLUMNS = [f"{c}_{k}" for c in COMPONENTS for k in ("score", "contribution")]
# What a page keeps of each scored account per date (band mix, backtest, score history).
SCORE_COLUMNS = ["as_of", "account_id", "in_scope", "score", "band", "model_version",
                 *_COMPONENT_COLUMNS, "churned_next", "mrr_now"]
# What the band mix and the backtest need (`mix_frame`, `backtest_row`).
SUMMARY_COLUMNS = ["as_of", "in_scope", "score", "band", "churned_next", "mrr_now"]

DDL = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    key VARCHAR NOT NULL, data_version BIGINT NOT NULL, as_of DATE NOT NULL,
    account_id VARCHAR, score DOUBLE, band VARCHAR, model_version BIGINT,
    {", ".join(f"{c} DOUBLE" for c in _COMPONENT_COLUMNS)},
    churned_next BOOLEAN, mrr_now DOUBLE)"""


def scores_key(q: Query, model: dict) -> str:
    """Return the key stored scores are valid under: the model (`model_key`) and the settings
    that change the raw inputs (the SLA targets)."""
    from metrics.kpis.support import sla_targets

    targets, other = sla_targets(q)
    text = json.dumps([model_key(model), sorted(targets.items()), other], sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stored_dates(latest: date | None) -> list[date]:
    """Return the as-of dates stored for data ending on `latest`: the first day of each month
    from the backtest's first date (12 months ending `OUTCOME_DAYS` before `latest`) up to
    `latest`, the two days the default weekly review compares bands on (`review_dates`), then
    `latest` itself (the band mix of the default window, the backtest, the Accounts page's
    sparklines and the weekly review ask for these), sorted."""
    if latest is None:
        return []
    last = (latest - timedelta(days=OUTCOME_DAYS)).replace(day=1)
    m = last.month - 1 - 11
    d = date(last.year + m // 12, m % 12 + 1, 1)
    out = set(review_dates(latest))
    while d < latest:
        out.add(d)
        d = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return sorted({*out, latest})


def review_dates(latest: date) -> list[date]:
    """Return the days the default weekly review (the last ISO week complete on `latest`,
    metrics/review.py) reads health bands on: the Sunday before the week, and its last day
    (capped at `latest`). Every filter change of the Weekly review page asks for both."""
    monday = latest - timedelta(days=latest.weekday())
    start = monday if latest.weekday() == 6 else monday - timedelta(days=7)
    return [start - timedelta(days=1), min(start + timedelta(days=6), latest)]


def _shape(frame: pd.DataFrame, columns: list[str] = SCORE_COLUMNS) -> pd.DataFrame:
    """Return `frame` with exactly `columns` (of SCORE_COLUMNS) and one dtype per column,
    whichever path produced it (so stored and computed scores compare equal)."""
    if not len(frame):
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    out = frame[columns].reset_index(drop=True)
    want: dict[str, Any] = {"in_scope": "bool", "churned_next": "bool",
                            "model_version": "int64", "account_id": "object", "band": "object"}
    for c in columns:
        if c == "as_of":
            if out[c].dtype != object:
                out[c] = pd.to_datetime(out[c]).dt.date
            continue
        dtype = want.get(c, "float64")
        if out[c].dtype != dtype:  # converted only when not already so (no copies)
            out[c] = out[c].astype(dtype)
        if dtype == "object":
            out[c] = out[c].where(out[c].notna(), None)
    return out


def _computed(cur, q: Query, model: dict, dates: list[date],
              columns: list[str] = SCORE_COLUMNS) -> dict[date, pd.DataFrame]:
    """Return {as_of: scores} of `dates` computed from the data (no stored rows)."""
    if not dates:
        return {}
    scored = scored_by_date(raw_inputs_many(cur, q, model, dates), model, dates)
    return {d: _shape(s.assign(as_of=d), columns) for d, s in scored.items()}


def exists(cur) -> bool:
    """True when the scores table exists (a database from before it has none)."""
    return bool(cur.execute("SELECT count(*) FROM information_schema.tables "
                            "WHERE table_name = ?", [TABLE]).fetchall()[0][0])


def _stored(cur, q: Query, model: dict, dates: list[date],
            columns: list[str] = SCORE_COLUMNS) -> dict[date, pd.DataFrame]:
    """Return {as_of: scores} of the `dates` stored under `model`'s key at the current data
    version, only `columns` (dates without stored rows are left out)."""
    from metrics import dimensions
    from metrics.kpis import load_sql, sql_params

    bad = [c for c in columns if c not in SCORE_COLUMNS]
    if bad:
        raise ValueError(f"unknown score columns {bad}")
    if not dates or not exists(cur):
        return {}
    params = {"key": scores_key(q, model), "as_of_dates": dates,
              **dimensions.scope_params(cur, q),
              **dimensions.dimension_params(dimensions.NO_DIMENSION)}
    sql = load_sql("health_scores_read")
    # only the columns asked for leave DuckDB (names from SCORE_COLUMNS, checked above): on
    # 50,000 accounts x 16 dates the conversion to pandas is most of the read
    keep = list(dict.fromkeys(["as_of", *columns]))
    frame = cur.execute(f"SELECT {', '.join(keep)} FROM ({sql})",
                        {k: params[k] for k in sql_params(sql)}).df()
    rows = _shape(frame, keep)
    return {cast(date, d): part[columns].reset_index(drop=True)
            for d, part in rows.groupby("as_of", sort=True)}


def scores_by_date(cur, q: Query, model: dict, dates,
                   columns: list[str] = SCORE_COLUMNS) -> dict[date, pd.DataFrame]:
    """Return {as_of: every active account's scores, `columns` of SCORE_COLUMNS} for each of
    `dates` under `model`, in date order: stored ones read, the rest computed (an empty frame
    for a date without active accounts)."""
    dates = sorted(set(dates))
    found = _stored(cur, q, model, dates, columns)
    # a stored date has rows for every active account; a date without any is computed (it may
    # simply have no active accounts: computing it then is cheap)
    computed = _computed(cur, q, model, [d for d in dates if d not in found], columns)
    return {d: found[d] if d in found else computed[d] for d in dates}


def refresh(cur, model: dict | None = None) -> int:
    """Replace the stored scores with those of `stored_dates` under `model` (None: the saved
    model file; a file that cannot be used stores nothing rather than failing the load), at the
    current data version. Runs inside the caller's transaction; returns the rows stored."""
    from metrics.periods import resolve_as_of

    cur.execute(DDL)
    cur.execute(f"DELETE FROM {TABLE}")
    if model is None:
        try:
            model = load_model(model_path())
        except ModelError:
            return 0
    if not cur.execute("SELECT count(*) FROM accounts").fetchall()[0][0]:
        return 0  # nothing to score (the inputs' query would still read every usage row)
    q = Query()
    dates = stored_dates(resolve_as_of(cur, q))
    frames = [f for f in _computed(cur, q, model, dates).values() if len(f)]
    if not frames:
        return 0
    frame = pd.concat(frames, ignore_index=True).drop(columns="in_scope")
    version = cur.execute("SELECT max(version) FROM data_version").fetchall()[0][0] or 0
    cols = [c for c in SCORE_COLUMNS if c != "in_scope"]
    cur.register("_health_scores_frame", frame)
    try:
        cur.execute(f"INSERT INTO {TABLE} (key, data_version, {', '.join(cols)}) "
                    f"SELECT $key, $version, {', '.join(cols)} FROM _health_scores_frame",
                    {"key": scores_key(q, model), "version": int(version)})
    finally:
        cur.unregister("_health_scores_frame")
    return len(frame)


def carry_forward(cur) -> None:
    """Keep the stored scores valid across a data-version bump that changed none of their
    inputs (targets saved): call it right after that bump, in the same transaction."""
    if exists(cur):
        cur.execute(f"UPDATE {TABLE} SET data_version = (SELECT max(version) FROM data_version) "
                    "WHERE data_version = (SELECT max(version) FROM data_version) - 1")
