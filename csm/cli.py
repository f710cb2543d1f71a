"""The `csm` command line (DATA.md): serve, demo, load, watch, undo, audit, presets, metric,
metrics, report, send, schedule, bench, export, rollup.

stdout carries exactly one JSON document (or CSV) and nothing else; progress, warnings and
notes go to stderr. Exit codes: 0 success, 1 input refused or rejected, 2 usage error.

The parts: csm/parser.py (the commands and their options), csm/common.py (exit codes, opening
the database, JSON output), csm/commands/ (one module per kind of command). This module is the
entry point (`csm = csm.cli:main`) and keeps the names other code imports from it.
"""

from __future__ import annotations

import sys

from csm.commands import bench
from csm.commands.bench import bench_module as _bench_module
from csm.commands.demo import cmd_demo, seed_demo_if_absent
from csm.commands.load import cmd_audit, cmd_load, cmd_presets, cmd_undo, cmd_watch
from csm.commands.metric import cmd_metric, cmd_metrics
from csm.commands.report import cmd_report
from csm.commands.schedule import cmd_schedule
from csm.commands.send import cmd_send
from csm.commands.serve import AUTH_KEYS, auth_section, cmd_serve, is_loopback, serve_refusal
from csm.commands.spark import cmd_export, cmd_rollup
from csm.common import (
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    UsageError,
    eprint,
    frame_records,
    jsonable,
)
from csm.parser import build_parser, settings_options

__all__ = ["AUTH_KEYS", "EXIT_OK", "EXIT_REFUSED", "EXIT_USAGE", "UsageError", "auth_section",
           "build_parser", "cmd_audit", "cmd_bench", "cmd_demo", "cmd_export", "cmd_load",
           "cmd_metric", "cmd_metrics", "cmd_presets", "cmd_report", "cmd_rollup", "cmd_schedule",
           "cmd_send", "cmd_serve", "cmd_undo", "cmd_watch", "frame_records", "is_loopback",
           "jsonable", "main", "seed_demo_if_absent", "serve_refusal", "settings_options"]


def cmd_bench(args) -> int:
    """Run the benchmark (csm/commands/bench.py) and return the exit code. The checkout's
    tools/bench is located through this module's `_bench_module`, read at the call, so an
    installed copy without tools/ can be stood in for by replacing that one name."""
    return bench.cmd_bench(args, _bench_module)


def main(argv: list[str] | None = None) -> int:
    """Run `csm` with `argv` and return the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(metric_settings=argv[:1] == ["metric"]).parse_args(argv)
    handler = {"serve": cmd_serve, "demo": cmd_demo, "load": cmd_load, "metric": cmd_metric,
               "metrics": cmd_metrics, "presets": cmd_presets, "bench": cmd_bench,
               "report": cmd_report, "undo": cmd_undo, "audit": cmd_audit,
               "watch": cmd_watch, "send": cmd_send, "schedule": cmd_schedule,
               "export": cmd_export, "rollup": cmd_rollup}[args.command]
    from metrics.store import StoreError, damaged, default_db_path

    try:
        return handler(args)
    except BrokenPipeError:
        return EXIT_OK
    except StoreError as e:  # damaged, read-only, busy: a message, never a traceback
        eprint(f"csm: {e}")
        return EXIT_REFUSED
    except Exception as e:
        if (why := damaged(e, getattr(args, "db", None) or default_db_path())) is None:
            raise
        eprint(f"csm: {why}")
        return EXIT_REFUSED


if __name__ == "__main__":
    sys.exit(main())
