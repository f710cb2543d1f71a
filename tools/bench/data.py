"""The data the benchmark measures on: the demo databases (generated once, cached under the
bench folder with a meta file) and the import measurement (the real `csm load` vs DuckDB's own
read_csv on the largest size's usage_events)."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path

from tools.bench.common import (
    END,
    MEMORY_LIMIT,
    SEED,
    THREADS,
    in_child,
    log,
    maxrss_mb,
    r,
    remove_db,
    sql_str,
)

_HERE = __name__


def _c_generate(size: str, path: str, end: str, seed: int) -> dict:
    from metrics import demo
    from metrics.store import Store

    last = [0.0]

    def progress(f: float, m: str) -> None:
        if f - last[0] >= 0.05 or f >= 1.0:
            last[0] = f
            log(f"  {size}: [{f:4.0%}] {m}")

    t0 = time.perf_counter()
    store = Store(path)
    try:
        counts = demo.generate(store, size=size, end=date.fromisoformat(end), seed=seed,
                               progress=progress)
    finally:
        store.close()
    return {"rows": counts, "seconds": time.perf_counter() - t0, "peak_rss_mb": maxrss_mb()}



def _c_export_csv(db: str, csv: str) -> dict:
    import duckdb

    tmp = Path(csv).with_suffix(".csv.part")
    tmp.unlink(missing_ok=True)
    t0 = time.perf_counter()
    con = duckdb.connect(db, read_only=True, config={"threads": THREADS})
    try:
        con.execute(f"COPY usage_events TO '{sql_str(tmp)}' (HEADER, DELIMITER ',')")
        rows = con.execute("SELECT count(*) FROM usage_events").fetchone()[0]
    finally:
        con.close()
    tmp.replace(csv)
    return {"rows": rows, "seconds": time.perf_counter() - t0}



def _c_import_csm(csv: str, target: str) -> dict:
    from metrics.ingest import load_file
    from metrics.store import Store

    remove_db(Path(target))
    phases: list[list] = []
    t0 = time.perf_counter()

    def progress(_f: float, message: str) -> None:  # where the time goes
        phases.append([round(time.perf_counter() - t0, 3), message])

    store = Store(target, allow_paths=(Path(csv),))
    try:
        phases.append([round(time.perf_counter() - t0, 3), "store opened"])
        res = load_file(store, "usage_events", Path(csv), mode="replace", progress=progress)
        phases.append([round(time.perf_counter() - t0, 3), "load_file returned"])
    finally:
        store.close()
    seconds = time.perf_counter() - t0
    phases.append([round(seconds, 3), "store closed"])
    return {"seconds": seconds, "phases": phases, "outcome": res.outcome,
            "rows_in_file": res.rows_in_file,
            "rows_loaded": res.rows_loaded, "rows_rejected": res.rows_rejected,
            "orphans": res.orphans, "message": res.message[:500], "peak_rss_mb": maxrss_mb()}


def _c_import_duckdb(csv: str, target: str) -> dict:
    import duckdb

    remove_db(Path(target))
    t0 = time.perf_counter()
    con = duckdb.connect(target, config={"threads": THREADS, "memory_limit": MEMORY_LIMIT})
    try:
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{sql_str(csv)}')")
        ctas = time.perf_counter() - t0
        con.execute("CHECKPOINT")
        rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    finally:
        con.close()
    return {"seconds": time.perf_counter() - t0, "ctas_s": ctas, "rows": rows,
            "peak_rss_mb": maxrss_mb()}



def _meta_for(size: str) -> dict:
    from metrics import demo, schema

    return {"size": size, "end": END.isoformat(), "seed": SEED,
            "params": asdict(demo.SIZES[size]), "schema_version": schema.SCHEMA_VERSION}


def _db_rows(path: Path, tables: list[str]) -> dict | None:
    """Return {table: rows} of a database file (read-only), or None when it cannot be read."""
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    except duckdb.Error:
        return None
    finally:
        con.close()


def ensure_db(size: str, bench_dir: Path) -> dict:
    """Return the meta of `<bench_dir>/<size>.duckdb`, generating it first unless a complete one
    (same parameters, schema version and row counts as its meta file) is there."""
    bench_dir.mkdir(parents=True, exist_ok=True)
    path, meta_path = bench_dir / f"{size}.duckdb", bench_dir / f"{size}.meta.json"
    want = _meta_for(size)
    if path.exists() and meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError):
            meta = {}
        same = all(meta.get(k) == v for k, v in want.items())
        rows = meta.get("rows") or {}
        if same and rows and _db_rows(path, list(rows)) == rows:
            log(f"reusing {path} ({sum(rows.values()):,} rows)")
            return meta
    log(f"generating the {size} demo data set into {path} (once; cached for later runs)")
    meta_path.unlink(missing_ok=True)
    remove_db(path)
    res = in_child(_HERE, "generate", size=size, path=str(path), end=END.isoformat(), seed=SEED)
    meta = {**want, "rows": res["rows"], "generate_s": round(res["seconds"], 1),
            "generate_peak_rss_mb": round(res["peak_rss_mb"], 1)}
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    log(f"  {size}: {sum(res['rows'].values()):,} rows in {res['seconds']:.0f} s")
    return meta


def bench_import(bench_dir: Path, size: str, rows_expected: int) -> dict:
    """Return the import measurement: csm load against DuckDB's own load of the same file."""
    csv = bench_dir / f"usage_events_{size}.csv"
    db = bench_dir / f"{size}.duckdb"
    if not csv.exists() or _csv_rows_quick(csv) != rows_expected:
        log(f"exporting usage_events of {size} to {csv}")
        in_child(_HERE, "export_csv", db=str(db), csv=str(csv))
    else:
        log(f"reusing {csv}")
    target_b = bench_dir / "readcsv_target.duckdb"
    target_a = bench_dir / "import_target.duckdb"
    log("import (b): DuckDB CREATE TABLE AS SELECT * FROM read_csv(...)")
    b = in_child(_HERE, "import_duckdb", csv=str(csv), target=str(target_b))
    log(f"  {b['seconds']:.2f} s")
    log("import (a): metrics.ingest.load_file (csm load usage_events --mode replace)")
    a = in_child(_HERE, "import_csm", csv=str(csv), target=str(target_a))
    log(f"  {a['seconds']:.2f} s, {a['outcome']}")
    for t in (target_a, target_b):
        remove_db(t)
    return {
        "rows": a["rows_loaded"] if a["outcome"] != "refused" else b["rows"],
        "seconds": r(a["seconds"], 3),
        "duckdb_read_csv_seconds": r(b["seconds"], 3),
        "ratio": r(a["seconds"] / b["seconds"], 3),
        "duckdb_ctas_without_checkpoint_s": r(b["ctas_s"], 3),
        "size": size,
        "file": str(csv),
        "file_mb": r(csv.stat().st_size / 1e6, 1),
        "rows_in_file": a["rows_in_file"],
        "outcome": a["outcome"],
        "rows_rejected": a["rows_rejected"],
        "orphans": a["orphans"],
        "message": a["message"],
        "peak_rss_mb": {"csm_load": r(a["peak_rss_mb"], 1), "duckdb": r(b["peak_rss_mb"], 1)},
        "csm_load_phases": a["phases"],
        "method": ("(a) metrics.ingest.load_file(store, 'usage_events', FILE, mode='replace') on a "
                   "fresh empty Store, timed from opening the Store to closing it (sha256, "
                   "validation, orphan check, transaction, CHECKPOINT); (b) a fresh duckdb "
                   f"file, threads={THREADS}, memory_limit={MEMORY_LIMIT}: CREATE TABLE AS "
                   "SELECT * FROM read_csv(FILE) then CHECKPOINT, timed from connect to close. "
                   "Each in its own fresh process."),
    }


def _csv_rows_quick(csv: Path) -> int:
    """Return the data lines of a CSV (newlines minus the header), reading in 16 MiB chunks."""
    n = 0
    with open(csv, "rb") as f:
        while chunk := f.read(1 << 24):
            n += chunk.count(b"\n")
    return n - 1


