"""Streamlit's own command line, with its one request to the internet removed.

Headless Streamlit asks checkip.amazonaws.com for the machine's public IP: at start when it
listens on every interface (for an "External URL" line) and, from the WebSocket origin check,
whenever a page of another origin connects (streamlit/net_util.py `get_external_ip`, called
from web/bootstrap.py and web/server/server_util.py in 1.67). No option turns it off, so
`csm serve` starts Streamlit through this module, which replaces the lookup by "unknown"
first: nothing leaves the machine (the README's promise), and an origin check never waits on
the internet. Usage statistics are off in .streamlit/config.toml and on the command line."""

from __future__ import annotations


def _no_external_ip() -> None:
    """Return None: the public IP is never looked up (Streamlit treats None as unknown)."""
    return None


def offline() -> None:
    """Replace Streamlit's public-IP lookup with `_no_external_ip`, in this process."""
    from streamlit import net_util

    net_util.get_external_ip = _no_external_ip


def main() -> None:
    """Run Streamlit's command line (`streamlit run …`) with the lookup removed."""
    offline()
    from streamlit.web import cli

    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main()
