"""The page files declare what they compute (`CALLS`, `OTHER_CALLS`, `SELECTED`) and
dashboard/catalogue.py reads the declarations from the source: without importing the page (a
Streamlit script) or Streamlit, with nothing in scope but `targets`. And every page file stays
within 100 lines, its declarations included."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import catalogue

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("page", catalogue.PAGES, ids=lambda p: p.key)
def test_every_page_file_is_at_most_100_lines(page):
    lines = page.path.read_text(encoding="utf-8").count("\n")
    assert lines <= 100, f"{page.file} has {lines} lines: move page parts to components/"


def test_the_catalogue_reads_the_pages_without_importing_streamlit_or_a_page():
    code = ("import sys; from dashboard import catalogue; n = sum(map(len, catalogue.CALLS."
            "values())); bad = [m for m in sys.modules if m == 'streamlit' or "
            "m.startswith('dashboard.views')]; print(n, bad)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    n, bad = out.stdout.split(" ", 1)
    assert int(n) > 50 and bad.strip() == "[]", out.stdout


def _declared(tmp_path, monkeypatch, text: str) -> dict:
    (tmp_path / "page.py").write_text(text, encoding="utf-8")
    monkeypatch.setattr(catalogue, "VIEWS", tmp_path)
    return catalogue.declared.__wrapped__("page.py")


def test_only_the_declarations_are_evaluated_with_targets_in_scope(tmp_path, monkeypatch):
    got = _declared(tmp_path, monkeypatch, (
        "import streamlit as st\n"
        "from dashboard.catalogue import targets\n"
        "CALLS = (('metric', 'nps'), *(targets(k) for k in ('csat',)))\n"
        "SELECTED = ('account_profile',)\n"
        "st.title(undefined_name)\n"))
    assert got == {"CALLS": (("metric", "nps"), catalogue.targets("csat")),
                   "OTHER_CALLS": (), "SELECTED": ("account_profile",)}


def test_a_page_without_calls_or_with_other_names_in_them_is_refused(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="declares no CALLS"):
        _declared(tmp_path, monkeypatch, "OTHER_CALLS = ()\n")
    with pytest.raises(NameError):
        _declared(tmp_path, monkeypatch, "CALLS = (open('x'),)\n")
    with pytest.raises(NameError):
        _declared(tmp_path, monkeypatch, "X = 1\nCALLS = (X,)\n")
