"""The health model editor: weights, band thresholds and trailing window for the base model or
a segment / lifecycle stage override; a preview before saving; saving writes the YAML file and
bumps its version. Widget values live in session state, so edits survive reruns."""

from __future__ import annotations

import copy
import hashlib

import streamlit as st

from dashboard import auth, context
from dashboard.components.text import md_escape
from metrics import audit, health
from metrics.health import stored as health_stored
from metrics.store import transaction
from render import charts

BASE = "All accounts (base model)"


def _prefix(scope: str) -> str:
    return "hm_" + hashlib.sha1(scope.encode()).hexdigest()[:8]


def _effective(model: dict, scope: str) -> tuple[dict, dict]:
    """Return (weights, bands) in force for a scope of the model."""
    w = {c: model["components"].get(c, {}).get("weight", 0.0) for c in health.COMPONENTS}
    b = dict(model["bands"])
    if scope != BASE:
        group = "segments" if scope.startswith("Segment: ") else "lifecycle_stages"
        ov = model.get(group, {}).get(scope.split(": ", 1)[1], {})
        w.update(ov.get("weights", {}))
        b.update(ov.get("bands", {}))
    return w, b


def _apply(draft: dict, saved: dict, scope: str) -> None:
    """Write the widget values of one scope into the draft model (an override only when they
    differ from what is in force)."""
    p = _prefix(scope)
    if f"{p}_green" not in st.session_state:
        return
    w = {c: float(st.session_state[f"{p}_w_{c}"]) for c in health.COMPONENTS}
    b = {"green": float(st.session_state[f"{p}_green"]),
         "yellow": float(st.session_state[f"{p}_yellow"])}
    if scope == BASE:
        for c in health.COMPONENTS:
            draft["components"].setdefault(c, {"weight": 0.0})["weight"] = w[c]
        draft["bands"] = b
        draft["window_days"] = int(st.session_state[f"{p}_window"])
        return
    if (w, b) == _effective(saved, scope):
        return
    group = "segments" if scope.startswith("Segment: ") else "lifecycle_stages"
    draft.setdefault(group, {})[scope.split(": ", 1)[1]] = {"weights": w, "bands": b}


def editor(saved: dict, segments: list[str], stages: list[str]) -> tuple[dict | None, str | None]:
    """Draw the editor; return (the edited model when valid, or None; the error message)."""
    scopes = [BASE] + [f"Segment: {s}" for s in segments] + [f"Lifecycle stage: {s}"
                                                              for s in stages]
    scope = st.selectbox("Applies to", scopes, key="hm_scope",
                         help="A segment or lifecycle-stage model overrides the base model's "
                         "weights and bands for its accounts (a stage after its segment).")
    w, b = _effective(saved, scope)
    p = _prefix(scope)
    cols = st.columns(len(health.COMPONENTS))
    for col, c in zip(cols, health.COMPONENTS, strict=True):
        col.number_input(f"{charts.COMPONENT_LABELS[c]} weight", 0.0, 1.0, float(w[c]), 0.05,
                         key=f"{p}_w_{c}", format="%.2f")
    c1, c2, c3 = st.columns(3)
    c1.number_input("Green from (score ≥)", 0.0, 100.0, float(b["green"]), 1.0, key=f"{p}_green")
    c2.number_input("Yellow from (score ≥)", 0.0, 100.0, float(b["yellow"]), 1.0,
                    key=f"{p}_yellow")
    if scope == BASE:
        c3.number_input("Usage window (days)", 1, 365, int(saved["window_days"]), 1,
                        key=f"{p}_window")
    draft = copy.deepcopy(saved)
    for s in scopes:
        _apply(draft, saved, s)
    try:
        model = health.validate_model(draft)
    except health.ModelError as e:
        st.error(f"This model cannot be used: {md_escape(e)}")
        return None, str(e)
    total = sum(_effective(model, scope)[0].values())
    st.caption(f"Weights sum to {total:.2f}; each account's weights are divided by the sum of "
               "those of its components with data, so they always add up to 1.")
    return model, None


def save_button(model: dict | None, changed: bool) -> None:
    """Draw the save button: writes the model file (version + 1) when the draft is valid;
    for a user who may not save, the role needed instead."""
    if not auth.can("save_health_model"):
        st.caption(auth.refusal("save_health_model"))
        return
    if st.button("Save the model", key="hm_save", disabled=model is None or not changed,
                 help=f"Writes {health.model_path().name} with the version increased by one."):
        new = save(model)
        for k in [k for k in st.session_state if str(k).startswith("hm_") and k != "hm_scope"]:
            del st.session_state[k]
        st.session_state["hm_saved_msg"] = f"Saved model version {new['version']}."
        st.rerun()


def save(model: dict | None) -> dict:
    """Write `model` to the model file (version + 1), record it in the audit trail, and return
    what was saved; stops the run
    unless the user may save the health model (nothing is written)."""
    auth.require("save_health_model")
    if model is None:
        raise ValueError("no valid model to save")
    new = health.save_model(model, health.model_path())
    with context.write_cursor() as cur:
        audit.record(cur, context.who(), "health_model", health.model_path().name,
                     f"saved version {new['version']}")
        # the stored scores under the new model, so the pages read them again (else they are
        # computed until the next load)
        with transaction(cur):
            health_stored.refresh(cur, new)
    return new
