"""One click from the Health page's at-risk list to a task or a risk play: pick an account
of the list (the first by default) and create a pre-filled risk (or onboarding) task, or start
a play."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components.tasks import plays as play_parts
from dashboard.components.tasks.write import quick_task


def actions(risk: pd.DataFrame, onboarding: pd.DataFrame) -> None:
    """Draw the account picker of the at-risk lists and its task and play buttons."""
    rows = pd.concat([risk.assign(kind="risk"), onboarding.assign(kind="onboarding")],
                     ignore_index=True)
    if rows.empty:
        return
    # the lists are masked already in presentation-safe mode (components/health/data.py)
    names = dict(zip(rows["account_id"], rows["name"].fillna(rows["account_id"]), strict=True))
    kinds = dict(zip(rows["account_id"], rows["kind"], strict=True))
    c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
    aid = c1.selectbox("Act on an at-risk account", list(names), key="hl_act_account",
                       format_func=lambda a: f"{names[a]} ({a}, {kinds[a]})")
    quick_task(c2, aid, kinds[aid], "at-risk list", key="hl_task",
               label=f"Create {kinds[aid]} task")
    play_parts.start_button(c3, aid, key="hl_play")
