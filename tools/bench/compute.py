"""The pages' queries timed without a browser, each measurement in a fresh process: cold (a
fresh DuckDB per run, `dashboard.catalogue.compute_page`), warm (the dashboard's cache layer,
`dashboard.context`, in bare mode) and the raw scan of the tables the pages read."""

from __future__ import annotations

import os
import re
import time

from tools.bench.common import log, maxrss_mb

# Tables of the raw scan: (table, expression summed). The tables the pages read, plus usage.
RAW_SCAN = [
    ("usage_events", "duration_seconds"),
    ("tickets", "contacts"),
    ("survey_responses", "score"),
    ("subscriptions", "mrr"),
]


def _c_cold(path: str, page: str) -> dict:
    from dashboard import catalogue
    from metrics.store import Store

    # Where the time goes: mark the start of each of the page's items; negligible overhead.
    marks: list[tuple[float, str]] = []
    t0 = time.perf_counter()
    store = Store(path)
    open_s = time.perf_counter() - t0
    cur = store.cursor()
    try:
        q = catalogue.default_query(cur)
        t1 = time.perf_counter()
        out = catalogue.compute_page(cur, page, q,
                                     on_item=lambda key: marks.append((time.perf_counter(), key)))
        t2 = time.perf_counter()
        seconds = t2 - t1
    finally:
        cur.close()
        store.close()
    by_query: dict[str, float] = {}
    for (t, key), nxt in zip(marks, [m[0] for m in marks[1:]] + [t2], strict=True):
        by_query[key] = by_query.get(key, 0.0) + (nxt - t)
    return {"seconds": seconds, "open_s": open_s, "result_rows": sum(len(v) for v in out.values()),
            "by_query": by_query, "peak_rss_mb": maxrss_mb()}


class _SpyCursor:
    """A cursor that records the SQL it executes (to learn which tables a page reads)."""

    def __init__(self, cur) -> None:
        self._cur = cur
        self.statements: list[str] = []

    def execute(self, sql, *a, **k):
        self.statements.append(str(sql))
        return self._cur.execute(sql, *a, **k)

    def sql(self, sql, *a, **k):
        self.statements.append(str(sql))
        return self._cur.sql(sql, *a, **k)

    def __getattr__(self, name):
        return getattr(self._cur, name)


def tables_in(statements: list[str], known: list[str]) -> list[str]:
    """Return the known tables that appear after FROM or JOIN in the statements (sorted)."""
    found = set()
    for sql in statements:
        text = re.sub(r"--[^\n]*", " ", sql)
        for name in re.findall(r"\b(?:FROM|JOIN)\s+([A-Za-z_]\w*)", text, flags=re.I):
            if name.lower() in known:
                found.add(name.lower())
    return sorted(found)


def _c_raw_scan(path: str, pages_: list[str], learn_tables: bool = True) -> dict:
    from dashboard import catalogue
    from metrics import schema
    from metrics.store import Store

    store = Store(path)
    cur = store.cursor()
    try:
        per_table = {}
        for table, col in RAW_SCAN:  # names from our own constant
            t0 = time.perf_counter()
            cur.execute(f"SELECT count(*), sum({col}) FROM {table}").fetchall()
            per_table[table] = time.perf_counter() - t0
        # Which tables each page reads (after the timing: this run warms the buffer cache).
        known = [*schema.TABLES, "account_attributes", "loads", "data_version"]
        read = {}
        for page in pages_ if learn_tables else []:
            spy = _SpyCursor(cur)
            try:
                catalogue.compute_page(spy, page, catalogue.default_query(cur))
            except Exception as e:  # noqa: BLE001 - reported by the cold measurement
                log(f"  {page}: {type(e).__name__}: {e}")
            read[page] = tables_in(spy.statements, known)
    finally:
        cur.close()
        store.close()
    return {"seconds": sum(per_table.values()), "per_table": per_table, "tables_read": read}


def _quiet_bare_mode() -> None:
    """Bare mode (no `streamlit run`): st.cache_data warns, for each cached function, that
    there is no runtime; the caches work (in-memory storage). Keep stderr readable."""
    import logging

    def quiet(record: logging.LogRecord) -> bool:
        return "No runtime found" not in record.getMessage()

    for name in list(logging.root.manager.loggerDict):
        if name.startswith("streamlit"):
            logging.getLogger(name).addFilter(quiet)


def _c_warm(path: str, pages_: list[str], repeats: int) -> dict:
    """Time the dashboard cache layer: pass 1 fills st.cache_data, passes 2.. are timed."""
    os.environ["CSM_DB"] = path
    import streamlit as st

    _quiet_bare_mode()
    from dashboard import catalogue, context
    from metrics.query import page_query

    calls = {"n": 0}

    def count(_kind: str, _name: str) -> None:  # a cache miss: real DuckDB work
        calls["n"] += 1

    st.cache_data.clear()
    st.cache_resource.clear()
    stop_counting = context.on_query(count)
    out = {}
    try:
        with context.read_cursor() as cur:
            q = catalogue.default_query(cur)

        def one_pass(page: str) -> None:
            for item in catalogue.CALLS[page]:
                changes = item[2] if len(item) > 2 else None
                if item[0] == "metric":
                    context.metric(item[1], page_query(q, changes))
                elif item[0] == "detail":
                    context.detail(item[1], page_query(q, changes))
                else:
                    context.named_query(item[1], **item[2])

        for page in pages_:
            calls["n"] = 0
            t0 = time.perf_counter()
            try:
                one_pass(page)
            except Exception as e:  # noqa: BLE001 - one page must not sink the others
                out[page] = {"error": f"{type(e).__name__}: {str(e)[:500]}"}
                continue
            first = time.perf_counter() - t0
            first_calls = calls["n"]
            calls["n"] = 0
            samples = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                one_pass(page)
                samples.append(time.perf_counter() - t0)
            out[page] = {"first_pass_s": first, "samples": samples,
                         "computations_first_pass": first_calls,
                         "computations_cached_passes": calls["n"]}
    finally:
        stop_counting()
        try:
            context.get_store().close()
        finally:
            st.cache_data.clear()
            st.cache_resource.clear()
    return out
