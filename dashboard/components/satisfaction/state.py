"""The Satisfaction page's main choices (grain, comparison dimension, conventions), kept in
session state under `sat_` keys and in the URL, so a link reproduces the view.

On a widget's first run its value comes from (in order) the last value this session chose, the
URL, the default; after the widgets are drawn `sync_url` writes the choices back (a choice at
its default is removed from the URL, keeping links short)."""

from __future__ import annotations

import streamlit as st

from metrics.kpis import satisfaction
from metrics.query import Query

GRAINS = ("week", "month", "quarter")
BASES = satisfaction.NPS_BASES
THRESHOLDS = (3, 4, 5)  # satisfied = score >= threshold, on the 1-5 scale
# widget key -> (URL parameter, default)
URL = {
    "sat_grain": ("sat_grain", "month"),
    "sat_by": ("sat_by", "segment"),
    "sat_basis": ("nps_basis", "all"),
    "sat_csat": ("csat_threshold", 4),
}


def init(key: str, options, cast=str) -> None:
    """Give widget `key` its value before it is drawn: kept, from the URL, or the default.

    `options` are the valid values; anything else (a stale or hostile URL) is ignored."""
    if key in st.session_state and st.session_state[key] in options:
        return
    url, default = URL[key]
    shadow = st.session_state.get(f"_{key}")
    raw = st.query_params.get(url)
    value = default
    for candidate in (shadow, raw):
        if candidate is None:
            continue
        try:
            c = cast(candidate)
        except (TypeError, ValueError):
            continue
        if c in options:
            value = c
            break
    st.session_state[key] = value if value in options else options[0]


def remember(key: str) -> None:
    """Keep the widget's value beyond the page (Streamlit forgets widgets not drawn)."""
    st.session_state[f"_{key}"] = st.session_state.get(key)


def sync_url() -> None:
    """Write the page's choices into the URL query parameters (defaults removed)."""
    for key, (url, default) in URL.items():
        if key not in st.session_state:
            continue
        value = st.session_state[key]
        if value is None or value == default:
            if url in st.query_params:
                del st.query_params[url]
        elif st.query_params.get(url) != str(value):
            st.query_params[url] = str(value)


def conventions(q: Query) -> Query:
    """Return `q` with the conventions chosen on the page; a default convention is left out so
    the query (and its cache entry) is the one other pages use."""
    basis = st.session_state.get("sat_basis") or "all"
    threshold = st.session_state.get("sat_csat") or satisfaction.CSAT_THRESHOLD_DEFAULT
    if basis != "all":
        q = q.with_setting("nps_basis", basis)
    if threshold != satisfaction.CSAT_THRESHOLD_DEFAULT:
        q = q.with_setting("csat_threshold", threshold)
    return q


def basis_text(q: Query) -> str:
    """The NPS convention in force, in words."""
    if q.setting("nps_basis", "all") == "latest":
        return "basis: latest answer per respondent"
    return "basis: all responses"


def threshold_text(q: Query) -> str:
    """The CSAT convention in force, in words."""
    t5, t10 = satisfaction.csat_thresholds(q)
    return f"satisfied = score ≥ {t5:g} of 5 (≥ {t10:g} of 10)"
