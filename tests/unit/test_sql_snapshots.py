"""Snapshots of the rendered SQL of every metric: a change to a query shows in review as a
change to tests/snapshots/sql/NAME.sql. Refresh them with `UPDATE_SNAPSHOTS=1 make test`."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from metrics import registry
from metrics.kpis import load_sql

SNAPSHOTS = Path(__file__).resolve().parents[1] / "snapshots" / "sql"


def rendered(name: str) -> str:
    """Return the SQL a metric runs: its query and extra queries, fragments expanded."""
    spec = registry.get(name)
    parts = [f"-- {q}.sql (rendered)\n{load_sql(q).strip()}\n"
             for q in (spec.query, *spec.extra_queries)]
    return "\n".join(parts)


@pytest.mark.parametrize("name", sorted(registry.REGISTRY))
def test_the_rendered_sql_of_each_metric_matches_its_snapshot(name):
    path = SNAPSHOTS / f"{name}.sql"
    text = rendered(name)
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{name} has no SQL snapshot: run UPDATE_SNAPSHOTS=1 make test"
    old = path.read_text(encoding="utf-8")
    diff = "".join(difflib.unified_diff(old.splitlines(True), text.splitlines(True),
                                        f"snapshot/{name}.sql", f"rendered/{name}.sql"))
    assert old == text, (f"the SQL of {name} changed (refresh with UPDATE_SNAPSHOTS=1 make test "
                         f"if intended):\n{diff}")


def test_every_snapshot_belongs_to_a_metric():
    stale = {p.stem for p in SNAPSHOTS.glob("*.sql")} - set(registry.REGISTRY)
    assert not stale, f"snapshots of metrics that no longer exist: {sorted(stale)}"
