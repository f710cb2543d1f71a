"""Shared fixtures: an empty database on tmp_path, and a helper that inserts rows into it."""

from __future__ import annotations

import os

# A test that leaves a store open fails within a minute instead of waiting the default 10.
os.environ.setdefault("CSM_LOCK_WAIT", "60")

import pytest  # noqa: E402

from metrics import schema  # noqa: E402
from metrics.store import Store  # noqa: E402

_EXTRA_TABLES = {"account_attributes": ("account_id", "attribute", "value")}


@pytest.fixture
def store(tmp_path):
    """An empty Store (current schema) in a fresh DuckDB file under tmp_path."""
    s = Store(tmp_path / "csm.duckdb")
    yield s
    s.close()


@pytest.fixture
def insert(store):
    """insert(table, rows): insert a list of dicts into a canonical table (or account_attributes).

    Missing columns are NULL; column names are checked against the schema."""

    def _insert(table: str, rows: list[dict]) -> None:
        if not rows:
            return
        known = _EXTRA_TABLES.get(table) or tuple(schema.TABLES[table].column_names)
        cols = sorted({c for r in rows for c in r})
        bad = [c for c in cols if c not in known]
        if bad:
            raise KeyError(f"{table} has no column(s) {bad}")
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        cur = store.cursor()
        try:
            cur.executemany(sql, [[r.get(c) for c in cols] for r in rows])
        finally:
            cur.close()

    return _insert
