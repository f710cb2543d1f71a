"""What a load reports and how it is recorded: `LoadResult`, and the one step that finishes
every load inside its transaction (rollups, data version, its row in `loads`).

The import and the demo generator both finish their loads through `finish_load`, so a load is
logged, counted and rolled up the same way whoever writes the rows.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import duckdb
import pandas as pd

from metrics.store import bump_data_version

Progress = Callable[[float, str], None]


@dataclass
class LoadResult:
    """The outcome of one load, its counts and row-level report (DATA.md's JSON summary)."""

    table: str
    file: str
    sha256: str | None = None
    mode: str = "append"
    rows_in_file: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_skipped_duplicate: int = 0
    rows_with_problems: int = 0  # rows listed in the report (all rows are rejected on rejection)
    orphans: int = 0
    load_id: int | None = None
    outcome: str = "refused"
    rejects: list[dict] = field(default_factory=list)
    message: str = ""
    orphan_account_ids: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    custom_attributes: list[str] = field(default_factory=list)
    rejects_truncated: bool = False
    # what a replace of a table others refer to removes (metrics/ingest/undo.replace_impact)
    replace_removes: dict | None = None
    # the preset the file was read with (metrics/ingest/presets) and what it did
    preset: str | None = None
    preset_notes: list[str] = field(default_factory=list)
    # what reading the file did: its encoding when not UTF-8, line endings made one kind,
    # Excel's "sep=" line used, invisible characters removed from ids
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the load wrote its rows (loaded, or loaded with rejects)."""
        return self.outcome in ("loaded", "loaded_with_rejects")

    def to_dict(self) -> dict:
        """Return the JSON summary of DATA.md (plus message, mapping and orphan ids)."""
        return asdict(self)

    def rejects_frame(self) -> pd.DataFrame:
        """Return the row-level report as a frame (line, column, value, reason)."""
        return pd.DataFrame(self.rejects, columns=["line", "column", "value", "reason"])


def utc_now() -> datetime:
    """Return the current UTC time, naive (the loads log stores UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _whoami() -> str:
    """Return the login name of the user running the load, or "unknown"."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "unknown"


def record_load(cur, res: LoadResult, started: datetime | None, user: str | None,
                in_tx: bool = False) -> None:
    """Insert the load's row into `loads`, giving `res` a load id when it has none.

    Inside the load's transaction (`in_tx`, a load that succeeded) a failure raises, so the
    load rolls back with its record; outside it (a refused or rejected load, nothing written)
    a failure to log is not allowed to hide the load's own message."""
    now = utc_now()
    try:
        if res.load_id is None:
            res.load_id = int(cur.execute("SELECT nextval('load_id_seq')").fetchone()[0])
        cur.execute(
            "INSERT INTO loads (load_id, table_name, file_name, sha256, mode, rows_in_file, "
            "rows_loaded, rows_rejected, rows_skipped_duplicate, orphans, outcome, message, "
            "loaded_by, started_at, finished_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [res.load_id, res.table, res.file, res.sha256, res.mode, res.rows_in_file,
             res.rows_loaded, res.rows_rejected, res.rows_skipped_duplicate, res.orphans,
             res.outcome, res.message[:2000], user or _whoami(), started or now, now],
        )
    except duckdb.Error:
        if in_tx:
            raise


def finish_load(cur, res: LoadResult, started: datetime | None, user: str | None,
                refresh_rollups: Callable[[object], None]) -> None:
    """Finish a successful load inside its transaction (the caller's `transaction(cur)`):
    refresh the rollups with `refresh_rollups(cur)`, bump the data version (the UI's cache
    key) and record the load in `loads`. Returns nothing; raises on any failure, so that the
    transaction rolls back with the rows."""
    refresh_rollups(cur)
    bump_data_version(cur)
    # the health scores of the dates pages ask for, at the new data version (health/stored.py)
    from metrics.health import stored

    if res.table in stored.NOT_INPUTS:  # no input of the health scores: still valid
        stored.carry_forward(cur)
    else:
        stored.refresh(cur)
    record_load(cur, res, started, user, in_tx=True)
