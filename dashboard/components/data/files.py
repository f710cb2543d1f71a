"""The Data page's templates and demo data downloads."""

from __future__ import annotations

import streamlit as st

from dashboard import context
from metrics import demo, templates
from metrics.schema import TABLES


@st.cache_data(ttl=24 * 3600, max_entries=1, show_spinner=False)
def demo_zip() -> bytes:
    """Return the small demo set as a zip of CSVs, generated in a scratch database."""
    import tempfile
    from pathlib import Path

    from metrics.store import Store

    with tempfile.TemporaryDirectory(dir=context.get_store().uploads) as tmp:
        scratch = Store(Path(tmp) / "demo.duckdb")
        try:
            demo.generate(scratch, size="small")
            cur = scratch.cursor()
            try:
                return demo.demo_zip_bytes(cur)
            finally:
                cur.close()
        finally:
            scratch.close()


def downloads() -> None:
    """Draw one template per table and the demo data zip."""
    st.markdown("One template per table: the canonical header and an example row. Extra "
                "columns in an accounts file are kept as custom attributes.")
    cols = st.columns(4)
    for i, t in enumerate(TABLES):
        cols[i % 4].download_button(f"{t}.csv", templates.template_csv(t),
                                    file_name=f"template_{t}.csv", mime="text/csv",
                                    key=f"tpl_{t}")
    st.markdown("The small demo data set (generated fresh, not your data), as CSV files in a "
                "zip:")
    if st.button("Prepare the demo data download", key="demo_prep"):
        with st.spinner("Generating the demo data…"):
            st.session_state["demo_zip"] = demo_zip()
    if "demo_zip" in st.session_state:
        st.download_button("Download demo data (zip)", st.session_state["demo_zip"],
                           file_name="csm_demo_data.zip", mime="application/zip",
                           key="dl_demo")
