"""The import commands: `csm load` (a file into a table), `csm watch` (a folder inbox), `csm undo`
(a load), `csm audit` (who loaded, undid or changed what) and `csm presets` (the vendors' exports
the import reads)."""

from __future__ import annotations

import json
import sys

from csm.common import (
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    UsageError,
    eprint,
    frame_records,
    jsonable,
    open_store,
    pairs,
    reading,
)


def cmd_load(args) -> int:
    """Load a CSV into a table and print its summary as JSON; return the exit code."""
    from metrics import alerts
    from metrics.ingest import load_file
    from metrics.schema import TABLES

    if args.parquet or args.rollups:
        from csm.commands.spark import cmd_load_folder

        return cmd_load_folder(args)
    if args.table is None or args.file is None:
        eprint("csm: give TABLE FILE, --parquet DIR or --rollups DIR")
        return EXIT_USAGE
    if args.table not in TABLES:
        eprint(f"csm: unknown table {args.table!r}; choose one of {', '.join(TABLES)}")
        return EXIT_USAGE
    try:
        mapping = pairs(args.map, "--map", "target=source")
    except UsageError as e:
        eprint(f"csm: {e}")
        return EXIT_USAGE
    options = None
    if args.preset is not None:
        from metrics.ingest import presets

        p = presets.PRESETS.get(args.preset)
        if args.preset != "auto" and p is None:
            eprint(f"csm: unknown preset {args.preset!r}; choose one of "
                   f"{', '.join(presets.PRESETS)} or auto")
            return EXIT_USAGE
        if p is not None and p.table != args.table:
            eprint(f"csm: the preset {p.name} loads the {p.table} table, not {args.table}: "
                   f"csm load {p.table} FILE --preset {p.name}")
            return EXIT_USAGE
        try:
            options = pairs(args.preset_option, "--preset-option", "K=V")
        except UsageError as e:
            eprint(f"csm: {e}")
            return EXIT_USAGE
    elif args.preset_option:
        eprint("csm: --preset-option needs --preset")
        return EXIT_USAGE
    path = args.file
    store = open_store(args.db, allow=(path,) if path.exists() else ())
    delim = "\t" if args.delimiter == "tab" else args.delimiter
    row_check = None
    if args.table == "targets":  # a target is checked by its column's unit (metrics.goals)
        from metrics import goals

        row_check = goals.check_rows
    try:
        res = load_file(
            store, args.table, path, mapping=mapping, mode=args.mode,
            date_format=args.date_format, csat_scale=args.csat_scale,
            allow_rejects=args.allow_rejects, allow_same_file=args.allow_same_file,
            delimiter=delim, progress=lambda f, m: eprint(f"[{f:4.0%}] {m}"),
            after_load=alerts.after_load, row_check=row_check,
            confirm_replace=args.confirm_replace, sheet=args.sheet,
            preset=args.preset, preset_options=options,
        )
    finally:
        store.close()  # let a waiting dashboard or command in at once
    d = res.to_dict()
    json.dump(d, sys.stdout, default=jsonable, ensure_ascii=False)
    sys.stdout.write("\n")
    for note in res.notes:  # what reading the file did (also in the JSON summary)
        eprint(f"note: {note}")
    for note in res.preset_notes:  # what the preset did (also in the JSON summary)
        eprint(f"preset {res.preset}: {note}")
    eprint(res.message)
    return EXIT_OK if res.ok else EXIT_REFUSED


def cmd_undo(args) -> int:
    """Undo one load and print what was put back as JSON; return the exit code."""
    from metrics.ingest.record import _whoami
    from metrics.ingest.undo import UndoRefused, undo

    store = open_store(args.db)
    try:
        done = undo(store.cursor(), args.load_id, _whoami())
    except UndoRefused as e:
        eprint(f"csm: {e}")
        return EXIT_REFUSED
    finally:
        store.close()
    json.dump(done, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    eprint(done["message"])
    return EXIT_OK


def cmd_audit(args) -> int:
    """Print the newest audit events (JSON or CSV); return 0."""
    from metrics import audit

    with reading(args.db) as cur:
        df = audit.events(cur, limit=args.limit, action=args.action)
    if args.format == "csv":
        df.to_csv(sys.stdout, index=False)
    else:
        json.dump(frame_records(df), sys.stdout, default=jsonable, allow_nan=False)
        sys.stdout.write("\n")
    return EXIT_OK


def cmd_presets(args) -> int:
    """List the presets (name, table, signatures, source, options, notes); return 0."""
    from metrics.ingest import presets

    rows = [{"name": p.name, "label": p.label, "table": p.table,
             "signatures": [sorted(sig) for sig in p.signatures], "columns": p.columns,
             "options": {k: list(v) for k, v in p.options.items()}, "notes": list(p.notes),
             "source": p.source} for p in presets.PRESETS.values()]
    if args.format == "json":
        json.dump(rows, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return EXIT_OK
    for r in rows:
        sigs = " | ".join(", ".join(sig) for sig in r["signatures"])
        print(f"{r['name']:<22} {r['table']:<14} {sigs}")
        print(f"{'':<22} source: {r['source']}")
    return EXIT_OK


def cmd_watch(args) -> int:
    """Run the folder inbox (csm/watch.py) and print its summary as JSON; return the exit code."""
    from csm import watch
    from metrics.store import StoreError

    if not args.dir.is_dir() or args.interval <= 0:
        eprint(f"csm: {args.dir} is not a folder" if not args.dir.is_dir()
               else "csm: --interval must be above 0")
        return EXIT_USAGE
    try:
        code, doc = watch.watch(args.dir, args.db, args.once, args.interval,
                                lambda m: eprint(f"csm watch: {m}"))
    except StoreError as e:
        eprint(f"csm: {e}")
        return EXIT_REFUSED
    json.dump(doc, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return code
