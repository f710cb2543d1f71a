"""metrics/roles.py: claims and the roles file give a role; actions need roles."""

from __future__ import annotations

import pytest

from metrics import roles
from metrics.roles import RoleConfig, RolesError, is_loopback


def cfg(**kw) -> RoleConfig:
    return roles.parse_config({"claim": "groups", "default_role": "viewer", **kw})


def test_the_shipped_roles_file_parses_and_defaults_to_viewer():
    c = roles.load_config(roles.ROLES_FILE)
    assert c.default_role == "viewer"
    assert c.claim == "groups"
    assert set(c.groups.values()) <= set(roles.ROLES)
    assert roles.role_for({"email": "nobody@example.com"}, c) == "viewer"


def test_a_claim_value_that_is_a_role_name_gives_that_role():
    assert roles.role_for({"groups": ["analyst"]}, cfg()) == "analyst"
    assert roles.role_for({"groups": "Admin"}, cfg()) == "admin"


def test_groups_map_to_roles_and_the_highest_counts():
    c = cfg(groups={"cs-ops": "analyst", "everyone": "viewer"})
    assert roles.role_for({"groups": ["everyone", "cs-ops", "csm"]}, c) == "analyst"
    assert roles.role_for({"groups": ["everyone"]}, c) == "viewer"


def test_unknown_groups_and_a_missing_claim_give_the_default_role():
    c = cfg(default_role="csm")
    assert roles.role_for({"groups": ["marketing"]}, c) == "csm"
    assert roles.role_for({}, c) == "csm"


def test_the_claim_name_is_configurable():
    c = cfg(claim="roles")
    assert roles.role_for({"roles": ["admin"], "groups": ["viewer"]}, c) == "admin"
    assert roles.role_for({"groups": ["admin"]}, c) == "viewer"


def test_an_email_entry_wins_over_the_claim_even_to_lower_a_role():
    c = cfg(users={"Ava.Thompson@Example.com": "viewer"})
    assert roles.role_for({"email": "ava.thompson@example.com", "groups": ["admin"]},
                          c) == "viewer"


def test_an_unverified_email_does_not_get_its_entry():
    c = cfg(users={"boss@example.com": "admin"})
    claims = {"email": "boss@example.com", "email_verified": False}
    assert roles.role_for(claims, c) == "viewer"
    assert roles.role_for({**claims, "email_verified": True}, c) == "admin"


@pytest.mark.parametrize("doc, words", [
    ({"default_role": "owner"}, "default_role"),
    ({"groups": {"x": "superuser"}}, "groups.x"),
    ({"users": {"a@b.c": "root"}}, "users.a@b.c"),
    ({"colour": "blue"}, "unknown keys"),
    ({"csm_own_book_only": "yes"}, "true or false"),
    (["admin"], "mapping"),
])
def test_a_bad_roles_file_is_refused_naming_the_entry(doc, words):
    with pytest.raises(RolesError, match=words):
        roles.parse_config(doc)


def test_load_config_reads_csm_roles_file(tmp_path, monkeypatch):
    p = tmp_path / "roles.yaml"
    p.write_text("claim: roles\ndefault_role: csm\n")
    monkeypatch.setenv("CSM_ROLES_FILE", str(p))
    assert roles.load_config() == RoleConfig(claim="roles", default_role="csm")
    p.write_text("claim: [unclosed\n")
    with pytest.raises(RolesError, match="not valid YAML"):
        roles.load_config()
    with pytest.raises(RolesError, match="cannot be read"):
        roles.load_config(tmp_path / "absent.yaml")


def test_writes_need_analyst_or_admin_and_viewer_and_csm_read_only():
    for action in roles.ACTIONS:
        if action == "edit_tasks":  # a csm works their accounts: tasks, notes, plays
            assert [r for r in roles.ROLES if roles.allowed(r, action)] == ["csm", "analyst",
                                                                            "admin"]
            continue
        assert [r for r in roles.ROLES if roles.allowed(r, action)] == ["analyst", "admin"]
    assert not roles.allowed("admin", "no_such_action")


def test_the_refusal_names_the_roles_needed_and_the_users_role():
    assert roles.refusal("load_data", "viewer") == (
        "Loading data needs the analyst or admin role; you are signed in as viewer.")
    assert roles.refusal("save_health_model", "csm").startswith(
        "Saving the health model needs the analyst or admin role")


OWNERS = ["Ava Thompson", "Liam Patel", "ava.t@example.com"]


def test_owner_is_matched_by_name_email_or_the_emails_local_part():
    assert roles.owner_for(None, "ava thompson", OWNERS) == "Ava Thompson"
    assert roles.owner_for("liam.patel@corp.example", None, OWNERS) == "Liam Patel"
    assert roles.owner_for("AVA.T@example.com", "Someone", OWNERS) == "ava.t@example.com"
    assert roles.owner_for("x@example.com", "Nobody", OWNERS) is None
    assert roles.owner_for(None, None, OWNERS) is None


def test_an_ambiguous_owner_match_gives_none():
    assert roles.owner_for("ava.thompson@x.example", "Liam Patel", OWNERS) is None


def test_own_book_only_is_read_from_the_roles_file():
    from metrics.roles import parse_config

    assert parse_config({"csm_own_book_only": True}).csm_own_book_only is True
    assert parse_config({}).csm_own_book_only is False


@pytest.mark.parametrize("address, loopback", [
    ("127.0.0.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("unix:///run/csm.sock", True), ("0.0.0.0", False), ("::", False), ("", False),
    ("10.0.0.7", False), ("dash.example", False),
])
def test_only_loopback_addresses_and_sockets_are_this_machine_only(address, loopback):
    # "" is Streamlit's default: it then listens on every interface
    assert is_loopback(address) is loopback
