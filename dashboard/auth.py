"""Sign-in and roles on the dashboard: `st.login` / `st.user` when the secrets have an [auth]
section, local mode (everyone is admin, on 127.0.0.1: `csm serve`) without one.

The role logic is metrics/roles.py; here it is applied to `st.user`, whose claims come from the
identity cookie Streamlit signs with `cookie_secret` (a browser cannot forge them). Every write
path calls `require(action)` itself, so hiding a widget is a courtesy, not the protection.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

import streamlit as st

from metrics import roles

LOCAL_NOTE = "Local mode: no sign-in; everyone who can reach this page is admin."
# Set (to 1) by `csm serve --allow-no-auth`, or by an operator starting Streamlit directly:
# local mode on an address other machines can reach, knowingly.
ALLOW_NO_AUTH = "CSM_ALLOW_NO_AUTH"


@dataclass(frozen=True)
class User:
    """The person using this session: email and name from the ID token (None in local mode),
    their role, whether this is local mode, and the csm_owner value that is them, if any (the
    hook for restricting a csm to their own book: `roles.RoleConfig.csm_own_book_only`)."""

    email: str | None
    name: str | None
    role: str
    local: bool
    owner: str | None = None

    def label(self) -> str:
        """Return how the sidebar names this person."""
        return self.name or self.email or "signed in"


def auth_configured() -> bool:
    """Return whether the secrets have an [auth] section (sign-in on) — False when there is no
    secrets file at all."""
    try:
        return bool(st.secrets.load_if_toml_exists() and st.secrets.get("auth"))
    except Exception:  # noqa: BLE001 (an unreadable secrets file: csm serve refused it already)
        return False


@st.cache_resource(show_spinner=False)
def _config() -> roles.RoleConfig:
    # Read once per process: the file is in git and changes with a deploy, not at run time.
    return roles.load_config()


def _owners() -> list[str]:
    from dashboard import context

    frame = context.named_query("filter_values")
    return [v for d, v in frame.itertuples(index=False, name=None) if d == "csm_owner"]


def current_user(owners: Iterable[str] | None = None) -> User:
    """Return the User of this session: local mode's admin without [auth]; else the signed-in
    person with their role from `roles.role_for` (viewer-level "signed out" never reaches the
    pages: `gate` stops them). `owners` are the csm_owner values to match (default: those of
    the data)."""
    if not auth_configured():
        return User(email=None, name=None, role="admin", local=True)
    info = st.user.to_dict()
    if not info.get("is_logged_in"):
        return User(email=None, name=None, role="viewer", local=False)
    email = info.get("email")
    name = info.get("name")
    role = roles.role_for(info, _config())
    owner = roles.owner_for(email if isinstance(email, str) else None,
                            name if isinstance(name, str) else None,
                            _owners() if owners is None else owners)
    return User(email=email if isinstance(email, str) else None,
                name=name if isinstance(name, str) else None, role=role, local=False,
                owner=owner)


# The owner a restricted csm without a matching csm_owner value is limited to: no account has it,
# so they see nothing rather than everything.
NO_BOOK = "\x00no book"


def book_owner() -> str | None:
    """Return the csm_owner value this session is restricted to — a csm when the roles file
    sets `csm_own_book_only` (NO_BOOK when no account's owner is them) — or None (no
    restriction: local mode, other roles, or the setting off)."""
    user = current_user()
    if user.local or user.role != "csm" or not _config().csm_own_book_only:
        return None
    return user.owner or NO_BOOK


def can(action: str) -> bool:
    """Return whether this session's user may do `action` (metrics.roles.ACTIONS)."""
    return roles.allowed(current_user(owners=()).role, action)


def refusal(action: str) -> str:
    """Return the sentence saying which role `action` needs and which role the user has."""
    return roles.refusal(action, current_user(owners=()).role)


def require(action: str) -> None:
    """Stop the script run with a message naming the role `action` needs, unless this
    session's user has it. Called by the write functions themselves, before they write."""
    if not can(action):
        st.error(refusal(action), icon=":material/lock:")
        st.stop()


def off_loopback_refusal() -> str | None:
    """Return why local mode must not serve here — the server listens where other machines
    can reach it (its configured `server.address` is not loopback; none set means every
    interface) and neither [auth] nor $CSM_ALLOW_NO_AUTH=1 says otherwise — or None.

    `csm serve` refuses such an address before starting; this covers a plain
    `streamlit run dashboard/app.py`, which nothing checked before."""
    if auth_configured() or os.environ.get(ALLOW_NO_AUTH) == "1":
        return None
    address = str(st.get_option("server.address") or "")
    if roles.is_loopback(address):
        return None
    where = address or "every interface (no --server.address given)"
    return (f"This server listens on {where} and has no sign-in: everyone who could reach it "
            "would be admin, so it shows no data. Sign-in is required off loopback: configure "
            "[auth] in .streamlit/secrets.toml (see .streamlit/secrets.example.toml), or serve "
            f"on 127.0.0.1 (`csm serve`). To allow it anyway, set {ALLOW_NO_AUTH}=1 in the "
            "server's environment (`csm serve --allow-no-auth` does).")


def gate() -> None:
    """With [auth]: stop the run at a sign-in page until the person is signed in (nothing of
    the data is drawn before). Without: stop at a message when the server is reachable from
    other machines (`off_loopback_refusal`), else do nothing (local mode)."""
    if not auth_configured():
        if why := off_loopback_refusal():
            st.title("Customer success metrics")
            st.error(why, icon=":material/lock:")
            st.stop()
        return
    if st.user.is_logged_in:
        return
    st.title("Customer success metrics")
    st.markdown("Sign in to see the dashboard.")
    st.button("Sign in", type="primary", key="auth_sign_in", on_click=st.login,
              icon=":material/login:")
    st.stop()


def sidebar(user: User) -> None:
    """Say in the sidebar who is signed in with which role (and offer to sign out), or that
    this is local mode."""
    with st.sidebar:
        if user.local:
            st.caption(LOCAL_NOTE)
            return
        st.caption(f"Signed in as **{_md(user.label())}** · role **{user.role}**")
        st.button("Sign out", key="auth_sign_out", on_click=st.logout,
                  icon=":material/logout:")


def _md(text: str) -> str:
    from dashboard.components.text import md_escape

    return md_escape(text)
