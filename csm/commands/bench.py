"""`csm bench`: the performance benchmark, a tool of the checkout (tools/bench), not part of the
installed package."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from csm.common import EXIT_OK, EXIT_USAGE, eprint, jsonable


def bench_module() -> ModuleType | None:
    """Return the benchmark package (tools/bench of the project's checkout), or None when this
    is an installed copy without it: the benchmark is a tool, not part of the package."""
    import importlib

    root = Path(__file__).resolve().parents[2]
    if not (root / "tools" / "bench" / "__init__.py").is_file():
        return None
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return importlib.import_module("tools.bench")


def cmd_bench(args, find: Callable[[], ModuleType | None] = bench_module) -> int:
    """Run the benchmark from a checkout's tools/bench (`find` locates it) and print its JSON;
    return the exit code."""
    bench = find()
    if bench is None:
        eprint("csm bench runs from a checkout of the project (tools/bench)")
        return EXIT_USAGE
    def names(text: str | None) -> list[str]:
        return [x.strip() for x in (text or "").split(",") if x.strip()]

    try:
        concurrency = [int(n) for n in names(args.concurrency)]
    except ValueError:
        eprint(f"csm: --concurrency takes session counts such as 10,25, not {args.concurrency!r}")
        return EXIT_USAGE
    if any(n < 1 for n in concurrency):
        eprint("csm: --concurrency needs at least one session")
        return EXIT_USAGE
    sizes = names(args.sizes if args.sizes is not None
                  else (None if concurrency else "small,medium,large"))
    doc = bench.run(sizes=sizes, db=args.db, browser=not args.no_browser,
                    pages=names(args.pages) or None, concurrency=concurrency,
                    concurrency_size=args.concurrency_size,
                    concurrency_clients=args.concurrency_clients)
    text = json.dumps(doc, default=jsonable, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    return EXIT_OK
