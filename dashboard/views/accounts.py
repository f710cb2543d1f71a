"""Accounts: a CSM's book of business and the account 360 (work in progress)."""

import streamlit as st

st.title("Accounts")
st.info("Coming soon.")
