"""Engines other than the embedded DuckDB file that run the same named SQL (metrics/sql).

A metric function takes a cursor and runs its SQL through `cur.execute(sql, params)`; an engine
here gives a cursor with that same surface (execute, df, fetchone, fetchall) over another
engine, so every metric's Python around its SQL is shared. `spark` runs on Apache Spark.
"""
