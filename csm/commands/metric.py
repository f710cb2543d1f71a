"""`csm metric` (one metric as JSON or CSV, its settings as flags) and `csm metrics` (the list)."""

from __future__ import annotations

import json
import sys

from csm.common import (
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    eprint,
    filters,
    frame_records,
    jsonable,
    reading,
)
from csm.parser import settings_options


def cmd_metric(args) -> int:
    """Print a metric as JSON or CSV; return the exit code."""
    from metrics import registry
    from metrics.query import Query

    if args.name not in registry.REGISTRY:
        eprint(f"csm: unknown metric {args.name!r}; `csm metrics` lists them: "
               f"{', '.join(sorted(registry.REGISTRY))}")
        return EXIT_USAGE
    settings = {}
    for st in settings_options():
        v = getattr(args, st.name)
        if v is not None:
            settings[st.name] = v
    try:
        dims, attributes = filters(args.filter)
    except UsageError as e:
        eprint(f"csm: {e}")
        return EXIT_USAGE
    q = Query(
        start=args.start, end=args.end, as_of=args.as_of, grain=args.grain, by=args.by,
        settings=tuple(sorted(settings.items())), **dims, attributes=attributes,
    )
    if getattr(args, "engine", "duckdb") == "spark":
        from csm.commands.spark import spark_cursor

        if not args.source:
            eprint("csm: --engine spark needs --source DIR (a `csm export --parquet` folder)")
            return EXIT_USAGE

        opened = spark_cursor(args)
    else:
        if getattr(args, "source", None) or getattr(args, "master", None):
            eprint("csm: --source and --master go with --engine spark")
            return EXIT_USAGE
        opened = reading(args.db)
    with opened as cur:
        try:
            result = registry.compute(cur, args.name, q)
        except (ValueError, KeyError) as e:
            eprint(f"csm: {e.args[0] if e.args else e}")
            return EXIT_USAGE
    if isinstance(result, dict):  # metrics that also return objects (survival --by)
        doc = {k: (frame_records(v) if hasattr(v, "columns") else v) for k, v in result.items()}
        json.dump(doc, sys.stdout, default=jsonable, allow_nan=False)
        sys.stdout.write("\n")
        return EXIT_OK
    if "warning" in result.columns:  # e.g. clv_model at its no-dropout boundary: say it once
        for text in dict.fromkeys(result["warning"].dropna()):
            eprint(f"csm: warning: {text}")
    if args.format == "csv":
        result.to_csv(sys.stdout, index=False, date_format="%Y-%m-%d")
    else:
        json.dump(frame_records(result), sys.stdout, allow_nan=False)
        sys.stdout.write("\n")
    return EXIT_OK


def cmd_metrics(args) -> int:
    """List the metrics (name, unit, direction, label, definition); return 0."""
    from metrics import registry

    rows = registry.list_metrics()
    if args.format == "json":
        json.dump(rows, sys.stdout)
        sys.stdout.write("\n")
    else:
        for r in rows:
            print(f"{r['name']:<16} {r['unit']:<9} {r['direction']:<5} {r['label']}: "
                  f"{r['definition']}")
    return EXIT_OK
