"""Data: table counts, the upload wizard (mapping, preview, validation report, load), past
loads, templates and the demo data."""

import streamlit as st

from dashboard import auth, context
from dashboard.components.data.files import downloads
from dashboard.components.data.wizard import wizard

store = context.store_or_stop()

st.title("Data")
counts = context.named_query("table_counts")
counts["rows"] = counts["rows"].map("{:,}".format)
st.dataframe(counts.set_index("table").T, width="stretch")
upload_tab, history_tab, files_tab = st.tabs(["Upload a CSV", "Past loads",
                                              "Templates & demo data"])

with upload_tab:
    if auth.can("load_data"):
        wizard(store)
    else:  # the wizard itself refuses too (a forged upload): this says so up front
        st.info(auth.refusal("load_data"), icon=":material/lock:")

with history_tab:
    hist = context.named_query("loads_history")
    if hist.empty:
        st.info("No loads yet.")
    else:
        order = ["time", "table", "file", "mode", "outcome", "rows_in_file", "rows_loaded",
                 "rows_rejected", "rows_skipped_duplicate", "orphans", "message", "loaded_by",
                 "sha256", "load_id"]
        st.dataframe(hist, width="stretch", hide_index=True, column_order=order,
                     column_config={"sha256": st.column_config.TextColumn(width="small")})

with files_tab:
    downloads()
