"""The account 360: everything a CSM reads before a customer call, for one account."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from dashboard import auth, context, filters
from dashboard.components.health import data as hd
from dashboard.components.health.explain import explain
from dashboard.components.table import columns
from dashboard.components.table import show as show_table
from dashboard.components.tasks import timeline as tk_timeline
from dashboard.components.text import md_escape
from metrics import fmt, health
from metrics.periods import day_start
from render import charts


def show(account_id: str, q, model: dict, as_of) -> None:
    """Draw the 360 of one account as of `as_of` (for a csm restricted to their book, only of
    an account in it: the id may come from a URL)."""
    owner = auth.book_owner()
    if owner is not None:
        from metrics.kpis import load_sql

        with context.read_cursor() as cur:
            row = cur.execute(load_sql("account_owner"), {"account_id": account_id}).fetchone()
        if row is None or row[0] != owner:
            st.info("This account is not in your book.")
            return
    prof = context.named_query("account_profile", account_id=account_id)
    if prof.empty:
        st.info("This account is not in the data.")
        return
    a = prof.iloc[0]
    end = day_start(as_of + timedelta(days=1))
    st.subheader(md_escape(a["name"] if isinstance(a["name"], str) else account_id))
    facts = [("Account", account_id), ("Segment", a["segment"]), ("Plan", a["plan"]),
             ("CSM owner", a["csm_owner"]), ("Lifecycle stage", a["lifecycle_stage"]),
             ("Customer since", a["signup_date"]), ("Renewal date", a["renewal_date"]),
             ("Churned on", a["churn_date"])]
    cols = st.columns(4)
    for i, (label, value) in enumerate(v for v in facts if v[1] is not None and v[1] == v[1]):
        text = value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else str(value)
        cols[i % 4].markdown(f"**{label}**  \n{md_escape(text)}")
    attrs = a["attributes"]
    # an account without custom attributes has NULL there (pd.NA: no len), not an empty list
    if hasattr(attrs, "__len__") and not isinstance(attrs, str) and len(attrs):
        # "name: value" as the filter holds them: values by pseudonym while masked
        st.caption("Custom attributes: " + md_escape(" · ".join(
            filters.attribute_label(x) for x in attrs)))

    tk_timeline.actions(account_id)

    scored = hd.scored_at(q, model, as_of, in_scope=False)
    mine = scored[scored["account_id"] == account_id] if len(scored) else scored
    hist = hd.history(q, model, as_of, account_id)
    left, right = st.columns(2)
    if len(hist) and hist["score"].notna().any():
        left.plotly_chart(charts.plot_account_health(
            hist, title="Health history (score and contributions)",
            green=model["bands"]["green"], yellow=model["bands"]["yellow"],
            changes=health.model_changes(model)), key="ac_hist")
        left.caption("Past scores are recomputed from the data with the current model; dashed "
                     "lines mark the days a model version was saved.")
    else:
        left.info("No health history: the account was not an active customer on the dates.")
    mrr = context.named_query("account_mrr_history", account_id=account_id, as_of=as_of)
    if len(mrr):
        right.plotly_chart(charts.plot_account_mrr(mrr, title="MRR history"), key="ac_mrr")
        moves = mrr[mrr["movement"].notna()]
        right.dataframe(moves.sort_values("day", ascending=False), hide_index=True,
                        width="stretch", height=160, column_config=columns(moves, **{
                            "day": st.column_config.DateColumn("day"),
                            "mrr": st.column_config.NumberColumn("MRR", format="$%,.2f"),
                            "change": st.column_config.NumberColumn(format="$%+,.2f")}))
    else:
        right.info("No subscriptions for this account.")
    if len(mine):
        st.markdown("**Health today, explained**")
        explain(mine.iloc[0], model, "ac")
    else:
        st.info("Not an active customer on the as-of day: no current health score.")

    # Only the open tab runs (its label is `ac_360` in the URL, so a link opens the same tab).
    t0, t1, t2, t3 = st.tabs(["Timeline and notes", "Survey answers", "Tickets", "Usage"],
                             key="ac_360", bind="query-params")
    if t0.open:
        with t0:
            tk_timeline.show(account_id, end, hist, mrr)
    if t1.open:
        with t1:
            _surveys(account_id, end)
    if t2.open:
        with t2:
            _tickets(account_id, end)
    if t3.open:
        with t3:
            _usage(account_id, model, as_of)


def _surveys(account_id: str, end) -> None:
    """Show the account's NPS, CSAT and CES answers up to `end` (exclusive)."""
    surveys = context.named_query("account_surveys", account_id=account_id, as_of_end=end)
    if surveys.empty:
        st.info("No NPS, CSAT or CES answers from this account.")
    else:
        st.dataframe(surveys, hide_index=True, width="stretch", column_config=columns(
            surveys, comment=st.column_config.TextColumn(width="large")))


def _tickets(account_id: str, end) -> None:
    """Show the account's tickets up to `end` (exclusive) with their times."""
    tickets = context.named_query("account_tickets", account_id=account_id, as_of_end=end)
    if tickets.empty:
        st.info("No tickets from this account.")
    else:
        n_open = int((tickets["status"] == "open").sum())
        st.caption(f"{fmt.plural(len(tickets), 'ticket')}, {n_open:,} open at as-of; times "
                   "in calendar hours.")
        show_table(tickets)  # times by their unit: hours


def _usage(account_id: str, model: dict, as_of: date) -> None:
    """Show the account's monthly active users and the features it used in the model's
    window before `as_of`."""
    usage = context.named_query("account_usage_history", account_id=account_id, as_of=as_of)
    feats = context.named_query("account_features", account_id=account_id, as_of=as_of,
                                start=as_of - timedelta(days=model["window_days"]))
    if usage.empty:
        st.info("No product usage recorded for this account.")
    else:
        months = pd.to_datetime(usage["month"])
        u = usage.assign(period=months.dt.date, partial=(months + pd.offsets.MonthBegin(1))
                         > pd.Timestamp(as_of + timedelta(days=1)))
        c1, c2 = st.columns(2)
        c1.plotly_chart(charts.plot_lines(u, {"active_users": "monthly active users"},
                                          title="Monthly active users", unit="users"),
                        key="ac_mau")
        show_table(feats, where=c2)
        c2.caption(f"Features used in the {model['window_days']} days before as-of "
                   f"({fmt.plural(len(feats), 'feature')}).")
