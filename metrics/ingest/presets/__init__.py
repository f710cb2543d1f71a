"""Presets: vendors' exports recognised by their header and loaded with no manual mapping.

A preset knows one export (Zendesk tickets, Stripe subscriptions, ...): the header signature
that identifies it (a set of columns, matched case-insensitively, extra columns tolerated), the
canonical table it loads, and a row transform that writes a CSV copy under the canonical column
names. The copy then goes through the same import as any CSV (mapping, validation, reject report,
one transaction, the load record), like the CSV copy formats.py writes for a workbook.

What the transform cannot turn into a canonical value is never dropped: it becomes a problem of
its row (column, value, reason), reported and rejected like the schema's own problems, at the
line of the original file where the record starts.

The package: `base` (the row, the context, the Preset and the value readers), one module per
kind of tool (`support`, `billing`, `stripe_exports`, `crm`, `surveys`, `forms`, `events`)
holding its vendors' transforms and Presets, and here the registry, detection and the copy the
import reads.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from metrics.ingest import formats, read, text
from metrics.ingest.errors import LoadRefused
from metrics.ingest.presets.base import Context, Out, Preset, Problem, Rows, Transform, key
from metrics.ingest.presets.billing import ONLINE_RETAIL, STRIPE
from metrics.ingest.presets.crm import HUBSPOT, HUBSPOT_DEALS, SALESFORCE
from metrics.ingest.presets.events import AMPLITUDE, MIXPANEL, SEGMENT
from metrics.ingest.presets.forms import SURVEYMONKEY, TYPEFORM
from metrics.ingest.presets.stripe_exports import STRIPE_CUSTOMERS, STRIPE_INVOICES
from metrics.ingest.presets.support import INTERCOM, ZENDESK, ZENDESK_RATINGS
from metrics.ingest.presets.surveys import DELIGHTED, QUALTRICS
from metrics.schema import TABLES

__all__ = ["PRESETS", "Context", "Out", "Preset", "Problem", "Rows", "Transform", "apply",
           "check_options", "detect_file", "detect_preset", "key", "resolve"]

# The registry: detection tries the presets in this order, the docs and `csm presets` list them
# in it.
PRESETS: dict[str, Preset] = {p.name: p for p in (
    ZENDESK, STRIPE, ONLINE_RETAIL, HUBSPOT, SALESFORCE, INTERCOM, DELIGHTED, QUALTRICS,
    MIXPANEL, SEGMENT, STRIPE_CUSTOMERS, STRIPE_INVOICES, ZENDESK_RATINGS, HUBSPOT_DEALS,
    TYPEFORM, SURVEYMONKEY, AMPLITUDE,
)}



def detect_preset(headers: list[str]) -> str | None:
    """Return the name of the first preset (registry order) one of whose signatures the header
    contains, compared case-insensitively with extra columns tolerated; None when none does."""
    have = {key(h) for h in headers}
    for p in PRESETS.values():
        if any(sig <= have for sig in p.signatures):
            return p.name
    return None


# JSON lines records read to learn a file's keys when detecting (the copy takes all records).
_DETECT_RECORDS = 1000


def detect_file(path: Path, work_dir: Path, sheet: str | None = None) -> str | None:
    """Return the preset the header of the file at `path` matches (detect_preset), or None;
    None too for a file that cannot be read (its load says why). Reads only the start of a CSV
    or JSON lines file (the Data page asks on every upload); a workbook or Parquet file is
    converted as its load would."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(65536)
        kind = formats.kind_of(path, head)
        if kind == "jsonl":
            return detect_preset(_jsonl_keys(path))
        if kind is None:
            enc = text.bom_encoding(head) or "utf-8-sig"
            line = read.first_line(path, enc)
            if read.SEP_LINE.fullmatch(line):  # Excel's "sep=;": the header is next
                line = read.first_line(path, enc, 1)
            return detect_preset(next(csv.reader([line], delimiter=read.detect_delimiter(line))))
        src = read.open_source(path, work_dir=work_dir, sheet=sheet)
    except (LoadRefused, OSError, ValueError, StopIteration, csv.Error):
        return None
    try:
        return detect_preset(src.headers)
    finally:
        src.cleanup()


def _jsonl_keys(path: Path) -> list[str]:
    """Return the flattened keys ("properties.time") of the first records of a JSON lines
    file, as formats.py names the columns of its copy."""
    keys: dict[str, None] = {}
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        for line in itertools.islice((ln for ln in f if ln.strip()), _DETECT_RECORDS):
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                break  # the load reports the line
            if isinstance(rec, dict):
                keys.update(dict.fromkeys(formats.flat(rec)))
    return list(keys)


def resolve(name: str, table: str, headers: list[str]) -> Preset:
    """Return the preset `name` ("auto": the one the header matches) for a load into `table`.

    Raises LoadRefused for an unknown preset, none matching, or a preset of another table."""
    if name == "auto":
        found = detect_preset(headers)
        if found is None:
            raise LoadRefused("no preset recognises this file's header (csm presets lists "
                              "them and their signatures); load it without --preset.")
        name = found
    p = PRESETS.get(name)
    if p is None:
        raise LoadRefused(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}.")
    if p.table != table:
        raise LoadRefused(f"the preset {name} loads the {p.table} table, not {table}: "
                          f"use csm load {p.table} FILE --preset {name}.")
    return p


def check_options(p: Preset, options: dict[str, str] | None) -> dict[str, str]:
    """Return the preset's options with defaults filled in; raise LoadRefused naming an
    unknown option or value."""
    out = {k: (v[0] if v else "") for k, v in p.options.items()}
    for k, v in (options or {}).items():
        if k not in p.options:
            known = ", ".join(p.options) or "none"
            raise LoadRefused(f"the preset {p.name} has no option {k!r} (its options: {known}).")
        if p.options[k] and v not in p.options[k]:  # () = any text (a column's name)
            raise LoadRefused(f"--preset-option {k}={v}: choose one of "
                              f"{', '.join(p.options[k])}.")
        out[k] = v
    return out


def _records(src: read.SourceFile) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line where the record starts, {header key: text}) for every non-blank record.
    A JSON lines file's record N is line N + 1, as formats.py reports it, whatever lines a
    value with a newline takes in the CSV copy."""
    keys = [key(h) for h in src.headers]
    jsonl = src.transcoded and src.original.suffix.lower() in formats.JSONL_SUFFIXES
    with open(src.path, encoding="utf-8-sig", errors="replace", newline="") as f:
        reader = csv.reader(f, delimiter=src.delimiter)
        for _ in range(src.skip + 1):  # Excel's "sep=" line, then the header
            next(reader)
        prev_end = reader.line_num
        n = 1
        for rec in reader:
            start, prev_end = prev_end + 1, reader.line_num
            if not rec or (len(rec) == 1 and rec[0] == ""):
                continue
            n += 1
            yield (n if jsonl else start), dict(zip(keys, rec, strict=False))


def apply(p: Preset, src: read.SourceFile, options: dict[str, str] | None,
          date_format: str | None, work_dir: Path, limit: int | None = None,
          tickets: Callable[[], dict[str, str]] | None = None) -> read.SourceFile:
    """Write the preset's CSV copy of `src` and return the SourceFile the import reads instead:
    the table's columns (and, for accounts, the other columns as custom attributes), the
    original line of each record (`line_map`), the transform's problems by record (`problems`)
    and the notes. `limit` (the preview's) stops after that many rows; notes the transform adds
    at its end are then missing. `tickets` gives the stored tickets' accounts by ticket id.
    `src`'s own copy is removed. Raises LoadRefused when nothing is left to load."""
    opts = check_options(p, options)
    ctx = Context(list(src.headers), opts, date_format, tickets=tickets)
    # A name of its own: two sessions previewing the same upload must not share a copy.
    fd, name = tempfile.mkstemp(prefix=f".{src.original.name}.{p.name}.", suffix=".csv",
                                dir=work_dir)
    os.close(fd)
    out_path = Path(name)
    cols = TABLES[p.table].column_names
    lines: list[int] = []
    problems: dict[int, list[dict]] = {}
    header: list[str] = []
    try:
        with open(out_path, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            for o in itertools.islice(p.transform(_records(src), ctx), limit):
                if not header:
                    # Every column of the table, whatever the first row gives (a rejected row
                    # may give only the column it names), then the custom attributes.
                    header = cols + [k for k in o.values if k not in cols]
                    w.writerow(header)
                w.writerow(["" if o.values.get(h) is None else o.values[h] for h in header])
                if o.problems:
                    problems[len(lines)] = [{"c": c, "v": v, "r": r} for c, v, r in o.problems]
                lines.append(o.line)
        if not lines:
            raise LoadRefused(f"{src.original.name}: no rows are left to load after the preset "
                              f"{p.name} ({' '.join(ctx.notes)})")
    except BaseException:
        out_path.unlink(missing_ok=True)
        raise
    finally:
        src.cleanup()
    return read.SourceFile(out_path, src.original, src.encoding, ",", header,
                           transcoded=True, line_map=lines, problems=problems,
                           preset=p.name, preset_notes=[*p.notes, *ctx.notes],
                           notes=src.notes, invisible=src.invisible)
