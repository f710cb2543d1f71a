"""The Parquet and Spark commands: `csm export --parquet`, `csm rollup --engine spark`, and the
Spark side of `csm metric --engine spark` and of `csm load --parquet / --rollups`."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from csm.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, eprint, open_store, reading


@contextmanager
def spark_cursor(args) -> Iterator[Any]:
    """Yield a cursor over `args.source` on Spark (`args.master`); exit 2 without a source,
    1 when the source is no export."""
    from metrics.engines import spark

    if not args.source:
        eprint("csm: --engine spark needs --source DIR (a `csm export --parquet` folder)")
        sys.exit(EXIT_USAGE)
    from pyspark.errors import PySparkException

    try:
        src = spark.SparkSource(args.source, args.master or spark.DEFAULT_MASTER)
    except ValueError as e:
        eprint(f"csm: {e}")
        sys.exit(EXIT_REFUSED)
    try:
        yield src.cursor()
    except PySparkException as e:  # Spark's own message, without the JVM's stack
        eprint(f"csm: Spark refused: {str(e).splitlines()[0]}")
        sys.exit(EXIT_REFUSED)


def cmd_export(args) -> int:
    """Write every table as Parquet with its manifest; print a summary; return the exit code."""
    from metrics import parquet

    with reading(args.db) as cur:
        try:
            manifest = parquet.export(cur, args.parquet, lambda m: eprint(f"csm: {m}"),
                                      source=str(args.db or ""))
        except parquet.ParquetRefused as e:
            eprint(f"csm: {e}")
            return EXIT_REFUSED
    doc = {"out": str(args.parquet), "schema_version": manifest["schema_version"],
           "tables": {t: e["rows"] for t, e in manifest["tables"].items()}}
    json.dump(doc, sys.stdout)
    sys.stdout.write("\n")
    return EXIT_OK


def cmd_rollup(args) -> int:
    """Compute the usage rollups on Spark from `--source` into `--out`; return the exit code."""
    from pathlib import Path

    from metrics.engines import spark

    out = Path(args.out)
    if "://" not in args.out and out.exists() and (not out.is_dir() or any(out.iterdir())):
        eprint(f"csm: {args.out} exists and is not an empty folder; name a new one")
        return EXIT_REFUSED
    with spark_cursor(args) as cur:
        try:
            manifest = spark.write_rollups(cur.spark, args.source, args.out,
                                           args.master or spark.DEFAULT_MASTER)
        except ValueError as e:
            eprint(f"csm: {e}")
            return EXIT_REFUSED
    json.dump(manifest, sys.stdout)
    sys.stdout.write("\n")
    return EXIT_OK


def cmd_load_folder(args) -> int:
    """`csm load --parquet DIR` or `--rollups DIR`: print the summary; return the exit code."""
    from metrics import parquet

    if args.table or args.file or (args.parquet and args.rollups):
        eprint("csm: --parquet DIR and --rollups DIR each replace TABLE FILE; give one")
        return EXIT_USAGE
    if args.without and not args.parquet:
        eprint("csm: --without goes with --parquet")
        return EXIT_USAGE
    folder = args.parquet or args.rollups
    if not folder.is_dir():
        eprint(f"csm: {folder} is not a folder")
        return EXIT_USAGE
    store = open_store(args.db)
    try:
        progress = lambda m: eprint(f"csm: {m}")  # noqa: E731
        if args.parquet:
            doc = parquet.load(store.cursor(), folder, progress, without=args.without or ())
        else:
            doc = parquet.load_rollups(store.cursor(), folder, progress)
    except parquet.ParquetRefused as e:
        eprint(f"csm: refused, nothing was changed: {e}")
        return EXIT_REFUSED
    finally:
        store.close()
    json.dump(doc, sys.stdout, default=str)
    sys.stdout.write("\n")
    eprint(doc["message"])
    return EXIT_OK
