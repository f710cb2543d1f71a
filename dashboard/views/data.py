"""Data: table counts, the upload wizard (mapping, preview, validation report, load), past
loads, templates and the demo data."""

import streamlit as st

from dashboard import auth, context
from dashboard.components.data.files import downloads
from dashboard.components.data.history import audit_trail, past_loads
from dashboard.components.data.origin import origin
from dashboard.components.data.wizard import wizard

# What the page computes on open (dashboard/catalogue.py and the benchmark read it).
# (the counts, the origin lines and the Upload tab; only the open tab runs: lazy tabs)
CALLS = (("sql", "table_counts", {}), ("sql", "data_origin", {}))
OTHER_CALLS = (("sql", "loads_history", {}),)  # the Past loads tab, when opened

store = context.store_or_stop()

st.title("Data")
counts = context.named_query("table_counts")
counts["rows"] = counts["rows"].map("{:,}".format)
st.dataframe(counts.set_index("table").T, width="stretch")
origin()
# Only the open tab runs (its label is `data_tab` in the URL, so a link opens the same tab).
upload_tab, history_tab, audit_tab, files_tab = st.tabs(
    ["Upload a file", "Past loads", "Audit trail", "Templates & demo data"],
    key="data_tab", bind="query-params")

if upload_tab.open:
    with upload_tab:
        if auth.can("load_data"):
            wizard(store)
        else:  # the wizard itself refuses too (a forged upload): this says so up front
            st.info(auth.refusal("load_data"), icon=":material/lock:")

if history_tab.open:
    with history_tab:
        past_loads(store, who=context.who())

if audit_tab.open:
    with audit_tab:
        audit_trail()

if files_tab.open:
    with files_tab:
        downloads()
