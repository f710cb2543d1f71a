"""Reading a CSV file safely: size, format, encoding, delimiter and header.

DuckDB's reader is fast but wants UTF-8; files in other encodings are transcoded once into a
UTF-8 copy beside the upload (streamed, never held in memory whole).
"""

from __future__ import annotations

import codecs
import csv
import errno
import hashlib
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from metrics.ingest import formats
from metrics.ingest.errors import LoadRefused

DELIMITERS = [",", ";", "\t", "|"]
DEFAULT_MAX_BYTES = int(os.environ.get("CSM_MAX_UPLOAD_MB", "2048")) * 1024 * 1024
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
    if head.startswith(b"PK\x03\x04"):
        raise LoadRefused(
            f"{name} is a zip archive, not a CSV, Excel (.xlsx), Parquet or JSON lines "
            "file: unpack it first."
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise LoadRefused(f"{name} is an old Excel workbook (.xls), not a CSV: save it as CSV.")
    if head.startswith(b"%PDF"):
        raise LoadRefused(f"{name} is a PDF document, not a CSV file.")


def detect_encoding(path: Path, head: bytes) -> str:
    """Return 'utf-8', 'utf-8-sig', 'utf-16' or 'cp1252' for the file.

    A BOM decides; otherwise the whole file is checked as UTF-8 (incrementally) and, if it is
    not, taken as Windows-1252/Latin-1. NUL bytes without a BOM mean binary or BOM-less UTF-16,
    which cannot be read reliably, so the file is refused."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise LoadRefused(
            f"{path.name} is not readable text (it contains NUL bytes): it is binary or UTF-16 "
            "without a byte-order mark. Save it as CSV with encoding UTF-8."
        )
    dec = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                dec.decode(chunk)
            dec.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def _latin1_fallback(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeDecodeError):  # registered for decoding only
        raise err
    # cp1252 leaves five bytes undefined; Latin-1 maps them to C1 controls, so nothing is lost.
    return err.object[err.start : err.end].decode("latin-1"), err.end


codecs.register_error("latin1fallback", _latin1_fallback)


def transcode(path: Path, encoding: str, out: Path) -> None:
    """Write `path` decoded from `encoding` into `out` as UTF-8, streaming."""
    codec = "cp1252" if encoding == "cp1252" else encoding
    errors = "latin1fallback" if encoding == "cp1252" else "strict"
    dec = codecs.getincrementaldecoder(codec)(errors=errors)
    try:
        with open(path, "rb") as src, open(out, "w", encoding="utf-8", newline="") as dst:
            while chunk := src.read(_CHUNK):
                dst.write(dec.decode(chunk))
            dst.write(dec.decode(b"", final=True))
    except UnicodeDecodeError as e:
        out.unlink(missing_ok=True)
        raise LoadRefused(
            f"{path.name} could not be decoded as {encoding} (byte {e.start}): wrong encoding. "
            "Save it as CSV with encoding UTF-8."
        ) from e


def first_line(path: Path, encoding: str) -> str:
    """Return the first line of the file (the header), decoded, without BOM or newline."""
    with open(path, encoding=encoding, errors="replace", newline="") as f:
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
) -> SourceFile:
    """Inspect a file and return how to read it; raise LoadRefused for a file that is not a
    readable, non-empty CSV (too large, archive, binary, empty, header only). An XLSX (its
    first sheet, or `sheet`), Parquet or JSON lines file is read through a CSV copy
    (metrics/ingest/formats.py)."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise LoadRefused(f"{path} does not exist or is not a file.")
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
    if kind is not None:
        out = (work_dir or path.parent) / f".{name}.{kind}.csv"
        with _copy_or_clean(out):
            line_map = formats.to_csv(path, kind, out, sheet)
        src_path, transcoded, head = out, True, b""
    else:
        _refuse_by_magic(head, name)
    encoding = "utf-8" if kind else detect_encoding(path, head)
    if encoding in ("utf-16", "cp1252"):
        out = (work_dir or path.parent) / f".{name}.utf8.csv"
        with _copy_or_clean(out):
            transcode(path, encoding, out)
        src_path, transcoded = out, True
    read_enc = "utf-8-sig" if encoding == "utf-8-sig" else "utf-8"
    try:
        header_line = first_line(src_path, read_enc)
        if not header_line.strip():
            raise LoadRefused(f"{name} is empty (its first line is blank).")
        delim = delimiter or detect_delimiter(header_line)
        headers = [h.replace("\ufeff", "").strip() for h in next(
            csv.reader(io.StringIO(header_line), delimiter=delim))]
        if not _has_data_row(src_path, read_enc):
            raise LoadRefused(f"{name} has a header but no data rows.")
    except BaseException:
        if transcoded:
            src_path.unlink(missing_ok=True)
        raise
    return SourceFile(src_path, path, encoding, delim, headers, transcoded, line_map=line_map)


def _has_data_row(path: Path, encoding: str) -> bool:
    with open(path, encoding=encoding, errors="replace", newline="") as f:
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
