"""Time each parity metric on DuckDB and on Spark local[2], per demo size (issue 15's figures).

    python -m tools.measure_spark --db medium=/tmp/m.duckdb --db large=/tmp/l.duckdb \
        [--out times.json] [--repeat 2]

Each database is exported to Parquet beside it (DB.parquet/, reused when present); both engines
compute every metric on the same data, once to warm up (Spark's first query of a table pays for
reading its files' footers) and then `--repeat` times, and the best time is kept. Prints a table
per metric: DuckDB and Spark seconds per size and the growth from the first size to the last.
Not part of the test suite: speed is measured here, never asserted.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from metrics import parquet, registry
from metrics.query import Query
from metrics.store import Store

METRICS = ("logo_churn", "mrr", "mrr_movements", "nrr", "grr", "revenue_churn", "nps", "csat",
           "ces", "support", "usage", "feature_adoption", "cohort_retention", "renewal_rate")


def _best(fn, repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def measure(db: Path, spark, repeat: int, metrics=METRICS) -> dict:
    """Return {metric: {"duckdb": s, "spark": s}} for one database (exported when needed)."""
    from metrics.engines.spark import SparkSource

    out = db.with_suffix(".parquet")
    store = Store(db, read_only=True)
    try:
        if not out.exists():
            parquet.export(store.cursor(), out, source=str(db))
        src = SparkSource(str(out), spark=spark)
        res = {}
        for name in metrics:
            try:
                d = _best(lambda n=name: registry.compute(store.cursor(), n, Query()), repeat)
                s = _best(lambda n=name: registry.compute(src.cursor(), n, Query()), repeat)
            except Exception as e:  # noqa: BLE001 - one metric's failure is a figure too
                print(f"{db.name} {name}: failed: {str(e).splitlines()[0]}", flush=True)
                d = s = float("nan")
            res[name] = {"duckdb": round(d, 3), "spark": round(s, 3)}
            print(f"{db.name} {name:<18} duckdb {d:8.3f} s   spark {s:8.3f} s", flush=True)
        return res
    finally:
        store.close()


def main() -> None:
    """Measure the sizes given and print/write the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", action="append", required=True, metavar="SIZE=PATH")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--metrics", default=",".join(METRICS))
    args = ap.parse_args()
    from metrics.engines.spark import session

    spark = session("local[2]")
    sizes = dict(x.split("=", 1) for x in args.db)
    result = {size: measure(Path(p), spark, args.repeat, args.metrics.split(","))
              for size, p in sizes.items()}
    first, last = list(sizes)[0], list(sizes)[-1]
    print(f"\n{'metric':<18}" + "".join(f"{f'{s} duck':>12}{f'{s} spark':>12}" for s in sizes)
          + f"{'growth duck':>13}{'growth spark':>13}")
    for name in args.metrics.split(","):
        row = "".join(f"{result[s][name]['duckdb']:12.2f}{result[s][name]['spark']:12.2f}"
                      for s in sizes)
        g = {e: result[last][name][e] / max(result[first][name][e], 1e-9)
             for e in ("duckdb", "spark")}
        print(f"{name:<18}{row}{g['duckdb']:12.1f}x{g['spark']:12.1f}x")
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
