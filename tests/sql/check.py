#!/usr/bin/env python3
"""Runs `incrocio models sql` output in DuckDB and compares it with `incrocio reprofile`.

Usage: check.py PEOPLE (.parquet|.csv) REPROFILE_OUT.parquet REJECTS.csv DIR
DIR holds duckdb.sql, spark.sql, trino.sql, postgres.sql written by `incrocio models sql`.

- The DuckDB query is executed over PEOPLE (a CSV is typed as the engine types it: dates,
  counts, flags; codes stay text) and every column is compared row by row with incrocio's:
  index to 1e-9, class, label, every contribution to 1e-12, age, unemployment months, suspended
  days, AdR eligibility and amounts in cents, next_review_at; a row incrocio rejected must have
  `invalid_field` set to the rejected field, and no other row may.
- The other three dialects are parsed by sqlglot here; the Spark and PostgreSQL queries are
  executed on the real engines by tests/sql/engines.py (.ci/engines.sh, in CI).
Prints one line per check and exits non-zero on the first difference.
"""
import pathlib
import sys

import duckdb
import sqlglot

from people import people_view


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def main():
    people, incrocio_out, rejects, sql_dir = sys.argv[1:5]
    sql_dir = pathlib.Path(sql_dir)
    con = duckdb.connect()
    con.execute("SET threads = 2")
    people_view(con, people)
    sql = (sql_dir / "duckdb.sql").read_text()
    con.execute(f"CREATE TABLE duck AS {sql}")
    con.execute(f"CREATE TABLE inc AS SELECT * FROM read_parquet('{incrocio_out}')")
    con.execute(f"CREATE TABLE rej AS SELECT * FROM read_csv('{rejects}', all_varchar = true, header = true)")
    n_people, n_duck, n_inc, n_rej = con.execute(
        "SELECT (SELECT count(*) FROM people), (SELECT count(*) FROM duck), "
        "(SELECT count(*) FROM inc), (SELECT count(*) FROM rej)").fetchone()
    print(f"people {n_people}, duckdb rows {n_duck}, incrocio rows {n_inc}, incrocio rejects {n_rej}")
    if n_duck != n_people or n_inc + n_rej != n_people:
        fail("row counts")

    inc_cols = {r[0] for r in con.execute("DESCRIBE inc").fetchall()}
    duck_cols = [r[0] for r in con.execute("DESCRIBE duck").fetchall()]
    # Every reprofile column the SQL computes, compared exactly or to a tolerance.
    tolerance = {"index": 1e-9, "linear_predictor": 1e-12}
    checks = []
    for c in duck_cols:
        if c in ("person_id", "invalid_field") or c not in inc_cols:
            continue
        if c.startswith("contrib_"):
            tol = 1e-12
        else:
            tol = tolerance.get(c)
        if tol is None:
            checks.append(f"count(*) FILTER (WHERE d.\"{c}\" IS DISTINCT FROM CAST(i.\"{c}\" AS {typeof(con, 'duck', c)}))")
        else:
            checks.append(f"count(*) FILTER (WHERE (abs(d.\"{c}\" - i.\"{c}\") <= {tol}) IS NOT TRUE)")
    compared = [c for c in duck_cols if c not in ("person_id", "invalid_field") and c in inc_cols]
    row = con.execute(
        f"SELECT count(*), {', '.join(checks)} FROM duck d JOIN inc i USING (person_id)").fetchone()
    print(f"compared {row[0]} profiled people on {len(compared)} columns: {', '.join(compared)}")
    if row[0] != n_inc:
        fail(f"{n_inc - row[0]} incrocio rows have no DuckDB row")
    for c, bad in zip(compared, row[1:]):
        if bad:
            sample = con.execute(
                f"SELECT person_id, d.\"{c}\", i.\"{c}\" FROM duck d JOIN inc i USING (person_id) "
                f"WHERE d.\"{c}\" IS DISTINCT FROM i.\"{c}\" LIMIT 3").fetchall()
            fail(f"{bad} differences in {c}, e.g. {sample}")
    bad = con.execute(
        "SELECT count(*) FROM duck d JOIN inc i USING (person_id) WHERE d.invalid_field IS NOT NULL").fetchone()[0]
    if bad:
        fail(f"{bad} rows incrocio profiled have an invalid_field in DuckDB")
    rows = con.execute(
        "SELECT r.id, r.field, d.invalid_field FROM rej r LEFT JOIN duck d ON d.person_id = r.id "
        "WHERE d.invalid_field IS DISTINCT FROM r.field").fetchall()
    if rows:
        fail(f"{len(rows)} rejected rows differ, e.g. {rows[:5]}")
    print(f"the {n_rej} rows incrocio rejects have the same invalid_field in DuckDB")

    for dialect in ("spark", "trino", "postgres", "duckdb"):
        text = (sql_dir / f"{dialect}.sql").read_text()
        tree = sqlglot.parse_one(text, read=dialect, error_level=sqlglot.ErrorLevel.RAISE)
        print(f"sqlglot {sqlglot.__version__} parses the {dialect} query ({len(text):,} bytes, "
              f"{len(list(tree.find_all(sqlglot.exp.CTE)))} CTEs)")
    print("ok")


def typeof(con, table, col):
    return con.execute(f"SELECT typeof(\"{col}\") FROM {table} LIMIT 1").fetchone()[0]


if __name__ == "__main__":
    main()
