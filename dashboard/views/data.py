"""Data: table counts, the upload wizard (mapping, preview, validation report, load), past
loads, templates and the demo data."""

import streamlit as st

from dashboard import context
from dashboard.components.data.files import downloads
from dashboard.components.data.history import audit_trail, past_loads
from dashboard.components.data.wizard import wizard

store = context.store_or_stop()

st.title("Data")
counts = context.named_query("table_counts")
counts["rows"] = counts["rows"].map("{:,}".format)
st.dataframe(counts.set_index("table").T, width="stretch")
upload_tab, history_tab, audit_tab, files_tab = st.tabs(
    ["Upload a CSV", "Past loads", "Audit trail", "Templates & demo data"])

with upload_tab:
    wizard(store)

with history_tab:
    past_loads(store, who=context.who())

with audit_tab:
    audit_trail()

with files_tab:
    downloads()
