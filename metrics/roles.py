"""Roles of the signed-in dashboard: who has which role, and which action needs which role.

Pure logic, no Streamlit: the ID-token claims and the roles file (metrics/roles.yaml, or
$CSM_ROLES_FILE) give a role; `allowed` and `refusal` say whether a role may do an action and,
if not, what to tell the person. dashboard/auth.py applies it to `st.user`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# Lowest to highest: when a person's claim gives several roles, the highest counts.
ROLES = ("viewer", "csm", "analyst", "admin")
ROLES_FILE = Path(__file__).resolve().parent / "roles.yaml"

# action -> (the roles that may do it, how the refusal names the action)
ACTIONS: dict[str, tuple[frozenset[str], str]] = {
    "load_data": (frozenset({"analyst", "admin"}), "Loading data"),
    "save_targets": (frozenset({"analyst", "admin"}), "Saving targets"),
    "save_rules": (frozenset({"analyst", "admin"}), "Saving alert rules"),
    "check_rules": (frozenset({"analyst", "admin"}), "Checking the alert rules"),
    "save_health_model": (frozenset({"analyst", "admin"}), "Saving the health model"),
    "undo_load": (frozenset({"analyst", "admin"}), "Undoing a load"),
    # tasks, notes, risk plays and detractor follow-ups (metrics/actions/)
    "edit_tasks": (frozenset({"csm", "analyst", "admin"}), "Creating or changing tasks"),
}


class RolesError(ValueError):
    """The roles file cannot be used (the message says why)."""


@dataclass(frozen=True)
class RoleConfig:
    """The roles file: the claim to read, the default role, group and email mappings."""

    claim: str = "groups"
    default_role: str = "viewer"
    groups: Mapping[str, str] = field(default_factory=dict)
    users: Mapping[str, str] = field(default_factory=dict)  # lower-cased email -> role
    # A csm sees only the accounts whose csm_owner is them, on every page and export.
    csm_own_book_only: bool = False


def _role(value: Any, where: str) -> str:
    role = str(value).strip().lower()
    if role not in ROLES:
        raise RolesError(f"{where}: {value!r} is not a role (one of {', '.join(ROLES)})")
    return role


def parse_config(doc: Mapping[str, Any] | None) -> RoleConfig:
    """Return the RoleConfig of a parsed roles file; raise RolesError naming the bad entry."""
    doc = doc or {}
    if not isinstance(doc, Mapping):
        raise RolesError("the roles file must be a mapping (claim, default_role, groups, users)")
    unknown = set(doc) - {"claim", "default_role", "groups", "users", "csm_own_book_only"}
    if unknown:
        raise RolesError(f"unknown keys in the roles file: {', '.join(sorted(unknown))}")
    claim = str(doc.get("claim") or "groups").strip()
    default = _role(doc.get("default_role", "viewer"), "default_role")
    groups_raw = doc.get("groups") or {}
    users_raw = doc.get("users") or {}
    if not isinstance(groups_raw, Mapping) or not isinstance(users_raw, Mapping):
        raise RolesError("groups and users must be mappings (name: role)")
    groups = {str(g): _role(r, f"groups.{g}") for g, r in groups_raw.items()}
    users = {str(e).strip().lower(): _role(r, f"users.{e}") for e, r in users_raw.items()}
    own_book = doc.get("csm_own_book_only", False)
    if not isinstance(own_book, bool):
        raise RolesError(f"csm_own_book_only must be true or false, not {own_book!r}")
    return RoleConfig(claim=claim, default_role=default, groups=groups, users=users,
                      csm_own_book_only=own_book)


def load_config(path: Path | str | None = None) -> RoleConfig:
    """Return the RoleConfig of `path`, else $CSM_ROLES_FILE, else metrics/roles.yaml."""
    p = Path(path or os.environ.get("CSM_ROLES_FILE") or ROLES_FILE)
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise RolesError(f"the roles file {p} cannot be read: {e.strerror or e}") from e
    except yaml.YAMLError as e:
        raise RolesError(f"the roles file {p} is not valid YAML: {e}") from e
    return parse_config(doc)


def _claim_values(value: Any) -> list[str]:
    """The values of a claim: a list of strings, or one string (never split: group names may
    hold spaces)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return [str(v) for v in value]
    return [str(value)]


def highest(roles: Iterable[str]) -> str | None:
    """Return the highest of `roles` (admin > analyst > csm > viewer), or None when empty."""
    ranked = [r for r in roles if r in ROLES]
    return max(ranked, key=ROLES.index) if ranked else None


def role_for(claims: Mapping[str, Any], config: RoleConfig) -> str:
    """Return the role of a signed-in person from their ID-token `claims`: their email's entry
    in `config.users` (unless the claims say the email is unverified), else the highest role
    that the values of `config.claim` name directly or through `config.groups`, else
    `config.default_role`."""
    email = str(claims.get("email") or "").strip().lower()
    # An unverified email could be anyone's: some providers let people type it.
    if email and claims.get("email_verified") is not False and email in config.users:
        return config.users[email]
    found = []
    for v in _claim_values(claims.get(config.claim)):
        if v in config.groups:
            found.append(config.groups[v])
        elif v.strip().lower() in ROLES:
            found.append(v.strip().lower())
    return highest(found) or config.default_role


def allowed(role: str, action: str) -> bool:
    """Return whether `role` may do `action` (a key of ACTIONS; unknown actions: never)."""
    spec = ACTIONS.get(action)
    return spec is not None and role in spec[0]


def roles_for(action: str) -> list[str]:
    """Return the roles that may do `action`, lowest first."""
    return [r for r in ROLES if r in ACTIONS[action][0]]


def refusal(action: str, role: str) -> str:
    """Return the sentence telling someone of `role` that they may not do `action`, naming the
    roles that may: "Loading data needs the analyst or admin role; you are signed in as
    viewer." """
    who = roles_for(action)
    needed = " or ".join(who) if len(who) <= 2 else ", ".join(who[:-1]) + " or " + who[-1]
    return f"{ACTIONS[action][1]} needs the {needed} role; you are signed in as {role}."


def is_loopback(address: str) -> bool:
    """Return whether a server listening on `address` is only reachable from this machine
    (127.0.0.0/8, ::1, "localhost", or a unix:// socket); any other name or address counts as
    reachable from elsewhere, and so does "" (no address: Streamlit listens on every
    interface)."""
    import ipaddress

    address = address.strip()
    if address.lower() == "localhost" or address.startswith("unix://"):
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def owner_for(email: str | None, name: str | None, owners: Iterable[str]) -> str | None:
    """Return the csm_owner value of `owners` that is this person: equal to their name or
    email (case-insensitive), or to their email's local part with dots, dashes or underscores
    read as spaces ("ava.thompson@…" is "Ava Thompson"); None when none or several match."""
    def norm(s: str) -> str:
        return " ".join(s.replace(".", " ").replace("_", " ").replace("-", " ").split()).lower()

    wanted = {s.strip().lower() for s in (email, name) if s and s.strip()}
    if email and "@" in email:
        wanted.add(norm(email.split("@", 1)[0]))
    if name:
        wanted.add(norm(name))
    hits = [o for o in owners if o and (o.strip().lower() in wanted or norm(o) in wanted)]
    return hits[0] if len(set(hits)) == 1 else None
