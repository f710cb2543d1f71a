"""Results of named queries reused within one piece of work.

Derived metrics re-read their bases with the same parameters: `ltv` reads `mrr` and
`logo_churn`, `nrr` and `grr` run the same query, `quick_ratio` and `revenue_churn` both read
`mrr_movements`. A weekly review computes all of them for one week, and a page computes several
of them for one filter: without reuse each query ran two or three times per page run.

Inside `reusing(key)`, `metrics.kpis.run_sql` keeps each result under (`key`, query name,
parameters) and hands out copies. `key` names the data the results belong to (the dashboard
passes the database and its data version), so results of two databases or of two versions
never mix. A `scope` (the dashboard's page run) holds the results kept by the `reusing` blocks
inside it, so two metrics computed apart in one run share them; a query outside a `reusing`
block is never reused. Nothing is kept inside a transaction (`metrics.store.transaction`: its
reads may follow its own writes), and its commit forgets everything kept so far, so a query
after a write reads the new data. The state is a context variable: each Streamlit script
thread and each CLI run has its own.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import count
from typing import Any

import pandas as pd

# (results by key, the key of the innermost block); None outside any block
_STATE: ContextVar[tuple[dict, Hashable] | None] = ContextVar("csm_reuse", default=None)
_fresh = count()


@contextmanager
def scope() -> Iterator[None]:
    """Hold kept results for the blocks inside (a page run), reusing nothing by itself: only
    a `reusing` block inside it keeps and reuses, so a query the page runs on its own reads
    the database every time."""
    outer = _STATE.get()
    token = _STATE.set((outer[0] if outer else {}, None))
    try:
        yield
    finally:
        _STATE.reset(token)


@contextmanager
def reusing(key: Hashable | None = None) -> Iterator[None]:
    """Reuse query results inside the block under `key` (None: the key of the enclosing
    `reusing` block, else a new one of its own). The outermost block or `scope` owns the kept
    results and drops them at its end."""
    outer = _STATE.get()
    results = outer[0] if outer else {}
    if key is None:
        key = outer[1] if outer and outer[1] is not None else ("block", next(_fresh))
    token = _STATE.set((results, key))
    try:
        yield
    finally:
        _STATE.reset(token)


@contextmanager
def paused() -> Iterator[None]:
    """Keep and reuse nothing inside the block (a transaction: its reads may follow its own
    writes)."""
    token = _STATE.set(None)
    try:
        yield
    finally:
        _STATE.reset(token)


def forget() -> None:
    """Forget every kept result (a write happened; called by metrics.store.transaction)."""
    state = _STATE.get()
    if state:
        state[0].clear()


def _freeze(value: Any) -> Hashable:
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    return (type(value).__name__, value)


def run(name: str, params: dict, execute) -> pd.DataFrame:
    """Return a copy of the kept result of query `name` with `params`, or `execute()`'s result
    (kept when inside a `reusing` block)."""
    state = _STATE.get()
    if state is None or state[1] is None:
        return execute()
    results, key = state
    try:
        k = (key, name, _freeze(params))
        hash(k)
    except TypeError:  # a parameter that cannot be a key: run it
        return execute()
    kept = results.get(k)
    if kept is None:
        kept = results[k] = execute()
    return kept.copy()
