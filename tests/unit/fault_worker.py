"""One write of the kill -9 fault test (tests/unit/test_kill_faults.py), in its own process:

    python -m tests.unit.fault_worker KIND DB INPUT
    python -m tests.unit.fault_worker serve


KIND `load` appends the usage events of the CSV INPUT; `replace` replaces the accounts with
INPUT (confirmed); `targets` saves the targets of the CSV INPUT (the Goals page's save);
`model` saves the health model with the weights of the YAML INPUT to the file DB (the model
editor's save). It prints "ready" once set up (so the test's random moment falls in the write
itself), then "done" when the write returned.

`serve` imports the program once and then, for each line "KIND DB INPUT" on stdin, forks a
child that does that write (printing "pid N" first, "exit N" after the child ended): a kill -9
then costs the test no interpreter start. The server itself opens no database, so a child
inherits no connection, lock or thread.
"""

from __future__ import annotations

import sys
from pathlib import Path


def say(line: str) -> None:
    """Write one line to stdout in one write: the server and its child share the pipe, and
    print() writes the text and its newline apart when Python is unbuffered (PYTHONUNBUFFERED),
    so the other's line could land between them ("pid 5807ready")."""
    import os

    sys.stdout.flush()
    os.write(sys.stdout.fileno(), (line + "\n").encode())


def main(kind: str, db: str, source: str) -> None:
    """Do the write `kind` (see the module docstring) and report on stdout."""
    import pandas as pd
    import yaml

    from metrics import goals, health
    from metrics.ingest import load_file
    from metrics.store import Store

    if kind == "model":
        model = yaml.safe_load(Path(source).read_text())
        say("ready")
        health.save_model(model, Path(db))
        say("done")
        return
    store = Store(Path(db), allow_paths=(Path(source),))
    try:
        if kind == "targets":
            frame = pd.read_csv(source, dtype=str, keep_default_na=False)
            cur = store.cursor()
            say("ready")
            problems = goals.save_targets(cur, frame, who="fault test")
            assert not problems, problems
        else:
            table, mode = {"load": ("usage_events", "append"),
                           "replace": ("accounts", "replace")}[kind]
            say("ready")
            res = load_file(store, table, Path(source), mode=mode, confirm_replace=True)
            assert res.ok, res.message
        say("done")
    finally:
        store.close()


def serve() -> None:
    """Fork one child per request line on stdin (see the module docstring)."""
    import os

    import pandas  # noqa: F401 - imported once here, inherited by every child
    import yaml  # noqa: F401

    from metrics import goals, health  # noqa: F401
    from metrics.ingest import load_file  # noqa: F401

    say("serving")
    for line in sys.stdin:
        kind, db, source = line.split()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                main(kind, db, source)
                code = 0
            finally:
                sys.stdout.flush()
                os._exit(code)
        say(f"pid {pid}")
        _, status = os.waitpid(pid, 0)
        say(f"exit {status}")


if __name__ == "__main__":
    if sys.argv[1:] == ["serve"]:
        serve()
    else:
        main(*sys.argv[1:4])
