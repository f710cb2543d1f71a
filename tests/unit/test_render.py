"""The render layer (render/): no Streamlit anywhere in it, and every public chart builder is
reachable as `render.charts.plot_*`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

RENDER = Path(__file__).resolve().parents[2] / "render"
MODULES = sorted(RENDER.rglob("*.py"))


def _imported(path: Path) -> set[str]:
    """Return the top-level names of every module `path` imports (at any depth of its code)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_render_layer_has_modules():
    assert RENDER / "theme.py" in MODULES and RENDER / "charts" / "__init__.py" in MODULES
    assert RENDER / "report" / "__init__.py" in MODULES


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(RENDER)))
def test_no_render_module_imports_streamlit_or_the_dashboard(path):
    assert not _imported(path) & {"streamlit", "dashboard"}, path


def test_every_builder_of_the_chart_modules_is_exported_by_render_charts():
    from render import charts

    for path in (RENDER / "charts").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("plot_"):
                assert node.name in charts.__all__, (path.name, node.name)
                assert callable(getattr(charts, node.name))
