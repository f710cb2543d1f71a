"""What every part of the benchmark shares: its constants, logging, rounding, and running a
measurement in a fresh Python process."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import threading
from datetime import date, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
END = date(2026, 6, 30)  # fixed last day of the demo data, so reruns are comparable
SEED = 42
THREADS = 2  # the Store's default (CSM_THREADS); DuckDB's own import gets the same
MEMORY_LIMIT = "2GB"  # the Store's default (CSM_MEMORY_LIMIT)
_MARK = "@@CSM-BENCH@@"


def log(msg: str) -> None:
    """Write one progress line to stderr (stdout is the document's)."""
    print(f"[bench {datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def r(x: float | None, nd: int = 6) -> float | None:
    """Return `x` rounded to `nd` decimals as a float (None stays None)."""
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


def maxrss_mb() -> float:
    """Return this process's peak RSS in MiB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def sql_str(p: Path | str) -> str:
    """Return `p` quoted for a SQL string literal (without the quotes)."""
    return str(p).replace("'", "''")


def remove_db(path: Path) -> None:
    """Delete a DuckDB file and its WAL when they exist."""
    for p in (path, Path(str(path) + ".wal")):
        p.unlink(missing_ok=True)


def pkg_version(name: str) -> str | None:
    """Return the installed version of distribution `name`, or None."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


# ----------------------------------------------------------------------------------------------
# Children: every measurement that opens a database runs in its own process.


def child_env() -> dict:
    """Return the environment of a child: the checkout first on PYTHONPATH, no CSM_DB."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("CSM_DB", None)
    return env


def in_child(module: str, fn: str, timeout: float = 3600, **kwargs) -> dict:
    """Run `<module>._c_<fn>(**kwargs)` in a fresh Python process and return its result (a
    dict); RuntimeError with the child's exception when it fails or times out."""
    code = (
        "import importlib, json, sys\n"
        "a = json.loads(sys.argv[1])\n"
        "res = getattr(importlib.import_module(a['module']), '_c_' + a['fn'])(**a['kwargs'])\n"
        f"print({_MARK!r} + json.dumps(res), flush=True)\n"
    )
    arg = json.dumps({"module": module, "fn": fn, "kwargs": kwargs})
    proc = subprocess.Popen(
        [sys.executable, "-c", code, arg], cwd=REPO, env=child_env(), stdout=subprocess.PIPE,
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
                           f"{exception_text(tail)[:500]}")
    return json.loads(lines[-1][len(_MARK):])


def exception_text(lines: list[str]) -> str:
    """Return the exception at the end of a traceback (its message may span lines)."""
    exc = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b")
    for i in range(len(lines) - 1, -1, -1):
        if exc.match(lines[i]):
            return " | ".join(ln.strip() for ln in lines[i:] if ln.strip())
    return next((ln.strip() for ln in reversed(lines) if ln.strip()), "")
