"""Showing text that comes from data or files: never as markup.

`md_escape` is the one escaping helper for every st.caption / markdown / warning / info /
error / success / toast / widget label that contains a value from data, a file or a URL.
tests/unit/test_markdown_escape.py checks what it escapes and scans the dashboard for text
calls that are fed data without it."""

import re

# Every ASCII punctuation character CommonMark lets a backslash escape that Streamlit's
# Markdown gives a meaning: emphasis, links and images, headings, lists, code, tables, HTML,
# LaTeX ($), entities (&), colour and emoji directives (:red[x], :smile:, :material/x:)
# and strikethrough (~). Line breaks become spaces, so no setext heading (=) can form.
_MD = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")
# A line break inside a value would start a new Markdown block (a list, a heading, a quote).
_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")
# GitHub-flavoured autolinks (http://…, www.…, name@host.tld) are found in the text after
# escapes are read, so a backslash cannot stop them: an invisible word joiner (U+2060) is put
# inside each "://", before the dot of "www." and before "@", so no link is formed.
_AUTOLINK = re.compile(r"(:)(//)|(?i:(www))(\.)|()(@)")
_JOINER = "\u2060"


def md_escape(text) -> str:
    """Return `text` as Markdown that shows exactly its characters: Markdown and HTML special
    characters backslash-escaped and line breaks turned into spaces, so a value such as
    <script>, ![x](http://host/p.png), [x](javascript:…), **bold** or :red[x] shows as text
    (no image fetched, no link, no colour). Web addresses and e-mail addresses get an invisible
    word joiner (U+2060) so that Markdown does not turn them into links."""
    text = _AUTOLINK.sub(lambda m: _JOINER.join(g for g in m.groups() if g is not None),
                         _BREAKS.sub(" ", str(text)))
    return _MD.sub(r"\\\1", text)
