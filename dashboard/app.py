"""Entry point: page config, the store, global filters, navigation."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run dashboard/app.py` puts dashboard/ on the path, not the project: add it.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard import auth, catalogue, context, filters, warmup  # noqa: E402
from dashboard.components.text import md_escape  # noqa: E402
from metrics.roles import RolesError  # noqa: E402

# An emoji icon: Streamlit draws it as an inline SVG. A ":material/…:" page icon makes every
# browser fetch the favicon from fonts.gstatic.com (nothing may leave the machine).
st.set_page_config(page_title="Customer success metrics", page_icon="📊", layout="wide")

# Sign-in first: with [auth] in the secrets nothing of the data is read or drawn before it.
auth.gate()
context.store_or_stop()
try:
    auth.sidebar(auth.current_user())
except RolesError as e:
    st.error(f"**The roles file cannot be used.** {md_escape(e)}")
    st.stop()
# A damaged database shows only when a query reads the damaged part: any page then says so.
with context.stop_on_store_error():
    options = filters.options_from(context.named_query("filter_values"))
    filters.init_state(options, context.as_of_default())
    filters.follow_link()
    filters.url_warning()
    filters.sidebar(options)
    filters.sync_url()

# The pages live in views/, not "pages/": Streamlit would also run files there as legacy
# pages, bypassing this script. Sections, order, titles and icons: dashboard/catalogue.py.
pg = st.navigation({
    section: [st.Page(p.path, title=p.title, icon=p.icon, url_path=p.url_path or None,
                      default=p.default) for p in pages]
    for section, pages in catalogue.sections().items()
})
# One page run reuses the results of queries its metrics share (metrics/reuse.py). After it
# (the visitor's page first), the other pages' default views are computed in the background
# once per data version (dashboard/warmup.py; `csm serve` turns it on).
try:
    with context.stop_on_store_error(), context.reusing_results():
        pg.run()
finally:
    warmup.after_run()
