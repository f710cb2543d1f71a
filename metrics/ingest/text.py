"""Checking a text file before it is read: one encoding throughout, no NUL character, one kind
of line ending.

- Encoding. A byte-order mark decides (UTF-8, UTF-16 or UTF-32, little or big endian). Without
  one the file must be UTF-8 from its first byte to its last. A file that is not UTF-8 is read
  as Windows-1252 (Latin-1 and its superset) only when it holds no UTF-8 sequence at all: a
  legacy export writes "é" as one byte followed by plain text, never as a lead byte followed by
  continuation bytes. A file that mixes the two (a UTF-8 file with one Latin-1 "é", or a bad
  sequence such as ED A0 80) is refused, naming the line and column of the first bad byte:
  reading it either way would garble some of its names. A Windows-1252 file is said so in the
  load's notes and the preview.
- A NUL character anywhere refuses the file (binary data, or UTF-16 without a byte-order mark),
  naming its line and column.
- Line endings: a file mixing CRLF and LF, or using lone CR, is read through a copy with every
  line ending LF (the reader refuses mixed endings); the notes say so.

The scan is streamed in 1 MiB chunks; a file is decoded once (twice when a copy is written).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

from metrics.ingest.errors import LoadRefused

_CHUNK = 1 << 20
# Characters that print as nothing; removed from ids (metrics/ingest/validate.py), counted here.
INVISIBLE = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")
# A UTF-8 lead byte followed by a continuation byte: a file holding one meant to be UTF-8.
_UTF8_LIKE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")
LEGACY = "cp1252"
_SAVE = "Save it as CSV with encoding UTF-8."


@dataclass
class Scan:
    """What one pass over a text file found: which line endings, how many invisible
    characters."""

    crlf: bool = False
    lf: bool = False  # an LF not after CR
    cr: bool = False  # a CR not before LF
    invisible: int = 0  # zero-width and BOM characters after the start of the file

    @property
    def mixed_endings(self) -> bool:
        """True when the reader needs a copy with one kind of line ending."""
        return self.cr or (self.crlf and self.lf)

    def endings(self, t: str) -> None:
        """Note the line endings of `t` (a CR at its end belongs to the next text)."""
        if self.mixed_endings:
            return  # decided: counting more costs time and changes nothing
        if "\r" not in t:  # memchr-fast; LF-only text needs no counting
            self.lf = self.lf or "\n" in t
            return
        crlf = t.count("\r\n")
        self.crlf = self.crlf or crlf > 0
        self.lf = self.lf or t.count("\n") > crlf
        self.cr = self.cr or t.count("\r") > crlf

    def describe(self) -> str:
        """Return the kinds of line ending found ('CRLF and LF')."""
        kinds = [k for k, on in (("CRLF", self.crlf), ("LF", self.lf), ("CR", self.cr)) if on]
        return " and ".join(kinds)


def bom_encoding(head: bytes) -> str | None:
    """Return the codec a byte-order mark names (UTF-32 checked before UTF-16, whose mark
    starts UTF-32 LE's), or None without one."""
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


class _BadByte(Exception):
    def __init__(self, line: int, col: int, byte: int) -> None:
        super().__init__(line, col, byte)
        self.line, self.col, self.byte = line, col, byte


def _line_col(path: Path, codec: str, offset: int) -> tuple[int, int]:
    """Return the (line, column), from 1, of the character at `offset` of the decoded file
    (read again: only a refusal needs it, so the scan itself counts no lines)."""
    dec = codecs.getincrementaldecoder(codec)("replace")
    line, seen, col0 = 1, 0, 0  # col0: the offset where the current line starts
    with open(path, "rb") as f:
        while seen <= offset and (chunk := f.read(_CHUNK)):
            t = dec.decode(chunk)
            part = t[: offset - seen]
            n = part.count("\n")
            if n:
                line += n
                col0 = seen + part.rfind("\n") + 1
            seen += len(t)
    return line, offset - col0 + 1


def scan(path: Path, codec: str, out: Path | None = None, fix_endings: bool = False,
         name: str | None = None) -> Scan:
    """Decode `path` strictly with `codec` and return what it holds; with `out`, write it there
    as UTF-8 (line endings made LF when `fix_endings`). Raises _BadByte at the first byte that
    does not decode, LoadRefused at the first NUL character."""
    dec = codecs.getincrementaldecoder(codec)("strict")
    s = Scan()
    pos = 0  # characters decoded before this chunk
    carry = ""  # a CR that ended the last text: its LF may start the next
    dst = open(out, "w", encoding="utf-8", newline="") if out is not None else None
    try:
        with open(path, "rb") as f:
            while True:
                chunk = f.read(_CHUNK)
                final = not chunk
                pending = dec.getstate()[0]
                try:
                    text = dec.decode(chunk, final=final)
                except UnicodeDecodeError as e:
                    good = (pending + chunk)[: e.start].decode(codec, "replace")
                    ln, cl = _line_col(path, codec, pos + len(good))
                    raise _BadByte(ln, cl, e.object[e.start]) from None
                if "\x00" in text:
                    ln, cl = _line_col(path, codec, pos + text.index("\x00"))
                    raise LoadRefused(
                        f"{name or path.name} holds a NUL character at line {ln}, column {cl}: "
                        "it is binary data, or text in another encoding (UTF-16 without a "
                        f"byte-order mark). {_SAVE}")
                t = carry + text
                carry = "\r" if t.endswith("\r") and not final else ""
                s.endings(t[:-1] if carry else t)
                if not text.isascii():
                    s.invisible += sum(text.count(c) for c in INVISIBLE if c in text)
                pos += len(text)
                if dst is not None:
                    dst.write(text)
                if final:
                    break
    except BaseException:
        if dst is not None:
            dst.close()
            out.unlink(missing_ok=True)  # type: ignore[union-attr]
        raise
    if dst is not None:
        dst.close()
        if fix_endings:
            _fix_endings(out)  # type: ignore[arg-type]
    return s


def _fix_endings(path: Path) -> None:
    """Rewrite a UTF-8 file in place with every CRLF and lone CR made LF, streaming."""
    tmp = path.with_name(path.name + ".lf")
    with open(path, encoding="utf-8", newline="") as src, open(
            tmp, "w", encoding="utf-8", newline="") as dst:
        carry = ""
        while chunk := src.read(_CHUNK):
            chunk = carry + chunk
            carry = "\r" if chunk.endswith("\r") else ""
            if carry:
                chunk = chunk[:-1]
            dst.write(chunk.replace("\r\n", "\n").replace("\r", "\n"))
        dst.write("\n" if carry else "")
    tmp.replace(path)


def _looks_legacy(path: Path) -> bool:
    """True when the file holds no UTF-8 multi-byte sequence (a one-byte-per-character file)."""
    tail = b""
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            if _UTF8_LIKE.search(tail + chunk):
                return False
            tail = chunk[-1:]
    return True


@dataclass
class Decoded:
    """How a text file is read: its encoding, the UTF-8 copy to read (None: the file itself),
    and the notes for the load report."""

    encoding: str
    copy: Path | None
    notes: list[str]
    invisible: int = 0


def decode(path: Path, head: bytes, copy: Path, name: str | None = None) -> Decoded:
    """Check the whole file and return how to read it: UTF-8 as it is, or a UTF-8 copy written
    to `copy` (another encoding, or mixed line endings). Raises LoadRefused, naming the line
    and column, for a byte that is not of the file's encoding or a NUL character."""
    name = name or path.name
    codec = bom_encoding(head) or "utf-8"
    notes: list[str] = []
    try:
        s = scan(path, codec, name=name)
    except _BadByte as b:
        if codec != "utf-8" or not _looks_legacy(path):
            what = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8"}.get(codec, codec.upper())
            raise LoadRefused(
                f"{name} is not valid {what}: byte 0x{b.byte:02X} at line {b.line}, "
                f"column {b.col} is not part of any character, while the rest of the file "
                f"is {what} (one encoding per file; nothing is guessed). {_SAVE}") from None
        codec = LEGACY
        try:
            s = scan(path, codec, name=name)
        except _BadByte as b2:
            raise LoadRefused(
                f"{name} is neither UTF-8 nor Windows-1252: byte 0x{b2.byte:02X} at line "
                f"{b2.line}, column {b2.col} has no character. {_SAVE}") from None
        notes.append(f"{name} is not UTF-8: it was read as Windows-1252 (Latin-1), the "
                     "encoding of older Excel exports; check accented names in the preview.")
    if codec in ("utf-8", "utf-8-sig") and not s.mixed_endings:
        return Decoded(codec, None, notes, s.invisible)
    if s.mixed_endings:
        notes.append(f"{name} mixes line endings ({s.describe()}): every line ending was "
                     "read as LF.")
    try:
        scan(path, codec, copy, fix_endings=s.mixed_endings, name=name)
    except _BadByte as b:  # pragma: no cover - the first pass decoded the same bytes
        raise LoadRefused(f"{name}: byte at line {b.line}, column {b.col} has no "
                          f"character. {_SAVE}") from None
    return Decoded(codec, copy, notes, s.invisible)
