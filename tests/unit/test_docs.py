"""The project's own docs stand alone: generated references are current, and no link leaves
the repository (a clone has no ../shared)."""

import re
from pathlib import Path

from csm import docs

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(([^)]+)\)")


def test_the_committed_data_reference_is_what_the_code_generates():
    assert docs.OUT.read_text(encoding="utf-8") == docs.generate(), (
        "docs/data.md is out of date: run `python -m csm.docs` (make docs)")


def test_the_data_reference_lists_every_table_column_and_command():
    from metrics.schema import TABLES

    text = docs.generate()
    for t in TABLES.values():
        assert f"### `{t.name}`" in text
        for c in t.columns:
            assert f"| `{c.name}` | {c.type} |" in text
    for cmd in ("serve", "demo", "load", "metric", "metrics", "report", "bench"):
        assert f"### `csm {cmd}`" in text
    assert "--nps-basis all/latest" in text


def test_readme_and_docs_link_only_inside_the_repository():
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        assert "../shared" not in text, path
        for target in LINK.findall(text):
            if target.startswith(("http://", "https://", "#", "mailto:")):
                continue
            file = (path.parent / target.split("#")[0]).resolve()
            assert ROOT in file.parents and file.exists(), (path.name, target)
