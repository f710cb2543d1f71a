"""The folder inbox, `csm watch DIR`: files dropped in DIR are loaded and moved with a report.

The table of a file: the preset its header matches (metrics/ingest/presets.detect_file) gives
it; without one, the file's name must start with a table's name (`tickets.csv`,
`tickets-2026-06.xlsx`, `usage_events_march.jsonl`). A name naming another table than the
preset's, or a file with neither, is refused with the reason. Each file then goes to
DIR/done/ or DIR/rejected/ with NAME.report.json beside it (the load's result, its rejects,
the reason). A file is read only once its size and modification time are the same in two
polls in a row; dotfiles and partial names (*.part, *.tmp, …) are never read. A file whose
content (sha256) was already loaded into its table is rejected, in any load mode. Every load
opens the database read-write alone through metrics.shared.SharedStore, as `csm load` does, so
a running dashboard keeps working and shows the rows on its next rerun.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

DONE, REJECTED = "done", "rejected"
REPORT_SUFFIX = ".report.json"
# Names browsers, sync tools and careful writers use while a file is still being written.
PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".temp", ".crdownload", ".download", ".swp",
                    "~")
LOCK_NAME = ".csm-watch.lock"

# name -> (size in bytes, modification time in ns) of a file in the inbox
Snapshot = dict[str, tuple[int, int]]
Log = Callable[[str], None]


@dataclass
class Outcome:
    """What became of one file: moved to done/ (loaded) or rejected/, and why."""

    file: str
    status: str  # "done" or "rejected"
    reason: str
    table: str | None = None
    preset: str | None = None
    sha256: str | None = None
    moved_to: str | None = None
    load: dict | None = None  # LoadResult.to_dict() without its rejects
    rejects: list[dict] = field(default_factory=list)

    def report(self) -> dict:
        """Return the JSON report written beside the moved file."""
        return asdict(self)


def is_candidate(name: str) -> bool:
    """Return whether a file of this name in the inbox is one to load: not a dotfile, not a
    partial download or temporary name, not a report."""
    low = name.lower()
    return not (low.startswith(".") or low.endswith(PARTIAL_SUFFIXES)
                or low.endswith(REPORT_SUFFIX))


def snapshot(folder: Path) -> Snapshot:
    """Return the size and modification time of every candidate file directly in `folder`
    (sub-folders, done/ and rejected/ included, are not looked into)."""
    out: Snapshot = {}
    with os.scandir(folder) as it:
        for e in it:
            if not is_candidate(e.name):
                continue
            try:
                if not e.is_file(follow_symlinks=False):
                    continue
                st = e.stat(follow_symlinks=False)
            except FileNotFoundError:  # moved away while listing
                continue
            out[e.name] = (st.st_size, st.st_mtime_ns)
    return out


def stable(previous: Snapshot | None, current: Snapshot) -> list[str]:
    """Return, sorted, the names whose size and modification time are the same in both
    snapshots: those nobody wrote to between the two polls. None (no earlier poll) gives []."""
    if previous is None:
        return []
    return sorted(n for n, sig in current.items() if previous.get(n) == sig)


def table_from_name(name: str, tables) -> str | None:
    """Return the table whose name the file name starts with, followed by anything but a letter
    (`tickets-2026.csv`, `Orders_Q1.xlsx`), or None."""
    low = name.lower()
    for t in sorted(tables, key=len, reverse=True):
        if low.startswith(t) and not low[len(t):len(t) + 1].isalpha():
            return t
    return None


def choose_table(name: str, preset: str | None, preset_table: str | None,
                 tables) -> tuple[str | None, str]:
    """Return (table, "") for a file named `name` whose header matched `preset` (loading
    `preset_table`), or (None, the reason) when the rule cannot tell or the two disagree."""
    by_name = table_from_name(name, tables)
    if preset is not None and by_name is not None and by_name != preset_table:
        return None, (f"ambiguous: the name says {by_name} but the header is a {preset} export, "
                      f"which loads {preset_table}; rename the file (e.g. {preset_table}-"
                      f"{name}) or load it with csm load")
    if preset is not None:
        return preset_table, ""
    if by_name is not None:
        return by_name, ""
    return None, ("cannot tell the table: no preset recognises the header and the name does "
                  f"not start with a table's name ({', '.join(tables)}); rename it, e.g. "
                  f"tickets-{name}")


def destination(folder: Path, status: str, name: str) -> Path:
    """Return a free path for `name` in folder/status/: the name itself, or NAME.2.EXT, … when
    a file of that name is there already (the same name dropped again later)."""
    d = folder / status
    d.mkdir(exist_ok=True)
    p, n = d / name, 1
    stem, suffix = Path(name).stem, Path(name).suffix
    while p.exists() or Path(str(p) + REPORT_SUFFIX).exists():
        n += 1
        p = d / f"{stem}.{n}{suffix}"
    return p


def file_away(folder: Path, path: Path, out: Outcome) -> Path:
    """Move the file to done/ or rejected/ and write its report beside it; return the new
    path."""
    dest = destination(folder, out.status, path.name)
    os.replace(path, dest)
    out.moved_to = str(dest)
    Path(str(dest) + REPORT_SUFFIX).write_text(
        json.dumps(out.report(), default=str, ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8")
    return dest


def _already_loaded(cur, table: str, sha: str) -> str | None:
    """Return why a file of this sha256 must not load again (a load of it into `table` that
    stands, i.e. not undone), or None."""
    row = cur.execute(
        "SELECT load_id, finished_at, file_name FROM loads WHERE table_name = ? AND sha256 = ? "
        "AND outcome IN ('loaded', 'loaded_with_rejects') ORDER BY load_id DESC LIMIT 1",
        [table, sha]).fetchone()
    if row is None:
        return None
    return (f"already loaded: the same content (sha256 {sha[:12]}…) was loaded into {table} "
            f"as {row[2]} (load {row[0]} at {row[1]:%Y-%m-%d %H:%M} UTC); csm undo {row[0]} "
            f"first to load it again")


def load_one(shared, path: Path) -> Outcome:
    """Detect the table and preset of the file at `path`, load it with the table's default
    mode (all rows or none) through `shared` (a metrics.shared.SharedStore), and return the
    outcome; the file is not moved."""
    from metrics import alerts, goals
    from metrics.ingest import load_file, presets, read
    from metrics.schema import TABLES

    preset = presets.detect_file(path, shared.uploads)
    table, why = choose_table(path.name, preset,
                              presets.PRESETS[preset].table if preset else None, list(TABLES))
    out = Outcome(path.name, REJECTED, why, table=table, preset=preset)
    if table is None:
        return out
    out.sha256 = read.sha256_of(path)
    with shared.write(allow_paths=(path,)) as store:
        cur = store.cursor()
        try:
            repeat = _already_loaded(cur, table, out.sha256)
        finally:
            cur.close()
        if repeat:
            out.reason = repeat
            return out
        res = load_file(store, table, path, preset=preset, after_load=alerts.after_load,
                        row_check=goals.check_rows if table == "targets" else None)
    d = res.to_dict()
    out.rejects = d.pop("rejects")
    out.load, out.reason = d, load_reason(res.outcome, res.message, out.rejects,
                                          res.rows_with_problems, res.rows_in_file)
    out.status = DONE if res.outcome == "loaded" else REJECTED
    return out


def load_reason(outcome: str, message: str, rejects: list[dict], problems: int,
                rows: int) -> str:
    """Return the reason a report gives for a load: its message when loaded or refused; for
    rejected rows, how many and the first row-level problems (the CLI's hints about
    --allow-rejects do not apply: the inbox loads all rows or none)."""
    if outcome != "rejected":
        return message
    first = "; ".join(f"line {r['line']}, {r['column']} {r['value']!r}: {r['reason']}"
                      for r in rejects[:3])
    more = f" (all {len(rejects)} in the report)" if len(rejects) > 3 else ""
    return f"{problems} of {rows} rows have problems, nothing was loaded: {first}{more}"


def process(shared, folder: Path, names: list[str], log: Log,
            stopping: Callable[[], bool] = lambda: False) -> list[Outcome]:
    """Load each named file of `folder` in turn and file it away with its report; return the
    outcomes. Stops before the next file once `stopping()` is true; a file gone meanwhile is
    skipped."""
    done: list[Outcome] = []
    for name in names:
        if stopping():
            break
        path = folder / name
        if not path.is_file():
            continue
        try:
            out = load_one(shared, path)
        except Exception as e:  # noqa: BLE001 - one odd file must not stop the inbox
            out = Outcome(name, REJECTED, f"could not be loaded: {type(e).__name__}: {e}")
        file_away(folder, path, out)
        log(f"{name}: {out.status} ({out.table or 'no table'}) — {out.reason}")
        done.append(out)
    return done


def summary(folder: Path, outcomes: list[Outcome], waiting: list[str]) -> dict:
    """Return the JSON document `csm watch` prints: what loaded, what was rejected and why,
    and the files left for a later poll because they were still changing."""
    return {"dir": str(folder),
            "loaded": [o.file for o in outcomes if o.status == DONE],
            "rejected": [{"file": o.file, "reason": o.reason} for o in outcomes
                         if o.status == REJECTED],
            "waiting": waiting}


def watch(folder: Path, db: Path | None, once: bool, interval: float, log: Log) -> tuple[int, dict]:
    """Poll `folder` every `interval` seconds and load what is stable; with `once`, two polls
    and the files stable between them, then stop. SIGINT/SIGTERM stop it after the file under
    way. Returns (exit code, summary): 1 when `once` rejected a file, else 0 (also when
    another `csm watch` holds this folder and this one does nothing)."""
    from metrics.shared import SharedStore

    with open(folder / LOCK_NAME, "a") as lock:
        try:  # one watcher per folder: an overlapping cron run must not load a file twice
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"another csm watch is working on {folder}; nothing done")
            return 0, summary(folder, [], [])
        shared = SharedStore(db, linger=0, on_wait=lambda m: log(f"{m}…"))
        stop: list[int] = []
        old = {s: signal.signal(s, lambda n, _f: stop.append(n))
               for s in (signal.SIGINT, signal.SIGTERM)}
        outcomes: list[Outcome] = []
        try:
            previous = None
            while True:
                current = snapshot(folder)
                outcomes += process(shared, folder, stable(previous, current), log,
                                    lambda: bool(stop))
                if stop or (once and previous is not None):
                    break
                previous = snapshot(folder)  # after the loads: what was there meanwhile
                deadline = time.monotonic() + interval
                while not stop and time.monotonic() < deadline:
                    time.sleep(min(0.1, interval))
        finally:
            for s, h in old.items():
                signal.signal(s, h)
            shared.close()
    waiting = sorted(snapshot(folder))
    if waiting:
        log(f"still changing, left for the next run: {', '.join(waiting)}")
    rejected = any(o.status == REJECTED for o in outcomes)
    return (1 if once and rejected else 0), summary(folder, outcomes, waiting)
