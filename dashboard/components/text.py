"""Showing text that comes from data or files: never as markup."""

import re

_MD = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def md_escape(text) -> str:
    """Return `text` with Markdown and HTML special characters escaped, for st.markdown and
    friends, so a file name or value such as <script> or [x](javascript:…) shows as text."""
    return _MD.sub(r"\\\1", str(text))
