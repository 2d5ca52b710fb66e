#!/usr/bin/env python3
"""Runs `incrocio models sql` on real engines and compares it with `incrocio reprofile`.

Usage: engines.py PEOPLE (.parquet|.csv) REPROFILE_OUT.parquet REJECTS.csv DIR ENGINE...
DIR holds spark.sql and postgres.sql written by `incrocio models sql`; ENGINE is `spark`
(Apache Spark through pyspark, local mode) or `postgres` (a PostgreSQL server reached with
`psql`, its connection in the standard PG* environment variables).

A CSV is first written as Parquet in DIR, typed as reprofile types it (people.py). For each
engine the people file is loaded as a table `people` (Spark reads the Parquet; for
PostgreSQL it is written as CSV by DuckDB and copied in, each column typed as the Parquet
types it), the query is run, and for every person: the same class and the index to 1e-9 as
incrocio's, and `invalid_field` set exactly for the people incrocio rejected, to the same
field. Prints one line per check and exits non-zero on the first difference.
"""
import csv
import io
import pathlib
import subprocess
import sys
import time

import duckdb

from people import people_view

TOLERANCE = 1e-9


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def expected(incrocio_out, rejects):
    """person_id → (class, index) of the people incrocio profiled; person_id → field rejected."""
    con = duckdb.connect()
    profiled = {
        pid: (cls, idx)
        for pid, cls, idx in con.execute(
            f"SELECT person_id, class, \"index\" FROM read_parquet('{incrocio_out}')"
        ).fetchall()
    }
    rejected = {
        rid: field
        for rid, field in con.execute(
            f"SELECT id, field FROM read_csv('{rejects}', all_varchar = true, header = true)"
        ).fetchall()
    }
    return profiled, rejected


def compare(engine, rows, profiled, rejected):
    """rows: (person_id, class, index, invalid_field) as the engine gave them."""
    seen = 0
    for pid, cls, idx, invalid in rows:
        if pid in rejected:
            if invalid != rejected[pid]:
                fail(f"{engine}: {pid} rejected by incrocio on {rejected[pid]}, {engine} says {invalid!r}")
            continue
        if invalid is not None:
            fail(f"{engine}: {pid} profiled by incrocio, {engine} rejects it on {invalid}")
        want = profiled.get(pid)
        if want is None:
            fail(f"{engine}: {pid} is in neither incrocio's output nor its rejects")
        if int(cls) != int(want[0]) or abs(float(idx) - want[1]) > TOLERANCE:
            fail(f"{engine}: {pid} class {cls} index {idx}, incrocio class {want[0]} index {want[1]}")
        seen += 1
    if seen != len(profiled):
        fail(f"{engine}: {seen} people compared, incrocio profiled {len(profiled)}")
    print(f"{engine}: {seen} people with the same class and index (to {TOLERANCE}), "
          f"{len(rejected)} rejected on the same field")


def run_spark(people, sql):
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("incrocio-models-sql")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        spark.read.parquet(people).createOrReplaceTempView("people")
        out = spark.sql(sql).select("person_id", "class", "index", "invalid_field")
        rows = [(r[0], r[1], r[2], r[3]) for r in out.toLocalIterator()]
        return rows, spark.version
    finally:
        spark.stop()


PG_TYPES = {
    "VARCHAR": "text",
    "DATE": "date",
    "BIGINT": "bigint",
    "INTEGER": "bigint",
    "BOOLEAN": "boolean",
    "DOUBLE": "double precision",
}


def psql(*args, stdin=None):
    out = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", *args],
        input=stdin, capture_output=True, text=True,
    )
    if out.returncode != 0:
        fail(f"psql: {out.stderr.strip()}")
    return out.stdout


def run_postgres(people, sql, work):
    con = duckdb.connect()
    cols = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{people}')").fetchall()
    defs = []
    for name, kind, *_ in cols:
        if kind not in PG_TYPES:
            fail(f"postgres: no PostgreSQL type for {name} {kind}")
        # Unquoted, as a PostgreSQL user creates a table with the ANPAL names: folded to
        # lower case, as the query's unquoted names are.
        defs.append(f"{name} {PG_TYPES[kind]}")
    path = pathlib.Path(work) / "people.csv"
    con.execute(f"COPY (SELECT * FROM read_parquet('{people}')) TO '{path}' (HEADER, DELIMITER ',')")
    psql("-c", "DROP TABLE IF EXISTS people")
    psql("-c", f"CREATE TABLE people ({', '.join(defs)})")
    psql("-c", f"\\copy people FROM '{path}' WITH (FORMAT csv, HEADER true)")
    query = sql.strip().rstrip(";")
    text = psql(
        "-c",
        f"COPY (SELECT person_id, class, \"index\", invalid_field FROM ({query}) q) TO STDOUT WITH (FORMAT csv)",
    )
    rows = []
    for pid, cls, idx, invalid in csv.reader(io.StringIO(text)):
        rows.append((pid, cls if cls != "" else None, idx if idx != "" else None, invalid or None))
    version = psql("-At", "-c", "SHOW server_version").strip()
    return rows, version


def main():
    people, incrocio_out, rejects, sql_dir, *engines = sys.argv[1:]
    if not engines:
        fail("name at least one engine: spark, postgres")
    sql_dir = pathlib.Path(sql_dir)
    if people.endswith(".csv"):
        typed = sql_dir / "people.parquet"
        con = duckdb.connect()
        people_view(con, people)
        con.execute(f"COPY (SELECT * FROM people) TO '{typed}' (FORMAT parquet)")
        people = str(typed)
    profiled, rejected = expected(incrocio_out, rejects)
    print(f"incrocio: {len(profiled)} people profiled, {len(rejected)} rejected")
    for engine in engines:
        sql = (sql_dir / f"{engine}.sql").read_text()
        started = time.perf_counter()
        if engine == "spark":
            rows, version = run_spark(people, sql)
        elif engine == "postgres":
            rows, version = run_postgres(people, sql, sql_dir)
        else:
            fail(f"unknown engine {engine}")
        took = time.perf_counter() - started
        what = ("the session's start, reading the Parquet, the query" if engine == "spark"
                else "the CSV written and copied in, the query")
        print(f"{engine} {version}: {len(rows)} rows in {took:.1f} s ({what})")
        compare(engine, rows, profiled, rejected)
    print("ok")


if __name__ == "__main__":
    main()
