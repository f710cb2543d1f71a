"""The Streamlit dashboard: the entry point, page catalogue, data access, views and components."""
