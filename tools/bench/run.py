"""The run: every measurement of `csm bench` in order, gathered into one JSON document."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from tools.bench import compute, report
from tools.bench.browser import bench_browser, find_chromium
from tools.bench.common import END, bench_dir_for, in_child, log, r
from tools.bench.compute import RAW_SCAN
from tools.bench.data import bench_import, ensure_db

CHILD = compute.__name__  # the module of the cold, warm and raw-scan children


def run(sizes: list[str], db=None, browser: bool = True, *, db_dir: Path | str | None = None,
        import_size: str | None = None, cold_repeats: int = 3, warm_repeats: int = 5,
        browser_changes: int = 20, pages: list[str] | None = None,
        concurrency: list[int] | None = None, concurrency_size: str = "medium",
        concurrency_clients: str = "protocol") -> dict:
    """Run the benchmark and return the document (QUALITY.md "Speed").

    sizes: demo sizes, e.g. ["small", "medium", "large"] (measured in that order; growth is
    largest / smallest). db: the dashboard database, whose folder holds `bench/` (default
    data/bench); db_dir overrides that folder. import_size: the size whose usage_events CSV is
    imported (default None: the largest; "" skips the import). cold_repeats: fresh processes
    per (size, page), the median is reported; warm_repeats: cached passes per page;
    browser_changes: filter changes per page in the browser; pages: the pages to measure.
    concurrency: session counts measured at once on `concurrency_size` with
    `concurrency_clients` (protocol or browsers: tools/bench/concurrency.py) (`concurrency`
    section); with no sizes, that is all the run measures."""
    from dashboard import catalogue
    from metrics import demo

    started = time.perf_counter()
    if not sizes and not concurrency:
        raise ValueError("no sizes to measure")
    bad = [s for s in [*sizes, *([concurrency_size] if concurrency else [])]
           if s not in demo.SIZES]
    if bad:
        raise ValueError(f"unknown size(s) {bad}; choose from {', '.join(demo.SIZES)}")
    order = list(demo.SIZES)
    sizes = sorted(dict.fromkeys(sizes), key=order.index)
    page_names = list(pages or catalogue.CALLS)
    bench_dir = Path(db_dir).resolve() if db_dir else bench_dir_for(db)
    bench_dir.mkdir(parents=True, exist_ok=True)
    if not sizes:  # --concurrency alone
        doc = {"generated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
               "machine": report.machine(), "bench_dir": str(bench_dir),
               "concurrency": _concurrency(bench_dir, concurrency or [], concurrency_size,
                                           concurrency_clients, page_names)}
        doc["bench_seconds"] = r(time.perf_counter() - started, 1)
        return doc
    smallest, largest = sizes[0], sizes[-1]
    log(f"benchmark folder {bench_dir}; sizes {', '.join(sizes)}")

    notes = [
        "cold: each measurement in a fresh process (DuckDB buffer cache empty, OS page cache "
        f"warm), Store opened first (not timed), median of {cold_repeats} processes. cold_s "
        "runs every item the page can compute (every tab, dashboard.catalogue.CALLS) in one "
        "reuse block, as a page run shares queries; cold_open_s is the part of the median run "
        "spent on the items opening the page computes (the sidebar options and the default "
        "view: Page.calls).",
        "warm: one process per size; dashboard.context.metric / named_query / detail "
        "(st.cache_data in bare mode, in-memory storage) over the queries of "
        "dashboard.catalogue.CALLS; one pass fills the caches, then the median of "
        f"{warm_repeats} cached passes. Each pass includes the data_version() query the cache "
        "key needs; computations_cached_passes counts the calls that were not served by the "
        "cache (context.on_query; 0 expected).",
        "raw_scan_s: count(*) and sum() over " + ", ".join(f"{t}.{c}" for t, c in RAW_SCAN)
        + f" in a fresh process (per table, median of {max(1, cold_repeats)} processes); "
        "pages[p][s].ratio_to_raw_scan = cold_s / raw_scan_s, and "
        "ratio_to_raw_scan_of_tables_read uses only the raw-scan tables the page reads.",
    ]
    metas = {s: ensure_db(s, bench_dir) for s in sizes}
    rows = {s: metas[s]["rows"] for s in sizes}

    doc: dict = {
        "generated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "sizes": sizes,
        "rows": {s: sum(n.values()) for s, n in rows.items()},
        "rows_by_table": rows,
        "data_end": END.isoformat(),
        "machine": report.machine(),
        "bench_dir": str(bench_dir),
    }

    # Import
    if import_size is None:
        import_size = largest
    if import_size:
        if import_size not in metas:
            metas[import_size] = ensure_db(import_size, bench_dir)
        doc["import"] = bench_import(bench_dir, import_size,
                                     metas[import_size]["rows"]["usage_events"])
    else:
        doc["import"] = None

    # Raw scans, cold and warm pages
    raw, tables_read, errors = {}, {}, []
    result: dict = {p: {} for p in page_names}
    warm_detail: dict = {}
    for size in sizes:
        path = str(bench_dir / f"{size}.duckdb")
        log(f"{size}: raw scan")
        scans = [in_child(CHILD, "raw_scan", path=path, pages_=page_names, learn_tables=i == 0)
                 for i in range(max(1, cold_repeats))]
        per_table = {t: statistics.median(sc["per_table"][t] for sc in scans) for t, _c in RAW_SCAN}
        rs = {"seconds": sum(per_table.values()), "per_table": per_table}
        raw[size] = rs
        tables_read = scans[0]["tables_read"]
        for page in page_names:
            try:
                runs = [in_child(CHILD, "cold", path=path, page=page)
                        for _ in range(cold_repeats)]
            except RuntimeError as e:  # the page's queries failed: say so, measure the rest
                result[page][size] = {"cold_s": None, "warm_s": None, "error": str(e)}
                errors.append(f"{page} ({size}): {e}")
                log(f"{size}: {page} failed: {e}")
                continue
            samples = [x["seconds"] for x in runs]
            med = sorted(runs, key=lambda x: x["seconds"])[(len(runs) - 1) // 2]
            # cold_s counts every tab; opening the page computes its `calls` only
            opening = {catalogue.item_key(i) for i in catalogue.page(page).calls} \
                if page in catalogue.CALLS else set()
            result[page][size] = {"cold_s": statistics.median(samples), "cold_samples_s": samples,
                                  "cold_open_s": sum(v for k, v in med["by_query"].items()
                                                     if k in opening),
                                  "cold_by_query_s": med["by_query"]}
            log(f"{size}: {page} cold {statistics.median(samples):.3f} s")
        log(f"{size}: warm (dashboard cache)")
        w = in_child(CHILD, "warm", path=path, pages_=page_names, repeats=warm_repeats)
        warm_detail[size] = w
        for page in page_names:
            m = result[page][size]
            if m["cold_s"] is None or "error" in w.get(page, {"error": "not run"}):
                m["warm_s"] = None
                m.setdefault("error", w.get(page, {}).get("error"))
                continue
            m["warm_s"] = statistics.median(w[page]["samples"])
            m["warm_first_pass_s"] = w[page]["first_pass_s"]
            m["computations_cached_passes"] = w[page]["computations_cached_passes"]
            m["ratio_to_raw_scan"] = m["cold_s"] / rs["seconds"]
            read = [t for t, _c in RAW_SCAN if t in tables_read.get(page, [])]
            part = sum(rs["per_table"][t] for t in read)
            m["ratio_to_raw_scan_of_tables_read"] = m["cold_s"] / part if part else None

    def rounded(v):
        if isinstance(v, float):
            return r(v)
        if isinstance(v, list):
            return [rounded(x) for x in v]
        if isinstance(v, dict):
            return {k: rounded(x) for k, x in v.items()}
        return v

    doc["pages"] = rounded(result)
    doc["raw_scan_s"] = {s: r(raw[s]["seconds"]) for s in sizes}
    doc["raw_scan_by_table_s"] = {s: {t: r(v) for t, v in raw[s]["per_table"].items()}
                                  for s in sizes}
    doc["tables_read"] = tables_read
    if errors:
        notes.append("pages whose queries failed (not measured): " + "; ".join(errors))

    # Growth: largest / smallest
    growth = {}
    for page in page_names:
        lo, hi = result[page][smallest]["cold_s"], result[page][largest]["cold_s"]
        if lo is None or hi is None:
            growth[page] = {"time_ratio": None, "row_ratio": None, "error": "not measured"}
            continue
        read = tables_read.get(page) or list(rows[smallest])
        r_lo = sum(rows[smallest].get(t, 0) for t in read)
        r_hi = sum(rows[largest].get(t, 0) for t in read)
        growth[page] = {
            "time_ratio": r(hi / lo, 3) if lo else None,
            "row_ratio": r(r_hi / r_lo, 3) if r_lo else None,
            "rows_basis": "rows of the tables the page reads: " + ", ".join(read),
            "sizes": f"{largest} / {smallest}",
        }
    doc["growth"] = growth

    # Browser
    doc["browser"] = None
    doc["peak_rss_mb"] = None
    if browser:
        chromium = find_chromium()
        if chromium is None:
            msg = ("Chromium not found (BROWSER_PATH or /usr/bin/chromium): the browser "
                   "measurements and peak_rss_mb are left null.")
            log(msg)
            notes.append(msg)
        else:
            try:
                b = bench_browser(bench_dir, bench_dir / f"{largest}.duckdb", chromium,
                                  page_names, changes=browser_changes)
            except Exception as e:  # noqa: BLE001 - keep the other measurements
                msg = f"the browser measurements failed ({type(e).__name__}: {e}); left null."
                log(msg)
                notes.append(msg[:2000])
            else:
                doc["peak_rss_mb"] = b.pop("peak_rss_mb", None)
                doc["browser"] = b
                notes.append(f"peak_rss_mb: the dashboard server (process and children), "
                             f"sampled every 0.2 s over the browser run on {largest}.")
    else:
        notes.append("browser measurements skipped (--no-browser): browser and peak_rss_mb null.")
    if concurrency:
        doc["concurrency"] = _concurrency(bench_dir, concurrency, concurrency_size,
                                          concurrency_clients, page_names)
    doc["goals"] = report.goals(doc, largest, smallest)
    doc["notes"] = notes
    doc["bench_seconds"] = r(time.perf_counter() - started, 1)
    log(f"done in {doc['bench_seconds']:.0f} s")
    return doc


def _concurrency(bench_dir: Path, counts: list[int], size: str, clients: str,
                 page_names: list[str]) -> dict | None:
    """Return {str(sessions): figures} of `tools.bench.concurrency` for each count on `size`,
    or None without Chromium (said on stderr)."""
    from tools.bench.concurrency import bench_concurrency

    chromium = find_chromium()
    if chromium is None:
        log("Chromium not found (BROWSER_PATH or /usr/bin/chromium): no concurrency figures.")
        return None
    db = bench_dir / f"{size}.duckdb"
    ensure_db(size, bench_dir)
    # the pages people open first; "data" and "goals" are forms, not dashboards
    pages_ = [p for p in page_names if p not in ("data", "goals")] or page_names
    return {str(n): bench_concurrency(bench_dir, db, chromium, n, pages_, clients=clients)
            for n in counts}
