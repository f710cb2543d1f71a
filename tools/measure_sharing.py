"""What sharing one database file between the dashboard and the command line costs, for the
design chosen (metrics/shared.py: short read and write windows, the file opened only while
used) beside the alternative of a read-only snapshot published after every load.

A measuring aid, not a test, run from a checkout on a demo database:

    python -m tools.measure_sharing DB [--rounds N]

It prints JSON: the seconds to open the file read-only and lock it down (what a dashboard
rerun pays when no earlier read lingers), a page's worth of queries on a kept-open connection,
a small append through `SharedStore.write` (what a `csm load` holds the file for, beside the
import itself), and what publishing a snapshot would cost after each load (CHECKPOINT and a
copy of the whole file, which grows with the data, not with the load). Medians of N rounds.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from metrics.shared import SharedStore
from metrics.store import Store, transaction

PAGE_QUERIES = (
    "SELECT count(*) FROM accounts",
    "SELECT count(*), sum(mrr) FROM subscriptions",
    "SELECT count(*) FROM usage_events",
    "SELECT max(version) FROM data_version",
)


def _median(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure(db: Path, rounds: int) -> dict:
    """Return {what: median seconds} for the shared-file design and the snapshot alternative,
    on a copy of `db` (the original is not changed)."""
    work = Path(tempfile.mkdtemp(prefix="csm-sharing-"))
    path = work / "csm.duckdb"
    shutil.copyfile(db, path)

    def open_ro():
        Store(path, read_only=True).close()

    kept = Store(path, read_only=True)
    cur = kept.cursor()

    def page():
        for sql in PAGE_QUERIES:
            cur.execute(sql).fetchall()

    out = {"file_mb": round(path.stat().st_size / 1e6, 1),
           "open_read_only_s": _median(open_ro, rounds),
           "page_queries_kept_open_s": _median(page, rounds)}
    cur.close()
    kept.close()

    shared = SharedStore(path, linger=0)
    n = [0]

    def small_write():
        n[0] += 1
        with shared.write() as store, transaction(store.cursor()) as c:
            c.execute("INSERT INTO targets (metric, period_start, period_end, target) "
                      "VALUES ('nps', DATE '2099-01-01', DATE '2099-04-01', ?)", [n[0]])
            c.execute("DELETE FROM targets WHERE period_start = DATE '2099-01-01'")

    out["write_window_s"] = _median(small_write, rounds)

    def snapshot():
        with shared.write() as store:
            store.cursor().execute("CHECKPOINT")
        shutil.copyfile(path, work / "snapshot.duckdb")

    out["publish_snapshot_s"] = _median(snapshot, max(3, rounds // 5))
    shared.close()
    shutil.rmtree(work, ignore_errors=True)
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()}


def main(argv: list[str] | None = None) -> int:
    """Print the measurements as JSON; returns the exit code."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db", type=Path)
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args(argv)
    print(json.dumps(measure(args.db, args.rounds), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
