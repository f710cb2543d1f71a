"""`csm bench`: the performance benchmark of QUALITY.md ("Speed"), one JSON document.

What it measures, side by side in one run (these machines are noisy: the ratios count):

- import: the largest size's usage_events exported to CSV, loaded through the real import
  (`metrics.ingest.load_file` on a fresh empty Store, as `csm load usage_events FILE --mode
  replace` does) vs DuckDB's own `CREATE TABLE AS SELECT * FROM read_csv(FILE)`; ratio a / b.
- pages cold: every page's queries (`metrics.pages.compute_page`) in a fresh process per
  measurement (DuckDB's buffer cache empty; the OS page cache is warm), median of a few.
- pages warm: the dashboard's cache layer (`dashboard.context`, st.cache_data in bare mode)
  called twice in one process; the second (cached) pass is timed.
- raw_scan_s: count(*) + sum() over usage_events, tickets, survey_responses, subscriptions.
- growth: cold page time and rows read, largest size / smallest size.
- browser: the dashboard served on 127.0.0.1 and driven by Playwright + Chromium: filter
  changes until every chart is redrawn, vs a trivial one-widget Streamlit page; the server's
  peak RSS over that run.

The demo databases are cached under `<bench dir>/<size>.duckdb` (default data/bench, beside the
database) with a `<size>.meta.json` describing them; delete the folder to rebuild. Progress goes
to stderr; `run()` returns the document.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
END = date(2026, 6, 30)  # fixed last day of the demo data, so reruns are comparable
SEED = 42
THREADS = 2  # the Store's default (CSM_THREADS); DuckDB's own import gets the same
MEMORY_LIMIT = "2GB"  # the Store's default (CSM_MEMORY_LIMIT)
PAGE_URLS = {"overview": "/"}  # other pages: "/<page>" (st.Page url_path from the file name)
# Tables of the raw scan: (table, expression summed). The tables the pages read, plus usage.
RAW_SCAN = [
    ("usage_events", "duration_seconds"),
    ("tickets", "contacts"),
    ("survey_responses", "score"),
    ("subscriptions", "mrr"),
]
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
GOALS = {"import_ratio": 1.5, "cold_s": 1.0, "warm_s": 0.1, "browser_vs_trivial": 3.0,
         "peak_rss_mb": 2048.0}
_MARK = "@@CSM-BENCH@@"


def _log(msg: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def _r(x: float | None, nd: int = 6) -> float | None:
    return None if x is None else round(float(x), nd)


def percentile(values: list[float], p: float) -> float:
    """Return the nearest-rank percentile `p` (0-100) of `values` (p95 of 20 = the 19th)."""
    s = sorted(values)
    k = max(1, math.ceil(p / 100 * len(s)))
    return s[k - 1]


def bench_dir_for(db: Path | str | None) -> Path:
    """Return the benchmark folder: `bench/` beside the database (default data/bench)."""
    from metrics.store import default_db_path

    return (Path(db) if db else default_db_path()).resolve().parent / "bench"


def find_chromium() -> str | None:
    """Return the Chromium executable ($BROWSER_PATH, else /usr/bin/chromium) or None."""
    for cand in (os.environ.get("BROWSER_PATH"), "/usr/bin/chromium"):
        if cand and Path(cand).is_file() and os.access(cand, os.X_OK):
            return cand
    return None


# ----------------------------------------------------------------------------------------------
# Children: every measurement that opens a database runs in its own process.


def _child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("CSM_DB", None)
    return env


def _in_child(fn: str, timeout: float = 3600, **kwargs) -> dict:
    """Run `_c_<fn>(**kwargs)` in a fresh Python process and return its result (a dict)."""
    code = (
        "import json, sys\n"
        "from metrics import bench\n"
        "a = json.loads(sys.argv[1])\n"
        "res = getattr(bench, '_c_' + a['fn'])(**a['kwargs'])\n"
        f"print({_MARK!r} + json.dumps(res), flush=True)\n"
    )
    arg = json.dumps({"fn": fn, "kwargs": kwargs})
    proc = subprocess.Popen(
        [sys.executable, "-c", code, arg], cwd=REPO, env=_child_env(), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
    )
    tail: list[str] = []

    def forward() -> None:  # the child's stderr to ours, keeping its last lines
        for line in proc.stderr:
            sys.stderr.write(line)
            tail.append(line.rstrip())
            del tail[:-20]

    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        proc.kill()

    t = threading.Thread(target=forward, daemon=True)
    t.start()
    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        out = proc.stdout.read()
        proc.wait()
    finally:
        timer.cancel()
        t.join(timeout=10)
    if timed_out.is_set():
        raise RuntimeError(f"bench child {fn} timed out after {timeout:.0f} s")
    lines = [ln for ln in out.splitlines() if ln.startswith(_MARK)]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"bench child {fn} failed (exit {proc.returncode}): "
                           f"{_exception_text(tail)[:500]}")
    return json.loads(lines[-1][len(_MARK):])


def _exception_text(lines: list[str]) -> str:
    """Return the exception at the end of a traceback (its message may span lines)."""
    exc = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b")
    for i in range(len(lines) - 1, -1, -1):
        if exc.match(lines[i]):
            return " | ".join(ln.strip() for ln in lines[i:] if ln.strip())
    return next((ln.strip() for ln in reversed(lines) if ln.strip()), "")


def _maxrss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _c_generate(size: str, path: str, end: str, seed: int) -> dict:
    from metrics import demo
    from metrics.store import Store

    last = [0.0]

    def progress(f: float, m: str) -> None:
        if f - last[0] >= 0.05 or f >= 1.0:
            last[0] = f
            _log(f"  {size}: [{f:4.0%}] {m}")

    t0 = time.perf_counter()
    store = Store(path)
    try:
        counts = demo.generate(store, size=size, end=date.fromisoformat(end), seed=seed,
                               progress=progress)
    finally:
        store.close()
    return {"rows": counts, "seconds": time.perf_counter() - t0, "peak_rss_mb": _maxrss_mb()}


def _c_cold(path: str, page: str) -> dict:
    from metrics import pages
    from metrics.store import Store

    # Where the time goes: mark the start of each of the page's queries (top-level metric
    # computations and named SQL files read by compute_page); negligible overhead.
    marks: list[tuple[float, str]] = []
    depth = [0]
    real_compute, real_load_sql = pages.registry.compute, pages.load_sql

    def compute(cur, name, q):
        if depth[0] == 0:
            marks.append((time.perf_counter(), name))
        depth[0] += 1
        try:
            return real_compute(cur, name, q)
        finally:
            depth[0] -= 1

    def load_sql(name):
        marks.append((time.perf_counter(), name))
        return real_load_sql(name)

    t0 = time.perf_counter()
    store = Store(path)
    open_s = time.perf_counter() - t0
    cur = store.cursor()
    pages.registry.compute, pages.load_sql = compute, load_sql
    try:
        q = pages.default_query(cur)
        t1 = time.perf_counter()
        out = pages.compute_page(cur, page, q)
        t2 = time.perf_counter()
        seconds = t2 - t1
    finally:
        pages.registry.compute, pages.load_sql = real_compute, real_load_sql
        cur.close()
        store.close()
    # One top-level mark per item, in order: label them as compute_page keys its results.
    items = pages.PAGES[page]
    key = getattr(pages, "item_key", lambda item: item[1])
    labels = ([key(it) for it in items] if len(marks) == len(items)
              else [name for _t, name in marks])
    by_query: dict[str, float] = {}
    for (t, _n), label, nxt in zip(marks, labels, [m[0] for m in marks[1:]] + [t2],
                                   strict=True):
        by_query[label] = by_query.get(label, 0.0) + (nxt - t)
    return {"seconds": seconds, "open_s": open_s, "result_rows": sum(len(v) for v in out.values()),
            "by_query": by_query, "peak_rss_mb": _maxrss_mb()}


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
    from metrics import pages, schema
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
                pages.compute_page(spy, page, pages.default_query(cur))
            except Exception as e:  # noqa: BLE001 - reported by the cold measurement
                _log(f"  {page}: {type(e).__name__}: {e}")
            read[page] = tables_in(spy.statements, known)
    finally:
        cur.close()
        store.close()
    return {"seconds": sum(per_table.values()), "per_table": per_table, "tables_read": read}


def _c_warm(path: str, pages_: list[str], repeats: int) -> dict:
    """Time the dashboard cache layer: pass 1 fills st.cache_data, passes 2.. are timed."""
    os.environ["CSM_DB"] = path
    import logging

    import streamlit as st

    # Bare mode (no `streamlit run`): st.cache_data warns, for each cached function, that
    # there is no runtime; the caches work (in-memory storage). Keep stderr readable.
    def quiet(record: logging.LogRecord) -> bool:
        return "No runtime found" not in record.getMessage()

    for name in list(logging.root.manager.loggerDict):
        if name.startswith("streamlit"):
            logging.getLogger(name).addFilter(quiet)

    from dashboard import context
    from metrics import kpis, pages, registry

    calls = {"n": 0}
    real_compute, real_load_sql = registry.compute, kpis.load_sql

    def counting_compute(*a, **k):
        calls["n"] += 1
        return real_compute(*a, **k)

    def counting_load_sql(*a, **k):
        calls["n"] += 1
        return real_load_sql(*a, **k)

    registry.compute, kpis.load_sql = counting_compute, counting_load_sql
    st.cache_data.clear()
    st.cache_resource.clear()
    out = {}
    try:
        store = context.get_store()
        cur = store.cursor()
        q = pages.default_query(cur)
        cur.close()

        page_query = getattr(pages, "page_query", lambda q, changes: q)

        def one_pass(page: str) -> None:
            for item in pages.PAGES[page]:
                if item[0] == "metric":
                    changes = item[2] if len(item) > 2 else None
                    context.metric(item[1], page_query(q, changes) if changes else q)
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
        registry.compute, kpis.load_sql = real_compute, real_load_sql
        try:
            context.get_store().close()
        finally:
            st.cache_data.clear()
            st.cache_resource.clear()
    return out


def _c_export_csv(db: str, csv: str) -> dict:
    import duckdb

    tmp = Path(csv).with_suffix(".csv.part")
    tmp.unlink(missing_ok=True)
    t0 = time.perf_counter()
    con = duckdb.connect(db, read_only=True, config={"threads": THREADS})
    try:
        con.execute(f"COPY usage_events TO '{_sql_str(tmp)}' (HEADER, DELIMITER ',')")
        rows = con.execute("SELECT count(*) FROM usage_events").fetchone()[0]
    finally:
        con.close()
    tmp.replace(csv)
    return {"rows": rows, "seconds": time.perf_counter() - t0}


def _sql_str(p: Path | str) -> str:
    return str(p).replace("'", "''")


def _remove_db(path: Path) -> None:
    for p in (path, Path(str(path) + ".wal")):
        p.unlink(missing_ok=True)


def _c_import_csm(csv: str, target: str) -> dict:
    from metrics.ingest import load_file
    from metrics.store import Store

    _remove_db(Path(target))
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
            "orphans": res.orphans, "message": res.message[:500], "peak_rss_mb": _maxrss_mb()}


def _c_import_duckdb(csv: str, target: str) -> dict:
    import duckdb

    _remove_db(Path(target))
    t0 = time.perf_counter()
    con = duckdb.connect(target, config={"threads": THREADS, "memory_limit": MEMORY_LIMIT})
    try:
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{_sql_str(csv)}')")
        ctas = time.perf_counter() - t0
        con.execute("CHECKPOINT")
        rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    finally:
        con.close()
    return {"seconds": time.perf_counter() - t0, "ctas_s": ctas, "rows": rows,
            "peak_rss_mb": _maxrss_mb()}


# ----------------------------------------------------------------------------------------------
# The demo databases


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
            _log(f"reusing {path} ({sum(rows.values()):,} rows)")
            return meta
    _log(f"generating the {size} demo data set into {path} (once; cached for later runs)")
    meta_path.unlink(missing_ok=True)
    _remove_db(path)
    res = _in_child("generate", size=size, path=str(path), end=END.isoformat(), seed=SEED)
    meta = {**want, "rows": res["rows"], "generate_s": round(res["seconds"], 1),
            "generate_peak_rss_mb": round(res["peak_rss_mb"], 1)}
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    _log(f"  {size}: {sum(res['rows'].values()):,} rows in {res['seconds']:.0f} s")
    return meta


# ----------------------------------------------------------------------------------------------
# Import


def bench_import(bench_dir: Path, size: str, rows_expected: int) -> dict:
    csv = bench_dir / f"usage_events_{size}.csv"
    db = bench_dir / f"{size}.duckdb"
    if not csv.exists() or _csv_rows_quick(csv) != rows_expected:
        _log(f"exporting usage_events of {size} to {csv}")
        _in_child("export_csv", db=str(db), csv=str(csv))
    else:
        _log(f"reusing {csv}")
    target_b = bench_dir / "readcsv_target.duckdb"
    target_a = bench_dir / "import_target.duckdb"
    _log("import (b): DuckDB CREATE TABLE AS SELECT * FROM read_csv(...)")
    b = _in_child("import_duckdb", csv=str(csv), target=str(target_b))
    _log(f"  {b['seconds']:.2f} s")
    _log("import (a): metrics.ingest.load_file (csm load usage_events --mode replace)")
    a = _in_child("import_csm", csv=str(csv), target=str(target_a))
    _log(f"  {a['seconds']:.2f} s, {a['outcome']}")
    for t in (target_a, target_b):
        _remove_db(t)
    return {
        "rows": a["rows_loaded"] if a["outcome"] != "refused" else b["rows"],
        "seconds": _r(a["seconds"], 3),
        "duckdb_read_csv_seconds": _r(b["seconds"], 3),
        "ratio": _r(a["seconds"] / b["seconds"], 3),
        "duckdb_ctas_without_checkpoint_s": _r(b["ctas_s"], 3),
        "size": size,
        "file": str(csv),
        "file_mb": _r(csv.stat().st_size / 1e6, 1),
        "rows_in_file": a["rows_in_file"],
        "outcome": a["outcome"],
        "rows_rejected": a["rows_rejected"],
        "orphans": a["orphans"],
        "message": a["message"],
        "peak_rss_mb": {"csm_load": _r(a["peak_rss_mb"], 1), "duckdb": _r(b["peak_rss_mb"], 1)},
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


# ----------------------------------------------------------------------------------------------
# Browser


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_health(port: int, proc: subprocess.Popen, timeout: float = 180) -> None:
    url = f"http://127.0.0.1:{port}/_stcore/health"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode} before it was healthy")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 - 127.0.0.1 only
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise TimeoutError(f"the server on port {port} was not healthy after {timeout:.0f} s")


def _start_server(cmd: list[str], log: Path) -> subprocess.Popen:
    fh = open(log, "w")  # noqa: SIM115 - closed with the process by _stop_server
    proc = subprocess.Popen(cmd, cwd=REPO, env=_child_env(), stdout=fh, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    proc._bench_log = fh  # type: ignore[attr-defined]
    return proc


def _stop_server(proc: subprocess.Popen | None) -> None:
    if proc is None:
        return
    try:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)  # the group we started (start_new_session)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=15)
    finally:
        fh = getattr(proc, "_bench_log", None)
        if fh:
            fh.close()


class RssSampler:
    """Sample the RSS of a process and its children every `interval` s in a thread."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid, self.interval = pid, interval
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            total = 0
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                return
            for p in procs:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    @property
    def peak_mb(self) -> float:
        return self.peak / 2**20


class RunWatch:
    """Follow Streamlit's websocket: every script run starts with a `new_session` ForwardMsg
    and ends with `script_finished`. A change is done when a run that started after it has
    finished (not "early for rerun"). Very fast runs can pass without the DOM's
    data-test-script-state ever showing "running", so the DOM alone is not a reliable signal."""

    def __init__(self, page) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self._msg = ForwardMsg
        self.started = 0
        self.finished: list[tuple[int, int]] = []  # (runs started so far, status)
        self.page_not_found = False
        page.on("websocket", lambda ws: ws.on("framereceived", self._on_frame))

    def _on_frame(self, payload) -> None:
        if isinstance(payload, str):
            return
        msg = self._msg()
        try:
            msg.ParseFromString(payload)
        except Exception:  # noqa: BLE001 - not a ForwardMsg: ignore
            return
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.started += 1
        elif kind == "script_finished":
            self.finished.append((self.started, msg.script_finished))
        elif kind == "page_not_found":
            self.page_not_found = True

    def arm(self) -> int:
        return self.started

    def done_since(self, mark: int) -> bool:
        early = self._msg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")
        return any(n > mark and status != early for n, status in self.finished)


# Rendered: the script is not running, no element is stale or a skeleton, every Plotly chart
# has its SVG (Streamlit 1.67: the app root `[data-testid=stApp]` carries
# data-test-script-state = initial / running / notRunning / rerunRequested / ...).
_RENDERED_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;
  for (const c of document.querySelectorAll('[data-testid="stPlotlyChart"]'))
    if (!c.querySelector('.main-svg')) return false;
  return true;
}"""
_IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-stale="true"]')
    && !!document.querySelector('[data-testid="stSidebar"] [data-testid="stMultiSelect"]');
}"""
_ERROR_BOXES = '[data-testid="stException"], [data-testid="stAlertContentError"]'
_FRAMES_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def _wait_run(page, watch: RunWatch, mark: int, timeout_ms: int) -> None:
    """Wait until a script run started after `mark` finished and the page is rendered."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not watch.done_since(mark):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no script run finished within {timeout_ms / 1000:.0f} s")
        page.wait_for_timeout(10)  # lets Playwright deliver websocket events
    left = max(1000, int((deadline - time.monotonic()) * 1000))
    page.wait_for_function(_RENDERED_JS, timeout=left, polling=20)
    page.evaluate(_FRAMES_JS)


def gray_toggles(n_options: int, count: int) -> list[int]:
    """Return `count` option indexes to toggle, one per change, following a Gray code so that
    each of the first 2**n - 1 changes reaches a selection not seen before."""
    return [((((i + 1) ^ ((i + 1) >> 1)) ^ (i ^ (i >> 1))).bit_length() - 1) % n_options
            for i in range(count)]


def _multiselect(page, label: str):
    return page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
        has=page.get_by_text(label, exact=True))


def _tags(widget) -> set[str]:
    """Return the options shown as selected (tags) in a multiselect (Streamlit 1.67)."""
    return {t for t in widget.locator("[data-tag]").evaluate_all(
        "els => els.map(e => e.getAttribute('aria-label'))") if t}


def _toggle(page, watch: RunWatch, label: str, option: str,
            timeout_ms: int) -> tuple[float, bool]:
    """Add or remove `option` in the sidebar multiselect `label` (react-aria combobox in
    Streamlit 1.67); return (seconds until the rerun finished and every chart was redrawn,
    whether the widget shows the new selection afterwards)."""
    widget = _multiselect(page, label)
    before = _tags(widget)
    want = before ^ {option}
    if option in before:  # remove: the tag's "Remove <option>" button
        target = widget.locator(f'button[aria-label="Remove {option}"]')
    else:
        widget.locator('input[role="combobox"]').click(timeout=timeout_ms)
        target = page.locator('[role="listbox"] [role="option"]').filter(
            has_text=re.compile(f"^{re.escape(option)}$")).first
        target.wait_for(state="visible", timeout=timeout_ms)
    mark = watch.arm()
    t0 = time.perf_counter()
    target.click(timeout=timeout_ms)
    _wait_run(page, watch, mark, timeout_ms)
    dt = time.perf_counter() - t0
    if page.locator('[role="listbox"]').count():
        page.keyboard.press("Escape")  # close the dropdown (not a change)
    return dt, _tags(_multiselect(page, label)) == want


def _drive(page, url: str, toggles: list[tuple[str, str]], changes: int,
           timeout_ms: int) -> dict:
    """Open `url`, then make `changes` filter changes (Gray code over `toggles`); return the
    samples of new selections and of toggling back and forth between two seen ones."""
    watch = RunWatch(page)
    page.goto(url, timeout=timeout_ms)
    page.wait_for_function(_IDLE_JS, timeout=timeout_ms, polling=50)
    if watch.page_not_found:
        raise LookupError(f"the server has no page at {url}")

    def state() -> frozenset:
        return frozenset((lab, o) for lab in dict(toggles) for o in _tags(_multiselect(page, lab)))

    seen = {state()}
    new, repeat, dropped = [], [], 0
    order = gray_toggles(len(toggles), changes)
    for idx in order:
        label, option = toggles[idx]
        dt, ok = _toggle(page, watch, label, option, timeout_ms)
        dropped += not ok
        now = state()
        (repeat if now in seen else new).append(dt)
        seen.add(now)
    # Cached reruns: toggle the last option changed back and forth (both selections seen).
    label, option = toggles[order[-1]]
    cached = []
    for _ in range(changes):
        dt, ok = _toggle(page, watch, label, option, timeout_ms)
        dropped += not ok
        cached.append(dt)
    errors = page.locator(_ERROR_BOXES).all_inner_texts()
    return {"new": new, "repeat": repeat, "cached": cached, "dropped": dropped,
            "error_boxes": [e.strip()[:300] for e in errors]}


def _summary(samples: dict) -> dict:
    new, rep, cached = samples["new"], samples["repeat"], samples["cached"]
    first = new + rep  # the Gray-code changes, in whatever state they ended
    return {
        "p50_s": _r(statistics.median(first), 3) if first else None,
        "p95_s": _r(percentile(first, 95), 3) if first else None,
        "changes": len(first),
        "new_selection_changes": len(new),
        "new_selection_p95_s": _r(percentile(new, 95), 3) if new else None,
        "cached_p50_s": _r(statistics.median(cached), 3) if cached else None,
        "cached_p95_s": _r(percentile(cached, 95), 3) if cached else None,
        "cached_changes": len(cached),
        "dropped_changes": samples["dropped"],
        "error_boxes": samples["error_boxes"],
        "samples_s": [_r(x, 3) for x in first],
    }


TRIVIAL_APP = '''"""A one-widget Streamlit page: the baseline rerun of `csm bench`."""
import streamlit as st

choice = st.sidebar.multiselect("Choice", {options!r}, placeholder="All")
st.write(f"{{len(choice)}} selected")
'''


def bench_browser(bench_dir: Path, db: Path, chromium: str, pages_: list[str],
                  changes: int = 20, timeout_s: float = 120) -> dict:
    """Drive the dashboard and a trivial page with Playwright; return the `browser` section
    and the server's peak RSS."""
    # Playwright's sync API refuses to start in a thread whose asyncio loop is running (another
    # sync_playwright still open, as in a test session): drive the browser from a fresh thread.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_bench_browser, bench_dir, db, chromium, pages_, changes,
                           timeout_s).result()


def _bench_browser(bench_dir: Path, db: Path, chromium: str, pages_: list[str],
                   changes: int, timeout_s: float) -> dict:
    from playwright.sync_api import sync_playwright

    from metrics import demo

    dims = [("Segment", s) for s in demo.SEGMENTS] + [("Region", r) for r in demo.REGIONS]
    trivial_opts = [f"{label}: {opt}" for label, opt in dims]
    trivial = bench_dir / "trivial_app.py"
    trivial.write_text(TRIVIAL_APP.format(options=trivial_opts))
    out: dict = {"pages": {}, "trivial_p95_s": None}
    timeout_ms = int(timeout_s * 1000)
    server = None
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            # The dashboard on the largest data set.
            port = _free_port()
            _log(f"browser: serving {db.name} on 127.0.0.1:{port}")
            server = _start_server(
                [sys.executable, "-m", "metrics.cli", "serve", "--port", str(port), "--db",
                 str(db), "--address", "127.0.0.1"], bench_dir / "server-dashboard.log")
            t0 = time.perf_counter()
            _wait_health(port, server)
            with RssSampler(server.pid) as rss:
                out["server_start_s"] = _r(time.perf_counter() - t0, 2)
                for page_name in pages_:
                    url = f"http://127.0.0.1:{port}{PAGE_URLS.get(page_name, '/' + page_name)}"
                    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
                    try:
                        page = ctx.new_page()
                        t1 = time.perf_counter()
                        samples = _drive(page, url, dims, changes, timeout_ms)
                        out["pages"][page_name] = _summary(samples)
                        _log(f"  {page_name}: {out['pages'][page_name]['p95_s']} s p95 "
                             f"({time.perf_counter() - t1:.0f} s)")
                    except Exception as e:  # noqa: BLE001 - one page must not sink the rest
                        msg = f"{type(e).__name__}: {str(e)[:500]}"
                        out["pages"][page_name] = {"p50_s": None, "p95_s": None, "error": msg}
                        _log(f"  {page_name}: failed ({msg})")
                    finally:
                        ctx.close()
            out["peak_rss_mb"] = _r(rss.peak_mb, 1)
            out["rss_samples"] = rss.samples
            _stop_server(server)
            server = None
            # The trivial page, served the same way.
            port = _free_port()
            _log(f"browser: serving the trivial page on 127.0.0.1:{port}")
            server = _start_server(
                [sys.executable, "-m", "streamlit", "run", str(trivial), "--server.port",
                 str(port), "--server.headless", "true", "--server.address", "127.0.0.1"],
                bench_dir / "server-trivial.log")
            _wait_health(port, server)
            ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
            try:
                page = ctx.new_page()
                samples = _drive(page, f"http://127.0.0.1:{port}/",
                                 [("Choice", o) for o in trivial_opts], changes, timeout_ms)
                triv = _summary(samples)
            finally:
                ctx.close()
            out["trivial"] = triv
            out["trivial_p95_s"] = triv["p95_s"]
            _log(f"  trivial: {triv['p95_s']} s p95")
        finally:
            _stop_server(server)
            browser.close()
    out["method"] = (
        f"Playwright {_pkg_version('playwright')} + {chromium} (headless). Each page opened in a "
        "fresh context, then `changes` sidebar filter changes (one Segment or Region option "
        "added or removed per change, following a Gray code so every change reaches a selection "
        "not seen before: p50_s / p95_s), then the same number of changes toggling back and "
        "forth between two selections already seen (cached_*). A change is timed from the click "
        "on the option (or the tag's Remove button) until a script run that started after it "
        "finished (new_session then script_finished on Streamlit's websocket) and the page is "
        "rendered: stApp data-test-script-state notRunning, no stale element, every Plotly "
        "chart has its SVG, plus two animation frames. dropped_changes: changes the widget did "
        "not keep; error_boxes: exception or st.error boxes on the page at the end. The "
        "trivial page is one multiselect with the same 7 options, served by `streamlit run` "
        "the same way.")
    return out


def _pkg_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


# ----------------------------------------------------------------------------------------------
# The run


def _machine() -> dict:
    import duckdb
    import psutil

    return {
        "cpu_count": os.cpu_count(),
        "memory_gb": _r(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "streamlit": _pkg_version("streamlit"),
        "pandas": _pkg_version("pandas"),
    }


def _goals(doc: dict, largest: str, smallest: str) -> list[dict]:
    """Return QUALITY.md's speed goals with the figure measured and whether it was met."""
    out = []

    def goal(what, figure, limit, ok, note=""):
        item = {"goal": what, "figure": figure, "limit": limit,
                "met": None if figure is None else bool(ok)}
        if note:
            item["note"] = note
        out.append(item)

    imp = doc.get("import")
    if imp:
        goal(f"import ratio ({imp['size']})", imp["ratio"], GOALS["import_ratio"],
             imp["ratio"] is not None and imp["ratio"] <= GOALS["import_ratio"])
    for page, by_size in doc["pages"].items():
        m = by_size.get(largest, {})
        goal(f"{page} cold_s ({largest})", m.get("cold_s"), GOALS["cold_s"],
             (m.get("cold_s") or 0) <= GOALS["cold_s"])
        goal(f"{page} warm_s ({largest})", m.get("warm_s"), GOALS["warm_s"],
             (m.get("warm_s") or 0) <= GOALS["warm_s"])
        g = doc["growth"].get(page)
        if g and g["time_ratio"] is not None:
            goal(f"{page} growth time_ratio <= row_ratio ({largest}/{smallest})",
                 g["time_ratio"], g["row_ratio"], g["time_ratio"] <= g["row_ratio"])
    b = doc.get("browser")
    if b and b.get("trivial_p95_s"):
        limit = _r(GOALS["browser_vs_trivial"] * b["trivial_p95_s"], 3)
        for page, m in b["pages"].items():
            if m.get("p95_s") is None:
                goal(f"browser {page} p95_s <= 3 x trivial_p95_s", None, limit, False,
                     m.get("error", "not measured"))
                continue
            shown = m.get("error_boxes") or []
            goal(f"browser {page} p95_s <= 3 x trivial_p95_s", m["p95_s"], limit,
                 m["p95_s"] <= limit and not shown,
                 f"ratio {_r(m['p95_s'] / b['trivial_p95_s'], 2)}; cached reruns: "
                 f"p95 {m['cached_p95_s']} s"
                 + (f"; the page showed {len(shown)} error box(es): {shown[0][:200]}"
                    if shown else ""))
    if doc.get("peak_rss_mb") is not None:
        goal(f"server peak RSS ({largest})", doc["peak_rss_mb"], GOALS["peak_rss_mb"],
             doc["peak_rss_mb"] <= GOALS["peak_rss_mb"])
    return out


def run(sizes: list[str], db=None, browser: bool = True, *, db_dir: Path | str | None = None,
        import_size: str | None = None, cold_repeats: int = 3, warm_repeats: int = 5,
        browser_changes: int = 20, pages: list[str] | None = None) -> dict:
    """Run the benchmark and return the document (QUALITY.md "Speed").

    sizes: demo sizes, e.g. ["small", "medium", "large"] (measured in that order; growth is
    largest / smallest). db: the dashboard database, whose folder holds `bench/` (default
    data/bench); db_dir overrides that folder. import_size: the size whose usage_events CSV is
    imported (default None: the largest; "" skips the import). cold_repeats: fresh processes
    per (size, page), the median is reported; warm_repeats: cached passes per page;
    browser_changes: filter changes per page in the browser; pages: the pages to measure."""
    from metrics import demo
    from metrics import pages as pages_mod

    started = time.perf_counter()
    if not sizes:
        raise ValueError("no sizes to measure")
    bad = [s for s in sizes if s not in demo.SIZES]
    if bad:
        raise ValueError(f"unknown size(s) {bad}; choose from {', '.join(demo.SIZES)}")
    order = list(demo.SIZES)
    sizes = sorted(dict.fromkeys(sizes), key=order.index)
    smallest, largest = sizes[0], sizes[-1]
    page_names = list(pages or pages_mod.PAGES)
    bench_dir = Path(db_dir).resolve() if db_dir else bench_dir_for(db)
    bench_dir.mkdir(parents=True, exist_ok=True)
    _log(f"benchmark folder {bench_dir}; sizes {', '.join(sizes)}")

    notes = [
        "cold: each measurement in a fresh process (DuckDB buffer cache empty, OS page cache "
        f"warm), Store opened first (not timed), median of {cold_repeats} processes.",
        "warm: one process per size; dashboard.context.metric / named_query (st.cache_data in "
        "bare mode, in-memory storage) over the queries of metrics.pages.PAGES; one pass fills "
        f"the caches, then the median of {warm_repeats} cached passes. Each pass includes the "
        "data_version() query the cache key needs; computations_cached_passes counts calls "
        "that were not served by the cache (0 expected).",
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
        "rows": {s: sum(r.values()) for s, r in rows.items()},
        "rows_by_table": rows,
        "data_end": END.isoformat(),
        "machine": _machine(),
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
        _log(f"{size}: raw scan")
        scans = [_in_child("raw_scan", path=path, pages_=page_names, learn_tables=i == 0)
                 for i in range(max(1, cold_repeats))]
        per_table = {t: statistics.median(sc["per_table"][t] for sc in scans) for t, _c in RAW_SCAN}
        rs = {"seconds": sum(per_table.values()), "per_table": per_table}
        raw[size] = rs
        tables_read = scans[0]["tables_read"]
        for page in page_names:
            try:
                runs = [_in_child("cold", path=path, page=page) for _ in range(cold_repeats)]
            except RuntimeError as e:  # the page's queries failed: say so, measure the rest
                result[page][size] = {"cold_s": None, "warm_s": None, "error": str(e)}
                errors.append(f"{page} ({size}): {e}")
                _log(f"{size}: {page} failed: {e}")
                continue
            samples = [x["seconds"] for x in runs]
            med = sorted(runs, key=lambda x: x["seconds"])[(len(runs) - 1) // 2]
            result[page][size] = {"cold_s": statistics.median(samples), "cold_samples_s": samples,
                                  "cold_by_query_s": med["by_query"]}
            _log(f"{size}: {page} cold {statistics.median(samples):.3f} s")
        _log(f"{size}: warm (dashboard cache)")
        w = _in_child("warm", path=path, pages_=page_names, repeats=warm_repeats)
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
            return _r(v)
        if isinstance(v, list):
            return [rounded(x) for x in v]
        if isinstance(v, dict):
            return {k: rounded(x) for k, x in v.items()}
        return v

    doc["pages"] = rounded(result)
    doc["raw_scan_s"] = {s: _r(raw[s]["seconds"]) for s in sizes}
    doc["raw_scan_by_table_s"] = {s: {t: _r(v) for t, v in raw[s]["per_table"].items()}
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
            "time_ratio": _r(hi / lo, 3) if lo else None,
            "row_ratio": _r(r_hi / r_lo, 3) if r_lo else None,
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
            _log(msg)
            notes.append(msg)
        else:
            try:
                b = bench_browser(bench_dir, bench_dir / f"{largest}.duckdb", chromium,
                                  page_names, changes=browser_changes)
            except Exception as e:  # noqa: BLE001 - keep the other measurements
                msg = f"the browser measurements failed ({type(e).__name__}: {e}); left null."
                _log(msg)
                notes.append(msg[:2000])
            else:
                doc["peak_rss_mb"] = b.pop("peak_rss_mb", None)
                doc["browser"] = b
                notes.append(f"peak_rss_mb: the dashboard server (process and children), "
                             f"sampled every 0.2 s over the browser run on {largest}.")
    else:
        notes.append("browser measurements skipped (--no-browser): browser and peak_rss_mb null.")
    doc["goals"] = _goals(doc, largest, smallest)
    doc["notes"] = notes
    doc["bench_seconds"] = _r(time.perf_counter() - started, 1)
    _log(f"done in {doc['bench_seconds']:.0f} s")
    return doc
