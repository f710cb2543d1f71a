"""The Overview's health mix card (accounts per band, red against 30 days earlier)."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from dashboard import context
from dashboard.components.health import data as health_data
from metrics import health


def health_mix_card(q) -> None:
    """The health mix card: accounts per band as of the window's last day (current health
    model), the red count against 30 days earlier."""
    try:
        model = health.load_model(health.model_path())
    except health.ModelError:
        return
    as_of = min(q.end - timedelta(days=1), context.as_of_default()) if q.end \
        else context.as_of_default()
    now = health_data.scored_at(q, model, as_of)
    if now.empty or now["score"].isna().all():
        return
    before = health_data.scored_at(q, model, as_of - timedelta(days=30))
    n = now["band"].value_counts()
    red_before = int((before["band"] == "red").sum()) if len(before) else None
    st.metric(f"Health mix green / yellow / red · {as_of:%Y-%m-%d}",
              f"{n.get('green', 0)} / {n.get('yellow', 0)} / {n.get('red', 0)}", border=True,
              delta_color="inverse",
              delta=None if red_before is None else f"{int(n.get('red', 0)) - red_before:+d} red "
              "vs 30 days earlier",
              help=f"Active accounts green / yellow / red under health model "
                   f"v{model['version']} (Health page). Scores use the data before the day.")
