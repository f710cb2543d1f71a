"""`csm report`: the weekly review meeting pack (HTML, PDF or PowerPoint), drawn by render/."""

from __future__ import annotations

import json
import sys

from csm.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, UsageError, eprint, filters, reading


def cmd_report(args) -> int:
    """Write the weekly review meeting pack; return the exit code."""
    from metrics import review
    from metrics.query import Query
    from render import report

    try:
        report.format_of(args.out)
        if args.week:
            review.parse_week(args.week)
    except ValueError as e:
        eprint(f"csm: {e}")
        return EXIT_USAGE
    try:
        dims, attributes = filters(args.filter)
    except UsageError as e:
        eprint(f"csm: {e}")
        return EXIT_USAGE
    q = Query(**dims, attributes=attributes)
    with reading(args.db) as cur:
        try:
            done = report.write(cur, q, args.week, args.out, masked=args.mask,
                                kpis_as_of=args.kpis_as_of.replace("-", "_"))
        except LookupError as e:
            eprint(f"csm: {e}")
            return EXIT_REFUSED
    for n in done["notes"]:
        eprint(f"csm report: {n}")
    json.dump({"out": str(args.out), "week": done["week"], "format": report.format_of(args.out),
               "masked": bool(args.mask), "notes": done["notes"]}, sys.stdout)
    sys.stdout.write("\n")
    return EXIT_OK
