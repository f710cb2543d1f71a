"""Markdown from data is never interpreted (issue 17, item 6).

`md_escape` (dashboard/components/text.py) is the one helper; this file checks what it does to
hostile values, and scans the dashboard for st.caption / markdown / warning / info / error /
success / write / header / toast calls fed a value that is neither escaped nor one the program
computes itself (the reviewed list TRUSTED: numbers, dates, our own labels and texts)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dashboard.components.text import md_escape

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"
TEXT_CALLS = {"caption", "markdown", "warning", "info", "error", "success", "write",
              "subheader", "header", "title", "toast"}
SAFE_CALLS = {"md_escape", "int", "len", "auth.refusal", "refusal"}

# (file, expression): values put into text calls unescaped that the program computes itself
# (counts, dates, settings, our own labels and messages), reviewed one by one. A value from
# data, a file, a URL or an exception goes through md_escape instead of onto this list.
TRUSTED = {
    ('dashboard/auth.py', 'LOCAL_NOTE'),
    ('dashboard/auth.py', '_md(user.label())'),
    ('dashboard/auth.py', 'user.role'),
    ('dashboard/auth.py', 'why'),
    ('dashboard/components/accounts/account_360.py', 'label'),
    ('dashboard/components/accounts/account_360.py', "model['window_days']"),
    ('dashboard/components/accounts/account_360.py', 'n_open'),
    ('dashboard/components/accounts/owner.py', 'who'),
    ('dashboard/components/accounts/team.py', 'accounts.RENEWAL_DAYS'),
    ('dashboard/components/accounts/team.py', 'as_of'),
    ('dashboard/components/data/wizard.py', 'NULL_MARKERS'),
    ('dashboard/components/data/wizard.py', "impact['stored']"),
    ('dashboard/components/data/wizard.py', 'msg'),
    ('dashboard/components/data/wizard.py', 'n'),
    ('dashboard/components/data/wizard.py', 'p.label'),
    ('dashboard/components/data/wizard.py', 'p.table'),
    ('dashboard/components/data/wizard.py', "proposal['parsed']"),
    ('dashboard/components/data/wizard.py', "res['orphans']"),
    ('dashboard/components/data/wizard.py', 'table'),
    ('dashboard/components/goals/parts.py', 'fired'),
    ('dashboard/components/goals/parts.py', 'version'),
    ('dashboard/components/health/editor.py', 'total'),
    ('dashboard/components/health/explain.py', "charts.COMPONENT_LABELS[p['component']]"),
    ('dashboard/components/health/explain.py', "row['band'].capitalize()"),
    ('dashboard/components/health/explain.py', "row['green']"),
    ('dashboard/components/health/explain.py', "row['yellow']"),
    ('dashboard/components/health/explain.py', 'used'),
    ('dashboard/components/kpi_card.py', '_exact(row[spec.denominator])'),
    ('dashboard/components/kpi_card.py', '_exact(row[spec.excluded])'),
    ('dashboard/components/kpi_card.py', '_exact(row[spec.numerator])'),
    ('dashboard/components/kpi_card.py', 'col'),
    ('dashboard/components/kpi_card.py', 'explain'),
    ('dashboard/components/kpi_card.py', 'f'),
    ('dashboard/components/kpi_card.py', 'notes'),
    ('dashboard/components/kpi_card.py', 'spec.definition'),
    ('dashboard/components/kpi_card.py', 'spec.denominator'),
    ('dashboard/components/kpi_card.py', 'spec.excluded'),
    ('dashboard/components/kpi_card.py', 'spec.label'),
    ('dashboard/components/kpi_card.py', 'spec.numerator'),
    ('dashboard/components/kpi_card.py', 'title'),
    ('dashboard/components/retention/cohorts.py', 'basis'),
    ('dashboard/components/retention/cohorts.py', 'kept'),
    ('dashboard/components/retention/cohorts.py', 'str(cohort)[:7]'),
    ('dashboard/components/retention/renewals.py', 'r.at_risk_accounts'),
    ('dashboard/components/retention/renewals.py', 'r.within_days'),
    ('dashboard/components/retention/revenue.py', "cite(bench['churn_monthly_b2b'])"),
    ('dashboard/components/retention/revenue.py', "cite(bench['nrr_median'])"),
    ('dashboard/components/retention/revenue.py', 'movement'),
    ('dashboard/components/retention/survival.py', "test['df']"),
    ('dashboard/components/retention/survival.py', "test['p_value']"),
    ('dashboard/components/retention/survival.py', "test['statistic']"),
    ('dashboard/components/retention/survival.py', 'verdict'),
    ('dashboard/components/retention/value.py', 'UNITS[unit]'),
    ('dashboard/components/satisfaction/accounts.py', '_day(q)'),
    ('dashboard/components/satisfaction/accounts.py', 'days'),
    ('dashboard/components/satisfaction/accounts.py', 'health'),
    ('dashboard/components/satisfaction/accounts.py', 'loyalty.recency_days(q)'),
    ('dashboard/components/satisfaction/comments.py', 'impact'),
    ('dashboard/components/satisfaction/comments.py', 'ts.fingerprint'),
    ('dashboard/components/satisfaction/scores.py', 'choice'),
    ('dashboard/components/satisfaction/scores.py', 'x'),
    ('dashboard/components/support/times.py', "cite(bench['email_first_response'])"),
    ('dashboard/components/support/times.py', "cite(bench['fcr_good'])"),
    ('dashboard/components/support/times.py', 'grain'),
    ('dashboard/components/support/times.py', 'k'),
    ('dashboard/components/support/times.py', 'other'),
    ('dashboard/components/support/times.py', 'v'),
    ('dashboard/components/usage/adoption.py', 'days'),
    ('dashboard/components/usage/adoption.py', 'window'),
    ('dashboard/components/usage/nps.py', 'window'),
    ('dashboard/components/weekly/parts.py', 'notes'),
    # program text: counts, dates, the follow-up states and the review's own lines
    ('dashboard/components/weekly/parts.py', 'review.renewals_line(r)'),
    ('dashboard/components/tasks/followup.py', 's'),
    ('dashboard/components/tasks/lists.py', 'empty'),
    ('dashboard/components/tasks/lists.py', 'n_over'),
    ('dashboard/components/tasks/lists.py', 'today()'),
    ('dashboard/components/tasks/weekly.py', 'o.line()'),
    # each line: the load's message escaped, its source shown as code, times and numbers
    ('dashboard/components/data/origin.py', 'lines'),
    # which rows of the book the page shows ('rows 1–500 of 50,000'): numbers only
    ('dashboard/views/accounts.py', 'rows_text'),
    # the message of a write: program text, its data parts escaped where it is built (act)
    ('dashboard/components/tasks/write.py', 'got[1]'),
    # built from md_escape'd parts and the program's own bold
    ('dashboard/components/tasks/timeline.py', 'head'),
    ('dashboard/components/tasks/timeline.py', 'who'),
    ('dashboard/components/tasks/timeline.py', 'parts'),
    ('dashboard/components/weekly/parts.py', 'empty'),
    ('dashboard/filters.py', 'grain'),
    ('dashboard/filters.py', 'kept[0]'),
    ('dashboard/filters.py', 'kept[1]'),
    ('dashboard/filters.py', 'shown'),
    ('dashboard/views/accounts.py', 'as_of'),
    ('dashboard/views/health.py', 'as_of'),
    ('dashboard/views/health.py', 'label'),
    ('dashboard/views/support.py', 'BY[by].lower()'),
    ('dashboard/views/support.py', 'grain'),
    ('dashboard/views/usage.py', 'WINDOWS[days]'),
    ('dashboard/views/usage.py', 'days'),
    ('dashboard/views/weekly.py', 'r.as_of'),
    ('dashboard/views/weekly.py', 'r.start'),
    ('dashboard/views/weekly.py', 'review.renewals_line(r)'),
}

PAYLOADS = ["![x](http://203.0.113.9/p.png)", "[link](javascript:alert(1))", "**bold**",
            ":red[x]", ":smile:", ":material/home:", "<img src=x onerror=alert(1)>",
            "# heading", "1. item", "- item", "> quote", "`code`", "$x^2$", "~~gone~~",
            "a &amp; b", "line\n\n# two", "x\n===", "<script>alert(1)</script>", "a|b|c"]


SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:&")


def _unescape(text: str) -> str:
    text = text.replace("\u2060", "")  # the word joiners that stop autolinks
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\":
            assert i + 1 < len(text) and text[i + 1] in SPECIAL, text
            out.append(text[i + 1])
            i += 2
        else:
            assert text[i] not in SPECIAL, (text, i)  # every special character is escaped
            out.append(text[i])
            i += 1
    return "".join(out)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_an_escaped_value_has_every_markup_character_escaped_and_no_line_break(payload):
    escaped = md_escape(payload)
    assert "\n" not in escaped and "\r" not in escaped
    # Backslash-escaped ASCII punctuation is literal in CommonMark (and in Streamlit's
    # directives): what shows is the value, its line breaks as spaces.
    assert _unescape(escaped) == " ".join(part for part in payload.splitlines() if part) \
        or _unescape(escaped) == payload.replace("\n", " ")


@pytest.mark.parametrize("value", ["http://203.0.113.9/p.png", "see https://x.test/a",
                                   "WWW.evil.test", "someone@example.test"])
def test_web_and_mail_addresses_cannot_become_autolinks(value):
    # GitHub-flavoured Markdown links these in the text after escapes are read: a word
    # joiner (U+2060) must sit inside "://", before the dot of "www." and before "@".
    escaped = md_escape(value)
    plain = escaped.replace("\\", "")
    assert "://" not in plain and "www." not in plain.lower() and "@" not in plain.replace(
        "\u2060@", "")
    assert _unescape(escaped) == value


def test_streamlit_directives_are_broken_by_the_escape():
    # :red[x], :smile: and :material/home: are Streamlit's own directives, not CommonMark:
    # every colon and bracket is escaped so none of them forms.
    for p in (":red[x]", ":smile:", ":material/home:"):
        assert md_escape(p).count("\\:") == p.count(":")


def _leaves(a: ast.expr):
    """Yield the sub-expressions of a text argument whose value reaches the text as is."""
    if isinstance(a, ast.Constant):
        return
    if isinstance(a, ast.JoinedStr):
        for v in a.values:
            if isinstance(v, ast.FormattedValue):
                yield from _leaves(v.value)
        return
    if isinstance(a, ast.BinOp):
        yield from _leaves(a.left)
        yield from _leaves(a.right)
        return
    if isinstance(a, ast.BoolOp):
        for v in a.values:
            yield from _leaves(v)
        return
    if isinstance(a, ast.IfExp):
        yield from _leaves(a.body)
        yield from _leaves(a.orelse)
        return
    if isinstance(a, ast.Call):
        fn = ast.unparse(a.func)
        if fn in SAFE_CALLS or fn.startswith("fmt.") or fn.endswith(".md_escape"):
            return
        if isinstance(a.func, ast.Attribute) and a.func.attr == "join" \
                and isinstance(a.func.value, ast.Constant):
            for x in a.args:
                if isinstance(x, (ast.GeneratorExp, ast.ListComp)):
                    yield from _leaves(x.elt)
                else:
                    yield x
            return
    yield a


def test_every_text_call_of_the_dashboard_escapes_the_data_it_shows():
    found = set()
    for path in sorted(DASHBOARD.rglob("*.py")):
        rel = str(path.relative_to(DASHBOARD.parent))
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in TEXT_CALLS and node.args:
                for leaf in _leaves(node.args[0]):
                    found.add((rel, ast.unparse(leaf), node.lineno))
    unreviewed = sorted(f"{f}:{line}: {e}" for f, e, line in found if (f, e) not in TRUSTED)
    assert not unreviewed, ("text calls fed values that are not escaped (wrap them in "
                            "md_escape, or add them to TRUSTED if the program computes them): "
                            + "; ".join(unreviewed))
