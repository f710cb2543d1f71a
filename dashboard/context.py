"""The dashboard's access to the store: one SharedStore per process, cached metric frames.

The store opens the database only while a read or a write runs (metrics/shared.py), so the
command line can load and read while the dashboard runs. Caches are keyed on the data version,
so a new load, from a page or from `csm load`, invalidates them (STYLE.md, habit 4).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pandas as pd
import streamlit as st

from dashboard.components.text import md_escape
from metrics import registry, reuse
from metrics.query import Query
from metrics.shared import SharedStore
from metrics.store import StoreError

# Called with (kind, name) each time the dashboard does real DuckDB work, i.e. on a cache miss:
# kind "metric" (a registry metric), "sql" (a named query) or "detail" (a drill-down list).
# The benchmark and the tests count a page's queries with it.
_observers: list[Callable[[str, str], None]] = []


def on_query(callback: Callable[[str, str], None]) -> Callable[[], None]:
    """Register `callback(kind, name)`, called on every cache miss of `metric`, `named_query`
    and `detail`; return the function that unregisters it."""
    _observers.append(callback)
    return lambda: _observers.remove(callback) if callback in _observers else None


def notify(kind: str, name: str) -> None:
    """Tell the observers that `name` ran for real (a cache miss). The wrappers here call it;
    so does a cached wrapper elsewhere that computes a metric itself (the health draft)."""
    for callback in list(_observers):
        callback(kind, name)


@st.cache_resource(show_spinner=False)
def get_store() -> SharedStore:
    """Return the process-wide SharedStore (CSM_DB or data/csm.duckdb)."""
    return SharedStore()


def store_or_stop() -> SharedStore:
    """Return the Store, or show why the database cannot be used and stop the script."""
    try:
        return get_store()
    except StoreError as e:
        st.error(f"**The database cannot be opened.** {md_escape(e)}")
        st.stop()
        raise  # unreachable: st.stop raises


@contextmanager
def stop_on_store_error() -> Iterator[None]:
    """Run the block; when the database turns out unusable inside it (a damaged block read by
    a query, a read-only file at a save), show why instead of the page and stop the script.
    Nothing was deleted or changed (metrics/store.py)."""
    try:
        yield
    except StoreError as e:
        st.error(f"**The database cannot be used.** {md_escape(e)}")
        st.stop()


@contextmanager
def read_cursor() -> Iterator:
    """Yield a cursor of the read-only open for direct queries; closed when the block ends."""
    with get_store().read() as store:
        cur = store.cursor()
        try:
            yield cur
        finally:
            cur.close()


@contextmanager
def write_cursor() -> Iterator:
    """Yield a cursor of the read-write open for one write (a saved target, rule or model);
    other processes wait while the block runs, and its end lets them in."""
    with get_store().write() as store:
        cur = store.cursor()
        try:
            yield cur
        finally:
            cur.close()


def restricted(q: Query) -> Query:
    """Return `q` limited to this session's book when the user is a csm restricted to their
    own accounts (row-level: every account filter the queries apply), else `q` unchanged."""
    from dashboard import auth

    owner = auth.book_owner()
    return q if owner is None else q.with_(csm_owner=(owner,))


def who() -> str:
    """Return who uses this session, for the loads log and the audit trail: the signed-in
    user's email (or name) when sign-in is configured, else the server's OS user (local
    mode)."""
    from dashboard import auth

    user = auth.current_user(owners=())
    if not user.local:
        return user.email or user.name or "signed-in user"
    from metrics.ingest.record import _whoami

    return f"{_whoami()} (local)"


def reusing_results():
    """Return the block in which a page run's metrics share the results of the queries they
    have in common (metrics/reuse.py: ltv re-reads mrr, grr runs nrr's query); the page's own
    queries outside a metric are not reused."""
    return reuse.scope()


def _data_key(version: int) -> tuple[str, int]:
    """Return what names the data a result belongs to: the database file and data version."""
    return str(get_store().path), version


def data_version() -> int:
    """Return the current data version (cheap: one row)."""
    return get_store().data_version()


@st.cache_data(ttl=3600, max_entries=512, show_spinner=False)
def _metric(name: str, q: Query, version: int) -> pd.DataFrame:
    from metrics.periods import coverage, resolve_as_of

    notify("metric", name)
    with read_cursor() as cur, reuse.reusing(_data_key(version)):
        frame = registry.compute(cur, name, q)
        # days so far of each period, so a chart can say how much of a partial one it shows
        return coverage(frame, q.grain, resolve_as_of(cur, q)) if len(frame) else frame


def shown(df: pd.DataFrame) -> pd.DataFrame:
    """Return `df` as it may be shown: names, people and emails pseudonymised when
    presentation-safe mode is on (the shared display path of every page)."""
    from dashboard.filters import masked
    from metrics.mask import maybe

    return maybe(df, masked())


def metric(name: str, q: Query) -> pd.DataFrame:
    """Return the frame of metric `name` for query `q` (cached per data version), masked in
    presentation-safe mode; limited to the session's book for a restricted csm."""
    return shown(_metric(name, restricted(q), data_version()))


@st.cache_data(ttl=3600, max_entries=64, show_spinner=False)
def _sql(name: str, params: tuple, version: int) -> pd.DataFrame:
    from metrics.kpis import load_sql

    notify("sql", name)
    with read_cursor() as cur:
        return cur.execute(load_sql(name), dict(params)).df()


def named_query(name: str, **params) -> pd.DataFrame:
    """Return the result of the named SQL file `metrics/sql/<name>.sql` (cached), masked in
    presentation-safe mode."""
    frame = _sql(name, tuple(sorted(params.items())), data_version())
    # Filter options stay real: they are matched against the data (the sidebar shows people
    # by pseudonym itself).
    return frame if name == "filter_values" else shown(frame)


def targets(name: str, segment: str | None) -> pd.DataFrame:
    """Return the targets of target name `name` for everyone (segment None) or one segment, by
    period: period_start, period_end, target, note (under any of its names,
    goals.target_names)."""
    from metrics.goals import target_names

    return named_query("targets_for_metric", metrics=target_names(name), segment=segment)


def as_of_default() -> object:
    """Return the default as-of day of the data (None for an empty database)."""
    return _as_of(data_version())


@st.cache_data(ttl=3600, max_entries=16, show_spinner=False)
def _as_of(version: int):
    from metrics.periods import resolve_as_of

    with read_cursor() as cur:
        return resolve_as_of(cur, Query())


@st.cache_data(ttl=3600, max_entries=128, show_spinner=False)
def _detail(name: str, q: Query, args: tuple, version: int) -> pd.DataFrame:
    from dashboard.catalogue import details

    notify("detail", name)
    with read_cursor() as cur, reuse.reusing(_data_key(version)):
        return details()[name](cur, q, **dict(args))


def detail(name: str, q: Query, **kw) -> pd.DataFrame:
    """Return the rows behind a clicked bar or cell (`dashboard.catalogue.details`), cached, masked
    in presentation-safe mode; limited to the session's book for a restricted csm."""
    return shown(_detail(name, restricted(q), tuple(sorted(kw.items())), data_version()))
