"""A process of the concurrency test (tests/unit/test_concurrent_loads.py): it loads tickets
into one database while other processes do the same and read it, and checks after each round
that its own rows are exactly what it loaded.

    python -m tests.unit.load_worker DB NAME ROUNDS KIND SESSIONS OUT

KIND `cli`: one session loads with `csm load` (cli.main, the command line's own path); KIND
`dashboard`: SESSIONS threads share one SharedStore as browser sessions of one server do and
load through its write(), as the Data page does; KIND `reader`: reads until the file OUT.stop
exists and checks that every state it sees holds whole loads only. OUT receives a JSON summary:
errors, rounds done, the longest wait for a load, reads made.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import threading
import time
from pathlib import Path

ROWS = 5  # rows per load: a state with a count not a multiple of this is a partial load
ACCOUNT = "ACC1"


def ticket_rows(name: str, rnd: int) -> list[tuple[str, int]]:
    """Return the (ticket_id, contacts) pairs of round `rnd` of session `name`."""
    return [(f"{name}-R{rnd:02d}-{i}", 1 + (rnd + i) % 3) for i in range(ROWS)]


def _csv(folder: Path, name: str, rnd: int) -> Path:
    path = folder / f"{name}-{rnd:02d}.csv"
    lines = ["ticket_id,account_id,created_at,first_response_at,resolved_at,contacts,"
             "reopened,channel,priority"]
    for tid, contacts in ticket_rows(name, rnd):
        lines.append(f"{tid},{ACCOUNT},2026-06-01 09:00,2026-06-01 10:00,,{contacts},false,"
                     "email,P2")
    path.write_text("\n".join(lines) + "\n")
    return path


def _own_rows(cur, name: str) -> set[tuple[str, int]]:
    return set(cur.execute("SELECT ticket_id, contacts FROM tickets WHERE ticket_id LIKE ?",
                           [f"{name}-R%"]).fetchall())


def _check(shared, name: str, rnd: int, errors: list[str]) -> None:
    """After round `rnd`: this session's rows are exactly rounds 0..rnd (a checksum of every
    row it loaded, compared value by value)."""
    want = {r for k in range(rnd + 1) for r in ticket_rows(name, k)}
    with shared.read() as store:
        cur = store.cursor()
        try:
            got = _own_rows(cur, name)
        finally:
            cur.close()
    if got != want:
        errors.append(f"{name} round {rnd}: {len(got)} rows, expected {len(want)}")


def _session_cli(db: str, name: str, rounds: int, folder: Path, out: dict) -> None:
    from csm import cli
    from metrics.shared import SharedStore

    reader = SharedStore(db, linger=0)
    for rnd in range(rounds):
        path = _csv(folder, name, rnd)
        t0 = time.monotonic()
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = cli.main(["load", "tickets", str(path), "--db", db])
        out["load_s"].append(time.monotonic() - t0)
        if code != 0:
            out["errors"].append(f"{name} round {rnd}: csm load exited {code}: "
                                 f"{err.getvalue()[-300:]}")
            continue
        if "waiting for" in err.getvalue():
            out["told_to_wait"] += 1
        _check(reader, name, rnd, out["errors"])
        out["rounds"] += 1


def _session_dashboard(shared, name: str, rounds: int, folder: Path, out: dict,
                       mutex: threading.Lock) -> None:
    from metrics import alerts
    from metrics.ingest import load_file

    for rnd in range(rounds):
        path = _csv(folder, name, rnd)
        t0 = time.monotonic()
        try:
            with shared.write(allow_paths=(path,)) as store:
                res = load_file(store, "tickets", path, mode="append",
                                after_load=alerts.after_load)
        except Exception as e:  # noqa: BLE001 - every failure is a finding of the test
            with mutex:
                out["errors"].append(f"{name} round {rnd}: {type(e).__name__}: {e}")
            continue
        with mutex:
            out["load_s"].append(time.monotonic() - t0)
            if not res.ok:
                out["errors"].append(f"{name} round {rnd}: refused: {res.message}")
                continue
        errs: list[str] = []
        _check(shared, name, rnd, errs)
        with mutex:
            out["errors"] += errs
            out["rounds"] += 1


def _reader(db: str, stop: Path, out: dict) -> None:
    from metrics.shared import SharedStore

    shared = SharedStore(db, linger=0.2)
    while not stop.exists():
        with shared.read() as store:
            cur = store.cursor()
            try:
                counts = cur.execute(
                    "SELECT split_part(ticket_id, '-R', 1) AS s, count(*) FROM tickets "
                    "WHERE ticket_id LIKE '%-R%' GROUP BY s").fetchall()
            finally:
                cur.close()
        out["reads"] += 1
        out["errors"] += [f"a read saw {n} rows of {s}: part of a load"
                          for s, n in counts if n % ROWS]
    shared.close()


def main(argv: list[str]) -> int:
    db, name, rounds, kind, sessions, out_path = argv
    out: dict = {"errors": [], "rounds": 0, "load_s": [], "told_to_wait": 0, "reads": 0}
    # Inside the database's upload folder, which every open of it may read: DuckDB shares one
    # instance per file and process, so a path allowed to one open is not always to the next.
    from metrics.store import upload_dir

    folder = upload_dir(Path(db)) / f"csv-{name}"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        if kind == "reader":
            _reader(db, Path(out_path + ".stop"), out)
        elif kind == "cli":  # one session: a process per command line
            _session_cli(db, name, int(rounds), folder, out)
        else:
            from metrics.shared import SharedStore

            shared = SharedStore(db, allow_paths=(folder,))
            mutex = threading.Lock()
            threads = [threading.Thread(target=_session_dashboard,
                                        args=(shared, f"{name}s{s}", int(rounds), folder, out,
                                              mutex)) for s in range(int(sessions))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            shared.close()
    except Exception as e:  # noqa: BLE001
        out["errors"].append(f"{name}: {type(e).__name__}: {e}")
    Path(out_path).write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
