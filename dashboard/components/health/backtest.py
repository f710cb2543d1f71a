"""The Health page's backtest section: how well the model ranked past churn."""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboard.components.health import data as hd
from metrics import fmt
from metrics.query import Query
from render import charts


def backtest_section(q: Query, model: dict, saved: dict, latest: date) -> None:
    """Draw AUC and churned MRR flagged by as-of date, against the saved model when the draft
    differs from it."""
    st.subheader("Backtest: did the score predict churn?")
    bt = hd.backtest(q, model, latest)
    compare = hd.backtest(q, saved, latest) if model is not saved else None
    if bt["accounts"].sum() == 0:
        st.info("Not enough history: the backtest needs accounts scored at least 90 days before "
                "the latest data.")
    else:
        st.plotly_chart(charts.plot_backtest(bt, title="AUC and churned MRR flagged, by as-of date",
                                             compare=compare), key="hl_backtest")
        mean = bt[["auc", "red_lift", "churned_mrr_flagged"]].mean()
        st.caption(f"Mean over {fmt.plural(len(bt), 'date')}: AUC "
                   f"{fmt.value(mean['auc'], 'ratio')}, "
                   f"red lift {fmt.value(mean['red_lift'], 'ratio')}×, churned MRR flagged "
                   f"red/yellow {fmt.value(mean['churned_mrr_flagged'], 'fraction')}"
                   + (f" (saved model: AUC {fmt.value(compare['auc'].mean(), 'ratio')})"
                      if compare is not None
                      else "") + ". AUC = chance a churner scored below a non-churner.")
