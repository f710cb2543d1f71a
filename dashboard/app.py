"""Entry point: page config, the store, global filters, navigation."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run dashboard/app.py` puts dashboard/ on the path, not the project: add it.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard import context, filters  # noqa: E402

st.set_page_config(page_title="Customer success metrics", page_icon=":material/monitoring:",
                   layout="wide")

context.store_or_stop()
options = filters.options_from(context.named_query("filter_values"))
filters.init_state(options, context.as_of_default())
filters.sidebar(options)
filters.sync_url()

# Not "pages/": Streamlit would also run files there as legacy pages, bypassing this script.
PAGES = Path(__file__).resolve().parent / "views"
pg = st.navigation(
    {
        "Metrics": [
            st.Page(PAGES / "overview.py", title="Overview", icon=":material/dashboard:",
                    default=True),
            st.Page(PAGES / "satisfaction.py", title="Satisfaction",
                    icon=":material/sentiment_satisfied:"),
            st.Page(PAGES / "retention.py", title="Retention & revenue",
                    icon=":material/trending_up:"),
            st.Page(PAGES / "support.py", title="Support", icon=":material/support_agent:"),
            st.Page(PAGES / "usage.py", title="Usage", icon=":material/insights:"),
            st.Page(PAGES / "health.py", title="Health", icon=":material/monitor_heart:"),
            st.Page(PAGES / "accounts.py", title="Accounts", icon=":material/contacts:"),
        ],
        "Team": [
            st.Page(PAGES / "weekly.py", title="Weekly review", icon=":material/event_note:",
                    url_path="weekly"),
            st.Page(PAGES / "goals.py", title="Goals", icon=":material/flag:"),
        ],
        "Data": [
            st.Page(PAGES / "data.py", title="Data", icon=":material/upload_file:"),
        ],
    }
)
pg.run()
