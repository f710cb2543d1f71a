"""A process of the import fuzz test (tests/unit/test_import_fuzz.py): loads each mutant of a
batch into a fresh store through the real import and judges the result against a reference
parse of the same bytes by Python's csv module.

    python -m tests.unit.fuzz_worker JOBS_JSON OUT_JSONL

JOBS_JSON lists {"path", "table", "allow_rejects"}; one JSON line per mutant goes to OUT_JSONL
as soon as it is judged (so a hang is pinned to the mutant after the last line):
{"path", "verdict": "refused" | "rejected" | "loaded" | "crash" | "misread", "detail"}.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import shutil
import sys
import traceback
import unicodedata
from collections import Counter
from pathlib import Path

from metrics.ingest import load_file
from metrics.ingest.validate import NULL_MARKERS
from metrics.schema import TABLES
from metrics.store import Store

# Columns the import rewrites on purpose (lower-cased, mapped words): not compared as text.
ADJUSTED = {"survey_type", "billing_period"}
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_ENDS = re.compile("^[\\s\u00a0\u202f]+|[\\s\u00a0\u202f]+$")
_SEP = re.compile(r'"?sep=(.)"?[,;\t|]*', re.IGNORECASE)


def decode(data: bytes) -> str:
    """Return the text of the bytes as the import's rules read it (BOM, else UTF-8, else
    Windows-1252), line endings made LF when mixed."""
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                       (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            text = data.decode(codec)
            break
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252")
    crlf = text.count("\r\n")
    if text.count("\r") > crlf or (crlf and text.count("\n") > crlf):
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.lstrip("\ufeff")


def delimiter(header: str) -> str:
    """Return the delimiter splitting the header into the most fields (, first on a tie)."""
    best, n_best = ",", 1
    for d in ",;\t|":
        try:
            n = len(next(csv.reader([header], delimiter=d)))
        except (csv.Error, StopIteration):
            continue
        if n > n_best:
            best, n_best = d, n
    return best


def reference(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Return (header, [(line where the record starts, fields)]) of the non-blank records."""
    text = decode(data)
    lines = text.split("\n", 2)
    skip = 1 if _SEP.fullmatch(lines[0].rstrip("\r")) else 0
    d = delimiter(lines[skip].rstrip("\r"))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=d)
    for _ in range(skip):
        next(reader)
    header = [h.replace("\ufeff", "").strip() for h in next(reader)]
    records, prev_end = [], reader.line_num
    for rec in reader:
        start, prev_end = prev_end + 1, reader.line_num
        if rec and not (len(rec) == 1 and rec[0] == ""):
            records.append((start, rec))
    return header, records


def text_value(raw: str, is_id: bool) -> str | None:
    """Return a field as the import stores a text column: trimmed of spaces, no value for
    empty text and the null markers; an id normalised."""
    v = raw.strip(" ")
    if not v or v.upper() in NULL_MARKERS:
        return None
    if is_id:
        v = unicodedata.normalize("NFC", _ENDS.sub("", _INVISIBLE.sub("", v)))
        return v or None
    return v


def judge(store: Store, path: Path, table: str, allow_rejects: bool) -> tuple[str, str]:
    """Load one mutant and return (verdict, detail)."""
    res = load_file(store, table, path, allow_rejects=allow_rejects)
    if res.outcome in ("refused", "rejected"):
        if not res.message.strip():
            return "misread", f"{res.outcome} without a reason"
        if res.outcome == "rejected" and not all(r.get("reason") for r in res.rejects):
            return "misread", "a reject without a reason"
        n = store.cursor().execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if n:
            return "misread", f"{res.outcome} but {n} rows stored"
        return res.outcome, res.message[:200]
    header, records = reference(path.read_bytes())
    rejected = {r["line"] for r in res.rejects}
    kept = [rec for line, rec in records if line not in rejected]
    bad = [rec for rec in kept if len(rec) != len(header)]
    if bad:
        return "misread", f"loaded a record the reference reads with {len(bad[0])} fields"
    cols = [c.name for c in TABLES[table].columns
            if c.type == "VARCHAR" and c.name in res.mapping and c.name not in ADJUSTED]
    idx = [header.index(res.mapping[c]) for c in cols]
    want = Counter(tuple(text_value(rec[i], c.endswith("_id")) for i, c in zip(idx, cols,
                                                                               strict=True))
                   for rec in kept)
    got = Counter(store.cursor().execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall())
    if res.rows_loaded != len(kept):
        return "misread", f"rows_loaded {res.rows_loaded} != {len(kept)} reference records"
    if got != want:
        diff = list((got - want).items())[:2], list((want - got).items())[:2]
        return "misread", f"stored != reference: {diff}"
    return "loaded", f"{res.rows_loaded} rows, {len(cols)} text columns equal"


def main(argv: list[str]) -> int:
    """Judge every job of the batch; return 0 (crashes are reported, not raised)."""
    jobs = json.loads(Path(argv[1]).read_text())
    # A fresh store each: a file copy of one new, empty, migrated store (what Store() makes of
    # a missing file, without running the migrations 50 times)
    template = Path(argv[2] + ".template") / "fuzz.duckdb"
    Store(template).close()
    with open(argv[2], "a", encoding="utf-8") as out:
        for job in jobs:
            path = Path(job["path"])
            db = path.parent / path.stem / "fuzz.duckdb"
            db.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(template, db)
            store = Store(db)
            staged = store.uploads / path.name
            staged.write_bytes(path.read_bytes())
            try:
                verdict, detail = judge(store, staged, job["table"], job["allow_rejects"])
            except Exception:  # noqa: BLE001 - a crash is what the test counts
                verdict, detail = "crash", traceback.format_exc()[-1500:]
            finally:
                store.close()
            out.write(json.dumps({"path": str(path), "verdict": verdict,
                                  "detail": detail}) + "\n")
            out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
