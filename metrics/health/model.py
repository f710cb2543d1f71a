"""The health model: a versioned YAML file, validated into a plain dict (the model object).

`metrics/health_model.yaml` is the default file; the setting `health_model` names another (a
path: `csm metric health --health-model FILE`), and $CSM_HEALTH_MODEL the file the app edits.
`load_model` / `validate_model` refuse an invalid model with a clear `ModelError`; `save_model`
validates before writing, so a refused model never replaces the saved one. A model being edited
is passed to the metric functions as the dict itself (`model=`), never as text in a setting;
`model_key` is its stable hash for caches.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from metrics import periods
from metrics.query import Query

# the model file stays beside the modules it configures (package data `metrics/*.yaml`)
MODEL_FILE = Path(__file__).resolve().parent.parent / "health_model.yaml"
# A save writes `.health_model.<pid>.<random>` beside the model, then renames it over the file.
TEMP_PREFIX = ".health_model."
STALE_UNNAMED_S = 3600  # a live writer holds its temporary file for milliseconds
COMPONENTS = ("usage", "adoption", "sentiment", "support", "financial")
BANDS = ("red", "yellow", "green")  # worst to best
# Parameters each component accepts besides `weight` (name -> (default, minimum)).
PARAMS = {
    "usage": {},
    "adoption": {"top_features": (10, 1)},
    "sentiment": {"days": (180, 1)},
    "support": {"days": (90, 1), "open_p1_penalty": (25, 0), "tickets_per_user_penalty": (50, 0),
                "missed_sla_penalty": (10, 0)},
    "financial": {"days": (90, 1)},
}


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
    out: dict[str, Any] = {
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
    remove_stale_temporaries(path.parent)
    # the writer's pid in the name: a later save can tell a dead writer's file from a live one's
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{TEMP_PREFIX}{os.getpid()}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(header + text)
            f.flush()
            os.fsync(f.fileno())  # on disk before it replaces the old file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)  # a full disk leaves no temporary file
        raise
    return new


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove the temporary files (`.health_model.<pid>.*`) that writers killed between the
    write and the rename left in `folder`; return those removed. A file is stale when its
    writer's process is gone (a file named without a pid, from before the pid was written in the
    name, when it is older than an hour): a live writer's file is never touched."""
    import time

    import psutil

    removed = []
    for tmp in Path(folder).glob(f"{TEMP_PREFIX}*"):
        pid = tmp.name[len(TEMP_PREFIX):].split(".")[0]
        try:
            if pid.isdigit():
                stale = not psutil.pid_exists(int(pid))
            else:
                stale = time.time() - tmp.stat().st_mtime > STALE_UNNAMED_S
            if stale and tmp.is_file():
                tmp.unlink()
                removed.append(tmp)
        except OSError:  # gone meanwhile (another save removed it) or not ours to remove
            continue
    return removed


def model_path() -> Path:
    """Return the model file the app edits: $CSM_HEALTH_MODEL, else metrics/health_model.yaml."""
    return Path(os.environ.get("CSM_HEALTH_MODEL") or MODEL_FILE)


def model_for(q: Query) -> dict:
    """Return the saved model a query names: the file of its `health_model` setting (a path),
    else `model_path()`."""
    return load_model(q.setting("health_model") or model_path())


def resolve_model(q: Query, model: dict | None = None) -> dict:
    """Return the model to score with: `model` validated when given (a draft being previewed),
    else the saved one the query names (`model_for`). ModelError when either is invalid."""
    return model_for(q) if model is None else validate_model(model)


def model_key(model: dict) -> str:
    """Return a stable hash of a model (sha256 of its validated, canonical JSON): equal for
    models that score alike, so caches can key on it instead of the dict."""
    text = json.dumps(validate_model(model), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()



def inputs_model(model: dict) -> dict:
    """Return the part of a model that changes the raw inputs (windows, days, top features),
    with neutral weights and bands: raw inputs cached under it survive weight edits."""
    out = copy.deepcopy(model)
    out["version"], out["bands"], out["changes"] = 1, {"green": 70, "yellow": 40}, []
    out["segments"], out["lifecycle_stages"] = {}, {}
    for spec in out["components"].values():
        spec["weight"] = 1.0
    return out
