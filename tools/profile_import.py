"""Where the time of `csm load usage_events FILE --mode replace` goes, statement by statement,
beside DuckDB's own `CREATE TABLE AS SELECT * FROM read_csv(FILE)` + CHECKPOINT on the same file.

A measuring aid, not a test, run from a checkout: `python -m tools.profile_import [CSV]
[--only csm|duckdb]`. The CSV defaults to the benchmark's large usage file
(data/bench/usage_events_large.csv, written by `csm bench`); databases go to a temporary
folder. Both sides run with the Store's limits (2 threads, 2GB). Wall and CPU seconds are
printed for every statement of the load that took 20 ms or more: on a shared machine the CPU
seconds are the steadier figure.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _fresh(path: Path) -> Path:
    for suffix in ("", ".wal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return path


def duckdb_own(csv: Path, work: Path) -> dict:
    """Return the seconds of DuckDB's own CTAS + CHECKPOINT of the file."""
    target = _fresh(work / "duckdb_own.duckdb")
    t0, c0 = time.perf_counter(), _cpu()
    con = duckdb.connect(str(target), config={"threads": 2, "memory_limit": "2GB"})
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv($p)", {"p": str(csv)})
    ctas = time.perf_counter() - t0
    con.execute("CHECKPOINT")
    con.close()
    return {"ctas_s": round(ctas, 2), "seconds": round(time.perf_counter() - t0, 2),
            "cpu_s": round(_cpu() - c0, 2)}


def csm_load(csv: Path, work: Path) -> dict:
    """Return the seconds of the real import, its phases and its statements (wall, cpu, sql)."""
    from metrics.ingest import load_file
    from metrics.store import Store

    statements: list[tuple[float, float, str]] = []

    class Timed:
        def __init__(self, cur) -> None:
            self._cur = cur

        def execute(self, sql, *a, **k):
            t, c = time.perf_counter(), _cpu()
            r = self._cur.execute(sql, *a, **k)
            statements.append((round(time.perf_counter() - t, 3), round(_cpu() - c, 2),
                               " ".join(sql.split())[:100]))
            return Timed(r) if r is not None else r

        def __getattr__(self, name):
            return getattr(self._cur, name)

    t0, c0 = time.perf_counter(), _cpu()
    store = Store(_fresh(work / "csm.duckdb"), allow_paths=(csv,))
    cursor = store.cursor
    # every cursor the load opens is timed: the profiler replaces the method on purpose
    store.cursor = lambda *a, **k: Timed(cursor(*a, **k))  # type: ignore[method-assign,assignment]
    phases: list[tuple[float, str]] = []
    res = load_file(store, "usage_events", csv, mode="replace",
                    progress=lambda _f, m: phases.append((round(time.perf_counter() - t0, 2), m)))
    store.close()
    return {"seconds": round(time.perf_counter() - t0, 2), "cpu_s": round(_cpu() - c0, 2),
            "outcome": res.outcome, "rows_in_file": res.rows_in_file,
            "rows_loaded": res.rows_loaded, "orphans": res.orphans, "phases": phases,
            "statements": [s for s in statements if s[0] >= 0.02]}


def main(argv: list[str]) -> None:
    """Profile the statements of a large usage import and print where the time goes."""
    args = [a for a in argv if not a.startswith("--")]
    only = argv[argv.index("--only") + 1] if "--only" in argv else None
    if only:
        args.remove(only)
    csv = Path(args[0] if args else REPO / "data" / "bench" / "usage_events_large.csv").resolve()
    out: dict = {"file": str(csv)}
    with tempfile.TemporaryDirectory(prefix="csm-profile-") as tmp:
        if only != "duckdb":
            out["csm"] = csm_load(csv, Path(tmp))
            for wall, cpu, sql in out["csm"]["statements"]:
                print(f"{wall:8.3f} s wall {cpu:6.2f} s cpu  {sql}", file=sys.stderr)
        if only != "csm":
            out["duckdb"] = duckdb_own(csv, Path(tmp))
    if "csm" in out and "duckdb" in out:
        out["ratio"] = round(out["csm"]["seconds"] / out["duckdb"]["seconds"], 2)
        out["cpu_ratio"] = round(out["csm"]["cpu_s"] / out["duckdb"]["cpu_s"], 2)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
