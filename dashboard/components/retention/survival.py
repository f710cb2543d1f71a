"""Retention & revenue page: Kaplan–Meier survival curves by group with the log-rank test."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import context
from metrics.query import Query
from render import charts


def survival(q: Query, dims: dict[str, str]) -> None:
    """Survival since signup, overall or by a dimension, with medians and a log-rank test."""
    choices = {"": "Everyone"} | dims
    dim = st.selectbox("Curves by", list(choices), format_func=choices.get, index=1,
                       key="rr_surv_by")
    out = context.metric("survival", q.with_(by=dim or None))
    rows = out["rows"] if isinstance(out, dict) else out
    if rows.empty:
        st.info("No customers signed up on or before as-of in the selected filters.")
        return
    st.plotly_chart(charts.plot_survival(rows, dim or None, title="Customers still active by "
                                         "days since signup (Kaplan–Meier, 95% band)"),
                    key=f"rr_survival_{dim}")
    st.caption("Censoring-aware: customers still active count until as-of, then leave the "
               "risk set. Band: Greenwood exponential 95%. The date range filter does not "
               "apply: every customer up to as-of counts.")
    if isinstance(out, dict):
        test = out["logrank"]
        if test["p_value"] is not None:
            verdict = "differ" if test["p_value"] < 0.05 else "do not differ significantly"
            st.markdown(f"**Log-rank test:** χ² = {test['statistic']:.2f} on {test['df']} df, "
                        f"p = {test['p_value']:.3g} — the groups {verdict} (α = 0.05).")
        med = pd.DataFrame([{choices[dim]: "(none)" if k is None else k,
                             "median days": "not reached" if v is None else f"{v:,.0f}",
                             "customers": int(rows[rows[dim].eq(k) if k is not None
                                                   else rows[dim].isna()]["at_risk"].max())}
                            for k, v in out["medians"].items()])
        st.dataframe(med, hide_index=True)
