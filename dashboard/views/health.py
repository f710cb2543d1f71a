"""Health: score distribution and band mix over time, the at-risk list, one account explained,
the model editor with a preview, and the backtest of how well the model ranked past churn."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard import context, filters
from dashboard.components.health import data as hd
from dashboard.components.health.at_risk import at_risk_section
from dashboard.components.health.backtest import backtest_section
from dashboard.components.health.editor import editor, save_button
from dashboard.components.health.explain import explain
from dashboard.components.text import md_escape
from metrics import fmt, health
from render import charts

# What the page computes on open (dashboard/catalogue.py and the benchmark read it).
# (today's raw inputs, scored in pandas; the band mix and the backtest read their dates in one
# health_inputs_many query: components/health/data.py)
CALLS = (("metric", "health_inputs"),)
OTHER_CALLS = (("metric", "health_mix"), ("metric", "health_backtest"))

st.title("Health")
q = filters.current_query()
latest = context.as_of_default()
if latest is None:
    st.info("No data yet. Load accounts, usage, surveys, tickets and subscriptions on the "
            "**Data** page, or create the demo data set with `csm demo`.")
    st.stop()
as_of = min(q.end - timedelta(days=1), latest) if q.end else latest
try:
    saved = health.load_model(health.model_path())
except health.ModelError as e:
    st.error(f"The saved health model cannot be used: {md_escape(e)}")
    st.stop()
if msg := st.session_state.pop("hm_saved_msg", None):
    st.success(md_escape(msg))

raw_now = hd.raw_at(q, saved, as_of)
with st.expander(f"Health model v{saved['version']}: edit weights, thresholds and window",
                 expanded=bool(st.session_state.get("hm_preview"))):
    draft, error = editor(saved, sorted(raw_now["segment"].dropna().unique()) if len(raw_now)
                          else [], sorted(raw_now["lifecycle_stage"].dropna().unique())
                          if len(raw_now) else [])
    changed = draft is not None and health.model_key(draft) != health.model_key(saved)
    preview = st.toggle("Preview the edited model on this page", key="hm_preview",
                        disabled=not changed)
    save_button(draft, changed)
model = draft if (preview and changed and draft) else saved
label = "edited model (preview, unsaved)" if model is not saved else f"model v{saved['version']}"

scored = hd.scored_at(q, model, as_of)
if scored.empty:
    st.info("No active accounts on the as-of day in the selected filters.")
    st.stop()
st.caption(f"As of {as_of:%Y-%m-%d} (scores use the data dated before it) · {label} · "
           f"{fmt.plural(len(scored), 'customer')} (active accounts) in the filters.")
bands = scored["band"].value_counts()
cols = st.columns(5)
cols[0].metric("Mean score", fmt.value(scored["score"].mean(), "score"), border=True)
for col, b in zip(cols[1:4], ("green", "yellow", "red"), strict=True):
    col.metric(f"{b.capitalize()} accounts", f"{int(bands.get(b, 0)):,}", border=True,
               help=f"{fmt.value(bands.get(b, 0) / len(scored), 'fraction')} of the customers")
cols[4].metric("Unscored", f"{int(scored['score'].isna().sum()):,}", border=True,
               help="Accounts without data for any component.")

left, right = st.columns(2)
left.plotly_chart(charts.plot_band_mix(hd.mix(q, model, as_of), title="Health mix over time "
                  "(active accounts per band)", changes=health.model_changes(saved)),
                  key="hl_mix")
right.plotly_chart(charts.plot_health_histogram(
    scored["score"], title="Score distribution today", green=model["bands"]["green"],
    yellow=model["bands"]["yellow"]), key="hl_hist")

st.caption("Past dates are scored from the data before each date with the model shown; dashed "
           "lines mark the days a model version was saved (`changes` in the model file).")

risk, onboarding = at_risk_section(q, model, scored, as_of)

st.subheader("Why this score?")
flagged = pd.concat([risk["account_id"], onboarding["account_id"]])
order = scored.assign(r=scored["account_id"].isin(flagged)).sort_values(["r", "mrr_now"],
                                                                         ascending=False)
names = dict(zip(order["account_id"], order["name"].fillna(order["account_id"]), strict=True))
acc = st.selectbox("Account", list(names), format_func=lambda a: f"{names[a]} ({a})",
                   key="hl_account", help="At-risk accounts first, then by MRR.")
explain(scored[scored["account_id"] == acc].iloc[0], model, "hl")

backtest_section(q, model, saved, latest)
