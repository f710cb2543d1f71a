"""Warm caches: every page's default view computed in the background after the server starts
and after each change of the data, so that the first visitor of a page finds its numbers
computed (the computations a page's first run asks for are `dashboard.catalogue` Page.calls).

The work goes through the dashboard's own caches (`dashboard.context`), with the query a
page opens with (`catalogue.default_query`), for everyone (no book restriction: a restricted
csm's numbers are their own cache entries, computed at their first visit). It starts once per
database and data version, after the run that noticed the version, in one daemon thread.
`CSM_WARM_CACHES=0` turns it off (`csm serve` turns it on; AppTest and bare mode never start
it)."""

from __future__ import annotations

import logging
import os
import threading
from datetime import timedelta

from dashboard import catalogue, context
from metrics.query import Query, page_query

SETTING = "CSM_WARM_CACHES"
_lock = threading.Lock()
_started: set[tuple[str, int]] = set()
_LOG = logging.getLogger(__name__)


# Computed by the pages through a cache of their own (the health inputs of every account,
# without the filters, per model and as-of: dashboard/components/health/data.py): not warmed.
OWN_CACHES = frozenset({"health_inputs"})


def _opening_query(page: str, name: str, q: Query, latest) -> Query:
    """Return the query page `page` asks item `name` for when it opens: the sidebar's query
    `q` with the page's own defaults (the test of this module fails when they drift)."""
    if page == "retention":  # its switches: gross margin 100%, reactivations included
        return q.with_setting("gross_margin", 1.0).with_setting("nrr_reactivation", "include")
    if page == "accounts" and name == "account_book":  # the book on the window's last day
        return q.with_(as_of=min(q.end - timedelta(days=1), latest) if q.end else latest)
    return q


def enabled() -> bool:
    """Return whether the setting asks for warm caches ("1": `csm serve` sets it)."""
    return os.environ.get(SETTING, "0").strip() == "1"


def after_run() -> threading.Thread | None:
    """Start warming for the current data version when the setting is on (`start`); a
    database that cannot be read now starts nothing. Return the thread, or None."""
    if not enabled():
        return None
    try:
        version = context.data_version()
    except Exception:  # noqa: BLE001 - the page has said what is wrong with the database
        return None
    return start(version)


def start(version: int) -> threading.Thread | None:
    """Start warming the caches for data version `version` of the current database unless
    it was started for it already (or the setting is off); return the thread, or None."""
    key = context._data_key(version)
    with _lock:
        if not enabled() or key in _started:
            return None
        _started.add(key)
    from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

    thread = threading.Thread(target=run, args=(version,), name="csm-warm-caches",
                              daemon=True)
    # the run's context keeps Streamlit from warning that the thread has none; the thread
    # only fills caches, it draws nothing
    add_script_run_ctx(thread, get_script_run_ctx())
    thread.start()
    return thread


def run(version: int) -> int:
    """Compute every page's opening items for data version `version` through the dashboard's
    caches (but `OWN_CACHES`); return how many items were computed or found cached. A failing
    item is logged and skipped: the page computes it (and shows the error) when it is
    opened."""
    with context.read_cursor() as cur:
        q = catalogue.default_query(cur)
    latest = context.as_of_default()
    done = 0
    for page in catalogue.PAGES:
        for item in page.calls:
            if context.data_version() != version:
                return done  # the data changed meanwhile: the next run starts over
            if item[1] in OWN_CACHES:
                continue
            try:
                if item[0] in ("metric", "detail"):
                    qi = page_query(_opening_query(page.key, item[1], q, latest),
                                    item[2] if len(item) > 2 else None)
                if item[0] == "metric":
                    context._metric(item[1], qi, version)
                elif item[0] == "detail":
                    context._detail(item[1], qi, (), version)
                else:
                    context._sql(item[1], tuple(sorted(item[2].items())), version)
            except Exception:  # noqa: BLE001 - warming is best effort
                _LOG.warning("warming %s of %s failed", catalogue.item_key(item), page.key,
                             exc_info=True)
                continue
            done += 1
    return done
