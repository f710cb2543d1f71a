"""The argument parser of `csm`: every command and its options (docs/data.md is generated from
it by csm/docs.py). Usage errors exit 2, as DATA.md wants."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from csm.common import EXIT_USAGE


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 on usage errors, as DATA.md wants
        self.print_usage(sys.stderr)
        print(f"csm: error: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def _date(s: str, *, exclusive_end: bool = False) -> date:
    """Return the date an option gives; a usage error (exit 2) for text that is no ISO date or a
    date outside the plausible range (metrics/plausible.py), before it reaches a query.
    `exclusive_end`: the option ends a half-open window, so the day after the range's last
    date is accepted."""
    from metrics import plausible

    try:
        d = date.fromisoformat(s)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {s!r}") from e
    try:
        why = plausible.problem(d, exclusive_end=exclusive_end)
    except ValueError as e:  # a setting that is not a date
        raise argparse.ArgumentTypeError(str(e)) from e
    if why:
        raise argparse.ArgumentTypeError(why)
    return d


def _window_end(s: str) -> date:
    """Return the date a `--to` option gives (exclusive: up to the day after the last
    plausible date); a usage error like `_date` otherwise."""
    return _date(s, exclusive_end=True)


_TYPES = {"int": int, "float": float}


def settings_options() -> list:
    """Return the SettingSpecs of every metric setting (each is a `csm metric` flag)."""
    from metrics import registry

    return list(registry.setting_specs().values())


def _delivery_options(sp, unless_sent: bool = True) -> None:
    """Add the options `csm send` and `csm schedule` share (what to send, where, retries);
    `csm schedule` always skips what was sent, so it has no --unless-sent."""
    sp.add_argument("--to", action="append", metavar="ADDR[,ADDR…]",
                    help="mail the pack to these addresses (repeatable)")
    sp.add_argument("--format", choices=["pdf", "html", "pptx"], default="pdf",
                    help="the pack's format, attached to the mail")
    sp.add_argument("--webhook", action="store_true",
                    help="post the alerts fired on data of the week to [webhook] url")
    sp.add_argument("--secrets", type=Path, default=None, metavar="FILE",
                    help="the secrets file with [smtp] and [webhook] (default: "
                    ".streamlit/secrets.toml of the project)")
    if unless_sent:
        sp.add_argument("--unless-sent", action="store_true",
                        help="skip what the audit trail says was sent for this week already "
                        "(for cron: a rerun sends nothing twice)")
    sp.add_argument("--attempts", type=int, default=3, metavar="N",
                    help="tries per server while its error may pass (refused connection, "
                    "SMTP 4xx, HTTP 429/5xx)")
    sp.add_argument("--retry-wait", type=float, default=2.0, metavar="SECONDS",
                    help="seconds before the second try, doubled before each next one")
    sp.add_argument("--mask", action="store_true",
                    help="presentation-safe: pseudonyms for account names, people and emails")
    sp.add_argument("--filter", action="append", metavar="DIM=VALUE",
                    help="restrict the pack's accounts, e.g. --filter segment=SMB (repeatable)")
    sp.add_argument("--kpis-as-of", choices=("data", "week-end"), default="data",
                    help="the pack's KPIs as the data stands now or on the week's last day")


def _spark_options(sp) -> None:
    """Add --source and --master (the options of commands that run on Spark) to `sp`."""
    sp.add_argument("--source", metavar="DIR",
                    help="with --engine spark: a `csm export --parquet` folder, at any path "
                    "Spark reads (local, hdfs://, s3a://)")
    sp.add_argument("--master", default=None,
                    help="with --engine spark: local[2] (default), spark://HOST:7077, yarn, "
                    "… (under spark-submit, the master it was given)")


def build_parser(metric_settings: bool = True) -> argparse.ArgumentParser:
    """Return the argument parser of `csm` (options after the sub-command). The settings
    flags of `csm metric` come from the metric specs (`metric_settings=False` leaves them out,
    sparing other commands the import of every metric module)."""
    p = _Parser(prog="csm", description="Customer success metrics: dashboard, import, metrics.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def cmd(name, help_):
        sp = sub.add_parser(name, help=help_, description=help_)
        sp.add_argument("--db", type=Path,
                        help="database file (default: $CSM_DB or data/csm.duckdb)")
        return sp

    sp = cmd("serve", "start the dashboard, headless")
    sp.add_argument("--port", type=int, default=8501, help="port to serve on")
    sp.add_argument("--address", default="127.0.0.1",
                    help="address to listen on (127.0.0.1: this machine only); "
                    "another address needs sign-in ([auth] in the secrets file) or "
                    "--allow-no-auth")
    sp.add_argument("--secrets", type=Path, default=None,
                    help="the Streamlit secrets file, whose [auth] section configures sign-in "
                    "(default: .streamlit/secrets.toml of the project)")
    sp.add_argument("--allow-no-auth", action="store_true",
                    help="serve on a non-loopback address without sign-in: everyone who can "
                    "reach it is admin")

    sp = cmd("demo", "(re)create the demo data set")
    sp.add_argument("--size", choices=["small", "medium", "large"], default="small",
                    help="small ≈ 500 accounts, large ≈ 50,000 accounts and 10M usage events")
    sp.add_argument("--end", type=_date, default=None,
                    help="last day of the data (default: yesterday)")
    sp.add_argument("--seed", type=int, default=42, help="the same seed and end give the same data")

    sp = cmd("load", "import a CSV into a canonical table, or a Parquet export or rollups")
    sp.add_argument("table", nargs="?", help="the canonical table to load into (see Tables)")
    sp.add_argument("file", type=Path, nargs="?",
                    help="the file: CSV, Excel (.xlsx), Parquet or JSON lines (.jsonl)")
    sp.add_argument("--parquet", type=Path, metavar="DIR",
                    help="instead of TABLE FILE: replace every table a `csm export --parquet` "
                    "folder holds, all or nothing, after checking its manifest")
    sp.add_argument("--without", action="append", metavar="TABLE",
                    help="with --parquet: leave this table as it is (repeatable), e.g. "
                    "usage_events when the pages read rollups computed on Spark")
    sp.add_argument("--rollups", type=Path, metavar="DIR",
                    help="instead of TABLE FILE: replace the usage rollups with those "
                    "`csm rollup` computed (the dashboard reads them)")
    sp.add_argument("--sheet", help="the sheet of an .xlsx file (default: the first)")
    sp.add_argument("--map", action="append", metavar="TARGET=SOURCE",
                    help="read canonical column TARGET from header SOURCE (repeatable)")
    sp.add_argument("--mode", choices=["replace", "append"],
                    help="replace the table, or append to it (default: the table's own)")
    sp.add_argument("--date-format", help="strptime codes, e.g. %%m/%%d/%%Y")
    sp.add_argument("--csat-scale", type=int, choices=[5, 10],
                    help="the scale of CSAT answers without their own scale")
    sp.add_argument("--delimiter", choices=[",", ";", "tab", "|"],
                    help="the field delimiter (default: detected)")
    sp.add_argument("--allow-rejects", action="store_true", help="load the valid rows")
    sp.add_argument("--allow-same-file", action="store_true",
                    help="append a file already loaded into the table")
    sp.add_argument("--confirm-replace", action="store_true",
                    help="go ahead with a replace that removes stored accounts (and leaves "
                         "rows that point at them without one)")
    sp.add_argument("--preset", metavar="NAME",
                    help="read a vendor's export with its preset (csm presets lists them; "
                         "auto: the one the header matches)")
    sp.add_argument("--preset-option", action="append", metavar="K=V",
                    help="an option of the preset, e.g. cancellations=drop (repeatable)")

    sp = cmd("watch", "load the files dropped in a folder (the folder inbox), moving each to "
             "DIR/done/ or DIR/rejected/ with its report")
    sp.add_argument("dir", type=Path, help="the inbox folder (README, Folder inbox)")
    sp.add_argument("--once", action="store_true",
                    help="load what is there and exit (for cron): exit 1 if a file was rejected")
    sp.add_argument("--interval", type=float, default=5.0,
                    help="seconds between polls; a file loads once it is unchanged for one")

    sp = cmd("presets", "list the presets: vendors' exports the import recognises")
    sp.add_argument("--format", choices=["json", "text"], default="text", help="output format")

    sp = cmd("undo", "undo a load: its table back to the exact state before it")
    sp.add_argument("load_id", type=int, help="the load (its load_id; csm audit lists them)")

    sp = cmd("audit", "print the audit trail: who loaded, undid or changed what, when")
    sp.add_argument("--limit", type=int, default=200, help="the newest N events")
    # metrics.audit.ACTIONS (not imported: it brings pandas into every command's start)
    sp.add_argument("--action", choices=["load", "undo", "targets", "alert_rule", "health_model",
                                         "send", "send_failed", "task", "note", "risk_play",
                                         "followup"],
                    help="only events of this kind")
    sp.add_argument("--format", choices=["json", "csv"], default="json", help="output format")

    sp = cmd("metric", "print a metric")
    sp.add_argument("name", help="the metric (csm metrics lists them)")
    sp.add_argument("--by", help="a dimension or custom attribute: one row per group")
    sp.add_argument("--grain", choices=["day", "week", "month", "quarter", "year", "all"],
                    default="month", help="the length of the periods")
    sp.add_argument("--from", dest="start", type=_date, help="first day of the window")
    sp.add_argument("--to", dest="end", type=_window_end, help="day after the window (exclusive)")
    sp.add_argument("--as-of", type=_date, help="the day the data is read as of")
    sp.add_argument("--format", choices=["json", "csv"], default="json", help="output format")
    sp.add_argument("--filter", action="append", metavar="DIM=VALUE",
                    help="restrict accounts, e.g. --filter segment=SMB (repeatable)")
    for st in settings_options() if metric_settings else []:
        sp.add_argument(st.flag, type=_TYPES.get(st.type, str), help=st.help,
                        choices=list(st.choices) if st.choices else None)

    sp.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb",
                    help="duckdb: the database file; spark: Apache Spark on --source")
    _spark_options(sp)

    sp = cmd("export", "write every table as Parquet with a manifest (for Spark or a copy)")
    sp.add_argument("--parquet", type=Path, metavar="DIR", required=True,
                    help="a new folder: one folder per table, usage_events by month, "
                    "manifest.json (schema version, rows, sha256 per file)")

    sp = cmd("rollup", "compute the usage rollups the pages read, as Parquet (csm load "
             "--rollups reads them)")
    sp.add_argument("--engine", choices=["spark"], default="spark", help="the engine")
    _spark_options(sp)
    sp.add_argument("--out", required=True, metavar="DIR",
                    help="a new folder (any path Spark writes) for the rollup tables")

    sp = cmd("metrics", "list the metrics")
    sp.add_argument("--format", choices=["json", "text"], default="text", help="output format")

    sp = cmd("report", "write the weekly review meeting pack (HTML, PDF or PowerPoint)")
    sp.add_argument("--week", help="ISO week YYYY-Www (default: the last complete week)")
    sp.add_argument("--out", type=Path, required=True, help="FILE.html, FILE.pdf or FILE.pptx")
    sp.add_argument("--mask", action="store_true",
                    help="presentation-safe: pseudonyms for account names, people and emails")
    sp.add_argument("--filter", action="append", metavar="DIM=VALUE",
                    help="restrict accounts, e.g. --filter segment=SMB (repeatable)")
    sp.add_argument("--kpis-as-of", choices=("data", "week-end"), default="data",
                    help="read the KPIs as the data stands now (default: the numbers of the "
                         "Overview and csm metric) or as they stood on the week's last day")

    sp = cmd("send", "mail the weekly meeting pack (SMTP, [smtp] in the secrets file) and/or "
             "post the week's alerts to a chat webhook ([webhook]); recorded in the audit trail")
    sp.add_argument("--week", help="ISO week YYYY-Www, or last: the last complete week by the "
                    "calendar (what cron sends on Monday); default: the data's last complete "
                    "week, as csm report")
    _delivery_options(sp)

    sp = cmd("schedule", "send the pack every Monday: print the crontab line (--print), check "
             "one (--check), or run a small scheduler (--run)")
    what = sp.add_mutually_exclusive_group(required=True)
    what.add_argument("--print", action="store_true",
                      help="print the crontab line of csm send for --to/--webhook")
    what.add_argument("--check", metavar="LINE",
                      help="check a crontab line: its times, next runs and its csm send")
    what.add_argument("--run", action="store_true",
                      help="run until stopped, sending each week's pack once at the due time "
                      "(the audit trail says what was sent)")
    sp.add_argument("--day", choices=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                    default="mon", help="the day the pack goes out")
    sp.add_argument("--at", default="07:00", metavar="HH:MM",
                    help="the time it goes out (local time)")
    sp.add_argument("--once", action="store_true",
                    help="with --run: one round (send the last due week unless sent) and exit")
    _delivery_options(sp, unless_sent=False)

    sp = cmd("bench", "run the performance benchmark (tools/bench; speed goals in the README)")
    sp.add_argument("--sizes", default=None,
                    help="demo sizes to measure (default small,medium,large; none with "
                         "--concurrency alone)")
    sp.add_argument("--out", type=Path)
    sp.add_argument("--no-browser", action="store_true", help="skip the browser measurements")
    sp.add_argument("--concurrency", default=None, metavar="N[,M]",
                    help="also open N (then M) browser sessions at once on --concurrency-size: "
                         "page open and filter change p95, errors (reported, not asserted)")
    sp.add_argument("--concurrency-size", default="medium",
                    choices=["small", "medium", "large"])
    sp.add_argument("--concurrency-clients", default="protocol",
                    choices=["protocol", "browsers"],
                    help="protocol (default): one session in Chromium, the others over the "
                         "WebSocket protocol without a browser (people have their own "
                         "machines); browsers: a Chromium per session on this machine")
    sp.add_argument("--pages", default=None,
                    help="only these pages, e.g. health,accounts (default: every page)")
    return p

