"""Retention & revenue: MRR and its movements, churn and retention, NRR / GRR, ARPA, LTV and the
quick ratio, by period and by any group; cohorts, survival, renewals and customer value."""

import streamlit as st

from dashboard import context, filters
from dashboard.catalogue import targets
from dashboard.components.retention import cohorts as rr_cohorts
from dashboard.components.retention import renewals as rr_renewals
from dashboard.components.retention import revenue as rr_revenue
from dashboard.components.retention import survival as rr_survival
from dashboard.components.retention import value as rr_value

# What the page computes on open (dashboard/catalogue.py and the benchmark read it).
# (default view: grain month, the first tab; only the open tab runs: lazy tabs in the URL)
CALLS = (("metric", "mrr_movements"), ("metric", "mrr"), ("metric", "nrr"), ("metric", "grr"),
         ("metric", "quick_ratio"), ("metric", "logo_churn"), ("metric", "revenue_churn"),
         ("metric", "ltv"),
         *(targets(k) for k in ("mrr", "arpa", "nrr", "grr", "quick_ratio", "logo_churn",
                                "revenue_churn", "net_mrr_churn_rate", "ltv")))
# the other tabs, each when opened: By group, Cohorts, Survival, Renewals, Customer value
OTHER_CALLS = (("metric", "mrr", {"by": "segment"}), ("metric", "cohort_retention"),
               ("metric", "survival", {"by": "segment"}), ("metric", "renewal_rate"),
               ("detail", "upcoming_renewals"), ("metric", "clv_model"), ("metric", "clv"),
               ("metric", "clv_simple", {"by": "segment", "grain": "all"}))

st.title("Retention & revenue")
c1, c2, c3 = st.columns(3)
grain = c1.segmented_control("Period", ["month", "quarter"], default="month",
                             key="rr_grain") or "month"
margin = c2.number_input("Gross margin", 0.05, 1.0, 1.0, 0.05, key="rr_margin",
                         help="`gross_margin` setting: LTV = ARPA × gross margin ÷ churn.")
react = c3.segmented_control("Reactivation in NRR", ["include", "exclude"], default="include",
                             key="rr_react", help="`nrr_reactivation`: a base account that "
                             "churned and came back counts with its MRR now, or as 0.") \
    or "include"
grain = filters.fit_grain(grain)
q = filters.current_query(grain=grain).with_setting("gross_margin", float(margin)) \
    .with_setting("nrr_reactivation", react)
if context.as_of_default() is None:
    st.info("No data yet. Load accounts and subscriptions on the **Data** page, or create the "
            "demo data set with `csm demo`.")
    st.stop()
options = filters.options_from(context.named_query("filter_values"))
dims = {"segment": "Segment", "region": "Region", "plan": "Plan", "csm_owner": "CSM owner"}
dims.update({a.split(": ")[0]: a.split(": ")[0] for a in options.get("attr", [])})

moves = context.metric("mrr_movements", q)
has_mrr = not moves.empty and bool((moves[["mrr_start", "mrr_end"]].to_numpy() > 0).any())
if has_mrr:
    rr_revenue.cards(q, grain)
    st.caption("Cards: the last complete period against the one before. NRR / GRR compare the "
               "accounts paying 12 months earlier; LTV uses the gross margin above.")
else:
    st.info("No subscriptions in the selected window and filters: MRR, movements, NRR and LTV "
            "need the subscriptions table. Cohorts, survival and customer value still work.")

names = (["MRR & movements", "Churn & retention", "By group"] if has_mrr else []) + \
    ["Cohorts", "Survival", "Renewals", "Customer value"]
# Only the open tab runs (its label is `rr_tab` in the URL, so a link opens the same tab).
tabs = dict(zip(names, st.tabs(names, key="rr_tab", bind="query-params"), strict=True))
show = {"MRR & movements": lambda: rr_revenue.movements(q, grain, moves),
        "Churn & retention": lambda: rr_revenue.trends(q, grain),
        "By group": lambda: rr_revenue.by_group(q, grain, dims),
        "Cohorts": lambda: rr_cohorts.cohorts(q),
        "Survival": lambda: rr_survival.survival(q, dims),
        "Renewals": lambda: rr_renewals.renewals(q, grain),
        "Customer value": lambda: rr_value.value(q)}
for name, tab in tabs.items():
    if tab.open:
        with tab:
            show[name]()
