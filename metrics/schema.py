"""The canonical tables of DATA.md, their version and forward migrations.

`TABLES` is the single description of every canonical table: column name, DuckDB type, whether
it is required, and the natural key. The import pipeline, the templates and the DDL all read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SCHEMA_VERSION = 5


@dataclass(frozen=True)
class Column:
    """A canonical column: name, DuckDB type, whether it is required, what it means."""
    name: str
    type: str  # DuckDB type
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class Table:
    """A canonical table: its columns, default load mode, natural key and description."""
    name: str
    columns: tuple[Column, ...]
    default_mode: str = "append"
    # column that identifies a row; rows equal on it are duplicates (None: no natural key)
    key: str | None = None
    # True when the key is generated for rows that do not give it (response_id, order_id)
    key_generated: bool = False
    keeps_custom_attributes: bool = False
    description: str = ""
    example: tuple[dict, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        """Return the column names, in order."""
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        """Return the names of the required columns."""
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        """Return the column called `name`."""
        return next(c for c in self.columns if c.name == name)


C = Column
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "accounts",
            (
                C("account_id", "VARCHAR", True, "unique account id"),
                C("name", "VARCHAR", False, "company name"),
                C("segment", "VARCHAR", False, "SMB / Mid-Market / Enterprise"),
                C("region", "VARCHAR"),
                C("industry", "VARCHAR"),
                C("plan", "VARCHAR"),
                C("csm_owner", "VARCHAR", False, "the customer success manager"),
                C("lifecycle_stage", "VARCHAR", False, "onboarding / adoption / mature"),
                C("signup_date", "DATE", True, "customer since"),
                C("churn_date", "DATE", False, "empty while a customer"),
                C("renewal_date", "DATE", False, "next contract renewal"),
            ),
            default_mode="replace",
            key="account_id",
            keeps_custom_attributes=True,
            description="One row per customer account; extra columns become custom attributes.",
        ),
        Table(
            "subscriptions",
            (
                C("account_id", "VARCHAR", True),
                C("start_date", "DATE", True),
                C("end_date", "DATE", False, "exclusive; empty = still active"),
                C("mrr", "DECIMAL(18,2)", True, "monthly recurring revenue, >= 0"),
                C("plan", "VARCHAR"),
                C("billing_period", "VARCHAR", False, "month (default) or year"),
            ),
            description="What each account pays, as periods [start_date, end_date).",
        ),
        Table(
            "survey_responses",
            (
                C("response_id", "VARCHAR", False, "generated when absent"),
                C("account_id", "VARCHAR", True),
                C("respondent", "VARCHAR", False, "email or person id"),
                C("survey_type", "VARCHAR", True, "nps, csat or ces"),
                C("score", "INTEGER", True, "nps 0-10, csat 1-5 (or 1-10), ces 1-7"),
                C("scale", "SMALLINT", False, "11 nps, 5 or 10 csat, 7 ces; set at import"),
                C("comment", "VARCHAR"),
                C("responded_at", "TIMESTAMP", True),
                C("touchpoint", "VARCHAR", False, "relationship / onboarding / support / renewal"),
            ),
            key="response_id",
            key_generated=True,
            description="NPS, CSAT and CES answers.",
        ),
        Table(
            "tickets",
            (
                C("ticket_id", "VARCHAR", True),
                C("account_id", "VARCHAR", True),
                C("created_at", "TIMESTAMP", True),
                C("first_response_at", "TIMESTAMP", False, ">= created_at"),
                C("resolved_at", "TIMESTAMP", False, ">= created_at; empty = open"),
                C("contacts", "INTEGER", False, "agent replies until resolution"),
                C("reopened", "BOOLEAN"),
                C("channel", "VARCHAR"),
                C("priority", "VARCHAR", False, "P1..P4"),
            ),
            key="ticket_id",
            description="Support conversations.",
        ),
        Table(
            "usage_events",
            (
                C("account_id", "VARCHAR", True),
                C("user_id", "VARCHAR", True),
                C("occurred_at", "TIMESTAMP", True),
                C("feature", "VARCHAR"),
                C("duration_seconds", "DOUBLE", False, ">= 0"),
            ),
            description="Product usage events (the large table).",
        ),
        Table(
            "orders",
            (
                C("order_id", "VARCHAR", False, "generated when absent"),
                C("account_id", "VARCHAR", True),
                C("ordered_at", "TIMESTAMP", True),
                C("amount", "DECIMAL(18,2)", True, "finite; refunds negative"),
            ),
            key="order_id",
            key_generated=True,
            description="Purchases, for non-subscription customer value.",
        ),
        Table(
            "targets",
            (
                C("metric", "VARCHAR", True),
                C("segment", "VARCHAR", False, "empty = everyone"),
                C("period_start", "DATE", True),
                C("period_end", "DATE", True),
                C("target", "DOUBLE", True),
                C("note", "VARCHAR"),
            ),
            default_mode="replace",
            description="Goals the team sets.",
        ),
    )
}

# Tables the import does not write to directly but keeps in step with the canonical ones.
INTERNAL_DDL = [
    # Custom attributes of accounts, one row per account and attribute (kept as text);
    # `attribute` is the header as written (trimmed).
    """CREATE TABLE IF NOT EXISTS account_attributes (
        account_id VARCHAR NOT NULL, attribute VARCHAR NOT NULL, value VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS loads (
        load_id INTEGER PRIMARY KEY, table_name VARCHAR, file_name VARCHAR, sha256 VARCHAR,
        mode VARCHAR, rows_in_file BIGINT, rows_loaded BIGINT, rows_rejected BIGINT,
        rows_skipped_duplicate BIGINT, orphans BIGINT, outcome VARCHAR, message VARCHAR,
        loaded_by VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, applied_at TIMESTAMP, description VARCHAR)""",
    # A counter bumped by every successful load: caches key on it.
    """CREATE TABLE IF NOT EXISTS data_version (version BIGINT)""",
]


def table_ddl(table: Table) -> str:
    """Return the CREATE TABLE statement of a canonical table (no constraints: the import
    validates, so a failed rule becomes a row-level report instead of an exception)."""
    cols = ",\n  ".join(f"{c.name} {c.type}" for c in table.columns)
    return f"CREATE TABLE IF NOT EXISTS {table.name} (\n  {cols}\n)"


def _v1(cur) -> None:
    for t in TABLES.values():
        cur.execute(table_ddl(t))
    for ddl in INTERNAL_DDL:
        cur.execute(ddl)
    cur.execute("CREATE SEQUENCE IF NOT EXISTS load_id_seq START 1")
    cur.execute("INSERT INTO data_version SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM data_version)")


def _v2(cur) -> None:
    # Usage rollups (metrics/rollup.py), filled from the events already stored.
    from metrics import rollup

    rollup.refresh(cur)


def _v3(cur) -> None:
    # Alert rules defined on the Goals page and the history of their evaluations
    # (metrics/alerts.py).
    cur.execute(
        """CREATE TABLE IF NOT EXISTS alert_rules (
            rule_id INTEGER PRIMARY KEY, name VARCHAR, kind VARCHAR, metric VARCHAR,
            segment VARCHAR, op VARCHAR, threshold DOUBLE, mrr_min DOUBLE,
            window_days INTEGER, cooldown_hours DOUBLE, enabled BOOLEAN, created_at TIMESTAMP)"""
    )
    cur.execute(
        """CREATE TABLE IF NOT EXISTS alert_history (
            event_id INTEGER PRIMARY KEY, rule_id INTEGER, rule_name VARCHAR,
            evaluated_at TIMESTAMP, as_of DATE, trigger VARCHAR, load_id INTEGER,
            fired BOOLEAN, suppressed BOOLEAN, value DOUBLE, threshold DOUBLE,
            accounts VARCHAR, message VARCHAR)"""
    )
    cur.execute("CREATE SEQUENCE IF NOT EXISTS alert_rule_seq START 1")
    cur.execute("CREATE SEQUENCE IF NOT EXISTS alert_event_seq START 1")


def _v4(cur) -> None:
    # Undo of loads (metrics/ingest/undo.py): what each load keeps to put the table back, and
    # who undid a load when; the audit trail of who changed what (metrics/audit.py).
    cur.execute(
        """CREATE TABLE IF NOT EXISTS load_snapshots (
            load_id INTEGER, table_name VARCHAR, kind VARCHAR, snapshot VARCHAR)"""
    )
    cur.execute("ALTER TABLE loads ADD COLUMN IF NOT EXISTS undone_at TIMESTAMP")
    cur.execute("ALTER TABLE loads ADD COLUMN IF NOT EXISTS undone_by VARCHAR")
    cur.execute(
        """CREATE TABLE IF NOT EXISTS audit (
            event_id INTEGER PRIMARY KEY, happened_at TIMESTAMP, who VARCHAR,
            action VARCHAR, subject VARCHAR, detail VARCHAR)"""
    )
    cur.execute("CREATE SEQUENCE IF NOT EXISTS audit_seq START 1")


# The team's own work on accounts (metrics/actions/): tasks, notes, risk plays and their stages,
# the follow-up of detractors. Written from the dashboard, never imported; exported with the
# canonical tables (`exported_tables`). Table -> its CREATE TABLE statement.
WORK_TABLES: dict[str, str] = {
    "tasks": """CREATE TABLE IF NOT EXISTS tasks (
        task_id INTEGER PRIMARY KEY, account_id VARCHAR NOT NULL, title VARCHAR NOT NULL,
        type VARCHAR NOT NULL, owner VARCHAR, due_date DATE, priority VARCHAR NOT NULL,
        status VARCHAR NOT NULL, close_reason VARCHAR, source VARCHAR, rule_id INTEGER,
        response_id VARCHAR, created_by VARCHAR, created_at TIMESTAMP, updated_at TIMESTAMP,
        closed_at TIMESTAMP)""",
    "notes": """CREATE TABLE IF NOT EXISTS notes (
        note_id INTEGER PRIMARY KEY, account_id VARCHAR NOT NULL, body VARCHAR NOT NULL,
        author VARCHAR, created_at TIMESTAMP)""",
    "risk_plays": """CREATE TABLE IF NOT EXISTS risk_plays (
        play_id INTEGER PRIMARY KEY, account_id VARCHAR NOT NULL, stage VARCHAR NOT NULL,
        arr DOUBLE, owner VARCHAR, opened_by VARCHAR, opened_at TIMESTAMP,
        closed_at TIMESTAMP, note VARCHAR)""",
    "play_stages": """CREATE TABLE IF NOT EXISTS play_stages (
        play_id INTEGER NOT NULL, stage VARCHAR NOT NULL, entered_at TIMESTAMP NOT NULL,
        who VARCHAR)""",
    "feedback_followups": """CREATE TABLE IF NOT EXISTS feedback_followups (
        response_id VARCHAR PRIMARY KEY, account_id VARCHAR, state VARCHAR NOT NULL,
        owner VARCHAR, note VARCHAR, contacted_at TIMESTAMP, resolved_at TIMESTAMP,
        updated_by VARCHAR, updated_at TIMESTAMP)""",
}


def _v5(cur) -> None:
    # Tasks, notes, risk plays and closed-loop follow-up (metrics/actions/); an alert rule may
    # create a task per account it names (alert_rules.creates_tasks).
    for ddl in WORK_TABLES.values():
        cur.execute(ddl)
    for seq in ("task_seq", "note_seq", "play_seq"):
        cur.execute(f"CREATE SEQUENCE IF NOT EXISTS {seq} START 1")
    cur.execute("ALTER TABLE alert_rules ADD COLUMN IF NOT EXISTS creates_tasks BOOLEAN")


def exported_tables() -> list[str]:
    """Return every table an export of the database holds: the canonical tables, the custom
    attributes, then the team's work tables (tasks, notes, plays, follow-ups)."""
    return [*TABLES, "account_attributes", *WORK_TABLES]


def create_sql(name: str) -> str:
    """Return the CREATE TABLE statement of a canonical table or of account_attributes."""
    if name in TABLES:
        return table_ddl(TABLES[name])
    if name == "account_attributes":
        return INTERNAL_DDL[0]
    if name in WORK_TABLES:
        return WORK_TABLES[name]
    raise KeyError(name)


# Forward migrations: version -> (description, function). Append only; never edit a shipped one.
MIGRATIONS = {
    1: ("canonical tables of DATA.md, loads log, custom attributes", _v1),
    2: ("usage rollups usage_daily and usage_monthly", _v2),
    3: ("alert rules and their history", _v3),
    4: ("load snapshots for undo, who undid a load, the audit trail", _v4),
    5: ("tasks, notes, risk plays, feedback follow-ups; alert rules that create tasks", _v5),
}


def current_version(cur) -> int:
    """Return the schema version stored in the database (0 for an empty database)."""
    exists = cur.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchone()[0]
    if not exists:
        return 0
    return cur.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]


def migrate(cur) -> int:
    """Apply every migration newer than the database's version, each in its own transaction.

    Returns the version the database is at afterwards. A database newer than this code is
    refused (it would be changed by code that does not know its tables)."""
    version = current_version(cur)
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"the database has schema version {version}, newer than this program's "
            f"{SCHEMA_VERSION}; upgrade the program"
        )
    # Imported here: metrics.store imports this module to migrate at connect.
    from metrics.store import transaction

    for v in sorted(k for k in MIGRATIONS if k > version):
        desc, fn = MIGRATIONS[v]
        with transaction(cur):
            fn(cur)
            cur.execute(
                "INSERT INTO schema_migrations VALUES (?, current_timestamp, ?)", [v, desc]
            )
    if version >= 2:
        # v2 is unreleased: a database made by an earlier build of it has the rollups' first
        # layout (text ids in usage_daily); rebuild them in the current one.
        from metrics import rollup

        if rollup.stale(cur):
            with transaction(cur):
                rollup.refresh(cur)
    return max(version, SCHEMA_VERSION)
