"""Health scoring, pure pandas (vectorised, no per-account loop).

`score_accounts(raw, model)` gives component scores, re-normalised weights, contributions (they
add up to the score), band, next band and the path to it: the single raw input needing the least
change to reach the next band's threshold. Re-scoring changed raw inputs (`apply_path`) is how
the path is checked.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from metrics.health.model import COMPONENTS

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


def _percentile_in_segment(raw: pd.DataFrame) -> pd.Series:
    """Return 100 × (accounts of the segment with fewer active users) ÷ (accounts − 1), among
    the accounts of the same as-of when `raw` holds several (`scored_by_date` scores many
    dates in one pass)."""
    seg = raw["segment"].fillna("\0none")
    keys = [raw["as_of"], seg] if "as_of" in raw else [seg]
    groups = raw.groupby(keys, dropna=False)["active_users"]
    less = groups.rank(method="min") - 1
    n = groups.transform("size")
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
    wm = np.array([[c[0][k] for k in COMPONENTS] for c in per_pair], dtype=float).reshape(-1, 5)
    bm = np.array([[c[1]["green"], c[1]["yellow"]] for c in per_pair], dtype=float).reshape(-1, 2)
    lab = np.array([c[2] for c in per_pair] or [""], dtype=object)
    weights = pd.DataFrame(wm[pos], index=raw.index, columns=list(COMPONENTS))
    bands = pd.DataFrame(bm[pos], index=raw.index, columns=["green", "yellow"])
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
    # an input without data (no MRR on as-of) has no "from": null, not NaN (JSON has no NaN)
    v = float(v)
    if math.isnan(v):
        return None
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
