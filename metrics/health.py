"""Health scores that explain themselves (METRICS.md "Health score").

- The model is a versioned YAML file (`metrics/health_model.yaml` by default; the setting
  `health_model` names another). `load_model` / `validate_model` refuse an invalid model with a
  clear `ModelError`; `save_model` validates before writing, so a refused model never replaces
  the saved one.
- `raw_inputs(cur, q, model)` reads the components' raw inputs with one SQL query
  (`metrics/sql/health_inputs.sql`) for every account active on as-of, from data dated before it.
  `raw_inputs_many(cur, q, model, dates)` does it for many as-of dates in one query
  (`health_inputs_many.sql`, the same rows as one `raw_inputs` per date): the band mix and the
  backtest read their 12-13 dates at once and score each date without the path search.
- `score_accounts(raw, model)` is pure pandas (vectorised, no per-account loop): component scores,
  re-normalised weights, contributions (they add up to the score), band, next band and the path
  to it. Re-scoring changed raw inputs is how the path is checked.
- `backtest(scored_by_date)` gives AUC, red lift and flagged churned MRR per as-of date.
"""

from __future__ import annotations

import copy
import math
import os
import tempfile
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from metrics import dimensions, periods
from metrics.kpis import run_sql
from metrics.query import Query

MODEL_FILE = Path(__file__).resolve().parent / "health_model.yaml"
COMPONENTS = ("usage", "adoption", "sentiment", "support", "financial")
BANDS = ("red", "yellow", "green")  # worst to best
OUTCOME_DAYS = 90  # backtest: churned within the next 90 days
# Parameters each component accepts besides `weight` (name -> (default, minimum)).
PARAMS = {
    "usage": {},
    "adoption": {"top_features": (10, 1)},
    "sentiment": {"days": (180, 1)},
    "support": {"days": (90, 1), "open_p1_penalty": (25, 0), "tickets_per_user_penalty": (50, 0),
                "missed_sla_penalty": (10, 0)},
    "financial": {"days": (90, 1)},
}
# The raw input the path to the next band changes, per component (label for the page).
PATH_INPUT = {
    "usage": "active users",
    "adoption": "top features used",
    "sentiment": "latest survey score",
    "support": "open P1 tickets",
    "financial": "MRR",
}
HEALTH_COLUMNS = ["account_id", "score", "band", "model_version"] + [
    f"{c}_{k}" for c in COMPONENTS for k in ("score", "contribution")
] + ["next_band", "path_to_next_band"]
INPUT_COLUMNS = [
    "account_id", "name", "segment", "lifecycle_stage", "csm_owner", "renewal_date", "in_scope",
    "seats", "active_users", "features_used", "top_features", "sentiment_type", "sentiment_raw",
    "sentiment_scale", "sentiment_at", "tickets", "open_p1", "missed_sla", "mrr_now", "mrr_base",
    "usage_tracked", "tickets_tracked", "churned_next"]
MIX_COLUMNS = ["as_of", "accounts", "green", "yellow", "red", "unscored", "mean_score",
               "model_version"]
BACKTEST_COLUMNS = ["as_of", "accounts", "churners", "auc", "red_lift", "churned_mrr_flagged"]


class ModelError(ValueError):
    """An invalid health model; the message says what is wrong."""


# ---------------------------------------------------------------------------------------------
# The model file


def _number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ModelError(f"{what} must be a number, not {value!r}")
    return float(value)


def _check_weights(weights, where: str, partial: bool) -> dict[str, float]:
    if not isinstance(weights, dict):
        raise ModelError(f"{where}: weights must be a mapping of component to weight")
    out = {}
    for name, w in weights.items():
        if name not in COMPONENTS:
            raise ModelError(f"{where}: unknown component {name!r}; known components: "
                             f"{', '.join(COMPONENTS)}")
        w = _number(w, f"{where}: weight of {name}")
        if w < 0:
            raise ModelError(f"{where}: weight of {name} is negative ({w:g}); weights must be "
                             "0 or more")
        out[name] = w
    if not partial and sum(out.values()) <= 0:
        raise ModelError(f"{where}: at least one weight must be above 0")
    return out


def _check_bands(bands, where: str) -> dict[str, float]:
    if not isinstance(bands, dict) or set(bands) - {"green", "yellow"}:
        raise ModelError(f"{where}: bands must have the thresholds green and yellow only")
    g = _number(bands.get("green"), f"{where}: green threshold")
    y = _number(bands.get("yellow"), f"{where}: yellow threshold")
    if not 0 <= y < g <= 100:
        raise ModelError(f"{where}: band thresholds out of order: need 0 <= yellow ({y:g}) < "
                         f"green ({g:g}) <= 100")
    return {"green": g, "yellow": y}


def validate_model(doc) -> dict:
    """Return a normalised copy of the model `doc` (a dict) or raise ModelError saying why.

    Refused: unknown keys or components, negative weights, all weights 0, thresholds out of
    order, a version or window that is not a positive whole number."""
    if not isinstance(doc, dict):
        raise ModelError("the health model must be a YAML mapping")
    known = {"version", "window_days", "bands", "components", "segments", "lifecycle_stages",
             "changes"}
    extra = set(doc) - known
    if extra:
        raise ModelError(f"unknown key(s) {sorted(extra)} in the health model; known: "
                         f"{sorted(known)}")
    version = doc.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ModelError(f"version must be a whole number >= 1, not {version!r}")
    window = doc.get("window_days", 30)
    if isinstance(window, bool) or not isinstance(window, int) or not 1 <= window <= 365:
        raise ModelError(f"window_days must be a whole number of days 1-365, not {window!r}")
    comps = doc.get("components")
    if not isinstance(comps, dict) or not comps:
        raise ModelError("components must be a mapping of component to its weight and settings")
    out_comps = {}
    for name, spec in comps.items():
        if name not in COMPONENTS:
            raise ModelError(f"unknown component {name!r}; known components: "
                             f"{', '.join(COMPONENTS)}")
        if not isinstance(spec, dict) or "weight" not in spec:
            raise ModelError(f"component {name} needs a weight")
        c = {"weight": _check_weights({name: spec["weight"]}, "components", True)[name]}
        for key, value in spec.items():
            if key == "weight":
                continue
            if key not in PARAMS[name]:
                raise ModelError(f"component {name} has no setting {key!r}; it has: "
                                 f"{', '.join(['weight', *PARAMS[name]]) }")
            v = _number(value, f"{name}.{key}")
            lo = PARAMS[name][key][1]
            if v < lo:
                raise ModelError(f"{name}.{key} must be >= {lo}, not {v:g}")
            c[key] = int(v) if key in ("days", "top_features") else v
        for key, (default, _lo) in PARAMS[name].items():
            c.setdefault(key, default)
        out_comps[name] = c
    _check_weights({k: v["weight"] for k, v in out_comps.items()}, "components", False)
    out = {
        "version": version,
        "window_days": window,
        "bands": _check_bands(doc.get("bands", {"green": 70, "yellow": 40}), "bands"),
        "components": out_comps,
    }
    for group in ("segments", "lifecycle_stages"):
        overrides = doc.get(group) or {}
        if not isinstance(overrides, dict):
            raise ModelError(f"{group} must be a mapping of {group[:-1]} to overrides")
        out[group] = {}
        for value, ov in overrides.items():
            where = f"{group}.{value}"
            if not isinstance(ov, dict) or set(ov) - {"weights", "bands"}:
                raise ModelError(f"{where}: an override may set weights and bands only")
            o = {}
            if "weights" in ov:
                o["weights"] = _check_weights(ov["weights"], where, True)
                missing = set(o["weights"]) - set(out_comps)
                if missing:
                    raise ModelError(f"{where}: component(s) {sorted(missing)} are not in the "
                                     "model's components")
            if "bands" in ov:
                o["bands"] = _check_bands(ov["bands"], where)
            out[group][str(value)] = o
    out["changes"] = _check_changes(doc.get("changes") or [])
    return out


def _check_changes(changes) -> list[dict]:
    """Return the model's change log ([{version, saved (ISO date)}]) or raise ModelError."""
    if not isinstance(changes, list):
        raise ModelError("changes must be a list of {version, saved} entries")
    out = []
    for ch in changes:
        if not isinstance(ch, dict) or set(ch) - {"version", "saved"}:
            raise ModelError("each entry of changes has a version and a saved date only")
        try:
            saved = date.fromisoformat(str(ch.get("saved")))
        except ValueError:
            raise ModelError(f"changes: saved must be an ISO date, not {ch.get('saved')!r}"
                             ) from None
        v = ch.get("version")
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ModelError(f"changes: version must be a whole number >= 1, not {v!r}")
        out.append({"version": v, "saved": saved.isoformat()})
    return out


def model_changes(model: dict) -> list[tuple[date, int]]:
    """Return (saved day, version) of each saved version of the model, oldest first."""
    return sorted((date.fromisoformat(c["saved"]), c["version"]) for c in model.get("changes", []))


def default_model() -> dict:
    """Return the shipped default model (metrics/health_model.yaml)."""
    return load_model(MODEL_FILE)


def load_model(path: str | Path | None = None) -> dict:
    """Return the validated model read from `path` (None: the default model file)."""
    path = Path(path) if path else model_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ModelError(f"cannot read the health model {path}: {e.strerror or e}") from None
    return parse_model(text)


def parse_model(text: str) -> dict:
    """Return the validated model of a YAML text (ModelError when invalid)."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ModelError(f"the health model is not valid YAML: {e}") from None
    return validate_model(doc)


def dump_model(model: dict) -> str:
    """Return the YAML text of a model (keys in the file's order)."""
    return yaml.safe_dump(validate_model(model), sort_keys=False, allow_unicode=True)


def save_model(model: dict, path: str | Path | None = None, bump: bool = True) -> dict:
    """Validate `model` and write it to `path` (default file); return what was written.

    `bump` sets the version to one more than the saved file's. An invalid model raises
    ModelError before anything is written; the file is replaced atomically."""
    path = Path(path) if path else model_path()
    new = validate_model(copy.deepcopy(model))
    if bump:
        try:
            old = load_model(path)["version"]
        except ModelError:
            old = new["version"] - 1
        new["version"] = max(old, new["version"] - 1) + 1
        # the day each version was saved: charts of scores over time mark it
        new["changes"] = [c for c in new["changes"] if c["version"] != new["version"]] + [
            {"version": new["version"], "saved": periods.today().isoformat()}]
    text = yaml.safe_dump(new, sort_keys=False, allow_unicode=True)
    header = ""
    if path.exists():  # keep the file's leading comment block
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        for line in lines:
            if not line.startswith("#"):
                break
            header += line
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".health_model.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(header + text)
    os.replace(tmp, path)
    return new


def model_path() -> Path:
    """Return the model file the app edits: $CSM_HEALTH_MODEL, else metrics/health_model.yaml."""
    return Path(os.environ.get("CSM_HEALTH_MODEL") or MODEL_FILE)


def model_for(q: Query) -> dict:
    """Return the model of a query: the YAML text of the `health_model_yaml` setting (an
    unsaved model being previewed), else the file the `health_model` setting names, else
    `model_path()`."""
    text = q.setting("health_model_yaml")
    if text:
        return parse_model(text)
    return load_model(q.setting("health_model") or model_path())


# ---------------------------------------------------------------------------------------------
# Raw inputs


def raw_inputs(cur, q: Query, model: dict, as_of: date | None = None) -> pd.DataFrame:
    """Return the raw inputs of every account active on as-of (SQL `health_inputs`).

    as-of is `as_of`, else `q.as_of`, else the latest data day. Empty frame when there is no
    data. Columns: account_id, name, segment, lifecycle_stage, csm_owner, renewal_date,
    in_scope, seats, active_users, features_used, top_features, sentiment_type, sentiment_raw,
    sentiment_scale, sentiment_at, tickets, open_p1, missed_sla, mrr_now, mrr_base,
    usage_tracked, tickets_tracked, churned_next; and `as_of`."""
    from metrics.kpis.support import sla_targets

    as_of = as_of or periods.resolve_as_of(cur, q)
    if as_of is None:
        return pd.DataFrame(columns=[*INPUT_COLUMNS, "as_of"])
    c = model["components"]
    get = lambda comp, key: c.get(comp, {}).get(key, PARAMS[comp][key][0])  # noqa: E731
    targets, other = sla_targets(q)
    mrr_day = as_of - timedelta(days=1)
    params = {
        "as_of": as_of,
        "as_of_ts": periods.day_start(as_of),
        "usage_start": as_of - timedelta(days=model["window_days"]),
        "top_features": int(get("adoption", "top_features")),
        "sentiment_start_ts": periods.day_start(as_of - timedelta(days=get("sentiment", "days"))),
        "support_start_ts": periods.day_start(as_of - timedelta(days=get("support", "days"))),
        "sla_priorities": list(targets),
        "sla_hours": [float(v) for v in targets.values()],
        "sla_other": float(other),
        "mrr_day": mrr_day,
        "mrr_base_day": mrr_day - timedelta(days=get("financial", "days")),
        "outcome_end": as_of + timedelta(days=OUTCOME_DAYS),
        **dimensions.scope_params(cur, q),
        **dimensions.dimension_params(dimensions.resolve_dimension(cur, None, "health", None)),
    }
    raw = run_sql(cur, "health_inputs", params)
    raw["as_of"] = as_of
    return raw


def raw_inputs_many(cur, q: Query, model: dict, dates) -> pd.DataFrame:
    """Return the raw inputs of every account active on each of `dates`, in one query (SQL
    `health_inputs_many`): the rows `raw_inputs` returns for each date, one frame ordered by
    as_of then account_id (same columns, `as_of` a date). Empty frame for no dates."""
    from metrics.kpis.support import sla_targets

    dates = sorted(set(dates))
    if not dates:
        return pd.DataFrame(columns=[*INPUT_COLUMNS, "as_of"])
    c = model["components"]
    get = lambda comp, key: c.get(comp, {}).get(key, PARAMS[comp][key][0])  # noqa: E731
    targets, other = sla_targets(q)
    params = {
        "as_of_dates": dates,
        "usage_days": int(model["window_days"]),
        "top_features": int(get("adoption", "top_features")),
        "sentiment_days": int(get("sentiment", "days")),
        "support_days": int(get("support", "days")),
        "financial_days": int(get("financial", "days")),
        "outcome_days": OUTCOME_DAYS,
        "sla_priorities": list(targets),
        "sla_hours": [float(v) for v in targets.values()],
        "sla_other": float(other),
        **dimensions.scope_params(cur, q),
        **dimensions.dimension_params(dimensions.resolve_dimension(cur, None, "health", None)),
    }
    raw = run_sql(cur, "health_inputs_many", params)
    raw["as_of"] = pd.to_datetime(raw["as_of"]).dt.date
    return raw


def scored_by_date(raw: pd.DataFrame, model: dict, dates, paths: bool = False
                   ) -> dict[date, pd.DataFrame]:
    """Return {as_of: score_accounts(rows of that as_of)} for each of `dates` from a
    `raw_inputs_many` frame (an empty frame for a date without active accounts). Each date is
    scored on its own: segment percentiles compare accounts on the same as-of."""
    parts = dict(iter(raw.groupby("as_of", sort=True))) if len(raw) else {}
    empty = raw.iloc[0:0]
    return {d: score_accounts(parts.get(d, empty).reset_index(drop=True), model, paths=paths)
            for d in dates}


# ---------------------------------------------------------------------------------------------
# Scoring (pure pandas)


def _percentile_in_segment(raw: pd.DataFrame) -> pd.Series:
    """Return 100 × (accounts of the segment with fewer active users) ÷ (accounts − 1)."""
    seg = raw["segment"].fillna("\0none")
    less = raw.groupby(seg)["active_users"].rank(method="min") - 1
    n = seg.map(seg.value_counts())
    return 100 * less / (n - 1).where(n > 1)


def component_scores(raw: pd.DataFrame, model: dict) -> pd.DataFrame:
    """Return the 0-100 score of each component per account (NaN = no data), same index."""
    c = model["components"]
    out = pd.DataFrame(index=raw.index)
    users = raw["active_users"].astype(float)
    seats = raw["seats"].astype(float)
    tracked = raw["usage_tracked"].astype(bool)
    by_seats = (100 * users / seats).clip(upper=100)
    out["usage"] = by_seats.where(seats > 0, _percentile_in_segment(raw)).where(tracked)
    top = raw["top_features"].astype(float)
    out["adoption"] = (100 * raw["features_used"] / top.where(top > 0)).where(tracked)
    s, scale = raw["sentiment_raw"].astype(float), raw["sentiment_scale"].astype(float)
    nps = raw["sentiment_type"] == "nps"
    csat = 100 * (s - 1) / (scale - 1).where(scale > 1)
    out["sentiment"] = (10 * s).where(nps, csat).where(s.notna())
    sp = c.get("support", {})
    unclipped = 100 - _support_penalty(raw, sp) - sp.get("open_p1_penalty", 25) * raw["open_p1"]
    out["support"] = unclipped.clip(0, 100).where(raw["tickets_tracked"].astype(bool))
    now, base = raw["mrr_now"].astype(float).fillna(0), raw["mrr_base"].astype(float)
    ratio = (now - base) / base.where(base > 0)
    out["financial"] = 50 + 50 * ratio.clip(-1, 1)
    return out.astype(float)


def _support_users(raw: pd.DataFrame) -> pd.Series:
    """Users that tickets are counted per: seats when known, else active users (at least 1)."""
    seats = raw["seats"].astype(float)
    return seats.where(seats > 0, raw["active_users"].astype(float).clip(lower=1))


def _support_penalty(raw: pd.DataFrame, sp: dict) -> pd.Series:
    """Return the penalties of support other than open P1 tickets."""
    per_user = raw["tickets"].astype(float) / _support_users(raw)
    return (sp.get("tickets_per_user_penalty", 50) * per_user
            + sp.get("missed_sla_penalty", 10) * raw["missed_sla"].astype(float))


def account_models(raw: pd.DataFrame, model: dict) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Return (weights per account and component, thresholds green/yellow per account, the
    override applied: '' for the base model, else 'segment X', 'stage Y' or both)."""
    base_w = {k: model["components"].get(k, {}).get("weight", 0.0) for k in COMPONENTS}
    keys = pd.DataFrame({"segment": raw["segment"].fillna("\0"),
                         "stage": raw["lifecycle_stage"].fillna("\0")})
    # the model of each distinct (segment, stage) pair, then spread to the accounts by position
    pairs = keys.drop_duplicates().reset_index(drop=True)
    combos = {}
    for seg, stage in map(tuple, pairs.to_numpy()):
        w, b, label = dict(base_w), dict(model["bands"]), []
        for group, value, name in (("segments", seg, "segment"),
                                   ("lifecycle_stages", stage, "stage")):
            ov = model.get(group, {}).get(value)
            if ov:
                w.update(ov.get("weights", {}))
                b.update(ov.get("bands", {}))
                label.append(f"{name} {value}")
        combos[(seg, stage)] = (w, b, ", ".join(label))
    pos = keys.merge(pairs.reset_index(names="_pos"), on=["segment", "stage"], how="left")[
        "_pos"].to_numpy()
    per_pair = [combos[k] for k in map(tuple, pairs.to_numpy())]
    w = np.array([[c[0][k] for k in COMPONENTS] for c in per_pair], dtype=float).reshape(-1, 5)
    b = np.array([[c[1]["green"], c[1]["yellow"]] for c in per_pair], dtype=float).reshape(-1, 2)
    lab = np.array([c[2] for c in per_pair] or [""], dtype=object)
    weights = pd.DataFrame(w[pos], index=raw.index, columns=list(COMPONENTS))
    bands = pd.DataFrame(b[pos], index=raw.index, columns=["green", "yellow"])
    labels = pd.Series(lab[pos] if len(pos) else [], index=raw.index, dtype=object)
    return weights, bands, labels


def _band(score: pd.Series, bands: pd.DataFrame) -> pd.Series:
    band = np.where(score >= bands["green"], "green",
                    np.where(score >= bands["yellow"], "yellow", "red"))
    return pd.Series(band, index=score.index, dtype=object).where(score.notna(), None)


def score_accounts(raw: pd.DataFrame, model: dict, paths: bool = True) -> pd.DataFrame:
    """Return `raw` with the health of every account.

    Added columns: `<c>_score`, `<c>_weight` (as set), `<c>_effective_weight` (re-normalised
    over the components with data: w′ᵢ = wᵢ ÷ Σ_present wⱼ), `<c>_contribution` (w′ᵢ × scoreᵢ,
    null without data), score (Σ contributions, null when no component has data), band, green,
    yellow (the thresholds applied), override, model_version, missing (components without data),
    next_band and path_to_next_band ({component, input, from, to} or null; all null when
    `paths` is False: the band mix and the backtest need scores and bands only, and the path
    search is most of the scoring time)."""
    out = raw.copy()
    if raw.empty:
        for col in HEALTH_COLUMNS + ["missing", "override", "green", "yellow"]:
            if col not in out:
                out[col] = pd.Series([], dtype=object)
        return out
    scores = component_scores(raw, model)
    weights, bands, labels = account_models(raw, model)
    present = scores.notna() & (weights > 0)
    total_w = weights.where(present, 0.0).sum(axis=1)
    eff = weights.where(present, 0.0).div(total_w.where(total_w > 0), axis=0)
    contrib = (eff * scores).where(present)
    score = pd.Series(0.0, index=raw.index)
    for comp in COMPONENTS:  # a fixed order, so Σ contributions is the score to the last bit
        score = score + contrib[comp].fillna(0.0)
    score = score.where(present.any(axis=1))
    for comp in COMPONENTS:
        out[f"{comp}_score"] = scores[comp]
        out[f"{comp}_weight"] = weights[comp]
        out[f"{comp}_effective_weight"] = eff[comp].where(present[comp])
        out[f"{comp}_contribution"] = contrib[comp]
    out["score"] = score
    out["green"], out["yellow"] = bands["green"], bands["yellow"]
    out["band"] = _band(score, bands)
    out["override"] = labels
    out["model_version"] = model["version"]
    out["missing"] = _missing(present, weights)
    nxt = out["band"].map({"red": "yellow", "yellow": "green"})
    out["next_band"] = nxt.where(nxt.notna(), None)
    out["path_to_next_band"] = (_paths(raw, model, out, scores, eff, present) if paths
                                 else pd.Series([None] * len(raw), index=raw.index, dtype=object))
    return out


def _missing(present: pd.DataFrame, weights: pd.DataFrame) -> pd.Series:
    """Return the components with weight but no data, as 'usage, sentiment' ('' for none)."""
    miss = (~present & (weights > 0)).to_numpy()
    # one text per combination of missing components (32 at most), picked by a bit code
    code = (miss * (1 << np.arange(len(COMPONENTS)))).sum(axis=1)
    texts = np.array([", ".join(c for i, c in enumerate(COMPONENTS) if k >> i & 1)
                      for k in range(1 << len(COMPONENTS))], dtype=object)
    return pd.Series(texts[code], index=present.index, dtype=object)


def _candidate_inputs(raw: pd.DataFrame, model: dict, need: pd.DataFrame) -> pd.DataFrame:
    """Return, per component, the smallest raw input whose component score reaches `need`
    (NaN where no value can). Raw inputs: active users, top features used, latest survey score,
    open P1 tickets, MRR now."""
    out = pd.DataFrame(index=raw.index)
    # usage: by seats, or the percentile within the segment
    seats = raw["seats"].astype(float)
    by_seats = np.ceil(need["usage"] * seats / 100 - 1e-9)
    by_pct = pd.Series(np.nan, index=raw.index)
    seg = raw["segment"].fillna("\0none")
    for _value, idx in seg.groupby(seg).groups.items():
        vals = np.sort(raw.loc[idx, "active_users"].to_numpy(dtype=float))
        n = len(vals)
        if n < 2:
            continue
        k = np.ceil(need.loc[idx, "usage"].to_numpy() * (n - 1) / 100 - 1e-9)
        ok = np.isfinite(k) & (k <= n - 1) & (k >= 0)
        res = np.full(len(idx), np.nan)
        res[ok] = vals[k[ok].astype(int)] + 1
        by_pct.loc[idx] = res
    out["usage"] = by_seats.where(seats > 0, by_pct).where(need["usage"] <= 100)
    top = raw["top_features"].astype(float)
    out["adoption"] = np.ceil(need["adoption"] * top / 100 - 1e-9).where(need["adoption"] <= 100)
    scale = raw["sentiment_scale"].astype(float)
    nps = np.ceil(need["sentiment"] / 10 - 1e-9)
    csat = np.ceil(1 + need["sentiment"] * (scale - 1) / 100 - 1e-9)
    out["sentiment"] = nps.where(raw["sentiment_type"] == "nps", csat).where(
        need["sentiment"] <= 100)
    sp = model["components"].get("support", {})
    pen = sp.get("open_p1_penalty", 25)
    rest = _support_penalty(raw, sp)
    p1 = np.floor((100 - rest - need["support"]) / pen + 1e-9) if pen > 0 else rest * np.nan
    out["support"] = p1.where((p1 >= 0) & (p1 < raw["open_p1"]) & (need["support"] <= 100))
    base = raw["mrr_base"].astype(float)
    mrr = np.ceil(base * (1 + (need["financial"] - 50) / 50) * 100 - 1e-6) / 100
    out["financial"] = mrr.where((need["financial"] <= 100) & (base > 0))
    return out


def _input_columns() -> dict[str, str]:
    return {"usage": "active_users", "adoption": "features_used", "sentiment": "sentiment_raw",
            "support": "open_p1", "financial": "mrr_now"}


def apply_path(raw: pd.DataFrame, account_id: str, path: dict) -> pd.DataFrame:
    """Return a copy of `raw` with one account's raw input changed as `path` says."""
    out = raw.copy()
    col = _input_columns()[path["component"]]
    out.loc[out["account_id"] == account_id, col] = path["to"]
    return out


def _usage_if(raw: pd.DataFrame, users: pd.Series) -> pd.Series:
    """Return each account's usage score if its active users alone became `users` (the other
    accounts of its segment unchanged): by seats, or 100 × (others with fewer) ÷ (n − 1)."""
    seats = raw["seats"].astype(float)
    users = users.astype(float)
    pct = pd.Series(np.nan, index=raw.index)
    seg = raw["segment"].fillna("\0none")
    for _value, idx in seg.groupby(seg).groups.items():
        cur = raw.loc[idx, "active_users"].to_numpy(dtype=float)
        vals, n = np.sort(cur), len(cur)
        if n < 2:
            continue
        new = users.loc[idx].to_numpy()
        less = np.searchsorted(vals, new, side="left") - (cur < new)  # others only
        pct.loc[idx] = 100 * less / (n - 1)
    by_seats = (100 * users / seats).clip(upper=100)
    return by_seats.where(seats > 0, pct).where(raw["usage_tracked"].astype(bool))


def _paths(raw, model, scored, scores, eff, present) -> pd.Series:
    """Return per account the single component whose raw input needs the least change (in
    component score points) to reach the next band's threshold, as {component, input, from,
    to}; null for green, unscored or unreachable accounts."""
    result = pd.Series([None] * len(raw), index=raw.index, dtype=object)
    target = scored["yellow"].where(scored["band"] == "red", scored["green"])
    todo = scored["band"].isin(["red", "yellow"])
    if not todo.any():
        return result
    gap = (target - scored["score"]).where(todo)
    need = pd.DataFrame({c: scores[c] + gap / eff[c].where(present[c] & (eff[c] > 0))
                         for c in COMPONENTS})
    cand = _candidate_inputs(raw, model, need)
    cols = _input_columns()
    gains = pd.DataFrame(index=raw.index, columns=list(COMPONENTS), dtype=float)
    for comp in COMPONENTS:
        changed = raw.copy()
        ok = cand[comp].notna() & todo
        changed.loc[ok, cols[comp]] = cand.loc[ok, comp]
        new = (_usage_if(raw, changed["active_users"]) if comp == "usage"
               else component_scores(changed, model)[comp])
        new_total = scored["score"] + eff[comp] * (new - scores[comp])
        feasible = ok & (new_total >= target) & (new > scores[comp])
        gains[comp] = (new - scores[comp]).where(feasible)
    arr = gains.to_numpy(dtype=float)
    has = ~np.isnan(arr).all(axis=1)
    best = np.argmin(np.where(np.isnan(arr), np.inf, arr), axis=1)  # ties: the earlier component
    # inputs by position (a label lookup per account was most of the scoring time)
    frm = np.column_stack([raw[cols[c]].to_numpy(dtype=float) for c in COMPONENTS])
    to = cand[list(COMPONENTS)].to_numpy(dtype=float)
    out = result.to_numpy(dtype=object, copy=True)
    for i in np.flatnonzero(has):
        k = best[i]
        comp = COMPONENTS[k]
        out[i] = {"component": comp, "input": PATH_INPUT[comp],
                  "from": _plain(frm[i, k]), "to": _plain(to[i, k])}
    return pd.Series(out, index=raw.index, dtype=object)


def _plain(v):
    v = float(v)
    return int(v) if v.is_integer() else round(v, 2)


def health_frame(scored: pd.DataFrame) -> pd.DataFrame:
    """Return the `health` metric's columns (in-scope accounts, by account_id)."""
    if scored.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object if c in (
            "account_id", "band", "next_band", "path_to_next_band") else float)
            for c in HEALTH_COLUMNS})
    out = scored.loc[scored["in_scope"].astype(bool), HEALTH_COLUMNS].copy()
    out["model_version"] = out["model_version"].astype("int64")
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Backtest


def auc(scores: np.ndarray, churned: np.ndarray) -> float:
    """Return P(score of a churner < score of a non-churner), ties counting ½ (NaN when either
    group is empty). Computed from mid-ranks (the Mann-Whitney U statistic), O(n log n)."""
    scores = np.asarray(scores, dtype=float)
    churned = np.asarray(churned, dtype=bool)
    n1, n0 = churned.sum(), (~churned).sum()
    if n1 == 0 or n0 == 0:
        return math.nan
    ranks = pd.Series(scores).rank(method="average").to_numpy()
    # U of non-churners: pairs where the non-churner scores higher (ties ½)
    u0 = ranks[~churned].sum() - n0 * (n0 + 1) / 2
    return float(u0 / (n0 * n1))


def backtest_row(scored: pd.DataFrame, as_of: date) -> dict:
    """Return one backtest row from the scored accounts of one as-of date (scored ones only)."""
    s = scored[scored["in_scope"].astype(bool) & scored["score"].notna()] if len(scored) else scored
    n = len(s)
    if n == 0:
        return {"as_of": as_of, "accounts": 0, "churners": 0, "auc": math.nan,
                "red_lift": math.nan, "churned_mrr_flagged": math.nan}
    churned = s["churned_next"].astype(bool).to_numpy()
    rate = churned.mean()
    red = (s["band"] == "red").to_numpy()
    red_rate = churned[red].mean() if red.any() else math.nan
    mrr = s["mrr_now"].astype(float).fillna(0).to_numpy()
    churned_mrr = mrr[churned].sum()
    flagged = mrr[churned & s["band"].isin(["red", "yellow"]).to_numpy()].sum()
    return {"as_of": as_of, "accounts": int(n), "churners": int(churned.sum()),
            "auc": auc(s["score"].to_numpy(), churned),
            "red_lift": red_rate / rate if rate > 0 else math.nan,
            "churned_mrr_flagged": flagged / churned_mrr if churned_mrr > 0 else math.nan}


def backtest_dates(cur, q: Query) -> list[date]:
    """Return the backtest's as-of dates: `q.as_of` alone when given, else the first day of each
    of the 12 months ending 90 days before the latest data day."""
    if q.as_of is not None:
        return [q.as_of]
    return backtest_dates_before(periods.resolve_as_of(cur, Query()))


def backtest_dates_before(latest: date | None) -> list[date]:
    """Return the first day of each of the 12 months ending 90 days before `latest`."""
    if latest is None:
        return []
    last = (latest - timedelta(days=OUTCOME_DAYS)).replace(day=1)
    out = []
    for k in range(11, -1, -1):
        m = last.month - 1 - k
        out.append(date(last.year + m // 12, m % 12 + 1, 1))
    return out


def backtest_frame(rows: list[dict]) -> pd.DataFrame:
    """Return backtest rows as the metric's frame."""
    df = pd.DataFrame(rows, columns=BACKTEST_COLUMNS)
    for c in ("accounts", "churners"):
        df[c] = df[c].astype("int64")
    for c in ("auc", "red_lift", "churned_mrr_flagged"):
        df[c] = df[c].astype(float)
    return df


# ---------------------------------------------------------------------------------------------
# Metric functions (registry)


def health(cur, q: Query) -> pd.DataFrame:
    """Health per in-scope account active on as-of, from data dated before as-of (METRICS.md;
    see score_accounts). path_to_next_band is {component, input, from, to} or null.

    Columns: account_id, score, band, model_version, usage_score, usage_contribution,
    adoption_score, adoption_contribution, sentiment_score, sentiment_contribution,
    support_score, support_contribution, financial_score, financial_contribution, next_band,
    path_to_next_band."""
    model = model_for(q)
    return health_frame(score_accounts(raw_inputs(cur, q, model), model))


def health_accounts(cur, q: Query) -> pd.DataFrame:
    """Health with its explanation per in-scope account: raw inputs, weights as set and
    re-normalised, contributions, missing components, thresholds, path (score_accounts).

    Columns: those of `health_inputs`, then account_id, score, band, model_version,
    usage_score, usage_contribution, adoption_score, adoption_contribution, sentiment_score,
    sentiment_contribution, support_score, support_contribution, financial_score,
    financial_contribution (and each component's _weight and _effective_weight), green, yellow,
    override, missing, next_band, path_to_next_band."""
    model = model_for(q)
    scored = score_accounts(raw_inputs(cur, q, model), model)
    if scored.empty:
        return scored
    return scored[scored["in_scope"].astype(bool)].reset_index(drop=True)


def health_inputs(cur, q: Query) -> pd.DataFrame:
    """The raw inputs of every account active on as-of (all accounts, `in_scope` marks the
    filtered ones): what a page scores with an edited model without reading the data again.

    Columns: account_id, name, segment, lifecycle_stage, csm_owner, renewal_date, in_scope,
    seats, active_users, features_used, top_features, sentiment_type, sentiment_raw,
    sentiment_scale, sentiment_at, tickets, open_p1, missed_sla, mrr_now, mrr_base,
    usage_tracked, tickets_tracked, churned_next, as_of."""
    return raw_inputs(cur, q, model_for(q))


def health_backtest(cur, q: Query) -> pd.DataFrame:
    """Per backtest as-of date: accounts scored, churners in the next 90 days, AUC, red lift
    and the share of churned MRR that was red or yellow (METRICS.md health_backtest).

    Columns: as_of, accounts, churners, auc, red_lift, churned_mrr_flagged."""
    model = model_for(q)
    dates = backtest_dates(cur, q)
    scored = scored_by_date(raw_inputs_many(cur, q, model, dates), model, dates)
    return backtest_frame([backtest_row(scored[d], d) for d in dates])


def mix_dates(cur, q: Query) -> list[date]:
    """Return the as-of dates of the band mix: the first day of each month inside the query's
    window (at most the last 12), then its as-of."""
    return mix_dates_for(q, periods.resolve_as_of(cur, q))


def mix_dates_for(q: Query, as_of: date | None) -> list[date]:
    """`mix_dates` for a known as-of."""
    if as_of is None:
        return []
    end = min(q.end - timedelta(days=1), as_of) if q.end else as_of
    start = q.start or date(end.year - 1, end.month, 1)
    out, d = [], periods.ceil_period(start, "month")
    while d < end:
        out.append(d)
        d = periods.next_period(d, "month")
    return out[-12:] + [end]


def health_mix(cur, q: Query) -> pd.DataFrame:
    """The band mix over time: per as-of date (the first day of each month of the window, at
    most 12, and the window's last day capped at as-of), the in-scope active accounts, how many
    are green, yellow, red or unscored, and the mean score, under the current model.

    Columns: as_of, accounts, green, yellow, red, unscored, mean_score, model_version."""
    model = model_for(q)
    dates = mix_dates(cur, q)
    return mix_frame(scored_by_date(raw_inputs_many(cur, q, model, dates), model, dates), model)


def mix_frame(scored: dict[date, pd.DataFrame], model: dict) -> pd.DataFrame:
    """Return the band mix (health_mix columns) of the scored accounts of each as-of date
    ({as_of: score_accounts frame}, in date order), the in-scope accounts only."""
    rows = []
    for d, s in scored.items():
        s = s[s["in_scope"].astype(bool)] if len(s) else s
        counts = s["band"].value_counts() if len(s) else {}
        rows.append({"as_of": d, "accounts": len(s),
                     **{b: int(counts.get(b, 0)) for b in ("green", "yellow", "red")},
                     "unscored": int(s["score"].isna().sum()) if len(s) else 0,
                     "mean_score": float(s["score"].mean()) if len(s) else math.nan,
                     "model_version": model["version"]})
    df = pd.DataFrame(rows, columns=MIX_COLUMNS)
    for c in ("accounts", "green", "yellow", "red", "unscored", "model_version"):
        df[c] = df[c].astype("int64")
    df["mean_score"] = df["mean_score"].astype(float)
    return df


def _n(v) -> str:
    v = float(v)
    return f"{v:,.0f}" if v.is_integer() else f"{v:,.2f}"


def explain_inputs(row: pd.Series, model: dict) -> dict[str, str]:
    """Return per component the raw inputs behind its score, in words ("12 active users of 40
    seats in the 30 days before as-of")."""
    c = model["components"]
    win = model["window_days"]
    out = {}
    if not row.get("usage_tracked", True):
        out["usage"] = out["adoption"] = "no usage data before as-of"
    else:
        users = int(row["active_users"])
        if row["seats"] == row["seats"] and row["seats"]:
            out["usage"] = f"{users:,} active users of {_n(row['seats'])} seats in the {win} " \
                           "days before as-of"
        else:
            seg = row["segment"] if isinstance(row["segment"], str) else "(no segment)"
            out["usage"] = f"{users:,} active users in the {win} days before as-of, ranked " \
                           f"within segment {seg} (no seats attribute)"
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
        out["support"] = (f"{int(row['tickets'])} tickets in {sp.get('days', 90)} days "
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


def inputs_model(model: dict) -> dict:
    """Return the part of a model that changes the raw inputs (windows, days, top features),
    with neutral weights and bands: raw inputs cached under it survive weight edits."""
    out = copy.deepcopy(model)
    out["version"], out["bands"], out["changes"] = 1, {"green": 70, "yellow": 40}, []
    out["segments"], out["lifecycle_stages"] = {}, {}
    for spec in out["components"].values():
        spec["weight"] = 1.0
    return out
