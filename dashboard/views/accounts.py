"""Accounts: a CSM's book of business ("my accounts": the sidebar's owner filter), the
account 360, and the team view of every CSM owner side by side."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard import context, filters
from dashboard.components.accounts import account_360, owner
from dashboard.components.accounts.book import book_table, page_of, with_trend
from dashboard.components.accounts.team import team_tab
from dashboard.components.health import data as hd
from dashboard.components.text import md_escape
from metrics import fmt, health

# What the page computes on open (dashboard/catalogue.py and the benchmark read it).
# (the book and its health scored in pandas, the first tab; only the open tab runs: lazy tabs
# in the URL. SELECTED: the account 360's queries, its first tab; the others, each when opened:
# account_surveys, account_tickets, account_usage_history and account_features)
CALLS = (("metric", "account_book"), ("metric", "health_inputs"))
OTHER_CALLS = (*(("metric", m, {"grain": "all", "by": "csm_owner"})  # the Team tab
                 for m in ("nrr", "nps", "logo_churn")),)
SELECTED = ("account_profile", "account_mrr_history")

st.title("Accounts")
q = filters.current_query()
latest = context.as_of_default()
if latest is None:
    st.info("No data yet. Load accounts on the **Data** page, or create the demo data set with "
            "`csm demo`.")
    st.stop()
as_of = min(q.end - timedelta(days=1), latest) if q.end else latest
try:
    model = health.load_model(health.model_path())
except health.ModelError as e:
    st.error(f"The saved health model cannot be used: {md_escape(e)}")
    st.stop()
book = context.metric("account_book", q.with_(as_of=as_of))
if book.empty:
    st.info("No active accounts on the as-of day in the selected filters.")
    st.stop()
scored = hd.scored_at(q, model, as_of)
table = book.merge(scored[["account_id", "score", "band"]], on="account_id", how="left")
table["renewal_date"] = pd.to_datetime(table["renewal_date"])

# Only the open tab runs (its label is `ac_tab` in the URL, so a link opens the same tab).
tab_book, tab_team = st.tabs(["My accounts", "Team"], key="ac_tab", bind="query-params")
if tab_book.open:
    with tab_book:
        c1, c2 = st.columns([1, 2])
        owner.picker(c1)  # the sidebar's owner filter: the book is already the owner's
        search = c2.text_input("Search name or account id", key="ac_search")
        mine = table
        if search:
            hit = mine["name"].fillna("").str.contains(search, case=False, regex=False) | mine[
                "account_id"].str.contains(search, case=False, regex=False)
            mine = mine[hit]
        mine = mine.sort_values("mrr", ascending=False).reset_index(drop=True)
        part, rows_text = page_of(mine, st.container())
        st.caption(f"{fmt.plural(len(mine), 'account')}, {fmt.value(mine['mrr'].sum(), 'USD')} "
                   f"MRR, as of {as_of:%Y-%m-%d}. {rows_text} Click a column header to sort, a row "
                   "to open the account.")
        trend = hd.scores_over(q, model, as_of)[["account_id", "score", "as_of"]]
        rows = book_table(with_trend(part, trend))
        ids = list(part["account_id"])
        if rows and ids[rows[0]] != st.session_state.get("ac_picked"):
            st.session_state["ac_picked"] = ids[rows[0]]
            st.session_state["ac_account"] = ids[rows[0]]
        if not ids:
            st.info("No account matches.")
        else:
            every = set(mine["account_id"])
            if st.session_state.get("ac_account") not in every:
                url = st.query_params.get("account")
                st.session_state["ac_account"] = url if url in every else ids[0]
            if st.session_state["ac_account"] not in ids:  # open, on another page of the table
                ids = [st.session_state["ac_account"], *ids]
            names = dict(zip(mine["account_id"], mine["name"].fillna(mine["account_id"]),
                             strict=True))
            acc = st.selectbox("Open account", ids, key="ac_account",
                               format_func=lambda a: f"{names[a]} ({a})")
            st.query_params["account"] = acc
            st.divider()
            account_360.show(acc, q, model, as_of)

if tab_team.open:
    with tab_team:
        team_tab(q, book, scored, as_of)
