"""Schema version 5: the work tables (tasks, notes, risk plays, follow-ups) by migration from a
version 4 database that has alert rules, and in the list an export iterates."""

import duckdb

from metrics import alerts, schema
from metrics.store import Store


def test_a_version_4_database_migrates_to_5_keeping_its_rules(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    for v in (1, 2, 3, 4):
        schema.MIGRATIONS[v][1](con)
        con.execute("INSERT INTO schema_migrations VALUES (?, current_timestamp, ?)",
                    [v, schema.MIGRATIONS[v][0]])
    con.execute("INSERT INTO alert_rules VALUES (1, 'old rule', 'threshold', 'nps', NULL, "
                "'below', 20, NULL, 30, 24, true, current_timestamp)")
    con.close()
    store = Store(path)
    try:
        cur = store.cursor()
        assert schema.current_version(cur) == 5 == schema.SCHEMA_VERSION
        for t in schema.WORK_TABLES:
            assert cur.execute(f"SELECT count(*) FROM {t}").fetchone()[0] == 0
        rules = alerts.read_rules(cur)
        assert rules[["name", "creates_tasks"]].values.tolist() == [["old rule", False]]
    finally:
        store.close()


def test_an_export_iterating_the_schema_meets_the_work_tables(store):
    names = schema.exported_tables()
    assert names[:len(schema.TABLES)] == list(schema.TABLES)
    assert names[-5:] == ["tasks", "notes", "risk_plays", "play_stages", "feedback_followups"]
    cur = store.cursor()
    for name in names:  # each has its CREATE statement and exists in a new database
        assert schema.create_sql(name).startswith("CREATE TABLE IF NOT EXISTS")
        cur.execute(f"SELECT * FROM {name} LIMIT 0")
