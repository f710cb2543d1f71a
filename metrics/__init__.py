"""Customer success metrics: storage, import, KPIs, statistics and the `csm` command line.

Nothing in this package imports Streamlit: the dashboard depends on it, never the reverse.
"""
