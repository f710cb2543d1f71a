"""The Usage page's feature adoption: by feature against the previous window, by feature and
segment, and the accounts behind a clicked bar or cell."""

from __future__ import annotations

import streamlit as st

from dashboard import context
from dashboard.components.table import show
from dashboard.components.text import md_escape
from metrics import fmt
from metrics.query import Query, page_query
from render import charts


def adoption_section(q: Query, days: int, window: str) -> None:
    """Draw adoption over the last `days` days of `q` (`window` names them) against the `days`
    before, by feature and by feature × segment; a click lists the accounts behind it."""
    st.subheader(f"Feature adoption — {window} vs the {days} days before")
    q_win = page_query(q, {"days": days})
    adoption = context.metric("feature_adoption", q_win)
    q_seg = page_query(q, {"days": days, "by": "segment"})
    by_seg = context.metric("feature_adoption", q_seg)
    if adoption.empty:
        st.info("No feature was used in this window.")
        return
    st.caption("Share of the customers active on the window's last day that used each feature "
               "(bar), the previous window (mark) and the change in percentage points; it can "
               "pass 100% when users of a feature churned before that day. Click a bar or a "
               "cell to list the accounts.")
    left, right = st.columns(2)
    bars = left.plotly_chart(charts.plot_adoption(adoption, title="Adoption by feature"),
                             key="us_adoption", on_select="rerun", selection_mode="points")
    cells = right.plotly_chart(charts.plot_heatmap(
        by_seg, "segment", "feature", "adoption_rate", title="Adoption: feature × segment",
        x_title="segment", y_title="feature"), key="us_heatmap", on_select="rerun",
        selection_mode="points")
    picked = None
    if bars and bars.selection.points:
        feature = bars.selection.points[0].get("customdata")
        picked = (f"feature {feature}", context.detail("feature_accounts", q_win,
                                                        feature=feature))
    if cells and cells.selection.points:
        segment, feature = cells.selection.points[0].get("customdata")
        value = None if segment == "(none)" else segment
        picked = (f"feature {feature} in {segment}", context.detail(
            "feature_accounts", q_seg, feature=feature, group=value, any_group=False))
    if picked:
        st.caption(f"{fmt.plural(len(picked[1]), 'account')} behind **{md_escape(picked[0])}**")
        show(picked[1], download="feature_accounts.csv")
