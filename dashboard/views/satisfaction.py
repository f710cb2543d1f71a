"""Satisfaction: NPS, CSAT and CES with intervals and honest comparisons, what customers say
(themes and comments), and loyalty joined with revenue and accounts."""

import streamlit as st

from dashboard import context, filters
from dashboard.catalogue import targets
from dashboard.components.satisfaction import accounts as sat_accounts
from dashboard.components.satisfaction import comments as sat_comments
from dashboard.components.satisfaction import scores as sat_scores
from dashboard.components.satisfaction import state as sat_state

# What the page computes on open (dashboard/catalogue.py and the benchmark read it).
# (default view: grain month, the Trend tab; only the open tab runs: lazy tabs in the URL)
CALLS = (("metric", "nps"), ("metric", "csat"), ("metric", "ces"),
         *(("metric", m, {"grain": "all"}) for m in ("nps", "csat", "ces")),
         *(("metric", m, {"grain": "all", "window": "previous"}) for m in ("nps", "csat", "ces")),
         targets("nps"))
# the other tabs, each when opened (the league by segment, its default)
OTHER_CALLS = (("metric", "nps", {"grain": "all", "by": "segment"}),
               ("metric", "nps_distribution", {"grain": "all"}),
               ("metric", "nps_themes", {"grain": "all"}),
               ("metric", "nps_comments"), ("metric", "nps_revenue", {"grain": "all"}),
               ("metric", "feedback_coverage", {"grain": "all"}),
               ("metric", "unheard_accounts"), ("metric", "advocates"))

st.title("Satisfaction")

if context.as_of_default() is None:
    st.info("No data yet. Load your survey answers (and accounts) on the **Data** page, or "
            "create the demo data set with `csm demo`.")
    st.stop()

options = filters.options_from(context.named_query("filter_values"))

# The page's main choices; each is also in the URL (sat_state), so a link reproduces the view.
c1, c2, c3 = st.columns([2, 2, 2])
with c1:
    sat_state.init("sat_grain", sat_state.GRAINS)
    grain = st.segmented_control("Period", sat_state.GRAINS, key="sat_grain") or "month"
    sat_state.remember("sat_grain")
    grain = filters.fit_grain(grain)
with c2:
    sat_state.init("sat_basis", sat_state.BASES)
    st.segmented_control(
        "NPS basis", sat_state.BASES, key="sat_basis",
        format_func={"all": "all responses", "latest": "latest per respondent"}.get,
        help="`nps_basis`: every response counts, or only each respondent's latest answer "
             "in the period.")
    sat_state.remember("sat_basis")
with c3:
    sat_state.init("sat_csat", sat_state.THRESHOLDS, cast=int)
    st.segmented_control(
        "CSAT counts as satisfied", sat_state.THRESHOLDS, key="sat_csat",
        format_func=lambda t: f"≥ {t} of 5", help="`csat_threshold` on the 1–5 scale; answers "
        "on the 1–10 scale use twice it.")
    sat_state.remember("sat_csat")

q = sat_state.conventions(filters.current_query(grain=grain))

sat_scores.headline(q)

# Only the open tab runs (its label is `sat_tab` in the URL, so a link opens the same tab).
trend, compare, say, money, fans = st.tabs(
    ["Trend", "Compare groups", "Comments & themes", "Revenue & coverage", "Advocates"],
    key="sat_tab", bind="query-params")
if trend.open:
    with trend:
        sat_scores.trend(q, grain)
if compare.open:
    with compare:
        sat_scores.league(q, sat_scores.dimension_options(options))
        sat_scores.distribution(q)
if say.open:
    with say:
        segments = [s for s in options.get("segment", []) if not q.segment or s in q.segment]
        sat_comments.themes_and_comments(q, grain, segments)
if money.open:
    with money:
        st.subheader("Revenue by NPS category")
        sat_accounts.revenue(q)
        st.subheader("Feedback coverage")
        sat_accounts.coverage(q)
if fans.open:
    with fans:
        sat_accounts.advocates(q)

sat_state.sync_url()
