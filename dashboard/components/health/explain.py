"""One account's health explained: the contribution waterfall, the raw inputs behind each
component, the components without data and how the weights were re-normalised, and the
smallest change that moves it to the next band."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components.text import md_escape
from metrics import fmt, health
from render import charts


def path_text(path) -> str:
    """Return the path to the next band in words ("active users 12 → 18")."""
    if not isinstance(path, dict):
        return "—"
    frm = "no data" if path["from"] is None else f"{path['from']:,}"  # e.g. no MRR on as-of
    return f"{path['input']} {frm} → {path['to']:,}"


def explain(row: pd.Series, model: dict, key: str) -> None:
    """Draw the explanation of one scored account (a row of health.score_accounts)."""
    if row["score"] != row["score"]:
        st.info("No component has data for this account before as-of: it has no score.")
        return
    left, right = st.columns([3, 2])
    left.plotly_chart(charts.plot_contributions(
        row, title=f"Score {fmt.value(row['score'], 'score')} ({row['band']}): contribution of "
                   "each component"),
        key=f"{key}_waterfall")
    words = health.explain_inputs(row, model)
    table = pd.DataFrame({
        "component": [charts.COMPONENT_LABELS[c] for c in health.COMPONENTS],
        "raw inputs": [words[c] for c in health.COMPONENTS],
        "score": [row[f"{c}_score"] for c in health.COMPONENTS],
        "weight": [row[f"{c}_weight"] for c in health.COMPONENTS],
        "weight used": [row[f"{c}_effective_weight"] for c in health.COMPONENTS],
        "contribution": [row[f"{c}_contribution"] for c in health.COMPONENTS],
    })
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "score": st.column_config.NumberColumn(format="%.1f"),
        "weight": st.column_config.NumberColumn(format="%.2f"),
        "weight used": st.column_config.NumberColumn(format="%.3f"),
        "contribution": st.column_config.NumberColumn(format="%.2f"),
        "raw inputs": st.column_config.TextColumn(width="large")})
    right.markdown(f"**{row['band'].capitalize()}** — score "
                   f"{fmt.value(row['score'], 'score')} of 100 "
                   f"(green ≥ {row['green']:g}, yellow ≥ {row['yellow']:g}).")
    if row["missing"]:
        used = sum(row[f"{c}_weight"] for c in health.COMPONENTS
                   if row[f"{c}_effective_weight"] == row[f"{c}_effective_weight"])
        right.caption(f"No data for **{md_escape(row['missing'])}**: it drops out and the "
                      f"other weights are divided by their sum ({used:.2f}) so they add up to 1.")
    else:
        right.caption("Every component has data; contributions = weight × score.")
    if row.get("override"):
        right.caption(f"Model override applied: {md_escape(row['override'])} (bands green ≥ "
                      f"{row['green']:g}, yellow ≥ {row['yellow']:g}).")
    if isinstance(row["path_to_next_band"], dict):
        p = row["path_to_next_band"]
        right.markdown(f"**Path to {md_escape(row['next_band'])}:** "
                       f"{charts.COMPONENT_LABELS[p['component']]}"
                       f" — {md_escape(path_text(p))} (the single raw input needing the least "
                       "change).")
    elif row["band"] != "green":
        right.caption("No single component can lift this account to the next band alone.")
