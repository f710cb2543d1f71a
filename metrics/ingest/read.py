"""Reading a CSV file safely: size, format, encoding, delimiter and header.

DuckDB's reader is fast but wants UTF-8; files in other encodings are transcoded once into a
UTF-8 copy beside the upload (streamed, never held in memory whole).
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from metrics.ingest import formats, text
from metrics.ingest.errors import LoadRefused

DELIMITERS = [",", ";", "\t", "|"]
DEFAULT_MAX_BYTES = int(os.environ.get("CSM_MAX_UPLOAD_MB", "2048")) * 1024 * 1024
# The widest file read (columns of the header): DuckDB's reader slows with the square of the
# width (10,000 columns took 136 s for 5 rows), and no export of customer data is that wide.
MAX_COLUMNS = int(os.environ.get("CSM_MAX_COLUMNS", "1000"))
# Excel's first line naming the delimiter ("sep=;"), written by its CSV exports in some locales.
SEP_LINE = re.compile(r'"?sep=(.)"?[,;\t|]*', re.IGNORECASE)
# Compressed files: their first bytes, and the name endings that say "compressed".
_COMPRESSED = {b"\x1f\x8b": "gzip", b"\x28\xb5\x2f\xfd": "zstd", b"BZh": "bzip2",
               b"\xfd7zXZ\x00": "xz"}
_COMPRESSED_SUFFIXES = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd",
                        ".bz2": "bzip2", ".xz": "xz"}
_CHUNK = 1 << 20


@dataclass
class SourceFile:
    """A file as read for an import: its path, encoding, delimiter, headers and checksum."""
    path: Path  # the file DuckDB reads (UTF-8; maybe a transcoded copy)
    original: Path
    encoding: str  # the encoding the original was read as
    delimiter: str
    headers: list[str]
    transcoded: bool = False
    # lines before the header (Excel's "sep=;" line): skipped by every reader of the file
    skip: int = 0
    # what reading the file did (encoding, line endings): shown with the load's result
    notes: list[str] = field(default_factory=list)
    invisible: int = 0  # zero-width and BOM characters in the file (removed from ids)
    # A copy of a preset or a JSON lines file: the line reported for each record, the
    # problems its transform found by record index, and what it did.
    line_map: list[int] | None = None
    problems: dict[int, list[dict]] = field(default_factory=dict)
    preset: str | None = None
    preset_notes: list[str] = field(default_factory=list)

    def cleanup(self) -> None:
        """Remove the transcoded copy, if one was made."""
        if self.transcoded:
            self.path.unlink(missing_ok=True)


@contextmanager
def _copy_or_clean(out: Path) -> Iterator[None]:
    """Run the block that writes the working copy `out`; when it fails, remove the partial
    copy (no temporary file is left behind) and turn a failed write (a full disk) into a
    refusal that says so."""
    try:
        yield
    except BaseException as e:
        out.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise LoadRefused(f"The working copy of the file could not be written: "
                              f"{disk_problem(e)} Nothing was changed.") from e
        raise


def disk_problem(e: BaseException) -> str:
    """Return what a failed write says for people: "no space left on device …" for a full
    disk, else the system's own words."""
    text = str(e)
    if getattr(e, "errno", None) == errno.ENOSPC or "no space left" in text.lower():
        return "no space left on device (the disk is full; free some space and load again)."
    return (getattr(e, "strerror", None) or text) + "."


def refuse_link_out(path: Path) -> None:
    """Raise LoadRefused when `path` is a symbolic link to a file outside the link's own
    folder. A link dropped into an inbox or named on the command line would otherwise make the
    import read (and its messages, stored in `loads` and shown to every viewer, quote) a
    file the user never meant to share, such as a system file. The target is not named."""
    if not path.is_symlink():
        return
    folder = path.parent.resolve()
    if not path.resolve().is_relative_to(folder):
        raise LoadRefused(
            f"{path.name} is a symbolic link to a file outside its folder; links are not "
            "followed out of the folder they are in. Copy the file itself there instead."
        )


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _refuse_by_magic(head: bytes, name: str) -> None:
    if head.startswith(b"\x1f\x8b"):
        raise LoadRefused(f"{name} is a gzip archive, not a CSV file: decompress it first "
                          "(gunzip it; Amplitude's export is a zip of .json.gz files: unzip "
                          "it, then zcat *.json.gz > events.jsonl).")
    # Compressed files are never decompressed here, so no size cap on their content is needed:
    # a small archive that expands to terabytes is refused by its first bytes.
    for magic, kind in _COMPRESSED.items():
        if head.startswith(magic):
            raise LoadRefused(f"{name} is a {kind}-compressed file, not a CSV file: "
                              "decompress it first.")
    suffix = Path(name).suffix.lower()
    if suffix in _COMPRESSED_SUFFIXES:
        kind = _COMPRESSED_SUFFIXES[suffix]
        raise LoadRefused(f"{name} is named {suffix} but is not {kind}-compressed: rename it "
                          f"without {suffix} (as .csv) and load it again.")
    if head.startswith(b"PK\x03\x04"):
        raise LoadRefused(
            f"{name} is a zip archive, not a CSV, Excel (.xlsx), Parquet or JSON lines "
            "file: unpack it first."
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise LoadRefused(f"{name} is an old Excel workbook (.xls), not a CSV: save it as CSV.")
    if head.startswith(b"%PDF"):
        raise LoadRefused(f"{name} is a PDF document, not a CSV file.")


def first_line(path: Path, encoding: str, skip: int = 0) -> str:
    """Return the first line of the file after `skip` lines (the header), decoded, without BOM
    or newline."""
    with open(path, encoding=encoding, errors="replace", newline="") as f:
        for _ in range(skip):
            f.readline()
        line = f.readline()
    return line.lstrip("\ufeff").rstrip("\r\n")


def detect_delimiter(header_line: str) -> str:
    """Return the delimiter among , ; tab | that splits the header into the most fields."""
    best, best_n = ",", 1
    for d in DELIMITERS:
        try:
            n = len(next(csv.reader(io.StringIO(header_line), delimiter=d)))
        except (csv.Error, StopIteration):
            continue
        if n > best_n:
            best, best_n = d, n
    return best


def open_source(
    path: Path,
    *,
    delimiter: str | None = None,
    max_bytes: int | None = None,
    work_dir: Path | None = None,
    sheet: str | None = None,
    name: str | None = None,
) -> SourceFile:
    """Inspect a file and return how to read it; raise LoadRefused for a file that is not a
    readable, non-empty CSV (too large, archive, binary, not one encoding, empty, header only,
    too many columns). An XLSX (its first sheet, or `sheet`), Parquet or JSON lines file is
    read through a CSV copy (metrics/ingest/formats.py); a file in another encoding than UTF-8
    or with mixed line endings through a UTF-8 copy (metrics/ingest/text.py). `name` is the
    file's name in messages (the upload's, not the staged copy's)."""
    path = Path(path)
    name = name or path.name
    if not path.is_file():
        raise LoadRefused(f"{name} does not exist or is not a file.")
    refuse_link_out(path)
    size = path.stat().st_size
    limit = max_bytes if max_bytes is not None else DEFAULT_MAX_BYTES
    if size > limit:
        raise LoadRefused(
            f"{name} is {size / 1e6:.1f} MB, over the size limit of {limit / 1e6:.1f} MB "
            "(CSM_MAX_UPLOAD_MB)."
        )
    if size == 0:
        raise LoadRefused(f"{name} is empty.")
    with open(path, "rb") as f:
        head = f.read(65536)
    kind = formats.kind_of(path, head)
    src_path, transcoded = path, False
    line_map = None
    folder = work_dir or path.parent
    if kind is not None:
        out = folder / f".{path.name}.{kind}.csv"
        # a failed write (a full disk) removes the partial copy and says so
        with _copy_or_clean(out):
            line_map = formats.to_csv(path, kind, out, sheet)
            # a NUL in a JSON string or a cell is refused like one in a CSV file
            invisible = text.scan(out, "utf-8", name=name).invisible
        src_path, transcoded = out, True
        encoding, notes = "utf-8", []
    else:
        _refuse_by_magic(head, name)
        copy = folder / f".{path.name}.utf8.csv"
        with _copy_or_clean(copy):
            dec = text.decode(path, head, copy, name)
        encoding, notes, invisible = dec.encoding, dec.notes, dec.invisible
        if dec.copy is not None:
            src_path, transcoded = dec.copy, True
    read_enc = "utf-8-sig"
    try:
        header_line = first_line(src_path, read_enc)
        skip = 0
        sep = SEP_LINE.fullmatch(header_line)
        if sep:  # Excel's "sep=;": the delimiter, then the header on the next line
            skip = 1
            delimiter = delimiter or sep.group(1)
            header_line = first_line(src_path, read_enc, skip)
            notes = [*notes, f"{name} starts with Excel's line {sep.group(0)!r}:"
                     " its delimiter was used and the line skipped."]
        if not header_line.strip():
            raise LoadRefused(f"{name} is empty (its first line is blank).")
        delim = delimiter or detect_delimiter(header_line)
        headers = [h.replace("\ufeff", "").strip() for h in next(
            csv.reader(io.StringIO(header_line), delimiter=delim))]
        if len(headers) > MAX_COLUMNS:
            raise LoadRefused(f"{name} has {len(headers):,} columns, over the limit of "
                              f"{MAX_COLUMNS:,} (setting CSM_MAX_COLUMNS): remove the columns "
                              "you do not need.")
        if not _has_data_row(src_path, read_enc, skip):
            raise LoadRefused(f"{name} has a header but no data rows.")
    except BaseException:
        if transcoded:
            src_path.unlink(missing_ok=True)
        raise
    return SourceFile(src_path, path, encoding, delim, headers, transcoded, line_map=line_map,
                      skip=skip, notes=list(notes), invisible=invisible)


def _has_data_row(path: Path, encoding: str, skip: int = 0) -> bool:
    with open(path, encoding=encoding, errors="replace", newline="") as f:
        for _ in range(skip + 1):
            f.readline()
        for line in f:
            if line.strip():
                return True
    return False


def record_lines(src: SourceFile, skip: set[int]) -> list[int]:
    """Return the 1-based starting line of every data record, in the order DuckDB stores them:
    blank lines and the lines in `skip` (rows DuckDB rejected as malformed) left out.

    Used only to report exact line numbers for rejected rows (quoted values may span lines).
    A preset's copy gives the lines of the original file it was written from."""
    if src.line_map is not None:
        # The copy is written by csv.writer, so DuckDB rejects none of its lines as malformed.
        return list(src.line_map)
    lines: list[int] = []
    with open(src.path, encoding="utf-8-sig", errors="replace", newline="") as f:
        reader = csv.reader(f, delimiter=src.delimiter)
        prev_end = 1
        try:
            for _ in range(src.skip):
                next(reader)
            next(reader)
            prev_end = reader.line_num
            for rec in reader:
                start = prev_end + 1
                prev_end = reader.line_num
                if not rec or (len(rec) == 1 and rec[0] == ""):
                    continue
                if start in skip:
                    continue
                lines.append(start)
        except csv.Error:
            pass
    return lines
