"""Satisfaction page, loyalty joined with accounts: revenue held by promoters, passives and
detractors with the MRR-weighted NPS; feedback coverage and the accounts not heard from; the
advocates list (CSV export with formulas neutralised). No SQL here."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard import context
from dashboard.components.satisfaction import state as sat_state
from dashboard.components.table import columns
from dashboard.components.text import md_escape
from metrics import export, fmt
from metrics.kpis import loyalty
from metrics.query import Query
from render import charts


def _day(q: Query) -> str:
    """The evaluation day of the window (its last day, or as-of when earlier), in words."""
    as_of = context.as_of_default()
    if q.end is None:
        return f"on {as_of:%Y-%m-%d}" if as_of else ""
    day = q.end - timedelta(days=1)
    return f"on {min(day, as_of) if as_of else day:%Y-%m-%d}"


def revenue(q: Query) -> None:
    """MRR by latest NPS category, and NPS three ways: responses, accounts, MRR-weighted."""
    qa = q.with_(grain="all")
    frame = context.metric("nps_revenue", qa)
    if frame.empty or int(frame["accounts"].iloc[0]) == 0:
        st.info("No paying account in the selected window.")
        return
    r = frame.iloc[0]
    nps = context.metric("nps", qa)
    plain = nps["nps"].iloc[0] if len(nps) else None
    c1, c2, c3 = st.columns(3)
    c1.metric("NPS (responses)", fmt.value(plain, "points"),
              help="Every response in the window counts once (" + sat_state.basis_text(q) + ").")
    c2.metric("NPS (accounts)", fmt.value(r["nps_accounts"], "points"),
              help="Each paying account counts once, by its latest NPS answer.")
    c3.metric("NPS weighted by MRR", fmt.value(r["nps_mrr_weighted"], "points"),
              help="Each paying account's latest answer weighs its MRR: 100 × (promoter MRR − "
                   "detractor MRR) ÷ MRR of the accounts that answered.")
    at_risk = r["detractor_mrr"] / r["mrr"] if r["mrr"] else None
    st.plotly_chart(charts.plot_revenue_by_category(
        r, title=f"MRR held by promoters, passives and detractors {_day(q)}"),
        key="sat_revenue_chart")
    st.caption(f"{int(r['accounts']):,} paying accounts, {fmt.value(r['mrr'], 'USD')} MRR; "
               f"detractors hold {fmt.value(r['detractor_mrr'], 'USD')} "
               f"({fmt.value(at_risk, 'fraction')}). Category = the account's latest NPS "
               f"answer, at most {loyalty.recency_days(q)} days old; older or none: no recent "
               "answer.")


def coverage(q: Query) -> None:
    """Share of active customers (and MRR) heard from in 90 days; who was not heard from."""
    qa = q.with_(grain="all")
    frame = context.metric("feedback_coverage", qa)
    if frame.empty or int(frame["active_accounts"].iloc[0]) == 0:
        st.info("No active customer in the selected window.")
        return
    r = frame.iloc[0]
    days = loyalty.coverage_days(q)
    c1, c2, c3 = st.columns(3)
    c1.metric(f"Accounts heard from in {days} days", fmt.value(r["coverage"], "fraction"),
              help="Active customers with a survey answer of any type in the last "
                   f"{days} days ÷ active customers.")
    c2.metric("Share of MRR heard from", fmt.value(r["mrr_coverage"], "fraction"))
    c3.metric("Accounts not heard from", f"{int(r['unheard_accounts']):,}",
              help=f"of {int(r['active_accounts']):,} active customers")
    unheard = context.metric("unheard_accounts", qa)
    if unheard.empty:
        st.success("Every active customer answered a survey recently.")
        return
    shown = unheard[["account_name", "account_id", "segment", "csm_owner", "mrr",
                     "last_response_at", "days_since_response"]]
    st.dataframe(shown.assign(
        last_response_at=[("never" if pd.isna(t) else f"{t:%Y-%m-%d}")
                          for t in shown["last_response_at"]]),
        hide_index=True, width="stretch", key="sat_unheard_table",
        column_config=columns(shown, **{
            "account_name": "account",
            "mrr": st.column_config.NumberColumn("MRR", format="dollar"),
            "last_response_at": "last answer",
            "days_since_response": "days since",
        }))
    st.caption(f"Not heard from {_day(q)}: no answer in the {days} days up to that day, "
               "largest MRR first (last answer empty: never answered). Collect feedback "
               "regularly.")
    st.download_button("Download (CSV)", export.csv_bytes(shown), file_name="not_heard_from.csv",
                       mime="text/csv", key="sat_unheard_csv", icon=":material/download:")


def advocates(q: Query) -> None:
    """Accounts whose latest NPS answer is a promoter and, by default, whose health is green,
    for referral and case-study programmes."""
    rule = st.segmented_control(
        "Health", list(loyalty.ADVOCATES_HEALTH), default=loyalty.ADVOCATES_HEALTH[0],
        key="sat_adv_health", format_func={"green": "green only", "any": "any band"}.get,
        help="`advocates_health`: green (default) keeps the promoters whose health band is "
        "green; any lists every promoter whatever its health.") or loyalty.ADVOCATES_HEALTH[0]
    try:
        frame = context.metric("advocates", q.with_(grain="all").with_setting(
            "advocates_health", rule))
    except ValueError as e:  # an unusable health model
        st.warning(f"The advocates list needs health scores: {md_escape(e)}")
        return
    health = ("whose health band on that day is green (the Health page's model)"
              if rule == "green" else "whatever their health band (shown)")
    st.caption("Advocates: active customers whose latest NPS answer (at most "
               f"{loyalty.recency_days(q)} days old) is 9 or 10, {_day(q)}, and {health}.")
    if frame.empty:
        st.info("No advocates: no active customer's latest NPS answer is a promoter"
                + (" with a green health band." if rule == "green" else "."))
        return
    shown = frame[["account_name", "score", "band", "comment", "respondent", "mrr", "segment",
                   "csm_owner", "responded_at", "touchpoint", "account_id"]]
    st.metric("Advocates", f"{len(shown):,}",
              help=f"holding {fmt.value(shown['mrr'].sum(), 'USD')} MRR")
    st.dataframe(shown.assign(comment=shown["comment"].fillna("")), hide_index=True,
                 width="stretch", key="sat_advocates_table",
                 column_config=columns(shown, **{
                     "account_name": "account",
                     "band": "health",
                     "mrr": st.column_config.NumberColumn("MRR", format="dollar"),
                     "responded_at": st.column_config.DatetimeColumn("answered",
                                                                     format="YYYY-MM-DD"),
                     "comment": st.column_config.TextColumn("comment", width="large"),
                 }))
    st.download_button("Download advocates (CSV)", export.csv_bytes(shown),
                       file_name="advocates.csv", mime="text/csv", key="sat_advocates_csv",
                       icon=":material/download:")
