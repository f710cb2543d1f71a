"""`csm serve`: the dashboard under Streamlit, refused on an address others can reach unless
sign-in is configured ([auth] in the secrets file) or --allow-no-auth says so."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from csm.commands.demo import seed_demo_if_absent
from csm.common import EXIT_OK, EXIT_REFUSED, UsageError, eprint, open_store

# The project's checkout: dashboard/app.py and .streamlit/ are read from it.
ROOT = Path(__file__).resolve().parents[2]


AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret",
             "server_metadata_url")


def is_loopback(address: str) -> bool:
    """Return whether `address` is only reachable from this machine (metrics.roles.is_loopback:
    the dashboard decides local mode by the same rule)."""
    from metrics.roles import is_loopback as loopback

    return loopback(address)


def auth_section(secrets: Path) -> dict | None:
    """Return the [auth] section of the secrets file (None when the file or the section is
    absent); raise UsageError when the file is not TOML or the section lacks a key
    st.login needs."""
    import tomllib

    if not secrets.is_file():
        return None
    try:
        doc = tomllib.loads(secrets.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise UsageError(f"{secrets} is not valid TOML: {e}") from e
    auth = doc.get("auth")
    if auth is None:
        return None
    missing = [k for k in AUTH_KEYS if not (isinstance(auth, dict) and auth.get(k))]
    if missing:
        raise UsageError(f"the [auth] section of {secrets} lacks {', '.join(missing)} "
                         "(see .streamlit/secrets.example.toml)")
    return auth


def serve_refusal(address: str, auth: dict | None, allow_no_auth: bool) -> str | None:
    """Return why `csm serve` must not start (None when it may): a non-loopback address
    without sign-in, unless `allow_no_auth`."""
    if auth is not None or allow_no_auth or is_loopback(address):
        return None
    return (f"refusing to serve on {address} without sign-in: everyone who can reach it would "
            "be admin. Configure [auth] in .streamlit/secrets.toml (see "
            ".streamlit/secrets.example.toml and the README, \"Signing in and roles\"), serve "
            "on 127.0.0.1, or pass --allow-no-auth.")


def cmd_serve(args) -> int:
    """Serve the dashboard (replaces this process with Streamlit); refuse a non-loopback
    address without sign-in (exit 1)."""
    from metrics.store import default_db_path

    root = ROOT
    secrets = (args.secrets or root / ".streamlit" / "secrets.toml").resolve()
    try:
        auth = auth_section(secrets)
    except UsageError as e:
        eprint(f"csm serve: {e}")
        return EXIT_REFUSED
    if why := serve_refusal(args.address, auth, args.allow_no_auth):
        eprint(f"csm serve: {why}")
        return EXIT_REFUSED
    if auth is None and not is_loopback(args.address):
        eprint(f"csm serve: WARNING: serving on {args.address} without sign-in "
               "(--allow-no-auth): everyone who can reach it is admin.")
    db = args.db or default_db_path()
    if args.db is None:
        seed_demo_if_absent(db)
    else:
        open_store(db).close()  # creates an empty database, or fails clearly if unusable
    app = root / "dashboard" / "app.py"
    env = dict(os.environ, CSM_DB=str(Path(db).resolve()))
    # Every page's default view computed in the background after start and after each load
    # (dashboard/warmup.py), unless the operator turned it off.
    env.setdefault("CSM_WARM_CACHES", "1")
    if auth is None and args.allow_no_auth:
        # The app refuses local mode off loopback by itself (dashboard/auth.py), as it must
        # when started by plain `streamlit run`: pass the operator's explicit choice on.
        env["CSM_ALLOW_NO_AUTH"] = "1"
    # The app tells local mode from sign-in by the same file csm checked above: only it is
    # read (not ~/.streamlit/secrets.toml), so the check and the app cannot disagree.
    # Streamlit through csm.offline_streamlit: its public-IP lookup removed; no usage
    # statistics whatever the config file says. Nothing leaves the machine.
    cmd = [sys.executable, "-m", "csm.offline_streamlit", "run", str(app),
           "--server.port", str(args.port), "--server.headless", "true",
           "--server.address", args.address, "--browser.gatherUsageStats", "false",
           "--secrets.files", str(secrets)]
    # Run from the project folder so .streamlit/config.toml applies.
    os.chdir(root)
    os.execve(sys.executable, cmd, env)
    return EXIT_OK  # pragma: no cover
