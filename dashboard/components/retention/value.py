"""Retention & revenue page: predictive customer value for order-based businesses (BG/NBD +
Gamma-Gamma) and the simple CLV by segment."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import context
from dashboard.components.table import readable
from dashboard.components.text import md_escape
from metrics import fmt
from metrics.kpis import clv
from metrics.query import Query
from render import charts

UNITS = {"week": "weeks", "month": "months", "day": "days"}
# the per-account table's plain numbers (times in units), read to two decimals
NUMBERS = {c: st.column_config.NumberColumn(label, format="%.2f")
           for c, label in (("recency", "Recency"), ("T", "Customer age (T)"))}


def value(q: Query) -> None:
    """Fitted parameters, each account's P(alive), expected purchases and CLV, simple CLV."""
    c1, c2, c3, c4 = st.columns(4)
    as_of = c1.date_input("Fit as of", value=context.as_of_default(), key="rr_clv_asof",
                          help="Orders up to and including this day are used.")
    unit = c2.segmented_control("Time unit", list(UNITS), default="week",
                                key="rr_clv_unit") or "week"
    horizon = c3.number_input(f"Horizon ({UNITS[unit]})", 1, 520, 52 if unit == "week" else
                              12 if unit == "month" else 365, key=f"rr_clv_h_{unit}")
    annual = c4.number_input("Discount rate a year", 0.0, 1.0, 0.10, 0.01, key="rr_clv_disc")
    days = {"week": 7, "month": 30.4375, "day": 1}[unit]
    qv = (q.with_(as_of=as_of).with_setting("time_unit", unit).with_setting("horizon", horizon)
          .with_setting("discount_rate", (1 + annual) ** (days / 365.25) - 1))
    model = context.metric("clv_model", qv)
    if model.empty:
        st.info("No orders on or before that day: predictive customer value needs the orders "
                "table (order-based businesses).")
        return
    m = model.iloc[0]
    st.caption(f"BG/NBD (Fader, Hardie & Lee 2005) and Gamma-Gamma (Fader & Hardie 2013) fitted "
               f"by maximum likelihood on {fmt.plural(m.customers, 'customer')} "
               f"({int(m.repeat_customers):,} with repeat purchases), times in {UNITS[unit]}.")
    for note in clv.fit_notes(m):
        # the fit's own words, shown as text: never Markdown from data
        st.warning("**Read this fit with care:** " + md_escape(note))
    per = context.metric("clv", qv)
    params = clv.parameters(m, float(per["T"].mean()) if len(per) else None)
    st.dataframe(params, hide_index=True, width="stretch", key="rr_clv_params", column_config={
        c: st.column_config.TextColumn(label) for c, label in clv.PARAMETER_LABELS.items()})
    st.caption(f"Log-likelihood {fmt.significant(m.loglik, 6)}; the optimiser converged: "
               f"{fmt.value(m.converged, 'flag')}.")
    if pd.isna(m.p):
        st.info("Too few customers with repeat purchases to fit the spend model.")
    cols = st.columns(3)
    cols[0].metric("Predicted value, all customers", fmt.value(per["clv"].sum(), "USD"),
                   border=True, help=f"Σ discounted CLV over {horizon} {UNITS[unit]}.")
    cols[1].metric("Mean P(alive)", fmt.value(per["p_alive"].mean(), "fraction"),
                   border=True)
    cols[2].metric(f"Expected purchases, next {horizon} {UNITS[unit]}",
                   fmt.value(per["expected_purchases"].sum(), "orders"), border=True)
    top = per.head(20)
    st.plotly_chart(charts.plot_category_bars(
        top, "account_id", "clv", title=f"Top 20 accounts by predicted value ({horizon} "
        f"{UNITS[unit]}, discounted)", unit="USD", x_title="account", horizontal=True),
        key="rr_clv_top")
    shown, config = readable("clv", per.drop(columns="warning"), **NUMBERS)
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config)
    st.subheader("Simple CLV by segment")
    years = st.number_input("Expected lifespan (years)", 0.5, 20.0, 3.0, 0.5, key="rr_life")
    simple = context.metric("clv_simple", q.with_(by="segment", grain="all")
                            .with_setting("lifespan_years", years))
    if simple.empty:
        st.info("No orders in the selected window.")
        return
    st.plotly_chart(charts.plot_category_bars(
        simple, "segment", "clv", title="Simple CLV by segment (orders in the window)",
        unit="USD", x_title="segment"), key="rr_clv_simple")
    st.caption("Average order value × orders per customer per year × expected lifespan.")
    shown, config = readable("clv_simple", simple, segment=st.column_config.Column("Segment"),
                             **{c: st.column_config.NumberColumn(label, format="%.2f")
                                for c, label in (("orders_per_customer_year",
                                                  "Orders per customer-year"),
                                                 ("lifespan_years", "Lifespan (years)"))})
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config)
