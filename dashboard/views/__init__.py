"""One thin file per page, run by st.navigation (not a legacy pages/ folder)."""
