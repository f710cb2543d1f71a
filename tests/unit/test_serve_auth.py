"""`csm serve` without sign-in stays on this machine: a non-loopback address without an [auth]
section is refused (exit 1, nothing started) unless --allow-no-auth is given."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from csm import cli

REPO = Path(__file__).resolve().parents[2]
FULL_AUTH = """[auth]
redirect_uri = "http://dash.example:8501/oauth2callback"
cookie_secret = "0123456789abcdef0123456789abcdef"
client_id = "csm"
client_secret = "s3cret"
server_metadata_url = "https://idp.example/.well-known/openid-configuration"
"""


def serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "csm.cli", "serve", *args],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_serving_on_all_addresses_without_auth_is_refused_and_starts_nothing(tmp_path):
    db = tmp_path / "csm.duckdb"
    r = serve("--address", "0.0.0.0", "--port", "8799", "--db", str(db),
              "--secrets", str(tmp_path / "absent.toml"))
    assert r.returncode == 1
    assert "refusing to serve on 0.0.0.0 without sign-in" in r.stderr
    assert "--allow-no-auth" in r.stderr and "[auth]" in r.stderr
    assert not db.exists()  # refused before the database was even created


def test_a_secrets_file_without_an_auth_section_is_local_mode_too(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('api_key = "x"\n')
    r = serve("--address", "192.0.2.10", "--db", str(tmp_path / "csm.duckdb"),
              "--secrets", str(secrets))
    assert r.returncode == 1 and "refusing to serve on 192.0.2.10" in r.stderr


def test_an_incomplete_auth_section_is_refused_naming_the_missing_keys(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[auth]\nredirect_uri = "http://localhost:8501/oauth2callback"\n')
    r = serve("--db", str(tmp_path / "csm.duckdb"), "--secrets", str(secrets))
    assert r.returncode == 1
    assert "lacks cookie_secret, client_id, client_secret, server_metadata_url" in r.stderr


def test_a_secrets_file_that_is_not_toml_is_refused(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("[auth\n")
    r = serve("--db", str(tmp_path / "csm.duckdb"), "--secrets", str(secrets))
    assert r.returncode == 1 and "is not valid TOML" in r.stderr


@pytest.mark.parametrize("address, loopback", [
    ("127.0.0.1", True), ("127.0.0.2", True), ("localhost", True), ("::1", True),
    ("[::1]", True), ("0.0.0.0", False), ("::", False), ("192.168.1.5", False),
    ("dash.example", False), ("", False),
])
def test_loopback_addresses(address, loopback):
    assert cli.is_loopback(address) is loopback


def test_the_refusal_rules(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(FULL_AUTH)
    auth = cli.auth_section(secrets)
    assert auth is not None and auth["client_id"] == "csm"
    assert cli.serve_refusal("0.0.0.0", auth, allow_no_auth=False) is None
    assert cli.serve_refusal("0.0.0.0", None, allow_no_auth=True) is None
    assert cli.serve_refusal("127.0.0.1", None, allow_no_auth=False) is None
    assert "refusing" in (cli.serve_refusal("0.0.0.0", None, allow_no_auth=False) or "")


def test_the_default_address_is_this_machine_only():
    args = cli.build_parser(metric_settings=False).parse_args(["serve"])
    assert args.address == "127.0.0.1" and args.allow_no_auth is False


def test_secrets_toml_is_git_ignored_and_the_example_is_not():
    def ignored(path: str) -> bool:
        return subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO).returncode == 0

    assert ignored(".streamlit/secrets.toml")
    assert not ignored(".streamlit/secrets.example.toml")


def test_the_example_secrets_file_has_every_key_csm_serve_checks():
    auth = cli.auth_section(REPO / ".streamlit" / "secrets.example.toml")
    assert auth is not None and set(cli.AUTH_KEYS) <= set(auth)
