"""The Accounts page's "My accounts" picker. It is the sidebar's CSM owner filter shown on the
page, not a second filter: picking an owner sets the sidebar's filter, so the book, the team
view, every other page and the URL ('owner', a pseudonym while masked) agree."""

from __future__ import annotations

import streamlit as st

from dashboard import auth, filters
from dashboard.components.text import md_escape

ALL = "All owners"
SEVERAL = "The owners chosen in the sidebar"
KEY = "ac_owner"
OWNER_KEY = filters.DIMENSIONS["csm_owner"][0]
_OPENED = "_ac_opened"  # the page has been opened in this session (its csm default applied)


def _picked(shown: dict[str, str]) -> None:
    # a callback runs before the sidebar is drawn again: the filter may still be set here
    v = st.session_state[KEY]
    if v != SEVERAL:
        st.session_state[OWNER_KEY] = [] if v == ALL else [shown[v]]


def picker(where) -> None:
    """Draw "My accounts (CSM owner)" in `where` showing the sidebar's owner filter (by
    pseudonym while masked) and setting it when changed; a caption instead for a csm restricted
    to their book. The first time a csm opens the page with no owner chosen, the filter is set
    to their own book (then the page reruns)."""
    if auth.book_owner() is not None:
        who = md_escape(filters.person_label(auth.book_owner()))
        where.caption(f"My accounts: your book only ({who})")
        return
    owners = filters.choices("csm_owner")
    chosen = list(st.session_state.get(OWNER_KEY, []))
    if not st.session_state.get(_OPENED):
        st.session_state[_OPENED] = True
        user = auth.current_user(owners)
        if not chosen and user.role == "csm" and user.owner in owners:
            filters.set_next("csm_owner", [user.owner])
            st.rerun()
    shown = {filters.person_label(o): o for o in owners}
    options = ([SEVERAL] if len(chosen) > 1 else []) + [ALL] + list(shown)
    st.session_state[KEY] = (ALL if not chosen else SEVERAL if len(chosen) > 1
                             else filters.person_label(chosen[0]))
    where.selectbox("My accounts (CSM owner)", options, key=KEY, on_change=_picked,
                    args=(shown,), help="The sidebar's CSM owner filter: choosing here chooses "
                    "there, for every page and in the link.")
