"""Health: score distribution and band mix over time, the at-risk list, one account explained,
the model editor with a preview, and the backtest of how well the model ranked past churn."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard import context, filters
from dashboard.components.health import data as hd
from dashboard.components.health.backtest import backtest_section
from dashboard.components.health.editor import editor, save_button
from dashboard.components.health.explain import explain, path_text
from metrics import health
from metrics.health import risk as risk_rules
from render import charts

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
    st.error(f"The saved health model cannot be used: {e}")
    st.stop()
if msg := st.session_state.pop("hm_saved_msg", None):
    st.success(msg)

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
           f"{len(scored):,} customers (active accounts) in the filters.")
bands = scored["band"].value_counts()
cols = st.columns(5)
cols[0].metric("Mean score", f"{scored['score'].mean():.1f}", border=True)
for col, b in zip(cols[1:4], ("green", "yellow", "red"), strict=True):
    col.metric(f"{b.capitalize()} accounts", f"{int(bands.get(b, 0)):,}", border=True,
               help=f"{int(bands.get(b, 0)) / len(scored):.0%} of the active accounts")
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

st.subheader("At risk: red and falling")
before = hd.scored_at(q, model, as_of - timedelta(days=risk_rules.WINDOW_DAYS))
risk, onboarding = risk_rules.at_risk(scored, before)
RISK_COLUMNS = ["name", "account_id", "csm_owner", "renewal_date", "mrr_now", "score",
                "change_30d", "missing", "path"]
RISK_CONFIG = {"mrr_now": st.column_config.NumberColumn("MRR at stake", format="$%,.0f"),
               "score": st.column_config.NumberColumn(format="%.1f"),
               "change_30d": st.column_config.NumberColumn("change vs 30 days ago",
                                                           format="%+.1f"),
               "missing": "no data for",
               "renewal_date": st.column_config.DateColumn("renewal date")}
if risk.empty:
    st.info("No red account whose score fell over the last 30 days.")
else:
    risk["path"] = risk["path_to_next_band"].map(path_text)
    st.dataframe(risk[RISK_COLUMNS], hide_index=True, width="stretch", column_config=RISK_CONFIG,
                 key="hl_risk")
    st.caption(f"{len(risk):,} accounts, {risk['mrr_now'].sum():,.0f} USD MRR; sorted by MRR. "
               "Falling: red now and lower than their score 30 days ago.")
if len(onboarding):
    st.markdown(f"**Red and new: onboarding** — {len(onboarding):,} red accounts had no score "
                "30 days ago (new accounts, or no data then), so they are not called falling.")
    onboarding["path"] = onboarding["path_to_next_band"].map(path_text)
    st.dataframe(onboarding[[c for c in RISK_COLUMNS if c != "change_30d"]], hide_index=True,
                 width="stretch", column_config=RISK_CONFIG, key="hl_onboarding")

st.subheader("Why this score?")
order = scored.assign(r=scored["account_id"].isin(pd.concat([risk["account_id"],
                                                             onboarding["account_id"]]))
                     ).sort_values(
    ["r", "mrr_now"], ascending=False)
names = dict(zip(order["account_id"], order["name"].fillna(order["account_id"]), strict=True))
acc = st.selectbox("Account", list(names), format_func=lambda a: f"{names[a]} ({a})",
                   key="hl_account", help="At-risk accounts first, then by MRR.")
explain(scored[scored["account_id"] == acc].iloc[0], model, "hl")

backtest_section(q, model, saved, latest)
