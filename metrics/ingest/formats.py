"""Files that are not CSV: Excel workbooks (.xlsx), Parquet and JSON lines become a UTF-8 CSV
copy with every value as text, which then goes through the same import as a CSV file (mapping,
validation, reject report, one transaction, the load record).

- XLSX: the first sheet, or the one named; read with openpyxl in read-only mode (streamed);
  dates as ISO 8601, whole numbers without ".0" (ids and counts stored as numbers by Excel).
  The reject report's line numbers are the sheet's row numbers.
- Parquet: read by DuckDB (typed columns written as text).
- JSON lines (one JSON object per line, as Mixpanel, Amplitude and Segment export): nested
  objects are flattened one level per dot ("properties.time"); lists stay JSON text. The
  report's line N is the file's record N - 1 (line 1 is the copy's header), as for a preset
  (presets/_records): `to_csv` returns those numbers, since a value holding a newline spans
  two lines of the copy.
"""

from __future__ import annotations

import csv
import json
import math
import os
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import duckdb

from metrics.ingest.errors import LoadRefused

# The largest sheet, in cells, an XLSX import reads (a guard against a sheet of a million
# formatted but empty rows).
MAX_XLSX_CELLS = int(os.environ.get("CSM_MAX_XLSX_CELLS", str(50_000_000)))
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")


def kind_of(path: Path, head: bytes) -> str | None:
    """Return "xlsx", "parquet" or "jsonl" for such a file (by its first bytes, and for JSON
    lines its name), or None for anything else (read as CSV)."""
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                if "xl/workbook.xml" in z.namelist():
                    return "xlsx"
        except zipfile.BadZipFile:
            return None
        return None
    if path.suffix.lower() in JSONL_SUFFIXES and head.lstrip().startswith(b"{"):
        return "jsonl"
    return None


def _text(v) -> str:
    """Return a cell's value as the text a CSV export would hold."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (date, time)):
        return v.isoformat()
    if isinstance(v, float):
        if math.isfinite(v) and v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def sheet_names(path: Path) -> list[str]:
    """Return the sheet names of a workbook, in order."""
    import openpyxl

    # A file object, not the name: openpyxl refuses a workbook whose name does not end in
    # .xlsx, and the file was recognised by its content (a workbook renamed .csv still loads).
    with open(path, "rb") as f:
        wb = openpyxl.load_workbook(f, read_only=True, data_only=True)
        try:
            return list(wb.sheetnames)
        finally:
            wb.close()


def _xlsx(path: Path, out: Path, sheet: str | None) -> None:
    with open(path, "rb") as f:  # a file object: see sheet_names
        _xlsx_rows(f, path, out, sheet)


def _xlsx_rows(f, path: Path, out: Path, sheet: str | None) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(f, read_only=True, data_only=True)
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise LoadRefused(f"{path.name} has no sheet {sheet!r}; its sheets: "
                              f"{', '.join(wb.sheetnames)}.")
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise LoadRefused(f"{path.name}: the sheet {ws.title!r} is empty.")
        # Trailing unnamed columns are formatting, not data.
        width = len(header)
        while width and header[width - 1] in (None, ""):
            width -= 1
        if not width:
            raise LoadRefused(f"{path.name}: the sheet {ws.title!r} has no header row.")
        cells = 0
        with open(out, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow([_text(h) for h in header[:width]])
            for row in rows:
                cells += width
                if cells > MAX_XLSX_CELLS:
                    raise LoadRefused(f"{path.name}: the sheet {ws.title!r} has more than "
                                      f"{MAX_XLSX_CELLS:,} cells (CSM_MAX_XLSX_CELLS); save "
                                      "it as CSV instead.")
                w.writerow([_text(v) for v in row[:width]])
    finally:
        wb.close()


def _parquet(path: Path, out: Path) -> None:
    con = duckdb.connect()
    try:
        con.execute(f"COPY (SELECT * FROM read_parquet({_lit(path)})) TO {_lit(out)} "
                    "(HEADER, DELIMITER ',')")
    except duckdb.Error as e:
        raise LoadRefused(f"{path.name} could not be read as Parquet: {e}") from e
    finally:
        con.close()


def _lit(p: Path) -> str:
    return "'" + str(p).replace("'", "''") + "'"


def flat(obj: dict, prefix: str = "") -> dict:
    """Return a JSON object flattened one level per dot ({"a": {"b": 1}} -> {"a.b": 1})."""
    out: dict = {}
    for k, v in obj.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flat(v, key + "."))
        else:
            out[key] = v
    return out


def _jsonl(path: Path, out: Path) -> list[int]:
    keys: dict[str, None] = {}
    # Two passes, streamed: the columns are the union of every record's keys (first seen
    # first), then the records are written under them.
    with open(path, encoding="utf-8-sig") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise LoadRefused(f"{path.name}, line {n}: not JSON ({e.msg}); nothing was "
                                  "changed.") from e
            if not isinstance(rec, dict):
                raise LoadRefused(f"{path.name}, line {n}: a JSON line must be an object.")
            for k in flat(rec):
                keys.setdefault(k, None)
    cols = list(keys)
    lines: list[int] = []
    with open(path, encoding="utf-8-sig") as f, open(out, "w", encoding="utf-8",
                                                        newline="") as o:
        w = csv.writer(o)
        w.writerow(cols)
        for line in f:
            if line.strip():
                rec = flat(json.loads(line))
                w.writerow([_text(rec.get(c)) for c in cols])
                lines.append(len(lines) + 2)
    return lines


def to_csv(path: Path, kind: str, out: Path, sheet: str | None = None) -> list[int] | None:
    """Write the CSV copy of an XLSX, Parquet or JSON lines file to `out`; return the line the
    reject report names for each record of JSON lines (record N is line N + 1), None for the
    others (the copy's lines are the sheet's rows); raise LoadRefused (nothing written that
    stays) when it cannot be read."""
    try:
        if kind == "xlsx":
            _xlsx(path, out, sheet)
        elif kind == "parquet":
            _parquet(path, out)
        else:
            return _jsonl(path, out)
        return None
    except LoadRefused:
        out.unlink(missing_ok=True)
        raise
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as e:
        out.unlink(missing_ok=True)
        raise LoadRefused(f"{path.name} could not be read as {kind}: {e}") from e
