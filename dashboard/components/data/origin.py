"""The Data page's "where the data came from": the newest load of each kind, and when."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import context
from dashboard.components.text import md_escape

_KIND = {"rollups": "Usage pages", "parquet": "Tables from a Parquet export",
         "file": "Newest file load"}


def origin() -> None:
    """Draw one line per kind of load (file, Parquet export, rollups computed on Spark) with
    its source and time; says so when nothing was loaded (the demo data)."""
    rows = context.named_query("data_origin")
    if rows.empty:
        st.caption("Where the data came from: nothing loaded yet (demo data or an empty file).")
        return
    lines = []
    for r in rows.itertuples():
        when = f"{pd.Timestamp(r.loaded_at):%Y-%m-%d %H:%M} UTC"
        source = str(r.source).replace("`", "'")  # shown as code: no Markdown inside
        lines.append(f"- **{_KIND.get(r.kind, r.kind)}** — {md_escape(r.message)} "
                     f"(from `{source}`, loaded {when}, load {r.load_id})")
    st.markdown("**Where the data came from**\n" + "\n".join(lines))
