"""`csm demo`: (re)create the demo data set; and the seeding `csm serve` does when the default
database does not exist yet."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from csm.common import EXIT_OK, eprint, open_store


def cmd_demo(args) -> int:
    """(Re)create the demo data set and print its row counts; return 0."""
    from metrics import demo

    store = open_store(args.db)
    try:
        counts = demo.generate(store, size=args.size, end=args.end, seed=args.seed,
                               progress=lambda f, m: eprint(f"[{f:4.0%}] {m}"))
    finally:
        store.close()
    json.dump({"size": args.size, "rows": counts, "db": str(store.path)}, sys.stdout)
    sys.stdout.write("\n")
    return EXIT_OK


def seed_demo_if_absent(db: Path) -> None:
    """Create the default database with the small demo set when it does not exist yet."""
    from metrics import demo

    if db.exists():
        return
    eprint(f"{db} does not exist: creating it with the small demo data set…")
    store = open_store(db)
    try:
        demo.generate(store, size="small")
    finally:
        store.close()
