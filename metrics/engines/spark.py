"""Metrics on Apache Spark: the DuckDB SQL of metrics/sql transpiled to Spark SQL.

`SparkSource(path, master)` opens (or reuses) a SparkSession, registers every table of a
Parquet export (`metrics/parquet.py`: its manifest lists them) as a temporary view, and gives a
`cursor()` that metric functions use as they use a DuckDB cursor: `cur.execute(sql, params)`
then `.df()`, `.fetchone()` or `.fetchall()`. The SQL is the same text the DuckDB engine runs;
sqlglot reads it as DuckDB and writes it as Spark SQL, with the `$name` parameters put in as
literals (Spark's SQL has no list parameters; the values are ours, typed, and written by sqlglot,
never pasted as text). The usage rollups the usage metrics read are computed on Spark from the
raw events (metrics/rollup.py's SQL) unless the export holds them.

Why transpile and not a portable layer (ibis, SQLFrame): the SQL files stay the one readable
definition, shown as-is by "show the math"; the few DuckDB functions without a Spark equivalent
were rewritten once in portable SQL in those files (README, Running on a cluster).
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

import pandas as pd
import sqlglot
from sqlglot import exp, transforms

DEFAULT_MASTER = "local[2]"


def _literal(value: Any) -> exp.Expression:
    """Return the sqlglot literal of a bound parameter value (DuckDB's own binding types)."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float | Decimal):
        return exp.Literal.number(value)
    if isinstance(value, datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP")
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, list | tuple):
        return exp.Array(expressions=[_literal(v) for v in value])
    if hasattr(value, "item"):  # numpy scalars
        return _literal(value.item())
    if isinstance(value, pd.Timestamp):
        return _literal(value.to_pydatetime())
    raise TypeError(f"cannot bind {type(value).__name__} as a Spark literal")


@lru_cache(maxsize=256)
def _parsed(sql: str) -> Any:
    return sqlglot.parse_one(sql, read="duckdb")


def to_spark(sql: str, params: dict | None = None) -> str:
    """Return DuckDB `sql` as Spark SQL with its `$name` parameters replaced by literals."""
    tree = _parsed(sql).copy()
    params = params or {}

    def bind(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.this in params:
            return _literal(params[node.this])
        return node

    tree = tree.transform(bind)
    for _ in range(2):  # a rewritten node's new children are rewritten on the second pass
        tree = tree.transform(_portable)
    tree = _keep_order(tree.transform(transforms.eliminate_qualify))
    left = [p.this for p in tree.find_all(exp.Placeholder)]
    if left:
        raise KeyError(f"query needs parameters {sorted(set(left))}")
    return tree.sql(dialect="spark")


# DuckDB functions that Spark has under another name (same arguments, same meaning).
RENAMES = {"EPOCH_US": "UNIX_MICROS"}


def _is_list(node: exp.Expression) -> bool:
    return (isinstance(node, exp.Array)
            or (isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.ARRAY)))


def _zip_unnests(node: exp.Select) -> exp.Expression:
    """DuckDB unnests lists side by side in one SELECT (`SELECT unnest(a) AS x, unnest(b) AS
    y`: row i holds a[i] and b[i]); Spark allows one generator per SELECT. Return the same rows
    as `SELECT z.`0` AS x, z.`1` AS y FROM (SELECT explode(arrays_zip(a, b)) AS z)`."""
    items = node.expressions
    zipped = exp.Anonymous(this="ARRAYS_ZIP", expressions=[i.this.this.copy() for i in items])
    inner = exp.select(exp.alias_(exp.Explode(this=zipped), "_z")).subquery("_zipped")
    fields = [exp.Dot(this=exp.column("_z"), expression=exp.to_identifier(str(k), quoted=True))
              for k in range(len(items))]
    return exp.select(*[exp.alias_(f, i.alias) for f, i in zip(fields, items, strict=True)]
                      ).from_(inner)


def _portable(node: exp.Expression) -> exp.Expression:
    """The rewrites sqlglot's DuckDB reader leaves to us: quantile_cont (Spark's exact
    `percentile`); `len` of a list is its size (Spark's LENGTH takes text only); lists indexed
    by a computed position are 1-based in DuckDB (`element_at` on Spark; a literal index
    sqlglot shifts itself); list_position is NULL when absent (Spark's array_position: 0);
    lists unnested side by side; RENAMES."""
    if isinstance(node, exp.PercentileCont) and node.args.get("expression") is not None:
        # DuckDB's quantile_cont(x, p or [p, …]): Spark's exact `percentile`, which
        # interpolates linearly the same way and also takes a list
        return exp.Anonymous(this="PERCENTILE", expressions=[node.this, node.expression])
    if isinstance(node, exp.Length) and _is_list(node.this):
        return exp.ArraySize(this=node.this)
    if (isinstance(node, exp.Bracket) and _is_list(node.this)
            and len(node.expressions) == 1 and not node.expressions[0].is_int):
        return exp.Anonymous(this="ELEMENT_AT", expressions=[node.this, node.expressions[0]])
    if isinstance(node, exp.Anonymous) and str(node.this).upper() == "LIST_POSITION":
        pos = exp.Anonymous(this="ARRAY_POSITION", expressions=node.expressions)
        return exp.cast(exp.Nullif(this=pos, expression=exp.Literal.number(0)), "INT")
    if isinstance(node, exp.Anonymous) and str(node.this).upper() in RENAMES:
        return exp.Anonymous(this=RENAMES[str(node.this).upper()], expressions=node.expressions)
    if (isinstance(node, exp.Select) and len(node.expressions) > 1
            and not node.args.get("from_")
            and all(isinstance(i, exp.Alias) and isinstance(i.this, exp.Explode)
                    for i in node.expressions)):
        return _zip_unnests(node)
    return node


def _keep_order(tree: Any) -> Any:
    """Move the ORDER BY of a query read from a subquery (what QUALIFY becomes on Spark) to the
    outer query: Spark keeps no order through a subquery, DuckDB's results are ordered."""
    frm = tree.args.get("from_") if isinstance(tree, exp.Select) else None
    sub = frm.this if frm is not None else None
    if (isinstance(sub, exp.Subquery) and isinstance(sub.this, exp.Select)
            and sub.this.args.get("order") and not tree.args.get("order")):
        order = sub.this.args["order"].pop()
        for col in order.find_all(exp.Column):
            col.set("table", None)
        tree.set("order", order)
    return tree


class SparkCursor:
    """A cursor over the registered views with the part of DuckDB's cursor metrics use."""

    def __init__(self, spark) -> None:
        self.spark = spark
        self._result = None

    def execute(self, sql: str, params: dict | None = None) -> SparkCursor:
        """Run DuckDB `sql` (transpiled) with `params` bound; returns the cursor."""
        self._result = self.spark.sql(to_spark(sql, params))
        return self

    def df(self) -> pd.DataFrame:
        """Return the last result as a DataFrame, decimals as floats (as DuckDB's .df())."""
        from pyspark.sql import functions as F
        from pyspark.sql.types import DecimalType

        res = self._result
        assert res is not None, "execute() first"
        cols = [F.col(f"`{f.name}`").cast("double").alias(f.name)
                if isinstance(f.dataType, DecimalType) else F.col(f"`{f.name}`")
                for f in res.schema.fields]
        return res.select(*cols).toPandas()

    def fetchall(self) -> list[tuple]:
        """Return the last result's rows as tuples."""
        assert self._result is not None, "execute() first"
        return [tuple(r) for r in self._result.collect()]

    def fetchone(self) -> tuple | None:
        """Return the last result's first row, or None."""
        rows = self.fetchall()
        return rows[0] if rows else None

    def close(self) -> None:
        """Forget the last result (the session stays open for the next cursor)."""
        self._result = None


def _local_cores(master: str) -> str | None:
    """Return the number of cores of a local master (`local[2]` -> "2", `local` -> "1")."""
    if not master or not master.startswith("local"):
        return None
    inner = master[6:-1] if master.startswith("local[") else "1"
    return inner if inner.isdigit() else None


def session(master: str = DEFAULT_MASTER, app: str = "csm"):
    """Return the SparkSession (the running one when there is one), in UTC like the store."""
    from pyspark.sql import SparkSession

    builder = (SparkSession.builder.appName(app)
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               # on a few local cores Spark's default of 200 shuffle partitions is mostly
               # scheduling (measured: 8 -> 2 on local[2] cuts a metric's time); a cluster
               # keeps its own setting unless CSM_SPARK_PARTITIONS says otherwise
               .config("spark.sql.shuffle.partitions", os.environ.get(
                   "CSM_SPARK_PARTITIONS", _local_cores(master) or "200"))
               .config("spark.sql.parquet.inferTimestampNTZ.enabled", "false"))
    if master:
        builder = builder.master(master)
    spark = builder.getOrCreate()
    # a failed query raises with Spark's message; its log lines would only repeat it
    spark.sparkContext.setLogLevel(os.environ.get("CSM_SPARK_LOG_LEVEL", "OFF"))
    return spark


def read_text(spark, path: str) -> str:
    """Return the text of a file at any path Spark reads (local, hdfs://, s3a://, …)."""
    rows = spark.read.text(path, wholetext=True).collect()
    return rows[0][0] if rows else ""


class SparkSource:
    """A Parquet export (metrics/parquet.py) registered as views in a SparkSession."""

    def __init__(self, path: str, master: str = DEFAULT_MASTER, spark=None) -> None:
        from metrics import parquet

        self.path = str(path).rstrip("/")
        self.spark = spark or session(master)
        try:
            text = read_text(self.spark, f"{self.path}/{parquet.MANIFEST}")
            self.manifest = json.loads(text)
        except Exception as e:  # noqa: BLE001 (Spark raises its own kinds for missing paths)
            raise ValueError(f"{self.path} is no Parquet export of csm (no readable "
                             f"{parquet.MANIFEST}): {str(e).splitlines()[0]}") from e
        self.tables = list(self.manifest.get("tables", {}))
        for name in self.tables:
            df = self.spark.read.parquet(f"{self.path}/{name}")
            part = self.manifest["tables"][name].get("partition")
            if part:  # the partition folder's value is not a column of the table
                df = df.drop(part)
            else:
                # DuckDB's `rowid` (a row's place in storage) is used only as a row's identity
                # and a last tie-break (survey answers); any unique number does the same here
                from pyspark.sql import functions as F

                df = df.withColumn("rowid", F.monotonically_increasing_id())
                # the unpartitioned tables are the small ones (accounts, subscriptions,
                # answers, tickets, …): read once, kept in memory for every query
                df = df.cache()
            df.createOrReplaceTempView(name)
        from metrics import rollup

        if not set(rollup.ROLLUP_TABLES) <= set(self.tables):
            for name, frame in rollup_frames(self.spark).items():
                frame.createOrReplaceTempView(name)

    def cursor(self) -> SparkCursor:
        """Return a cursor over the source's views."""
        return SparkCursor(self.spark)


def rollup_frames(spark) -> dict:
    """Return the usage rollups computed on Spark from the `usage_events` view, as Spark
    DataFrames by name (cached: the usage metrics read them more than once)."""
    from metrics import rollup

    out = {}
    for name, select in rollup.FULL_SELECT.items():
        frame = spark.sql(to_spark(select)).cache()
        frame.createOrReplaceTempView(name)
        out[name] = frame
    return out


def write_hadoop_text(spark, path: str, text: str) -> None:
    """Write `text` to a file at any path Spark writes, through Hadoop's file system API."""
    jvm = spark.sparkContext._jvm
    target = jvm.org.apache.hadoop.fs.Path(path)
    fs = target.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    out = fs.create(target, True)
    try:
        out.write(bytearray(text.encode("utf-8")))
    finally:
        out.close()


def write_rollups(spark, source: str, out: str, master: str) -> dict:
    """Compute the usage rollups of the export at `source` on Spark and write each as Parquet
    under `out` (a new folder), with a manifest saying from what, where and when; return it.
    The manifest is written last: a folder without it is an unfinished job."""
    from datetime import UTC, datetime

    from metrics import parquet, rollup

    src = SparkSource(source, spark=spark)
    if "usage_events" not in src.tables:
        raise ValueError(f"{source} holds no usage_events table to roll up")
    started = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    frames = rollup_frames(spark)
    out = str(out).rstrip("/")
    tables = {}
    for name in rollup.ROLLUP_TABLES:
        frame = frames[name]
        frame.write.mode("errorifexists").parquet(f"{out}/{name}")
        tables[name] = {"rows": spark.read.parquet(f"{out}/{name}").count()}
    manifest = {"format": parquet.ROLLUP_FORMAT, "format_version": 1, "engine": "spark",
                "spark_version": spark.version, "master": spark.sparkContext.master,
                "source": source, "computed_at": started,
                "export_schema_version": src.manifest.get("schema_version"),
                "tables": tables}
    write_hadoop_text(spark, f"{out}/{parquet.MANIFEST}", json.dumps(manifest, indent=1))
    return manifest
