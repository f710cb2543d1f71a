"""The `csm` command line (DATA.md): serve, demo, load, presets, metric, metrics, bench.

stdout carries exactly one JSON document (or CSV) and nothing else; progress, warnings and
notes go to stderr. Exit codes: 0 success, 1 input refused or rejected, 2 usage error.
"""

from __future__ import annotations

import argparse
import atexit
import json
import math
import os
import sys
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2

class UsageError(Exception):
    """A usage error: exit code 2 with the message on stderr."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 on usage errors, as DATA.md wants
        self.print_usage(sys.stderr)
        print(f"csm: error: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def _date(s: str) -> date:
    try:
        return date.fromisoformat(s)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {s!r}") from e


def _mapping(pairs: list[str] | None) -> dict[str, str]:
    return _pairs(pairs, "--map", "target=source")


def _pairs(pairs: list[str] | None, flag: str, form: str) -> dict[str, str]:
    """Return {left: right} of repeated `flag` values written `form` (a=b); raise UsageError
    naming the value that is not."""
    out = {}
    for p in pairs or []:
        if "=" not in p:
            raise UsageError(f"{flag} expects {form}, got {p!r}")
        t, s = p.split("=", 1)
        out[t.strip()] = s.strip()
    return out


_TYPES = {"int": int, "float": float}


def settings_options() -> list:
    """Return the SettingSpecs of every metric setting (each is a `csm metric` flag)."""
    from metrics import registry

    return list(registry.setting_specs().values())


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

    sp = cmd("load", "import a CSV into a canonical table")
    sp.add_argument("table", help="the canonical table to load into (see Tables)")
    sp.add_argument("file", type=Path,
                    help="the file: CSV, Excel (.xlsx), Parquet or JSON lines (.jsonl)")
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

    sp = cmd("presets", "list the presets: vendors' exports the import recognises")
    sp.add_argument("--format", choices=["json", "text"], default="text", help="output format")

    sp = cmd("undo", "undo a load: its table back to the exact state before it")
    sp.add_argument("load_id", type=int, help="the load (its load_id; csm audit lists them)")

    sp = cmd("audit", "print the audit trail: who loaded, undid or changed what, when")
    sp.add_argument("--limit", type=int, default=200, help="the newest N events")
    sp.add_argument("--action", choices=["load", "undo", "targets", "alert_rule",
                                         "health_model"], help="only events of this kind")
    sp.add_argument("--format", choices=["json", "csv"], default="json", help="output format")

    sp = cmd("metric", "print a metric")
    sp.add_argument("name", help="the metric (csm metrics lists them)")
    sp.add_argument("--by", help="a dimension or custom attribute: one row per group")
    sp.add_argument("--grain", choices=["day", "week", "month", "quarter", "year", "all"],
                    default="month", help="the length of the periods")
    sp.add_argument("--from", dest="start", type=_date, help="first day of the window")
    sp.add_argument("--to", dest="end", type=_date, help="day after the window (exclusive)")
    sp.add_argument("--as-of", type=_date, help="the day the data is read as of")
    sp.add_argument("--format", choices=["json", "csv"], default="json", help="output format")
    sp.add_argument("--filter", action="append", metavar="DIM=VALUE",
                    help="restrict accounts, e.g. --filter segment=SMB (repeatable)")
    for st in settings_options() if metric_settings else []:
        sp.add_argument(st.flag, type=_TYPES.get(st.type, str), help=st.help,
                        choices=list(st.choices) if st.choices else None)

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

    sp = cmd("bench", "run the performance benchmark (tools/bench; speed goals in the README)")
    sp.add_argument("--sizes", default="small,medium,large")
    sp.add_argument("--out", type=Path)
    sp.add_argument("--no-browser", action="store_true", help="skip the browser measurements")
    return p


def _eprint(*a) -> None:
    print(*a, file=sys.stderr, flush=True)


def _open_store(db: Path | None, allow: tuple = ()):
    """Return the database opened read-write (this command alone; a running dashboard's reads
    finish first and it waits meanwhile), or exit 1 with the reason."""
    from metrics.store import Store, StoreError

    try:
        store = Store(db, allow_paths=allow, on_wait=lambda m: _eprint(f"csm: {m}…"))
    except StoreError as e:
        _eprint(f"csm: {e}")
        sys.exit(EXIT_REFUSED)
    # Closed at exit at the latest, so the lock files say nobody writes any more.
    atexit.register(store.close)
    return store


@contextmanager
def _reading(db: Path | None):
    """Yield a cursor of the database opened read-only beside other readers (a running
    dashboard), created first when it does not exist; exit 1 with the reason if unusable."""
    from metrics.shared import SharedStore
    from metrics.store import StoreError

    try:
        shared = SharedStore(db, linger=0, on_wait=lambda m: _eprint(f"csm: {m}…"))
        with shared.read() as store:
            cur = store.cursor()
            try:
                yield cur
            finally:
                cur.close()
    except StoreError as e:
        _eprint(f"csm: {e}")
        sys.exit(EXIT_REFUSED)


def jsonable(v):
    """Return a JSON-ready value: NaN/NA -> None, dates -> ISO, numpy -> Python."""
    if v is None or type(v).__name__ == "NaTType":  # NaT is a datetime: test it first
        return None
    if isinstance(v, dict):  # a cell holding a mapping (the health path): its values too
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, (datetime, date)):
        return v.isoformat() if not isinstance(v, datetime) else (
            v.date().isoformat() if v.time() == datetime.min.time() else v.isoformat())
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        try:
            v = v.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    try:
        import pandas as pd

        if v is pd.NaT or (not isinstance(v, (list, dict, str)) and pd.isna(v)):
            return None
        if isinstance(v, pd.Timestamp):
            return jsonable(v.to_pydatetime())
    except (TypeError, ValueError):
        pass
    if hasattr(v, "__float__") and type(v).__name__ == "Decimal":
        return float(v)
    return v


def frame_records(df) -> list[dict]:
    """Return a DataFrame as a list of JSON-ready row objects."""
    cols = list(df.columns)
    return [{c: jsonable(v) for c, v in zip(cols, row, strict=True)}
            for row in df.itertuples(index=False, name=None)]


def cmd_metric(args) -> int:
    """Print a metric as JSON or CSV; return the exit code."""
    from metrics import registry
    from metrics.query import Query

    if args.name not in registry.REGISTRY:
        _eprint(f"csm: unknown metric {args.name!r}; `csm metrics` lists them: "
                f"{', '.join(sorted(registry.REGISTRY))}")
        return EXIT_USAGE
    settings = {}
    for st in settings_options():
        v = getattr(args, st.name)
        if v is not None:
            settings[st.name] = v
    filters: dict[str, list[str]] = {}
    for f in args.filter or []:
        if "=" not in f:
            _eprint(f"csm: --filter expects DIM=VALUE, got {f!r}")
            return EXIT_USAGE
        k, v = f.split("=", 1)
        filters.setdefault(k.strip(), []).append(v)
    canonical = {"segment", "region", "csm_owner", "plan"}
    q = Query(
        start=args.start, end=args.end, as_of=args.as_of, grain=args.grain, by=args.by,
        settings=tuple(sorted(settings.items())),
        **{k: tuple(v) for k, v in filters.items() if k in canonical},
        attributes=tuple((k, tuple(v)) for k, v in filters.items() if k not in canonical),
    )
    with _reading(args.db) as cur:
        try:
            result = registry.compute(cur, args.name, q)
        except (ValueError, KeyError) as e:
            _eprint(f"csm: {e.args[0] if e.args else e}")
            return EXIT_USAGE
    if isinstance(result, dict):  # metrics that also return objects (survival --by)
        doc = {k: (frame_records(v) if hasattr(v, "columns") else v) for k, v in result.items()}
        json.dump(doc, sys.stdout, default=jsonable, allow_nan=False)
        sys.stdout.write("\n")
        return EXIT_OK
    if "warning" in result.columns:  # e.g. clv_model at its no-dropout boundary: say it once
        for text in dict.fromkeys(result["warning"].dropna()):
            _eprint(f"csm: warning: {text}")
    if args.format == "csv":
        result.to_csv(sys.stdout, index=False, date_format="%Y-%m-%d")
    else:
        json.dump(frame_records(result), sys.stdout, allow_nan=False)
        sys.stdout.write("\n")
    return EXIT_OK


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
        _eprint(f"csm: {e}")
        return EXIT_USAGE
    filters: dict[str, list[str]] = {}
    for f in args.filter or []:
        if "=" not in f:
            _eprint(f"csm: --filter expects DIM=VALUE, got {f!r}")
            return EXIT_USAGE
        k, v = f.split("=", 1)
        filters.setdefault(k.strip(), []).append(v)
    canonical = {"segment", "region", "csm_owner", "plan"}
    dims: dict[str, Any] = {k: tuple(v) for k, v in filters.items() if k in canonical}
    q = Query(**dims,
              attributes=tuple((k, tuple(v)) for k, v in filters.items() if k not in canonical))
    with _reading(args.db) as cur:
        try:
            done = report.write(cur, q, args.week, args.out, masked=args.mask,
                                kpis_as_of=args.kpis_as_of.replace("-", "_"))
        except LookupError as e:
            _eprint(f"csm: {e}")
            return EXIT_REFUSED
    for n in done["notes"]:
        _eprint(f"csm report: {n}")
    json.dump({"out": str(args.out), "week": done["week"], "format": report.format_of(args.out),
               "masked": bool(args.mask), "notes": done["notes"]}, sys.stdout)
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


def cmd_load(args) -> int:
    """Load a CSV into a table and print its summary as JSON; return the exit code."""
    from metrics import alerts
    from metrics.ingest import load_file
    from metrics.schema import TABLES

    if args.table not in TABLES:
        _eprint(f"csm: unknown table {args.table!r}; choose one of {', '.join(TABLES)}")
        return EXIT_USAGE
    try:
        mapping = _mapping(args.map)
    except UsageError as e:
        _eprint(f"csm: {e}")
        return EXIT_USAGE
    options = None
    if args.preset is not None:
        from metrics.ingest import presets

        p = presets.PRESETS.get(args.preset)
        if args.preset != "auto" and p is None:
            _eprint(f"csm: unknown preset {args.preset!r}; choose one of "
                    f"{', '.join(presets.PRESETS)} or auto")
            return EXIT_USAGE
        if p is not None and p.table != args.table:
            _eprint(f"csm: the preset {p.name} loads the {p.table} table, not {args.table}: "
                    f"csm load {p.table} FILE --preset {p.name}")
            return EXIT_USAGE
        try:
            options = _pairs(args.preset_option, "--preset-option", "K=V")
        except UsageError as e:
            _eprint(f"csm: {e}")
            return EXIT_USAGE
    elif args.preset_option:
        _eprint("csm: --preset-option needs --preset")
        return EXIT_USAGE
    path = args.file
    store = _open_store(args.db, allow=(path,) if path.exists() else ())
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
            delimiter=delim, progress=lambda f, m: _eprint(f"[{f:4.0%}] {m}"),
            after_load=alerts.after_load, row_check=row_check,
            confirm_replace=args.confirm_replace, sheet=args.sheet,
            preset=args.preset, preset_options=options,
        )
    finally:
        store.close()  # let a waiting dashboard or command in at once
    d = res.to_dict()
    json.dump(d, sys.stdout, default=jsonable, ensure_ascii=False)
    sys.stdout.write("\n")
    for note in res.preset_notes:  # what the preset did (also in the JSON summary)
        _eprint(f"preset {res.preset}: {note}")
    _eprint(res.message)
    return EXIT_OK if res.ok else EXIT_REFUSED


def cmd_undo(args) -> int:
    """Undo one load and print what was put back as JSON; return the exit code."""
    from metrics.ingest.record import _whoami
    from metrics.ingest.undo import UndoRefused, undo

    store = _open_store(args.db)
    try:
        done = undo(store.cursor(), args.load_id, _whoami())
    except UndoRefused as e:
        _eprint(f"csm: {e}")
        return EXIT_REFUSED
    finally:
        store.close()
    json.dump(done, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    _eprint(done["message"])
    return EXIT_OK


def cmd_audit(args) -> int:
    """Print the newest audit events (JSON or CSV); return 0."""
    from metrics import audit

    with _reading(args.db) as cur:
        df = audit.events(cur, limit=args.limit, action=args.action)
    if args.format == "csv":
        df.to_csv(sys.stdout, index=False)
    else:
        json.dump(frame_records(df), sys.stdout, default=jsonable, allow_nan=False)
        sys.stdout.write("\n")
    return EXIT_OK


def cmd_demo(args) -> int:
    """(Re)create the demo data set and print its row counts; return 0."""
    from metrics import demo

    store = _open_store(args.db)
    try:
        counts = demo.generate(store, size=args.size, end=args.end, seed=args.seed,
                               progress=lambda f, m: _eprint(f"[{f:4.0%}] {m}"))
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
    _eprint(f"{db} does not exist: creating it with the small demo data set…")
    store = _open_store(db)
    try:
        demo.generate(store, size="small")
    finally:
        store.close()


AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret",
             "server_metadata_url")


def is_loopback(address: str) -> bool:
    """Return whether `address` is only reachable from this machine (127.0.0.0/8, ::1 or
    "localhost"); any other name or address counts as reachable from elsewhere."""
    import ipaddress

    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def auth_section(secrets: Path) -> dict | None:
    """Return the [auth] section of the secrets file (None when the file or the section is
    absent); raise UsageError when the file is not TOML or the section lacks a key
    st.login needs."""
    import tomllib

    if not secrets.is_file():
        return None
    try:
        doc = tomllib.loads(secrets.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise UsageError(f"{secrets} is not valid TOML: {e}") from e
    auth = doc.get("auth")
    if auth is None:
        return None
    missing = [k for k in AUTH_KEYS if not (isinstance(auth, dict) and auth.get(k))]
    if missing:
        raise UsageError(f"the [auth] section of {secrets} lacks {', '.join(missing)} "
                         "(see .streamlit/secrets.example.toml)")
    return auth


def serve_refusal(address: str, auth: dict | None, allow_no_auth: bool) -> str | None:
    """Return why `csm serve` must not start (None when it may): a non-loopback address
    without sign-in, unless `allow_no_auth`."""
    if auth is not None or allow_no_auth or is_loopback(address):
        return None
    return (f"refusing to serve on {address} without sign-in: everyone who can reach it would "
            "be admin. Configure [auth] in .streamlit/secrets.toml (see "
            ".streamlit/secrets.example.toml and the README, \"Signing in and roles\"), serve "
            "on 127.0.0.1, or pass --allow-no-auth.")


def cmd_serve(args) -> int:
    """Serve the dashboard (replaces this process with Streamlit); refuse a non-loopback
    address without sign-in (exit 1)."""
    from metrics.store import default_db_path

    root = Path(__file__).resolve().parent.parent
    secrets = (args.secrets or root / ".streamlit" / "secrets.toml").resolve()
    try:
        auth = auth_section(secrets)
    except UsageError as e:
        _eprint(f"csm serve: {e}")
        return EXIT_REFUSED
    if why := serve_refusal(args.address, auth, args.allow_no_auth):
        _eprint(f"csm serve: {why}")
        return EXIT_REFUSED
    if auth is None and not is_loopback(args.address):
        _eprint(f"csm serve: WARNING: serving on {args.address} without sign-in "
                "(--allow-no-auth): everyone who can reach it is admin.")
    db = args.db or default_db_path()
    if args.db is None:
        seed_demo_if_absent(db)
    else:
        _open_store(db).close()  # creates an empty database, or fails clearly if unusable
    app = root / "dashboard" / "app.py"
    env = dict(os.environ, CSM_DB=str(Path(db).resolve()))
    # The app tells local mode from sign-in by the same file csm checked above: only it is
    # read (not ~/.streamlit/secrets.toml), so the check and the app cannot disagree.
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(args.port),
           "--server.headless", "true", "--server.address", args.address,
           "--secrets.files", str(secrets)]
    # Run from the project folder so .streamlit/config.toml applies.
    os.chdir(root)
    os.execve(sys.executable, cmd, env)
    return EXIT_OK  # pragma: no cover


def _bench_module():
    """Return the benchmark package (tools/bench of the project's checkout), or None when this
    is an installed copy without it: the benchmark is a tool, not part of the package."""
    import importlib

    root = Path(__file__).resolve().parent.parent
    if not (root / "tools" / "bench" / "__init__.py").is_file():
        return None
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return importlib.import_module("tools.bench")


def cmd_bench(args) -> int:
    """Run the benchmark from a checkout's tools/bench and print its JSON; return the exit code."""
    bench = _bench_module()
    if bench is None:
        _eprint("csm bench runs from a checkout of the project (tools/bench)")
        return EXIT_USAGE
    doc = bench.run(sizes=[s.strip() for s in args.sizes.split(",") if s.strip()],
                    db=args.db, browser=not args.no_browser)
    text = json.dumps(doc, default=jsonable, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Run `csm` with `argv` and return the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(metric_settings=argv[:1] == ["metric"]).parse_args(argv)
    handler = {"serve": cmd_serve, "demo": cmd_demo, "load": cmd_load, "metric": cmd_metric,
               "metrics": cmd_metrics, "presets": cmd_presets, "bench": cmd_bench,
               "report": cmd_report, "undo": cmd_undo, "audit": cmd_audit}[args.command]
    try:
        return handler(args)
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
