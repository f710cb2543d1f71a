"""What every `csm` command shares: the exit codes, usage errors, stderr, opening the database
(read-write for one command alone, or read-only beside a running dashboard) and JSON output."""

from __future__ import annotations

import atexit
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2

# The accounts' own columns a --filter can name; any other DIM is a custom attribute.
CANONICAL_FILTERS = {"segment", "region", "csm_owner", "plan"}


class UsageError(Exception):
    """A usage error: exit code 2 with the message on stderr."""


def eprint(*a) -> None:
    """Print to stderr at once (stdout carries only the command's document); return None."""
    print(*a, file=sys.stderr, flush=True)


def pairs(values: list[str] | None, flag: str, form: str) -> dict[str, str]:
    """Return {left: right} of repeated `flag` values written `form` (a=b); raise UsageError
    naming the value that is not."""
    out = {}
    for p in values or []:
        if "=" not in p:
            raise UsageError(f"{flag} expects {form}, got {p!r}")
        t, s = p.split("=", 1)
        out[t.strip()] = s.strip()
    return out


def filters(values: list[str] | None) -> tuple[dict[str, Any], tuple]:
    """Return the repeated --filter DIM=VALUE values as (the canonical dimensions' {dim: values},
    the custom attributes' ((name, values), ...)), as Query takes them; raise UsageError naming
    a value without "="."""
    by_dim: dict[str, list[str]] = {}
    for f in values or []:
        if "=" not in f:
            raise UsageError(f"--filter expects DIM=VALUE, got {f!r}")
        k, v = f.split("=", 1)
        by_dim.setdefault(k.strip(), []).append(v)
    # Any: Query's fields differ in type, and each dimension field takes a tuple of values.
    dims: dict[str, Any] = {k: tuple(v) for k, v in by_dim.items() if k in CANONICAL_FILTERS}
    attributes = tuple((k, tuple(v)) for k, v in by_dim.items() if k not in CANONICAL_FILTERS)
    return dims, attributes


def open_store(db: Path | None, allow: tuple = ()):
    """Return the database opened read-write (this command alone; a running dashboard's reads
    finish first and it waits meanwhile), or exit 1 with the reason."""
    from metrics.store import Store, StoreError

    try:
        store = Store(db, allow_paths=allow, on_wait=lambda m: eprint(f"csm: {m}…"))
    except StoreError as e:
        eprint(f"csm: {e}")
        sys.exit(EXIT_REFUSED)
    # Closed at exit at the latest, so the lock files say nobody writes any more.
    atexit.register(store.close)
    return store


@contextmanager
def reading(db: Path | None) -> Iterator[Any]:
    """Yield a cursor of the database opened read-only beside other readers (a running
    dashboard), created first when it does not exist; exit 1 with the reason if unusable."""
    from metrics.shared import SharedStore
    from metrics.store import StoreError

    try:
        shared = SharedStore(db, linger=0, on_wait=lambda m: eprint(f"csm: {m}…"))
        with shared.read() as store:
            cur = store.cursor()
            try:
                yield cur
            finally:
                cur.close()
    except StoreError as e:
        eprint(f"csm: {e}")
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

